#include "client/api_server.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "openai/chat_request.h"
#include "openai/completion_request.h"
#include "util/log.h"
#include "util/random.h"
#include "util/json.h"

namespace lt::client {

using nlohmann::json;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

net::HttpResponse FromClientError(const ClientError& e) {
  return OpenAiErrorResponse(e.status, e.message, e.type, e.code);
}

Result<uint32_t> U32Field(const json& v, const std::string& name) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 0xffffffffLL) {
    return InvalidArgument("'" + name + "' must be a non-negative integer");
  }
  return static_cast<uint32_t>(v.get<int64_t>());
}

}  // namespace

net::HttpResponse OpenAiErrorResponse(int status, const std::string& message, const std::string& type,
                                      const std::string& code, const std::string& param) {
  net::HttpResponse r;
  r.status = status;
  r.body = Dump(openai::ApiError{status, message, type, code, param}.Body());
  return r;
}

Status TakePreferences(json& body, Preferences* prefs) {
  if (body.contains("lt_max_price")) {
    const json& v = body["lt_max_price"];
    std::string s = v.is_string() ? v.get<std::string>() : v.is_number() ? v.dump() : "";
    auto p = U256::FromMor(s);
    if (!p.ok() || p->IsZero())
      return InvalidArgument("'lt_max_price' must be a positive MOR amount per second");
    prefs->max_price_per_second = *p;
    body.erase("lt_max_price");
  }
  for (auto [name, field] :
       {std::pair{"lt_max_latency_ms", &prefs->max_latency_ms}, std::pair{"lt_min_tps", &prefs->min_tps},
        std::pair{"lt_want_seconds", &prefs->want_seconds}}) {
    if (!body.contains(name)) continue;
    LT_TRY(*field, U32Field(body[name], name));
    body.erase(name);
  }
  if (prefs->want_seconds == 0) return InvalidArgument("'lt_want_seconds' must be positive");
  return OkStatus();
}

ApiServer::ApiServer(SessionPool* pool, const SecretGuard* guard, ApiOptions options)
    : pool_(pool), guard_(guard), options_(std::move(options)) {}

std::optional<net::HttpResponse> ApiServer::Refuse(const net::HttpRequest& req) const {
  std::string origin = req.Header("Origin");
  if (!origin.empty() &&
      std::find(options_.allow_origins.begin(), options_.allow_origins.end(), origin) == options_.allow_origins.end()) {
    return OpenAiErrorResponse(403,
                               "requests from the web origin '" + origin.substr(0, 200) +
                                   "' are refused: this API spends your MOR (start lt client serve with "
                                   "--allow-origin " + origin.substr(0, 200) + " to allow it)",
                               "invalid_request_error", "origin_not_allowed");
  }
  if (!options_.api_key.empty()) {
    std::string auth = req.Header("Authorization");
    bool ok = auth.size() == 7 + options_.api_key.size() && auth.compare(0, 7, "Bearer ") == 0 &&
              CRYPTO_memcmp(auth.data() + 7, options_.api_key.data(), options_.api_key.size()) == 0;
    if (!ok) {
      return OpenAiErrorResponse(401, "missing or wrong API key (send Authorization: Bearer <key>)",
                                 "invalid_request_error", "invalid_api_key");
    }
  }
  if (req.method == "POST") {
    std::string type = req.Header("Content-Type");
    std::string media = type.substr(0, type.find(';'));
    while (!media.empty() && media.back() == ' ') media.pop_back();
    for (auto& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (media != "application/json") {
      return OpenAiErrorResponse(415, "the request body must be sent as Content-Type: application/json (got '" +
                                          type.substr(0, 100) + "')",
                                 "invalid_request_error", "unsupported_media_type");
    }
  }
  return std::nullopt;
}

net::Handler ApiServer::Guarded(net::Handler h) const {
  return [this, h = std::move(h)](const net::HttpRequest& req) {
    if (auto refused = Refuse(req)) return *refused;
    net::HttpResponse r = h(req);
    std::string origin = req.Header("Origin");
    if (!origin.empty()) {  // an allowed origin (Refuse let it through)
      r.headers.emplace("Access-Control-Allow-Origin", origin);
      r.headers.emplace("Vary", "Origin");
    }
    return r;
  };
}

net::HttpResponse ApiServer::Preflight(const net::HttpRequest& req) const {
  std::string origin = req.Header("Origin");
  if (origin.empty() ||
      std::find(options_.allow_origins.begin(), options_.allow_origins.end(), origin) == options_.allow_origins.end()) {
    return OpenAiErrorResponse(403, "CORS preflight from an origin that is not allowed", "invalid_request_error",
                               "origin_not_allowed");
  }
  net::HttpResponse r;
  r.status = 204;
  r.content_type = "text/plain";
  r.headers.emplace("Access-Control-Allow-Origin", origin);
  r.headers.emplace("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  r.headers.emplace("Access-Control-Allow-Headers", "Authorization, Content-Type");
  r.headers.emplace("Access-Control-Max-Age", "600");
  r.headers.emplace("Vary", "Origin");
  return r;
}

// Every route the API answers, for the 404/405 of a request none matched (Register).
constexpr openai::Route kRoutes[] = {
    {"GET", "/health"},           {"GET", "/v1/models"},      {"GET", "/v1/models/", true},
    {"GET", "/v1/sessions"},      {"POST", "/v1/chat/completions"}, {"POST", "/v1/completions"},
};

void ApiServer::Register(net::HttpServer& http) {
  // What the HTTP layer answers by itself (a body over its cap, a PUT, a URL too long) in
  // OpenAI's shape too.
  http.SetErrorResponse([](int status, std::string_view code, std::string_view message) {
    openai::ApiError e = openai::FromHttpRefusal(status, code, message);
    return OpenAiErrorResponse(e.status, e.message, e.type, e.code, e.param);
  });
  http.Get("/health", Guarded([this](const net::HttpRequest&) {
             return net::HttpResponse::Json(200, {{"ok", true},
                                                  {"user", pool_->user().ToChecksumHex()},
                                                  {"mnemonic_check", guard_->mnemonic_check()}});
           }));
  http.Get("/v1/models", Guarded([this](const net::HttpRequest&) { return Models(); }));
  http.Get("/v1/models/(.+)",
           Guarded([this](const net::HttpRequest& r) { return Model(r.matches.size() > 1 ? r.matches[1] : ""); }));
  http.Get("/v1/sessions",
           Guarded([this](const net::HttpRequest&) { return net::HttpResponse::Json(200, pool_->Status()); }));
  http.Post("/v1/chat/completions", Guarded([this](const net::HttpRequest& r) { return ChatCompletions(r); }));
  http.Post("/v1/completions", Guarded([this](const net::HttpRequest& r) { return Completions(r); }));
  http.Options("/(.*)", [this](const net::HttpRequest& r) { return Preflight(r); });
  // A base URL without /v1 is the usual slip: answer the OpenAI routes' bare paths with a hint.
  for (const char* path : {"/chat/completions", "/completions", "/models", "/models/(.+)", "/embeddings"}) {
    http.Get(path, Guarded([](const net::HttpRequest& r) { return MissingV1(r); }));
    http.Post(path, Guarded([](const net::HttpRequest& r) { return MissingV1(r); }));
  }
}

void ApiServer::RegisterFallbacks(net::HttpServer& http) {
  // What no route matched is an OpenAI-shaped 404, or 405 on a known route.
  http.Get("/(.*)", [](const net::HttpRequest& r) { return NoRoute(r); });
  http.Post("/(.*)", [](const net::HttpRequest& r) { return NoRoute(r); });
  http.Delete("/(.*)", [](const net::HttpRequest& r) { return NoRoute(r); });
}

net::HttpResponse ApiServer::MissingV1(const net::HttpRequest& req) {
  std::string host = req.Header("Host").substr(0, 200);
  std::string base = "http://" + (host.empty() ? std::string("HOST:PORT") : host) + "/v1";
  return OpenAiErrorResponse(404,
                             "no route for " + req.method + " " + req.path.substr(0, 200) +
                                 ": the API is under /v1; set your client's base URL to " + base + " (then " +
                                 req.method + " " + base + req.path.substr(0, 200) + ")",
                             "invalid_request_error", "unknown_url");
}

net::HttpResponse ApiServer::Models() {
  auto models = pool_->LiveModels();
  if (!models.ok() && !local_name_.empty()) models = std::vector<std::string>();  // the local model still answers
  if (!models.ok()) {
    return OpenAiErrorResponse(503, "cannot list models: " + models.error().message, "server_error",
                               "ledger_unavailable");
  }
  json data = json::array();
  for (const auto& m : *models) {
    if (!AgentName(m).empty()) continue;  // listed once, as the agent it is, below
    data.push_back({{"id", m}, {"object", "model"}, {"created", 0}, {"owned_by", m.substr(0, m.find('/'))}});
  }
  for (auto& a : AgentModels()) data.push_back(std::move(a));
  if (!local_name_.empty()) {
    data.push_back({{"id", local_name_}, {"object", "model"}, {"created", 0}, {"owned_by", "local"}, {"lt_local", true}});
  }
  return net::HttpResponse::Json(200, {{"object", "list"}, {"data", data}});
}

net::HttpResponse ApiServer::Model(const std::string& id) {
  for (auto& a : AgentModels()) {
    if (a["id"] == id) return net::HttpResponse::Json(200, a);
  }
  if (!local_name_.empty() && id == local_name_) {
    return net::HttpResponse::Json(
        200, {{"id", local_name_}, {"object", "model"}, {"created", 0}, {"owned_by", "local"}, {"lt_local", true}});
  }
  auto models = pool_->LiveModels();
  if (!models.ok()) {
    return OpenAiErrorResponse(503, "cannot list models: " + models.error().message, "server_error",
                               "ledger_unavailable");
  }
  for (const auto& m : *models) {
    if (m == id)
      return net::HttpResponse::Json(
          200, {{"id", m}, {"object", "model"}, {"created", 0}, {"owned_by", m.substr(0, m.find('/'))}});
  }
  return OpenAiErrorResponse(404, "The model '" + id + "' does not exist or has no live provider",
                             "invalid_request_error", "model_not_found", "model");
}

net::HttpResponse ApiServer::ChatCompletions(const net::HttpRequest& req) { return Complete(req, openai::Kind::kChat); }

net::HttpResponse ApiServer::Completions(const net::HttpRequest& req) { return Complete(req, openai::Kind::kText); }

net::HttpResponse ApiServer::Complete(const net::HttpRequest& req, openai::Kind kind) {
  if (req.body.size() > kMaxBodyBytes) {
    return OpenAiErrorResponse(413, "request body is " + std::to_string(req.body.size()) + " bytes, the limit is " +
                                        std::to_string(kMaxBodyBytes), "invalid_request_error", "request_too_large");
  }
  auto parsed = ParseJsonChecked(req.body, "the request body");
  if (!parsed.ok() || !parsed->is_object()) {
    return OpenAiErrorResponse(400, parsed.ok() ? "the request body is not a JSON object" : parsed.error().message,
                               "invalid_request_error", "invalid_json");
  }
  json body = std::move(*parsed);
  // The guard runs first: nothing of a refused request reaches a router or a provider.
  if (auto f = guard_->ScanRequest(body)) {
    LT_WARN("client: refused a request: " << f->where << " holds a " << f->kind);
    return OpenAiErrorResponse(400, f->Message(), "invalid_request_error", "secret_detected", f->where);
  }
  Preferences prefs = options_.defaults;
  if (Status s = TakePreferences(body, &prefs); !s.ok()) {
    return OpenAiErrorResponse(400, s.error().message, "invalid_request_error", "invalid_value");
  }
  // Every field is validated here, once: a request no provider could serve never leaves.
  openai::ChatRequest checked;
  openai::ApiError bad;
  bool echo = false;
  bool ok = kind == openai::Kind::kText ? openai::ParseCompletionRequest(body, &checked, &echo, &bad)
                                        : openai::ParseChatRequest(body, &checked, &bad);
  if (!ok) return OpenAiErrorResponse(bad.status, bad.message, bad.type, bad.code, bad.param);
  if (checked.model.empty()) {
    return OpenAiErrorResponse(400, "'model' is required (a name such as demo/stories:260k)",
                               "invalid_request_error", "missing_model", "model");
  }
  if (!local_name_.empty() && checked.model == local_name_) {
    return kind == openai::Kind::kChat ? local_chat_(req) : local_completions_(req);
  }
  if (kind == openai::Kind::kChat && agents_ != nullptr) {
    if (std::string agent = AgentName(checked.model); !agent.empty()) {
      return AgentCompletion(agent, body, checked.stream, checked.include_usage, pool_->AllowanceWarning());
    }
  }
  if (kind == openai::Kind::kText) body = openai::CompletionBodyToSend(body, checked);
  const std::string prefix = echo ? checked.messages[0].text : "";
  bool include_usage = checked.include_usage;
  std::string model = checked.model;
  std::string warning = pool_->AllowanceWarning();
  Bytes idb(12);
  SecureRandom::Default()->Fill(idb);
  openai::AnswerHead head{kind, openai::AnswerId(kind, HexEncode(idb)), static_cast<int64_t>(std::time(nullptr)),
                          model, ""};
  auto usage_of = [](const ChatResult& r) {
    return r.usage.is_object() && !r.usage.empty() ? openai::Usage::FromJson(r.usage)
                                                   : openai::Usage{0, static_cast<int64_t>(r.chunks)};
  };
  auto finish_of = [](const ChatResult& r) { return r.finish_reason.empty() ? std::string("stop") : r.finish_reason; };

  if (!checked.stream) {
    ChatOutcome out;
    ClientError err;
    if (!pool_->Chat(model, body, prefs, {}, &out, &err)) {
      auto r = FromClientError(err);
      if (!warning.empty()) r.headers.emplace("X-LT-Allowance-Warning", warning);
      return r;
    }
    if (!out.model.empty()) head.model = out.model;
    json o = openai::Answer(head, prefix + out.result.text, finish_of(out.result), out.result.tool_calls,
                            usage_of(out.result));
    net::HttpResponse r;
    r.body = Dump(o);
    r.headers.emplace("X-LT-Provider", out.provider);
    r.headers.emplace("X-LT-Failovers", std::to_string(out.failovers));
    if (!warning.empty()) r.headers.emplace("X-LT-Allowance-Warning", warning);
    return r;
  }

  // Streamed: open the session first so routing errors get a real status, then stream.
  ClientError err;
  if (!pool_->Prepare(model, prefs, &err)) {
    auto r = FromClientError(err);
    if (!warning.empty()) r.headers.emplace("X-LT-Allowance-Warning", warning);
    return r;
  }
  net::HttpResponse resp;
  resp.content_type = "text/event-stream";
  resp.headers.emplace("Cache-Control", "no-cache");
  if (!warning.empty()) resp.headers.emplace("X-LT-Allowance-Warning", warning);
  SessionPool* pool = pool_;
  resp.stream = [pool, body, prefs, model, head, include_usage, prefix, usage_of, finish_of](net::ChunkSink& sink) {
    std::string start = openai::StreamStart(head);
    if (!prefix.empty()) start += openai::StreamDelta(head, prefix);
    if (!start.empty() && !sink.Write(start)) return;
    ChatOutcome out;
    ClientError err;
    bool ok = pool->Chat(
        model, body, prefs, [&](std::string_view d) { return sink.Write(openai::StreamDelta(head, d)); }, &out,
        &err);
    if (!ok) {
      sink.Write(openai::StreamError(openai::ApiError{err.status, err.message, err.type, err.code, ""}));
      return;
    }
    sink.Write(openai::StreamToolCalls(head, out.result.tool_calls) +
               openai::StreamEnd(head, finish_of(out.result), include_usage, usage_of(out.result)));
  };
  return resp;
}


net::HttpResponse ApiServer::NoRoute(const net::HttpRequest& req) {
  std::string allow;
  openai::ApiError e = openai::NoRoute(req.method, req.path, kRoutes, &allow);
  net::HttpResponse r = OpenAiErrorResponse(e.status, e.message, e.type, e.code, e.param);
  if (!allow.empty()) r.headers.emplace("Allow", allow);
  return r;
}

}  // namespace lt::client
