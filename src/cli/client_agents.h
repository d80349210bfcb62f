// Agents in `lt client serve` (doc/agents.md "In lt client serve"): the flags and the start of
// agent::AgentHost next to the OpenAI routes. An --agent is a file or NAME[:TAG] of the registry
// (the manifest from the routers' holders, checked against its CID). The agents' completions go
// through the client's session pool under the agent's name, so a provider that offers the agent
// serves them and the agent's builder is paid for them; when no provider offers it (or it is a
// file that no ledger knows), under its base model. --agent-chat-url sends them elsewhere instead.
#ifndef LT_CLI_CLIENT_AGENTS_H_
#define LT_CLI_CLIENT_AGENTS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "agent/host.h"
#include "client/secret_guard.h"
#include "client/session_pool.h"
#include "ledger/ledger.h"

namespace lt::cli {

struct AgentFlags {
  std::vector<std::string> agent_files;
  std::string trusted_dir;
  std::string chat_url;
};

void AddAgentFlags(CLI::App* serve, AgentFlags* f);

struct AgentContext {
  std::string chain_file;  // --chain: the deployment file or devnet.json
  ledger::Ledger* ledger = nullptr;  // to resolve NAME:TAG and tell agents from models (not owned)
  std::vector<std::string> routers;
  const crypto::PrivateKey* user = nullptr;
  const client::SecretGuard* guard = nullptr;
  client::SessionPool* pool = nullptr;
  client::Preferences prefs;
  std::vector<std::string> allow_origins;
  std::string api_key;
  agent::AgentChatFn local_chat;  // --local: the agents run on this instead of the network
};

// With --agent: needs --chain; registers the agent routes on `http` (after Listen, before Run).
// Without --agent: nullptr, nothing registered.
Result<std::unique_ptr<agent::AgentHost>> StartAgents(const AgentFlags& f, const AgentContext& c,
                                                      net::HttpServer& http);

// `lt chat MODEL` when MODEL is an agent (the ledger says its kind): the agent, resolved as for
// StartAgents, in a host with no HTTP routes; *name gets the name it runs under. Null when MODEL
// is not an agent (or the ledger does not know it: the model path reports that). An agent needs
// --chain.
Result<std::unique_ptr<agent::AgentHost>> StartChatAgent(const std::string& model, const AgentContext& c,
                                                         std::string* name);

// One user message to the agent in `lt chat`: the reply printed on `out`; each pending action in
// plain words, then "Confirm? [y/N]" (on stderr when `in` is a terminal) and one line read from
// `in`: "y"/"yes" signs and sends it with the user's key, anything else rejects it. The
// conversation `convo` gets the turn's messages, the tool result of a confirmed action carrying
// its transaction hash, so the agent sees it on the next turn. Under `json_out` one JSON line
// {"text","actions":[view after the decision]}.
Status AgentChatTurn(agent::AgentHost& host, const std::string& name, std::vector<nlohmann::json>* convo,
                     const std::string& text, std::istream& in, std::ostream& out, bool json_out);

// The agent NAME[:TAG] of the registry: its manifest from the ledger's tag and the holders the
// routers know, which must be of kind agent with a valid agent object.
Result<agent::AgentSpec> ResolveAgent(const std::string& ref, ledger::Ledger& ledger,
                                      const std::vector<std::string>& routers);

// `lt model push --kind agent --format agent NAME AGENT.json`: the manifest's `agent` object from
// the one file (the agent file shape {"name","kind":"agent","agent":{...}}, or the bare agent
// object), validated as an AgentSpec (doc/registry.md "Agent manifests"). Null for a model; an
// error when kind and format disagree, or the file is not a valid agent.
Result<nlohmann::json> AgentObjectForPush(const std::string& kind, const std::string& format,
                                          const std::vector<std::string>& files, const std::string& name);

}  // namespace lt::cli

#endif  // LT_CLI_CLIENT_AGENTS_H_
