#include "agent/runtime.h"

#include "util/json.h"

namespace lt::agent {

using json = nlohmann::json;

namespace {

constexpr const char* kHouseRules =
    "Rules: you never hold, ask for or repeat a private key, password or mnemonic; the user's wallet "
    "signs. To change anything on chain, call propose_transaction with a trusted contract and "
    "function: the user sees it in plain words and confirms or rejects it; nothing is sent before. "
    "Only the trusted contracts below exist for you. MOR amounts are decimal strings (\"5\" is 5 MOR).";

std::string LastUserText(const std::vector<json>& messages) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (JsonStr(*it, "role") != "user") continue;
    auto c = it->find("content");
    if (c == it->end()) return "";
    if (c->is_string()) return c->get<std::string>();
    std::string text;
    if (c->is_array()) {
      for (const auto& part : *c) {
        if (JsonStr(part, "type") == "text") text += JsonStr(part, "text") + " ";
      }
    }
    return text;
  }
  return "";
}

std::string Err(const std::string& m) { return json{{"error", m}}.dump(); }

}  // namespace

AgentRuntime::AgentRuntime(AgentSpec spec, const TrustedSet* set, const DocIndex* index, ActionStore* actions,
                           ChatFn chat, ScreenFn screen, RuntimeOptions options)
    : spec_(std::move(spec)),
      set_(set),
      index_(index),
      actions_(actions),
      chat_(std::move(chat)),
      screen_(std::move(screen)),
      options_(options) {}

std::string AgentRuntime::SystemPrompt(const std::vector<RetrievalHit>& hits) const {
  std::string s = spec_.system_prompt + "\n\n" + kHouseRules;
  const ChainBinding& chain = actions_->wallet()->chain();
  s += "\n\nTrusted contracts relevant to this request (chain " + std::to_string(chain.chain_id) + "):\n";
  s += hits.empty() ? "(none matched; ask get_contract for a contract's functions)\n" : RenderHits(hits, chain);
  return s;
}

json AgentRuntime::Tools() const {
  json out = json::array();
  json builtin = BuiltinTools();
  for (const auto& t : spec_.tools) {
    std::string name = t["function"].value("name", "");
    bool ours = false;
    for (const auto& b : builtin) {
      if (b["function"]["name"] == name) {
        out.push_back(b);  // our schema, not the manifest's
        ours = true;
      }
    }
    if (!ours) out.push_back(t);
  }
  return out;
}

std::string AgentRuntime::RunTool(const std::string& name, const std::string& arguments, const std::string& call_id,
                                  std::optional<json>* action) {
  if (!spec_.HasTool(name)) return Err("tool '" + name.substr(0, 64) + "' is not one of this agent's tools");
  if (arguments.size() > kMaxProposalArgsBytes) return Err("tool arguments over 64 KiB");
  json args = arguments.empty() ? json::object() : ParseJson(arguments);
  if (args.is_discarded() || !args.is_object()) return Err("the tool's arguments must be a JSON object");
  // Only contracts the agent's manifest names (all of the set when it names none).
  if (args.contains("contract") && args["contract"].is_string() && !spec_.trusted_contracts.empty()) {
    std::string c = args["contract"].get<std::string>();
    if (std::find(spec_.trusted_contracts.begin(), spec_.trusted_contracts.end(), c) == spec_.trusted_contracts.end()) {
      return Err("contract '" + c.substr(0, 64) + "' is not one of this agent's trusted contracts; nothing was done");
    }
  }
  Wallet* wallet = actions_->wallet();
  if (name == "get_balance") {
    auto b = wallet->Read();
    if (!b.ok()) return Err(b.error().message);
    json out = b->ToJson();
    out["address"] = wallet->address().ToChecksumHex();
    return out.dump();
  }
  if (name == "get_contract") {
    const TrustedContract* c = args.contains("contract") && args["contract"].is_string()
                                   ? set_->Find(args["contract"].get<std::string>())
                                   : nullptr;
    if (!c) return Err("no such trusted contract");
    if (args.contains("function") && args["function"].is_string()) {
      const TrustedFunction* f = c->Find(args["function"].get<std::string>());
      if (!f) return Err("no function '" + args["function"].get<std::string>().substr(0, 64) + "' in " + c->name);
      if (f->read_only()) {
        auto r = wallet->CallView(*c, *f, args.value("args", json::object()));
        if (!r.ok()) return Err(r.error().message);
        return json{{"result", *r}}.dump();
      }
    }
    json fns = json::array();
    for (const auto& f : c->functions) {
      json in = json::array();
      for (const auto* p : f.AgentInputs()) in.push_back(p->type.Canonical() + " " + p->name);
      fns.push_back({{"name", f.name}, {"inputs", in}, {"read_only", f.read_only()}, {"doc", f.doc}});
    }
    auto addr = wallet->chain().AddressOf(c->name);
    return json{{"name", c->name}, {"title", c->title}, {"about", c->about},
                {"address", addr ? addr->ToChecksumHex() : "not on this chain"}, {"functions", fns}}
        .dump();
  }
  if (name == "estimate" || name == "propose_transaction") {
    auto p = ParseProposal(args, *set_, wallet->chain());
    if (!p.ok()) return Err(p.error().message);
    if (name == "estimate") {
      if (p->function->needs_signature()) {
        return json{{"would_succeed", nullptr},
                    {"note", "not simulated: the call needs the user's signature, made only when the user confirms; "
                             "propose it and the user sees the balances it would change"}}
            .dump();
      }
      auto e = wallet->Estimate(*p);
      if (!e.ok()) return Err(e.error().message);
      if (e->reverted) return json{{"would_succeed", false}, {"reason", e->message}}.dump();
      return json{{"would_succeed", true}, {"gas", e->gas}}.dump();
    }
    auto v = actions_->Add(std::move(*p), call_id);
    if (!v.ok()) return Err(v.error().message);
    *action = *v;
    return json{{"status", "pending_user_confirmation"},
                {"action_id", (*v)["id"]},
                {"note", "Not sent. The user confirms or rejects it; do not propose it again."}}
        .dump();
  }
  return Err("tool '" + name.substr(0, 64) + "' is not run by this client");
}

Result<TurnResult> AgentRuntime::Turn(const std::vector<json>& messages) {
  TurnResult out;
  out.retrieved = index_->Search(LastUserText(messages), options_.retrieve_k);
  std::vector<json> convo = messages;
  json system = {{"role", "system"}, {"content", SystemPrompt(out.retrieved)}};
  for (size_t round = 0; round < options_.max_rounds; ++round) {
    json request = {{"model", spec_.base_model}, {"messages", json::array({system})}};
    for (const auto& m : convo) request["messages"].push_back(m);
    json tools = Tools();
    if (!tools.empty()) request["tools"] = tools;
    if (screen_) {
      if (auto refusal = screen_(request)) {
        out.refused = *refusal;
        return out;
      }
    }
    LT_TRY(json answer, chat_(request));
    if (screen_) {
      if (auto refusal = screen_(answer)) {
        out.refused = "the agent's answer was dropped: " + *refusal;
        return out;
      }
    }
    if (!answer.is_object() || !answer.contains("choices") || !answer["choices"].is_array() ||
        answer["choices"].empty() || !answer["choices"][0].is_object() ||
        !answer["choices"][0].contains("message") || !answer["choices"][0]["message"].is_object()) {
      return InvalidArgument("the model's answer has no choices[0].message");
    }
    if (answer.contains("usage") && answer["usage"].is_object()) {
      const json& u = answer["usage"];
      for (auto [key, sum] : {std::pair{"prompt_tokens", &out.prompt_tokens}, std::pair{"completion_tokens", &out.completion_tokens}}) {
        if (u.contains(key) && u[key].is_number_integer() && u[key].get<int64_t>() >= 0 && u[key].get<int64_t>() < (int64_t{1} << 40)) {
          *sum += u[key].get<int64_t>();
        }
      }
    }
    json msg = answer["choices"][0]["message"];
    json clean = {{"role", "assistant"}, {"content", msg.contains("content") ? msg["content"] : json(nullptr)}};
    json calls = msg.value("tool_calls", json::array());
    if (!calls.is_array()) return InvalidArgument("the model's tool_calls is not an array");
    if (!calls.empty()) clean["tool_calls"] = calls;
    convo.push_back(clean);
    out.messages.push_back(clean);
    if (msg.contains("content") && msg["content"].is_string()) out.reply = msg["content"].get<std::string>();
    if (calls.empty()) return out;
    if (calls.size() > options_.max_tool_calls) return InvalidArgument("the model asked for too many tool calls at once");
    bool proposed = false;
    for (const auto& call : calls) {
      std::string id = JsonStr(call, "id");
      const json fn = call.is_object() && call.contains("function") ? call["function"] : json::object();
      std::string name = JsonStr(fn, "name");
      std::string arguments = fn.is_object() && fn.contains("arguments") && fn["arguments"].is_string()
                                  ? fn["arguments"].get<std::string>()
                                  : "";
      std::optional<json> action;
      std::string result = RunTool(name, arguments, id, &action);
      if (action) {
        proposed = true;
        out.actions.push_back(*action);
      }
      json tool_msg = {{"role", "tool"}, {"tool_call_id", id}, {"content", result}};
      convo.push_back(tool_msg);
      out.messages.push_back(tool_msg);
    }
    if (proposed) return out;  // back to the user: the action waits for them
  }
  return out;
}

}  // namespace lt::agent
