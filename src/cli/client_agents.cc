#include "cli/client_agents.h"

#include <filesystem>
#include <mutex>
#include <set>

#include "cli/chain_ledger.h"
#include "openai/response.h"
#include "registry/holders.h"
#include "registry/manifest.h"
#include "registry/resolve.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

namespace lt::cli {

void AddAgentFlags(CLI::App* serve, AgentFlags* f) {
  serve->add_option("--agent", f->agent_files,
                    "An agent to serve: NS/NAME[:TAG] of the registry or a file {\"name\",\"kind\":\"agent\",\"agent\":{...}} "
                    "(repeat; needs --chain; doc/agents.md)");
  serve->add_option("--trusted-dir", f->trusted_dir, "The trusted contracts (default: $LT_TRUSTED_DIR or the shipped set)");
  serve->add_option("--agent-chat-url", f->chat_url,
                    "OpenAI-compatible base URL the agents' completions go to (default: sessions with providers of the agent)");
}

Result<agent::AgentSpec> ResolveAgent(const std::string& ref, ledger::Ledger& ledger,
                                      const std::vector<std::string>& routers) {
  LT_TRY(registry::ModelRef r, registry::ParseModelRef(ref));
  if (r.cid) return InvalidArgument("--agent " + ref + ": name an agent NAME[:TAG] (it follows its tag) or a file");
  LT_TRY(registry::Resolved res, registry::ResolveTag(ledger, r.name, r.tag));
  registry::RouterHolders holders(routers, {});
  auto block = registry::FetchBlock(holders, res.manifest);
  if (!block.ok()) return block.error().Wrap("agent " + ref + ": manifest " + res.manifest.ToString());
  LT_TRY(registry::Manifest m, registry::Manifest::Decode(std::string_view(reinterpret_cast<const char*>(block->data()), block->size())));
  if (m.kind != "agent" || !m.agent.is_object()) {
    return InvalidArgument("--agent " + ref + " is a " + m.kind + ", not an agent (lt models lists the kinds)");
  }
  auto spec = agent::AgentSpec::FromJson(m.agent);
  if (!spec.ok()) return spec.error().Wrap("agent " + ref + " (manifest " + res.manifest.ToString() + ")");
  return *spec;
}

namespace {

// An agent's completion through the pool: a session for the agent when a provider offers it,
// else for its base model (logged once per agent).
agent::AgentChatFn PoolChat(client::SessionPool* pool, client::Preferences prefs) {
  auto warned = std::make_shared<std::pair<std::mutex, std::set<std::string>>>();
  return [pool, prefs, warned](const std::string& name, const agent::AgentSpec& spec,
                               const nlohmann::json& request) -> Result<nlohmann::json> {
    client::ChatOutcome out;
    client::ClientError err;
    std::string route = name;
    bool ok = pool->Chat(route, request, prefs, {}, &out, &err);
    if (!ok && (err.code == "model_not_found" || err.code == "no_provider")) {
      {
        std::lock_guard lock(warned->first);
        if (warned->second.insert(name).second) {
          LT_WARN("agent " << name << ": no provider offers it (" << err.message << "); its base model "
                           << spec.base_model << " serves it, and its builder is not paid for these sessions");
        }
      }
      route = spec.base_model;
      ok = pool->Chat(route, request, prefs, {}, &out, &err);
    }
    if (!ok) return MakeError(ErrorCode::kUnavailable, route + ": " + err.message + " [" + err.code + "]");
    openai::AnswerHead head{openai::Kind::kChat, "chatcmpl-agent", 0, out.model.empty() ? route : out.model, ""};
    openai::Usage usage = out.result.usage.is_object() && !out.result.usage.empty()
                              ? openai::Usage::FromJson(out.result.usage)
                              : openai::Usage{0, static_cast<int64_t>(out.result.chunks)};
    return openai::Answer(head, out.result.text, out.result.finish_reason.empty() ? "stop" : out.result.finish_reason,
                          out.result.tool_calls, usage);
  };
}

// The host for `agents` (files or NAME[:TAG]), its chat through the pool unless --agent-chat-url.
Result<std::unique_ptr<agent::AgentHost>> MakeHost(const AgentFlags& f, const AgentContext& c) {
  if (c.chain_file.empty()) return InvalidArgument("an agent needs --chain (the deployment file or devnet.json): agents propose transactions on a chain");
  agent::AgentHostOptions o;
  LT_TRY(o.deployment, LoadChainFile(c.chain_file));
  o.trusted_dir = f.trusted_dir;
  for (const auto& a : f.agent_files) {
    if (std::filesystem::exists(a)) {
      o.agent_files.push_back(a);
      continue;
    }
    if (a.find('/') == std::string::npos || a.find(".json") != std::string::npos) {
      return InvalidArgument("--agent " + a + ": no such file (an agent is a file or a registry name NS/NAME[:TAG])");
    }
    if (c.ledger == nullptr) return InvalidArgument("--agent " + a + ": resolving a registry name needs the ledger");
    LT_TRY(agent::AgentSpec spec, ResolveAgent(a, *c.ledger, c.routers));
    o.agents.emplace_back(a.find(':') == std::string::npos ? a + ":latest" : a, std::move(spec));
  }
  if (c.local_chat) {
    o.chat = c.local_chat;
  } else if (f.chat_url.empty()) {
    o.chat = PoolChat(c.pool, c.prefs);
  } else {
    o.chat_url = f.chat_url;
    o.chat_api_key = c.api_key;
  }
  o.http.allow_origins = c.allow_origins;
  o.http.api_key = c.api_key;
  const client::SecretGuard* guard = c.guard;
  auto screen = [guard](const nlohmann::json& body) -> std::optional<std::string> {
    if (auto finding = guard->ScanRequest(body)) return finding->Message();
    return std::nullopt;
  };
  return agent::AgentHost::Create(std::move(o), *c.user, screen);
}

}  // namespace

Result<std::unique_ptr<agent::AgentHost>> StartAgents(const AgentFlags& f, const AgentContext& c,
                                                      net::HttpServer& http) {
  if (f.agent_files.empty()) return std::unique_ptr<agent::AgentHost>();
  LT_TRY(auto h, MakeHost(f, c));
  h->Register(http);
  std::string names;
  for (const auto& [name, spec] : h->agents()) names += (names.empty() ? "" : ", ") + name;
  LT_INFO("client: agents " << names << "; pending actions at /lt/actions");
  return h;
}

Result<std::unique_ptr<agent::AgentHost>> StartChatAgent(const std::string& model, const AgentContext& c,
                                                         std::string* name) {
  auto ref = registry::ParseModelRef(model);
  if (!ref.ok() || ref->cid) return std::unique_ptr<agent::AgentHost>();
  if (c.ledger == nullptr) return std::unique_ptr<agent::AgentHost>();
  auto info = c.ledger->GetModel(ref->name);
  if (!info.ok() || info->kind != "agent") return std::unique_ptr<agent::AgentHost>();
  AgentFlags f;
  *name = ref->name + ":" + ref->tag;
  f.agent_files = {*name};
  return MakeHost(f, c);
}

Status AgentChatTurn(agent::AgentHost& host, const std::string& name, std::vector<nlohmann::json>* convo,
                     const std::string& text, std::istream& in, std::ostream& out, bool json_out) {
  std::vector<nlohmann::json> messages = *convo;
  messages.push_back({{"role", "user"}, {"content", text}});
  LT_TRY(agent::TurnResult t, host.Turn(name, messages));
  if (!t.refused.empty()) return InvalidArgument(t.refused);
  for (auto& m : t.messages) messages.push_back(m);
  if (!json_out && !t.reply.empty()) out << t.reply << std::endl;
  nlohmann::json decided = nlohmann::json::array();
  for (const auto& a : t.actions) {
    const std::string id = JsonStr(a, "id");
    if (json_out) {
      std::cerr << "pending action " << id << ": " << JsonStr(a, "text") << std::endl;
    } else {
      out << "The agent proposes: " << JsonStr(a, "text") << std::endl;
    }
    std::cerr << "Confirm? [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(in, answer)) answer.clear();
    for (auto& ch : answer) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    bool yes = answer == "y" || answer == "yes";
    auto done = yes ? host.actions().Confirm(id) : host.actions().Reject(id);
    if (!done.ok()) {
      if (!json_out) out << "Not sent: " << done.error().message << std::endl;
      decided.push_back({{"id", id}, {"state", "failed"}, {"error", done.error().message}});
      continue;
    }
    const nlohmann::json& v = *done;
    if (!json_out) {
      out << (yes ? (JsonStr(v, "state") == "confirmed" ? "Sent: transaction " + JsonStr(v, "tx_hash")
                                                          : "Not sent: " + (v.contains("error") ? JsonStr(v, "error") : JsonStr(v, "state")))
                  : std::string("Rejected: nothing was sent."))
          << std::endl;
    }
    // The agent's view of its call: the pending result replaced with the decision.
    if (v.contains("tool_message") && v["tool_message"].is_object()) {
      for (auto& m : messages) {
        if (JsonStr(m, "role") == "tool" && JsonStr(m, "tool_call_id") == JsonStr(v["tool_message"], "tool_call_id")) {
          m = v["tool_message"];
        }
      }
    }
    decided.push_back(v);
  }
  if (json_out) out << nlohmann::json{{"text", t.reply}, {"actions", decided}}.dump() << std::endl;
  *convo = std::move(messages);
  return OkStatus();
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
