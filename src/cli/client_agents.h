// Agents in `lt client serve` (doc/agents.md "In lt client serve"): the flags and the start of
// agent::AgentHost next to the OpenAI routes. cmd_client.cc calls these two functions; nothing
// else of the client changes.
#ifndef LT_CLI_CLIENT_AGENTS_H_
#define LT_CLI_CLIENT_AGENTS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "agent/host.h"
#include "client/secret_guard.h"

namespace lt::cli {

struct AgentFlags {
  std::vector<std::string> agent_files;
  std::string trusted_dir;
  std::string chat_url;
};

void AddAgentFlags(CLI::App* serve, AgentFlags* f);

// With --agent: needs --chain (the deployment file or devnet.json); registers the agent routes
// on `http` (after Listen, before Run). The agents' chat completions go to chat_url, by default
// this client's own API at http://HOST:PORT. Without --agent: nullptr, nothing registered.
Result<std::unique_ptr<agent::AgentHost>> StartAgents(const AgentFlags& f, const std::string& chain_file,
                                                      const crypto::PrivateKey& user, const client::SecretGuard& guard,
                                                      const std::vector<std::string>& allow_origins,
                                                      const std::string& api_key, const std::string& host, int port,
                                                      net::HttpServer& http);

// `lt model push --kind agent --format agent NAME AGENT.json`: the manifest's `agent` object from
// the one file (the agent file shape {"name","kind":"agent","agent":{...}}, or the bare agent
// object), validated as an AgentSpec (doc/registry.md "Agent manifests"). Null for a model; an
// error when kind and format disagree, or the file is not a valid agent.
Result<nlohmann::json> AgentObjectForPush(const std::string& kind, const std::string& format,
                                          const std::vector<std::string>& files, const std::string& name);

}  // namespace lt::cli

#endif  // LT_CLI_CLIENT_AGENTS_H_
