// AgentHost: agents in `lt client serve` (doc/agents.md "In lt client serve"). It owns what the
// runtime needs on the user's machine: the trusted set bound to the chain of the deployment
// file, the retrieval index, the user's wallet (EthRpc to the deployment's RPC URL, the user's
// key), the pending actions, and the local agents (files in the manifest shape
// {"name": "acme/helper", "kind": "agent", "agent": {...AgentSpec...}}, or agents resolved from
// the registry by the caller). It adds to the client's HTTP server the action routes
// (actions_http.h) and
//   GET  /v1/lt/agents        the local agents, in the shape of /v1/models
//   POST /v1/lt/agents/chat   {"model": agent name, "messages": [...]} -> one runtime turn:
//                             {"object":"lt.agent.turn","messages","reply","actions","refused"}
// The agent's chat completions go to `chat` when set (in `lt client serve`: a session with a
// provider that offers the agent, doc/agents.md "Sessions and pay"), else to an OpenAI-compatible
// `chat_url` (e.g. a local `lt engine serve`), as the SDK would send them, tool_calls included
// (HttpChatFn).
// Thread-safety: the routes may run concurrently.
#ifndef LT_AGENT_HOST_H_
#define LT_AGENT_HOST_H_

#include <memory>

#include "agent/actions_http.h"
#include "agent/runtime.h"

namespace lt::agent {

// A ChatFn that POSTs the request (stream off) to `base_url` + "/v1/chat/completions" with
// "Authorization: Bearer api_key" when given; a non-200 answer is an error with its message.
ChatFn HttpChatFn(std::string base_url, std::string api_key, int timeout_ms = 300000);

// One chat completion for agent `agent` (the name it is served under) whose spec is `spec`; the
// request's "model" is the spec's base model.
using AgentChatFn =
    std::function<Result<nlohmann::json>(const std::string& agent, const AgentSpec& spec, const nlohmann::json& request)>;

// An agent file {"name": ..., "kind": "agent", "agent": {...}}: its name and spec (not yet checked
// against a trusted set). Errors name the file and the field.
Result<std::pair<std::string, AgentSpec>> LoadAgentFile(const std::string& path);

struct AgentHostOptions {
  std::string trusted_dir;  // "": TrustedSet::LoadDefault()
  evm::Deployment deployment;
  std::vector<std::string> agent_files;
  std::vector<std::pair<std::string, AgentSpec>> agents;  // already resolved (name, spec)
  AgentChatFn chat;      // when set, chat_url is not used
  std::string chat_url;  // base URL of an OpenAI-compatible API
  std::string chat_api_key;
  ActionsHttpOptions http;
  ActionOptions actions;
  RuntimeOptions runtime;
};

class AgentHost {
 public:
  static Result<std::unique_ptr<AgentHost>> Create(AgentHostOptions options, crypto::PrivateKey user,
                                                   ScreenFn screen);
  void Register(net::HttpServer& http);
  ActionStore& actions() { return *store_; }
  const std::map<std::string, AgentSpec>& agents() const { return agents_; }
  // The name an agent is served under for `model` ("acme/helper" also finds "acme/helper:latest"
  // and the reverse); "" when no agent of this client has that name.
  std::string Find(const std::string& model) const;
  // One turn of agent `name` (kNotFound for an unknown agent).
  Result<TurnResult> Turn(const std::string& name, const std::vector<nlohmann::json>& messages);

 private:
  AgentHost() = default;
  AgentHostOptions options_;
  TrustedSet set_;
  DocIndex index_;
  std::unique_ptr<evm::EthRpc> rpc_;
  std::unique_ptr<Wallet> wallet_;
  std::unique_ptr<ActionStore> store_;
  std::map<std::string, AgentSpec> agents_;
  AgentChatFn chat_;
  ScreenFn screen_;
};

}  // namespace lt::agent

#endif  // LT_AGENT_HOST_H_
