#include "agent/actions.h"

#include <algorithm>

#include "util/random.h"

namespace lt::agent {

using json = nlohmann::json;

namespace {

std::string NewId() {
  uint8_t b[8];
  SecureRandom::Default()->Fill(b);
  return HexEncode(ByteSpan(b, sizeof b));
}

std::string Signed(const U256& before, const U256& after) {
  if (after >= before) return "+" + after.CheckedSub(before)->ToMor() + " MOR";
  return "-" + before.CheckedSub(after)->ToMor() + " MOR";
}

}  // namespace

ActionStore::ActionStore(Wallet* wallet, const Clock* clock, ActionOptions options)
    : wallet_(wallet), clock_(clock), options_(options) {}

json ActionStore::Render(const Proposal& p) {
  const TrustedFunction& f = *p.function;
  json v;
  v["chain_id"] = p.chain_id;
  v["contract"] = {{"name", p.contract->name}, {"title", p.contract->title}, {"address", p.to.ToChecksumHex()}};
  v["function"] = f.name;
  v["signature"] = f.abi->signature;
  v["doc"] = f.doc;
  v["args"] = p.DecodedArgs();
  v["value"] = p.value.ToDecimal();
  v["from"] = wallet_->address().ToChecksumHex();
  std::string text = "On chain " + std::to_string(p.chain_id) + ", call " + f.name + " on " + p.contract->name + " (" +
                     p.to.ToChecksumHex() + ") from your address " + wallet_->address().ToChecksumHex();
  std::string arg_text;
  for (auto it = v["args"].begin(); it != v["args"].end(); ++it) {
    arg_text += (arg_text.empty() ? "" : ", ") + it.key() + " = " +
                (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  }
  text += " with " + (arg_text.empty() ? std::string("no arguments") : arg_text) + ", value " + p.value.ToDecimal() +
          " wei.";
  if (options_.simulate && f.needs_signature()) {
    v["simulation"] = {{"ok", nullptr},
                       {"skipped", "the call carries your signature, and only your confirmation signs: it is not "
                                   "simulated before (the balances below follow the contract's rules)"}};
    text += " Not simulated before you confirm: it carries your signature, which only your confirmation makes.";
  } else if (options_.simulate) {
    auto est = wallet_->Estimate(p);
    if (!est.ok()) {
      v["simulation"] = {{"ok", false}, {"error", est.error().message}};
      text += " The simulation could not run: " + est.error().message + ".";
    } else if (est->reverted) {
      v["simulation"] = {{"ok", false}, {"revert", est->message}};
      text += " It would fail: " + est->message + ".";
    } else {
      v["simulation"] = {{"ok", true}};
      v["gas_estimate"] = est->gas;
      text += " Estimated gas: " + std::to_string(est->gas) + ".";
    }
  }
  json effects = json::array();
  auto bal = wallet_->Read();
  if (bal.ok()) {
    for (const auto& e : f.effects) {
      const evm::AbiValue* amount = p.Arg(e.arg);
      if (!amount) continue;
      U256 before = e.balance == "wallet" ? bal->wallet : bal->vault;
      std::optional<U256> after = e.increase ? before.CheckedAdd(amount->word) : before.CheckedSub(amount->word);
      json x = {{"balance", e.balance}, {"before", before.ToMor() + " MOR"}};
      if (after) {
        x["after"] = after->ToMor() + " MOR";
        x["change"] = Signed(before, *after);
        text += " Your " + e.balance + ": " + before.ToMor() + " -> " + after->ToMor() + " MOR.";
      } else {
        x["after"] = "insufficient";
        text += " Your " + e.balance + " (" + before.ToMor() + " MOR) is not enough.";
      }
      effects.push_back(std::move(x));
    }
  } else {
    v["balances_error"] = bal.error().message;
    text += " Your balances could not be read: " + bal.error().message + ".";
  }
  v["effects"] = std::move(effects);
  v["text"] = text;
  return v;
}

Result<json> ActionStore::Add(Proposal p, std::string tool_call_id) {
  json view = Render(p);  // chain calls happen outside the lock
  std::lock_guard lock(mu_);
  ExpireLocked();
  if (actions_.size() >= options_.max_actions) {
    // Drop the oldest finished action; refuse when all are pending.
    auto oldest = actions_.end();
    for (auto it = actions_.begin(); it != actions_.end(); ++it) {
      if (it->second.state == "pending" || it->second.state == "sending") continue;
      if (oldest == actions_.end() || it->second.seq < oldest->second.seq) oldest = it;
    }
    if (oldest == actions_.end()) {
      return MakeError(ErrorCode::kResourceExhausted, "too many pending actions: confirm or reject some first");
    }
    actions_.erase(oldest);
  }
  Action a;
  a.id = NewId();
  a.proposal = std::move(p);
  a.tool_call_id = std::move(tool_call_id);
  a.created = clock_->NowSeconds();
  a.expires = a.created + options_.ttl_seconds;
  a.seq = next_seq_++;
  a.view = std::move(view);
  std::string id = a.id;
  actions_[id] = std::move(a);
  return View(actions_[id]);
}

void ActionStore::ExpireLocked() {
  uint64_t now = clock_->NowSeconds();
  for (auto& [id, a] : actions_) {
    if (a.state == "pending" && now >= a.expires) a.state = "expired";
  }
}

json ActionStore::View(const Action& a) const {
  json v = a.view;
  v["id"] = a.id;
  v["state"] = a.state;
  v["created"] = a.created;
  v["expires"] = a.expires;
  if (!a.tool_call_id.empty()) v["tool_call_id"] = a.tool_call_id;
  if (!a.tx_hash.empty()) v["tx_hash"] = a.tx_hash;
  if (!a.error.empty()) v["error"] = a.error;
  if (a.state != "pending" && a.state != "sending") {
    // What the agent gets for its call once the user decided: replaces the pending result.
    json result = {{"status", a.state}};
    if (!a.tx_hash.empty()) result["tx_hash"] = a.tx_hash;
    if (!a.error.empty()) result["error"] = a.error;
    v["tool_message"] = {{"role", "tool"}, {"tool_call_id", a.tool_call_id}, {"content", result.dump()}};
  }
  return v;
}

json ActionStore::List() {
  std::lock_guard lock(mu_);
  ExpireLocked();
  std::vector<const Action*> all;
  for (const auto& [id, a] : actions_) all.push_back(&a);
  std::sort(all.begin(), all.end(), [](const Action* x, const Action* y) { return x->seq > y->seq; });
  json out = json::array();
  for (const auto* a : all) out.push_back(View(*a));
  return out;
}

Result<json> ActionStore::Get(const std::string& id) {
  std::lock_guard lock(mu_);
  ExpireLocked();
  auto it = actions_.find(id);
  if (it == actions_.end()) return NotFound("no action " + id.substr(0, 32));
  return View(it->second);
}

Result<json> ActionStore::Reject(const std::string& id) {
  std::lock_guard lock(mu_);
  ExpireLocked();
  auto it = actions_.find(id);
  if (it == actions_.end()) return NotFound("no action " + id.substr(0, 32));
  if (it->second.state != "pending") {
    return MakeError(ErrorCode::kFailedPrecondition, "action " + id + " is " + it->second.state + ", not pending");
  }
  it->second.state = "rejected";
  return View(it->second);
}

Result<json> ActionStore::Confirm(const std::string& id) {
  Proposal p;
  {
    std::lock_guard lock(mu_);
    ExpireLocked();
    auto it = actions_.find(id);
    if (it == actions_.end()) return NotFound("no action " + id.substr(0, 32));
    if (it->second.state != "pending") {
      return MakeError(ErrorCode::kFailedPrecondition, "action " + id + " is " + it->second.state + ", not pending");
    }
    it->second.state = "sending";  // a second confirm now fails: one transaction per action
    p = it->second.proposal;
  }
  auto sent = wallet_->Send(p);
  std::lock_guard lock(mu_);
  Action& a = actions_[id];
  if (!sent.ok()) {
    a.state = "failed";
    a.error = sent.error().message;
  } else if (sent->reverted) {
    a.state = "failed";
    a.error = "reverted: " + sent->revert_message;
    if (sent->receipt) a.tx_hash = HexEncode0x(sent->tx_hash);
  } else {
    a.state = "confirmed";
    a.tx_hash = HexEncode0x(sent->tx_hash);
  }
  return View(a);
}

}  // namespace lt::agent
