#include "cli/client_agents.h"

#include "cli/chain_ledger.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

namespace lt::cli {

void AddAgentFlags(CLI::App* serve, AgentFlags* f) {
  serve->add_option("--agent", f->agent_files,
                    "An agent file {\"name\",\"kind\":\"agent\",\"agent\":{...}} to serve at /v1/lt/agents/chat (repeat; "
                    "needs --chain; doc/agents.md)");
  serve->add_option("--trusted-dir", f->trusted_dir, "The trusted contracts (default: $LT_TRUSTED_DIR or the shipped set)");
  serve->add_option("--agent-chat-url", f->chat_url,
                    "OpenAI-compatible base URL the agents' completions go to (default: this client's own API)");
}

Result<std::unique_ptr<agent::AgentHost>> StartAgents(const AgentFlags& f, const std::string& chain_file,
                                                      const crypto::PrivateKey& user, const client::SecretGuard& guard,
                                                      const std::vector<std::string>& allow_origins,
                                                      const std::string& api_key, const std::string& host, int port,
                                                      net::HttpServer& http) {
  if (f.agent_files.empty()) return std::unique_ptr<agent::AgentHost>();
  if (chain_file.empty()) return InvalidArgument("--agent needs --chain: agents propose transactions on a chain");
  agent::AgentHostOptions o;
  LT_TRY(o.deployment, LoadChainFile(chain_file));
  o.trusted_dir = f.trusted_dir;
  o.agent_files = f.agent_files;
  std::string local = host == "0.0.0.0" ? "127.0.0.1" : host;
  o.chat_url = f.chat_url.empty() ? "http://" + local + ":" + std::to_string(port) : f.chat_url;
  o.chat_api_key = api_key;
  o.http.allow_origins = allow_origins;
  o.http.api_key = api_key;
  auto screen = [&guard](const nlohmann::json& body) -> std::optional<std::string> {
    if (auto finding = guard.ScanRequest(body)) return finding->Message();
    return std::nullopt;
  };
  LT_TRY(auto h, agent::AgentHost::Create(std::move(o), user, screen));
  h->Register(http);
  LT_INFO("client: " << h->agents().size() << " agent(s); pending actions at http://" << local << ":" << port
                     << "/lt/actions");
  return h;
}

Result<nlohmann::json> AgentObjectForPush(const std::string& kind, const std::string& format,
                                          const std::vector<std::string>& files, const std::string& name) {
  if (kind != "agent" && format != "agent") return nlohmann::json();
  if (kind != "agent" || format != "agent") {
    return InvalidArgument("an agent is pushed with --kind agent --format agent (got kind " + kind + ", format " + format + ")");
  }
  if (files.size() != 1) return InvalidArgument("--kind agent takes one file: the agent's JSON (doc/agents.md)");
  LT_TRY(std::string text, RealFileSystem::Default()->ReadFile(files[0], 64 << 10));
  LT_TRY(nlohmann::json j, ParseJsonChecked(text, files[0]));
  if (j.is_object() && j.contains("agent")) {
    if (j.contains("name") && j["name"] != name) {
      return InvalidArgument(files[0] + ": name " + j["name"].dump() + " is not " + name);
    }
    j = j["agent"];
  }
  auto spec = agent::AgentSpec::FromJson(j);
  if (!spec.ok()) return spec.error().Wrap(files[0]);
  return spec->ToJson();
}

}  // namespace lt::cli
