#include "agent/agent_spec.h"

#include <set>

namespace lt::agent {

using json = nlohmann::json;

namespace {

bool ToolName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

Result<AgentSpec> AgentSpec::FromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("agent: expected an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const std::set<std::string> kKnown = {"base_model", "system_prompt", "tools", "trusted_contracts"};
    if (!kKnown.count(it.key())) return InvalidArgument("agent." + it.key() + ": unknown field");
  }
  AgentSpec s;
  if (!j.contains("base_model") || !j["base_model"].is_string()) return InvalidArgument("agent.base_model: missing");
  s.base_model = j["base_model"].get<std::string>();
  size_t colon = s.base_model.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.base_model.size() ||
      s.base_model.find('@') != std::string::npos || s.base_model.size() > 400) {
    return InvalidArgument("agent.base_model: expected NAME:TAG, got '" + s.base_model.substr(0, 64) + "'");
  }
  if (!j.contains("system_prompt") || !j["system_prompt"].is_string()) {
    return InvalidArgument("agent.system_prompt: missing");
  }
  s.system_prompt = j["system_prompt"].get<std::string>();
  if (s.system_prompt.size() > 32 * 1024) return InvalidArgument("agent.system_prompt: longer than 32 KiB");
  if (j.contains("tools")) {
    const json& t = j["tools"];
    if (!t.is_array() || t.size() > 32) return InvalidArgument("agent.tools: expected an array of at most 32 tools");
    std::set<std::string> seen;
    for (size_t i = 0; i < t.size(); ++i) {
      std::string w = "agent.tools[" + std::to_string(i) + "]";
      if (!t[i].is_object() || t[i].value("type", "") != "function" || !t[i].contains("function") ||
          !t[i]["function"].is_object()) {
        return InvalidArgument(w + ": expected {\"type\":\"function\",\"function\":{...}}");
      }
      const json& f = t[i]["function"];
      std::string name = f.contains("name") && f["name"].is_string() ? f["name"].get<std::string>() : "";
      if (!ToolName(name)) return InvalidArgument(w + ".function.name: [A-Za-z0-9_-]{1,64}");
      if (!seen.insert(name).second) return InvalidArgument(w + ".function.name: '" + name + "' twice");
      if (f.contains("parameters") && !f["parameters"].is_object()) {
        return InvalidArgument(w + ".function.parameters: expected a JSON schema object");
      }
    }
    s.tools = t;
  }
  if (j.contains("trusted_contracts")) {
    const json& c = j["trusted_contracts"];
    if (!c.is_array() || c.size() > kMaxTrustedContracts) {
      return InvalidArgument("agent.trusted_contracts: expected an array of contract names");
    }
    for (const auto& n : c) {
      if (!n.is_string()) return InvalidArgument("agent.trusted_contracts: expected strings");
      s.trusted_contracts.push_back(n.get<std::string>());
    }
  }
  return s;
}

json AgentSpec::ToJson() const {
  return {{"base_model", base_model}, {"system_prompt", system_prompt}, {"tools", tools},
          {"trusted_contracts", trusted_contracts}};
}

Status AgentSpec::CheckAgainst(const TrustedSet& set) const {
  for (const auto& n : trusted_contracts) {
    if (!set.Find(n)) return NotFound("agent.trusted_contracts: '" + n.substr(0, 64) + "' is not in this node's trusted set");
  }
  return OkStatus();
}

bool AgentSpec::HasTool(std::string_view name) const {
  for (const auto& t : tools) {
    if (t["function"].value("name", "") == name) return true;
  }
  return false;
}

json BuiltinTools() {
  auto tool = [](const char* name, const char* desc, json props, json required) {
    return json{{"type", "function"},
                {"function",
                 {{"name", name},
                  {"description", desc},
                  {"parameters", {{"type", "object"}, {"properties", props}, {"required", required}}}}}};
  };
  json contract_args = {{"contract", {{"type", "string"}, {"description", "trusted contract name"}}},
                        {"function", {{"type", "string"}}},
                        {"args", {{"type", "object"}, {"description", "arguments by name; MOR amounts as decimal strings"}}}};
  return json::array(
      {tool("get_balance", "The user's balances: coin for gas, MOR wallet, vault, claimable, today's allowance.",
            json::object(), json::array()),
       tool("get_contract",
            "A trusted contract: its address, functions and docs; with function and args, calls a read-only function.",
            contract_args, json::array({"contract"})),
       tool("estimate", "Estimates the gas of a call to a trusted contract and whether it would succeed.", contract_args,
            json::array({"contract", "function", "args"})),
       tool("propose_transaction",
            "Proposes a transaction to a trusted contract. It is NOT sent: the user sees it and confirms or rejects it.",
            contract_args, json::array({"contract", "function", "args"}))});
}

}  // namespace lt::agent
