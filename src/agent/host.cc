#include "agent/host.h"

#include "util/fs.h"
#include "util/json.h"

namespace lt::agent {

using json = nlohmann::json;

ChatFn HttpChatFn(std::string base_url, std::string api_key, int timeout_ms) {
  return [base_url, api_key, timeout_ms](const json& request) -> Result<json> {
    net::HttpClientOptions o;
    o.read_timeout_ms = timeout_ms;
    o.max_body_bytes = 16 << 20;
    LT_TRY(auto http, net::HttpClient::Create(base_url, o));
    json req = request;
    req["stream"] = false;
    std::multimap<std::string, std::string> headers;
    if (!api_key.empty()) headers.emplace("Authorization", "Bearer " + api_key);
    LT_TRY(auto r, http.Post("/v1/chat/completions", req.dump(), "application/json", headers));
    auto body = ParseJsonChecked(r.body, "the chat answer");
    if (r.status != 200) {
      std::string m = body.ok() && (*body).contains("error") && (*body)["error"].is_object()
                          ? JsonStr((*body)["error"], "message")
                          : r.body.substr(0, 200);
      return MakeError(ErrorCode::kUnavailable, "chat completion: HTTP " + std::to_string(r.status) + ": " + m);
    }
    return body;
  };
}

Result<std::pair<std::string, AgentSpec>> LoadAgentFile(const std::string& path) {
  LT_TRY(std::string text, RealFileSystem::Default()->ReadFile(path, 1 << 20));
  LT_TRY(json j, ParseJsonChecked(text, path));
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || !j.contains("agent") ||
      (j.contains("kind") && j["kind"] != "agent")) {
    return InvalidArgument(path + ": expected {\"name\": ..., \"kind\": \"agent\", \"agent\": {...}}");
  }
  auto spec = AgentSpec::FromJson(j["agent"]);
  if (!spec.ok()) return spec.error().Wrap(path);
  return std::pair{j["name"].get<std::string>(), std::move(*spec)};
}

Result<std::unique_ptr<AgentHost>> AgentHost::Create(AgentHostOptions options, crypto::PrivateKey user,
                                                     ScreenFn screen) {
  std::unique_ptr<AgentHost> h(new AgentHost());
  h->options_ = std::move(options);
  const AgentHostOptions& o = h->options_;
  LT_TRY(h->set_, o.trusted_dir.empty() ? TrustedSet::LoadDefault() : TrustedSet::LoadDir(o.trusted_dir));
  h->index_ = DocIndex::Build(h->set_);
  LT_TRY(ChainBinding chain, Bind(h->set_, o.deployment.chain_id, &o.deployment));
  LT_TRY(h->rpc_, evm::EthRpc::Connect(o.deployment.rpc));
  h->wallet_ = std::make_unique<Wallet>(h->rpc_.get(), std::move(user), std::move(chain));
  h->store_ = std::make_unique<ActionStore>(h->wallet_.get(), SystemClock::Default(), o.actions);
  std::vector<std::pair<std::string, AgentSpec>> all = o.agents;
  for (const auto& file : o.agent_files) {
    LT_TRY(auto named, LoadAgentFile(file));
    all.push_back(std::move(named));
  }
  for (auto& [name, spec] : all) {
    if (auto s = spec.CheckAgainst(h->set_); !s.ok()) return s.error().Wrap("agent " + name);
    if (h->agents_.count(name)) return InvalidArgument("agent " + name + " is given twice");
    h->agents_[name] = std::move(spec);
  }
  if (o.chat) {
    h->chat_ = o.chat;
  } else {
    ChatFn http_chat = HttpChatFn(o.chat_url, o.chat_api_key);
    h->chat_ = [http_chat](const std::string&, const AgentSpec&, const json& request) { return http_chat(request); };
  }
  h->screen_ = std::move(screen);
  return h;
}

std::string AgentHost::Find(const std::string& model) const {
  if (agents_.count(model)) return model;
  const std::string latest = ":latest";
  if (model.size() > latest.size() && model.compare(model.size() - latest.size(), latest.size(), latest) == 0) {
    std::string bare = model.substr(0, model.size() - latest.size());
    if (agents_.count(bare)) return bare;
  } else if (agents_.count(model + latest)) {
    return model + latest;
  }
  return "";
}

Result<TurnResult> AgentHost::Turn(const std::string& name, const std::vector<json>& messages) {
  std::string found = Find(name);
  auto it = agents_.find(found);
  if (found.empty() || it == agents_.end()) return NotFound("no agent '" + name.substr(0, 128) + "' on this client");
  const AgentSpec& spec = it->second;
  AgentChatFn chat = chat_;
  ChatFn bound = [chat, found, &spec](const json& request) { return chat(found, spec, request); };
  AgentRuntime rt(spec, &set_, &index_, store_.get(), bound, screen_, options_.runtime);
  return rt.Turn(messages);
}

void AgentHost::Register(net::HttpServer& http) {
  RegisterActionRoutes(http, store_.get(), options_.http);
  auto guard = options_.http;
  auto refuse = [guard](const net::HttpRequest& req) -> std::optional<net::HttpResponse> {
    std::string origin = req.Header("Origin");
    if (!origin.empty() && std::find(guard.allow_origins.begin(), guard.allow_origins.end(), origin) ==
                               guard.allow_origins.end()) {
      return net::HttpResponse::ErrorJson(403, "permission_denied", "origin not allowed");
    }
    if (!guard.api_key.empty() && !ConstantTimeEquals(req.Header("Authorization"), "Bearer " + guard.api_key)) {
      return net::HttpResponse::ErrorJson(401, "unauthenticated", "missing or wrong API key (Authorization: Bearer)");
    }
    return std::nullopt;
  };
  http.Get("/v1/lt/agents", [this, refuse](const net::HttpRequest& req) {
    if (auto r = refuse(req)) return *r;
    json data = json::array();
    for (const auto& [name, spec] : agents_) {
      data.push_back({{"id", name}, {"object", "model"}, {"owned_by", "lt-agent"}, {"base_model", spec.base_model}});
    }
    return net::HttpResponse::Json(200, {{"object", "list"}, {"data", data}});
  });
  http.Post("/v1/lt/agents/chat", [this, refuse](const net::HttpRequest& req) {
    if (auto r = refuse(req)) return *r;
    if (req.Header("Content-Type").rfind("application/json", 0) != 0) {
      return net::HttpResponse::ErrorJson(415, "invalid_argument", "POST needs Content-Type: application/json");
    }
    auto body = ParseJsonChecked(req.body, "request body");
    if (!body.ok()) return net::HttpResponse::FromError(body.error());
    const json& b = *body;
    if (!b.is_object() || !b.contains("model") || !b["model"].is_string() || !b.contains("messages") ||
        !b["messages"].is_array() || b["messages"].empty() || b["messages"].size() > 256) {
      return net::HttpResponse::ErrorJson(400, "invalid_argument",
                                          "expected {\"model\": agent name, \"messages\": [1..256 messages]}");
    }
    std::vector<json> messages;
    for (const auto& m : b["messages"]) {
      if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || m["role"] == "system") {
        return net::HttpResponse::ErrorJson(400, "invalid_argument",
                                            "messages: objects with a role other than system (the agent has its own)");
      }
      messages.push_back(m);
    }
    auto t = Turn(b["model"].get<std::string>(), messages);
    if (!t.ok()) return net::HttpResponse::FromError(t.error());
    return net::HttpResponse::Json(200, {{"object", "lt.agent.turn"},
                                         {"messages", t->messages},
                                         {"reply", t->reply},
                                         {"actions", t->actions},
                                         {"refused", t->refused}});
  });
}

}  // namespace lt::agent
