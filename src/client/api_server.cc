#include "client/api_server.h"

#include <ctime>

#include "util/log.h"
#include "util/random.h"

namespace lt::client {

using nlohmann::json;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

net::HttpResponse FromClientError(const ClientError& e) {
  return OpenAiErrorResponse(e.status, e.message, e.type, e.code);
}

json ErrorJson(const ClientError& e) {
  return {{"error", {{"message", e.message}, {"type", e.type}, {"param", nullptr}, {"code", e.code}}}};
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
  json e = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (!code.empty()) e["code"] = code;
  if (!param.empty()) e["param"] = param;
  net::HttpResponse r;
  r.status = status;
  r.body = Dump(json{{"error", e}});
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

void ApiServer::Register(net::HttpServer& http) {
  http.Get("/health", [this](const net::HttpRequest&) {
    return net::HttpResponse::Json(200, {{"ok", true},
                                         {"user", pool_->user().ToChecksumHex()},
                                         {"mnemonic_check", guard_->mnemonic_check()}});
  });
  http.Get("/v1/models", [this](const net::HttpRequest&) { return Models(); });
  http.Get("/v1/models/(.+)",
           [this](const net::HttpRequest& r) { return Model(r.matches.size() > 1 ? r.matches[1] : ""); });
  http.Get("/v1/sessions",
           [this](const net::HttpRequest&) { return net::HttpResponse::Json(200, pool_->Status()); });
  http.Post("/v1/chat/completions", [this](const net::HttpRequest& r) { return ChatCompletions(r); });
}

net::HttpResponse ApiServer::Models() {
  auto models = pool_->LiveModels();
  if (!models.ok()) {
    return OpenAiErrorResponse(503, "cannot list models: " + models.error().message, "server_error",
                               "ledger_unavailable");
  }
  json data = json::array();
  for (const auto& m : *models) {
    data.push_back({{"id", m}, {"object", "model"}, {"created", 0}, {"owned_by", m.substr(0, m.find('/'))}});
  }
  return net::HttpResponse::Json(200, {{"object", "list"}, {"data", data}});
}

net::HttpResponse ApiServer::Model(const std::string& id) {
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

net::HttpResponse ApiServer::ChatCompletions(const net::HttpRequest& req) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return OpenAiErrorResponse(400, "the request body is not a JSON object", "invalid_request_error",
                               "invalid_json");
  }
  // The guard runs first: nothing of a refused request reaches a router or a provider.
  if (auto f = guard_->ScanRequest(body)) {
    LT_WARN("client: refused a request: " << f->where << " holds a " << f->kind);
    return OpenAiErrorResponse(400, f->Message(), "invalid_request_error", "secret_detected", f->where);
  }
  if (!body.contains("model") || !body["model"].is_string() || body["model"].get<std::string>().empty()) {
    return OpenAiErrorResponse(400, "'model' is required (a name such as demo/stories:260k)",
                               "invalid_request_error", "missing_model", "model");
  }
  if (!body.contains("messages") || !body["messages"].is_array() || body["messages"].empty()) {
    return OpenAiErrorResponse(400, "'messages' must be a non-empty array", "invalid_request_error",
                               "invalid_value", "messages");
  }
  bool stream = false;
  if (body.contains("stream") && !body["stream"].is_null()) {
    if (!body["stream"].is_boolean()) {
      return OpenAiErrorResponse(400, "'stream' must be a boolean", "invalid_request_error", "invalid_value",
                                 "stream");
    }
    stream = body["stream"].get<bool>();
  }
  bool include_usage = body.contains("stream_options") && body["stream_options"].is_object() &&
                       body["stream_options"].value("include_usage", false);
  Preferences prefs = options_.defaults;
  if (Status s = TakePreferences(body, &prefs); !s.ok()) {
    return OpenAiErrorResponse(400, s.error().message, "invalid_request_error", "invalid_value");
  }
  std::string model = body["model"].get<std::string>();
  std::string warning = pool_->AllowanceWarning();
  Bytes idb(12);
  SecureRandom::Default()->Fill(idb);
  std::string id = "chatcmpl-" + HexEncode(idb);
  int64_t created = static_cast<int64_t>(std::time(nullptr));

  if (!stream) {
    ChatOutcome out;
    ClientError err;
    if (!pool_->Chat(model, body, prefs, {}, &out, &err)) {
      auto r = FromClientError(err);
      if (!warning.empty()) r.headers.emplace("X-LT-Allowance-Warning", warning);
      return r;
    }
    json o = {
        {"id", id},
        {"object", "chat.completion"},
        {"created", created},
        {"model", out.model.empty() ? model : out.model},
        {"choices", json::array({{{"index", 0},
                                  {"message", {{"role", "assistant"}, {"content", out.result.text}}},
                                  {"logprobs", nullptr},
                                  {"finish_reason",
                                   out.result.finish_reason.empty() ? "stop" : out.result.finish_reason}}})},
        {"usage", out.result.usage.is_object() && !out.result.usage.empty()
                      ? out.result.usage
                      : json{{"prompt_tokens", 0},
                             {"completion_tokens", out.result.chunks},
                             {"total_tokens", out.result.chunks}}}};
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
  resp.stream = [pool, body, prefs, model, id, created, include_usage](net::ChunkSink& sink) {
    auto chunk = [&](const json& delta, const json& finish) {
      json c = {{"id", id},
                {"object", "chat.completion.chunk"},
                {"created", created},
                {"model", model},
                {"choices",
                 json::array(
                     {{{"index", 0}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", finish}}})}};
      return "data: " + Dump(c) + "\n\n";
    };
    if (!sink.Write(chunk({{"role", "assistant"}, {"content", ""}}, nullptr))) return;
    ChatOutcome out;
    ClientError err;
    bool ok = pool->Chat(
        model, body, prefs,
        [&](std::string_view d) {
          return sink.Write(chunk({{"content", d}}, nullptr));
        },
        &out, &err);
    if (!ok) {
      sink.Write("data: " + Dump(ErrorJson(err)) + "\n\n");
      return;
    }
    std::string tail =
        chunk(json::object(), out.result.finish_reason.empty() ? "stop" : out.result.finish_reason);
    if (include_usage) {
      json u = {{"id", id},       {"object", "chat.completion.chunk"}, {"created", created},
                {"model", model}, {"choices", json::array()},          {"usage", out.result.usage}};
      tail += "data: " + Dump(u) + "\n\n";
    }
    tail += "data: [DONE]\n\n";
    sink.Write(tail);
  };
  return resp;
}

}  // namespace lt::client
