// An agent's definition (doc/registry.md "Agent manifests", doc/agents.md): the `agent` object of
// a manifest of kind "agent":
//   {"base_model": "acme/llama:latest", "system_prompt": "...",
//    "tools": [OpenAI function tools], "trusted_contracts": ["ComputeContract", "MorToken"]}
// (the builder fee is the manifest's builder_fee_bps, as for models). base_model is NAME:TAG
// (NAME@CID is refused: an agent follows its base model's tag); the system prompt is at most
// 32 KiB; at most 32 tools, each {"type":"function","function":{"name","description","parameters"}}
// with a unique name of [A-Za-z0-9_-]{1,64}; trusted_contracts names contracts of the trusted set
// (checked against the set the client loaded, by CheckAgainst). Errors name the field.
// Thread-safety: plain values.
#ifndef LT_AGENT_AGENT_SPEC_H_
#define LT_AGENT_AGENT_SPEC_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/trusted.h"

namespace lt::agent {

struct AgentSpec {
  std::string base_model;
  std::string system_prompt;
  nlohmann::json tools = nlohmann::json::array();
  std::vector<std::string> trusted_contracts;

  static Result<AgentSpec> FromJson(const nlohmann::json& j);
  nlohmann::json ToJson() const;
  Status CheckAgainst(const TrustedSet& set) const;
  bool HasTool(std::string_view name) const;
};

// The tools the client runs itself, as OpenAI function tools.
nlohmann::json BuiltinTools();

}  // namespace lt::agent

#endif  // LT_AGENT_AGENT_SPEC_H_
