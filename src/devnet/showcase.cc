#include "devnet/showcase.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "devnet/http_view.h"
#include "ledger/client.h"
#include "ledger/day_label.h"
#include "util/uint256.h"

namespace lt::devnet {

using nlohmann::json;

namespace {

const char* kPrompts[] = {"Once upon a time", "The little dog wanted", "One day a girl found a box"};
constexpr int kChats = 3;

void Say(const std::string& s) { std::cout << s << std::endl; }
void Step(const std::string& s) {
  static const bool tty = ::isatty(1) != 0;  // bold titles on a terminal only
  std::cout << (tty ? "\n\033[1m== " : "\n== ") << s << (tty ? "\033[0m" : "") << std::endl;
}

U256 Plus(const U256& a, const U256& b) { return a.CheckedAdd(b).value_or(a); }
// a - b, or 0 when b > a.
U256 Minus(const U256& a, const U256& b) { return a.CheckedSub(b).value_or(U256(0)); }
std::string Mor(const U256& v) { return v.ToMor(); }

std::string OneLine(std::string s, size_t max = 110) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s.size() > max ? s.substr(0, max) + "..." : s;
}

bool Sleep(const Devnet& d, int ms) {
  for (int t = 0; t < ms && !d.stop->load(); t += 100)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return !d.stop->load();
}

Result<std::unique_ptr<ledger::RemoteLedger>> Ledger(const std::string& url) {
  auto l = ledger::RemoteLedger::Connect(url);
  if (!l.ok()) return l.error().Wrap("ledger " + url);
  return l;
}

Result<std::map<std::string, ledger::AccountInfo>> Accounts(const Devnet& d) {
  LT_TRY(auto l, Ledger(d.plan.ledger_url()));
  std::map<std::string, ledger::AccountInfo> out;
  for (const auto& a : d.plan.accounts) {
    LT_TRY(auto addr, crypto::ParseAddress(a.address));
    LT_TRY(out[a.name], l->GetAccount(addr));
  }
  return out;
}

// One chat through the user's local OpenAI API.
Status ChatThroughApi(const Devnet& d, int i) {
  json req = {{"model", kModelRef},
              {"messages", json::array({{{"role", "user"}, {"content", kPrompts[i]}}})},
              {"max_tokens", 60}};
  auto t0 = std::chrono::steady_clock::now();
  LT_TRY(json r, PostJson(d.plan.api_url(), "/v1/chat/completions", req));
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::string text;
  if (r.contains("choices") && !r["choices"].empty()) text = r["choices"][0]["message"].value("content", "");
  Say("  [" + std::to_string(i + 1) + "] " + kPrompts[i] + " ... " + OneLine(text) + "  (" +
      std::to_string(ms) + " ms)");
  return OkStatus();
}

// Today's equivalent: a router key signs a ticket for provider i, the user chats over a session.
Status ChatWithTicket(const Devnet& d, int i) {
  const Plan& p = d.plan;
  const ProviderPlan& pp = p.providers[i % p.providers.size()];
  const RouterPlan& rp = p.routers[i % p.routers.size()];
  const Account& router = p.account(rp.name);
  const Account& user = p.account("user");
  std::string ticket = p.client_datadir + "/ticket-" + std::to_string(i + 1) + ".json";
  std::vector<std::string> domain = {"--chain-id", std::to_string(kChainId), "--verifying-contract",
                                     kVerifyingContract};
  std::vector<std::string> t = {"--log-level",     "warn",
                                "session",         "ticket",
                                "--keystore",      router.keystore,
                                "--password-file", router.password_file,
                                "--user",          user.address,
                                "--provider",      p.account(pp.name).address,
                                "--manifest",      d.manifest,
                                "--price",         pp.price,
                                "--min-seconds",   std::to_string(pp.min_seconds),
                                "--max-seconds",   "600",
                                "--out",           ticket};
  t.insert(t.end(), domain.begin(), domain.end());
  LT_TRY_STATUS(AsStatus(d.sup->RunOk("lt session ticket", t, d.Log("user-chat"))));
  std::vector<std::string> c = {"--log-level", "warn",        "session",         "chat",
                                "--keystore",  user.keystore, "--password-file", user.password_file,
                                "--provider",  pp.endpoint(), "--ticket",        ticket,
                                "--prompt",    kPrompts[i],   "--max-tokens",    "60"};
  c.insert(c.end(), domain.begin(), domain.end());
  auto t0 = std::chrono::steady_clock::now();
  LT_TRY(std::string out, d.sup->RunOk("lt session chat with " + pp.name, c, d.Log("user-chat")));
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  Say("  [" + std::to_string(i + 1) + "] " + pp.name + " (" + pp.price + " MOR/s): " + kPrompts[i] + " ... " +
      OneLine(out) + "  (" + std::to_string(ms) + " ms)");
  return OkStatus();
}

uint64_t SessionsSettled(const Devnet& d) {
  auto l = Ledger(d.plan.ledger_url());
  auto s = l.ok() ? (*l)->GetStats() : Result<ledger::StatsInfo>(l.error());
  return s.ok() ? s->sessions_settled : 0;
}

// Waits for the current day to end, then closes it (lt ledger close-day). Returns the closed
// days that carried sessions, in their JSON form (for showcase.json).
Result<json> CloseDay(const Devnet& d) {
  LT_TRY(auto l, Ledger(d.plan.ledger_url()));
  LT_TRY(ledger::DayInfo day, l->GetDay());
  int64_t wait = static_cast<int64_t>(day.day_end) - static_cast<int64_t>(std::time(nullptr)) + 1;
  if (wait > 0) {
    Say("  waiting " + std::to_string(wait) + " s for the ledger day " + ledger::DayLabel(day.day, day.day_seconds) +
        " to end (devnet days last " + std::to_string(d.plan.options.day_seconds) + " s, --day-seconds)");
    if (!Sleep(d, static_cast<int>(wait) * 1000)) return MakeError(ErrorCode::kUnavailable, "interrupted");
  }
  LT_TRY(std::string out,
         d.sup->RunOk("lt ledger close-day",
                      {"--log-level", "warn", "ledger", "close-day", "--ledger", d.plan.ledger_url()},
                      d.Log("showcase")));
  Say("  lt ledger close-day: " + OneLine(out) +
      " (the ledger also closes ended days itself, once a second)");
  LT_TRY(ledger::DayInfo after, l->GetDay());
  // The closed days that carried sessions (their builders' share is paid at their close).
  std::vector<std::pair<uint64_t, ledger::DayFigures>> records;
  for (const auto& r : after.closed) {
    if (r.second.sessions > 0) records.push_back(r);
  }
  if (records.empty() && !after.closed.empty()) records.push_back(after.closed.back());
  json out_records = json::array();
  for (const auto& [n, r] : records) {
    Say("  the day " + ledger::DayLabel(n, after.day_seconds) + " closed: " + std::to_string(r.sessions) +
        " session(s), " + std::to_string(r.session_seconds) + " session-seconds; " + r.emission_compute.ToMor() +
        " MOR newly minted into the compute pool (emission), of which builders were paid " +
        r.builders_paid.ToMor() + " MOR");
    json j = r.ToJson();
    j["day"] = n;
    out_records.push_back(j);
  }
  return out_records;
}

}  // namespace

Result<json> SettlementTotals(const std::string& ledger_url) {
  LT_TRY(auto l, Ledger(ledger_url));
  U256 cost, allowance, vault, stake, fee;
  uint64_t sessions = 0, seconds = 0, batches = 0, tokens = 0;
  json by_provider = json::object();  // provider address -> sessions settled
  for (uint64_t from = 0;;) {
    LT_TRY(auto txs, l->GetTxs(from, 1000));
    if (txs.empty()) break;
    for (const auto& t : txs) {
      from = t.index + 1;
      if (t.type != "settle_batch") continue;
      ++batches;
      auto sent = ledger::ParseSignedTx(t.tx, l->domain());
      const auto& outcomes = t.outcome.receipts;
      for (size_t k = 0; k < outcomes.size(); ++k) {
        const wire::SettleOutcome& r = outcomes[k];
        if (!r.ok()) continue;
        if (sent.ok() && k < sent->tx.receipts.size()) {
          const wire::Receipt& rc = sent->tx.receipts[k];
          std::string provider = rc.ticket.ticket.provider.ToChecksumHex();
          by_provider[provider] = by_provider.value(provider, uint64_t{0}) + 1;
          tokens += rc.voucher.voucher.tokens_out;
        }
        ++sessions;
        seconds += r.seconds;
        cost = Plus(cost, r.cost);
        allowance = Plus(allowance, r.from_allowance);
        vault = Plus(vault, r.from_vault);
        stake = Plus(stake, r.from_router_stake);
        fee = Plus(fee, r.builder_fee);
      }
    }
  }
  return json{{"settle_batches", batches},
              {"sessions", sessions},
              {"seconds", seconds},
              {"cost", cost.ToDecimal()},
              {"from_allowance", allowance.ToDecimal()},
              {"from_vault", vault.ToDecimal()},
              {"from_router_stake", stake.ToDecimal()},
              {"builder_fee", fee.ToDecimal()},
              {"tokens_out", tokens},
              {"sessions_by_provider", by_provider}};
}

Status RunShowcase(Devnet& d) {
  const Plan& p = d.plan;
  LT_TRY(auto before, Accounts(d));
  uint64_t settled_before = SessionsSettled(d);

  Step("Showcase 1/4: " + std::to_string(kChats) + " chats (" + d.modes.chats + ")");
  int ok_chats = 0;
  for (int i = 0; i < kChats && !d.stop->load(); ++i) {
    Status s = d.api_up ? ChatThroughApi(d, i) : ChatWithTicket(d, i);
    if (!s.ok() && d.api_up && !d.stop->load()) {
      // The local API could not get a session (e.g. no provider offer on the ledger yet).
      Say("  [" + std::to_string(i + 1) + "] through the local API failed (" + s.error().message +
          "); with a hand-signed ticket instead:");
      s = ChatWithTicket(d, i);
    }
    if (s.ok()) {
      ++ok_chats;
    } else {
      Say("  [" + std::to_string(i + 1) + "] failed: " + s.error().message);
    }
  }
  if (ok_chats == 0) return MakeError(ErrorCode::kUnavailable, "no chat succeeded");

  Step(
      "Showcase 2/4: settlement (the session closes, the provider hands its receipt to a router, "
      "the router sends one settle_batch)");
  uint64_t want = settled_before + 1;
  for (int t = 0; t < 900 && SessionsSettled(d) < want; ++t) {
    if (!Sleep(d, 100)) return MakeError(ErrorCode::kUnavailable, "interrupted");
  }
  // A little longer for the other sessions of the same batch window.
  if (!Sleep(d, 3000)) return MakeError(ErrorCode::kUnavailable, "interrupted");
  Say("  sessions settled on the ledger: " + std::to_string(SessionsSettled(d) - settled_before));

  Step("Showcase 3/4: the day closes (emission, the builders' share, a new allowance)");
  LT_TRY(json record, CloseDay(d));

  Step("Showcase 4/4: providers and the builder claim their earnings (lt claim)");
  LT_TRY(auto mid, Accounts(d));
  for (const auto& a : p.accounts) {
    if (a.role != "provider" && a.role != "builder") continue;
    if (mid[a.name].claimable.IsZero()) {
      Say("  " + a.name + ": nothing to claim");
      continue;
    }
    std::vector<std::string> args = {"--log-level", "warn", "claim", "--keystore", a.keystore, "--password-file",
                                     a.password_file};
    for (const auto& x : p.ledger_args()) args.push_back(x);
    LT_TRY(std::string out, d.sup->RunOk("lt claim (" + a.name + ")", args, d.Log("showcase")));
    Say("  " + a.name + ": " + OneLine(out));
  }

  LT_TRY(auto after, Accounts(d));
  LT_TRY(json totals, SettlementTotals(p.ledger_url()));
  LT_TRY(auto l, Ledger(p.ledger_url()));
  LT_TRY(ledger::StatsInfo stats, l->GetStats());
  auto earned = [&](const std::string& n) {
    return Minus(Plus(after[n].wallet, after[n].claimable), Plus(before[n].wallet, before[n].claimable));
  };
  auto total = [&](const char* k) {
    auto v = U256FromJson(totals[k]);
    return v.ok() ? *v : U256(0);
  };
  U256 user_paid = Plus(total("from_allowance"), total("from_vault"));
  U256 fee = total("builder_fee");
  U256 builder = earned("builder");

  Step("Summary");
  Say("  " + std::to_string(totals["sessions"].get<uint64_t>()) + " session(s) settled, " +
      std::to_string(totals["seconds"].get<uint64_t>()) + " billed seconds, in " +
      std::to_string(totals["settle_batches"].get<uint64_t>()) + " settle_batch transaction(s); " +
      std::to_string(totals["tokens_out"].get<uint64_t>()) + " tokens generated." +
      (d.modes.chats == "local OpenAI API"
           ? " The routers pick the cheapest live offer that meets the user's limits."
           : ""));
  Say("  The user paid " + Mor(user_paid) + " MOR: " + Mor(total("from_allowance")) +
      " from today's free allowance (drawn from the compute pool) and " + Mor(total("from_vault")) +
      " from the vault (vault " + Mor(before["user"].vault) + " -> " + Mor(after["user"].vault) + " MOR).");
  json providers = json::object();
  for (const auto& pp : p.providers) {
    U256 e = earned(pp.name);
    providers[pp.name] = e.ToDecimal();
    uint64_t served = 0;
    for (const auto& [addr, n] : totals["sessions_by_provider"].items()) {
      if (EqualsIgnoreCase(addr, p.account(pp.name).address)) served += n.get<uint64_t>();
    }
    Say("  " + pp.name + " (" + pp.price + " MOR/s, " + std::to_string(pp.threads) + " thread(s)) served " +
        std::to_string(served) + " session(s) and earned " + Mor(e) +
        " MOR after the builder's fee (wallet now " + Mor(after[pp.name].wallet) + ").");
  }
  Say("  The builder earned " + Mor(builder) + " MOR: " + Mor(fee) + " MOR in builder fees (5% of what the " +
      "user paid) and " + Mor(Minus(builder, fee)) + " MOR as the builders' share of the day's emission: " +
      "when a day closes the ledger mints new MOR into the compute pool and pays part of it to the builders " +
      "of the models that served sessions that day, so a builder can earn more than users paid.");
  auto ratio = [](std::optional<double> v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v.value_or(0.0));
    return std::string(buf);
  };
  // The ledger's log by transaction type: set-up (names, registrations, offers, stakes) is paid
  // once; sessions cost no transaction to open and share settle_batch transactions.
  std::map<std::string, uint64_t> by_type;
  if (auto txs = l->GetTxs(0, 1000); txs.ok()) {
    for (const auto& t : *txs) {
      if (t.type != "tick") by_type[t.type] += 1;  // day ticks are the ledger's own log entries
    }
  }
  std::string types;
  for (const auto& [type, n] : by_type) types += (types.empty() ? "" : ", ") + std::to_string(n) + " " + type;
  Say("  Ledger: " + std::to_string(stats.transactions) + " transactions in all (" + types +
      "). Opening a session needs none; " + ratio(stats.settle_transactions_per_session) +
      " settle transactions per settled session (batches grow with traffic: " +
      ratio(stats.transactions_per_settled_session) + " transactions per session including set-up).");

  json summary = {{"chats", ok_chats},
                  {"chats_via", d.modes.chats},
                  {"totals", totals},
                  {"user_paid", user_paid.ToDecimal()},
                  {"providers_earned", providers},
                  {"builder_earned", builder.ToDecimal()},
                  {"closed_days", record},
                  {"ledger_stats", stats.ToJson()}};
  for (const auto& r : p.routers) {
    Say("  Dashboard of " + r.name + " (demand leaderboard, provider verdicts, daily reports): " + r.url() + "/");
  }
  std::ofstream f(p.options.datadir + "/showcase.json", std::ios::trunc);
  f << summary.dump(2) << "\n";
  return OkStatus();
}

}  // namespace lt::devnet
