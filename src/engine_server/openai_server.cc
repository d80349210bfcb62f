#include "engine_server/openai_server.h"

#include "engine/chat.h"
#include "openai/chat_request.h"
#include "openai/completion_request.h"
#include "openai/response.h"
#include "util/json.h"
#include "util/random.h"

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>

namespace lt::engine_server {

using engine::Completion;
using engine::ModelConfig;
using engine::Engine;
using engine::FinishReason;
using engine::Request;

using nlohmann::json;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Output text of one request: pieces in, stop strings applied, UTF-8-complete deltas out.
// Shared by the engine thread (producer) and an HTTP thread (consumer).
struct Channel {
  explicit Channel(std::vector<std::string> stop) : filter(std::move(stop)) {}
  std::mutex mu;
  std::condition_variable cv;
  engine::StopFilter filter;
  std::string text;      // what may be sent (stop strings applied, UTF-8 complete)
  size_t sent = 0;       // consumer's position
  bool done = false;
  Completion result;
  std::atomic<bool> client_gone{false};

  // Engine thread. Returns false to end generation.
  bool OnPiece(std::string_view piece) {
    std::lock_guard<std::mutex> lk(mu);
    text += filter.Push(piece);
    cv.notify_all();
    return !filter.stopped() && !client_gone.load();
  }
  void OnDone(const Completion& c) {
    std::lock_guard<std::mutex> lk(mu);
    result = c;
    text += filter.Finish();
    done = true;
    cv.notify_all();
  }
};

const char* Reason(const Channel& ch) {
  if (ch.filter.stopped()) return "stop";
  return ch.result.reason == FinishReason::kLength ? "length" : "stop";
}

// The whole answer of a request that offered tools: its text parsed for calls.
struct ToolAnswer {
  std::string content;
  json calls;  // null when none
  std::string reason;
};

ToolAnswer ParseAnswer(const engine::ToolPlan& plan, const Channel& ch) {
  engine::ParsedAnswer p = plan.Parse(ch.text);
  ToolAnswer a{std::move(p.content), nullptr, Reason(ch)};
  if (!p.calls.empty()) {
    a.calls = engine::ToolCallsJson(p.calls, *SecureRandom::Default());
    a.reason = "tool_calls";
  }
  return a;
}

}  // namespace

net::HttpResponse OpenAiError(int status, std::string_view message, std::string_view type, std::string_view code,
                              std::string_view param) {
  openai::ApiError e{status, std::string(message), std::string(type), std::string(code), std::string(param)};
  net::HttpResponse r;
  r.status = status;
  r.body = Dump(e.Body());
  return r;
}

OpenAiServer::OpenAiServer(Engine* engine, OpenAiServerOptions options)
    : engine_(engine), options_(std::move(options)), created_(static_cast<int64_t>(std::time(nullptr))) {}

// Every route the server answers, for the 404/405 of a request none matched (Register).
constexpr openai::Route kRoutes[] = {
    {"GET", "/health"}, {"GET", "/v1/models"}, {"GET", "/v1/models/", true}, {"POST", "/v1/chat/completions"},
    {"POST", "/v1/completions"},
};

void OpenAiServer::Register(net::HttpServer& http) {
  // What the HTTP layer answers by itself (a body over its cap, a PUT, a URL too long) in
  // OpenAI's shape too.
  http.SetErrorResponse([](int status, std::string_view code, std::string_view message) {
    openai::ApiError e = openai::FromHttpRefusal(status, code, message);
    return OpenAiError(e.status, e.message, e.type, e.code, e.param);
  });
  http.Get("/health", [this](const net::HttpRequest& r) { return Health(r); });
  http.Get("/v1/models", [this](const net::HttpRequest& r) { return Models(r); });
  http.Get("/v1/models/(.+)", [this](const net::HttpRequest& r) {
    if (r.matches.size() < 2 || r.matches[1] != options_.model_name) {
      return OpenAiError(404, "The model '" + (r.matches.size() > 1 ? r.matches[1] : "") + "' does not exist",
                         "invalid_request_error", "model_not_found", "model");
    }
    return net::HttpResponse::Json(200, ModelJson());
  });
  http.Post("/v1/chat/completions", [this](const net::HttpRequest& r) { return ChatCompletions(r); });
  http.Post("/v1/completions", [this](const net::HttpRequest& r) { return Completions(r); });
  // Last: what no route above matched is an OpenAI-shaped 404, or 405 on a known route.
  http.Get("/(.*)", [](const net::HttpRequest& r) { return NoRoute(r); });
  http.Post("/(.*)", [](const net::HttpRequest& r) { return NoRoute(r); });
  http.Delete("/(.*)", [](const net::HttpRequest& r) { return NoRoute(r); });
}

json OpenAiServer::ModelJson() const {
  const ModelConfig& c = engine_->model().config();
  return {{"id", options_.model_name},
          {"object", "model"},
          {"created", created_},
          {"owned_by", "laketravis"},
          {"meta", {{"n_ctx_train", c.seq_len}, {"n_vocab", c.vocab_size}, {"n_embd", c.dim},
                    {"n_params", engine_->model().ParameterCount()},
                    {"format", engine_->model().format()},
                    {"type", std::string(DTypeName(engine_->model().weight_type()))}}}};
}

net::HttpResponse OpenAiServer::Health(const net::HttpRequest&) {
  return net::HttpResponse::Json(200, {{"status", "ok"}, {"slots_active", engine_->active()},
                                       {"requests_waiting", engine_->waiting()}});
}

net::HttpResponse OpenAiServer::Models(const net::HttpRequest&) {
  return net::HttpResponse::Json(200, {{"object", "list"}, {"data", json::array({ModelJson()})}});
}

std::string OpenAiServer::NewId() {
  uint64_t n = counter_.fetch_add(1) + 1;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%llx%06llx", static_cast<unsigned long long>(created_),
                static_cast<unsigned long long>(n));
  return buf;
}

net::HttpResponse OpenAiServer::ChatCompletions(const net::HttpRequest& req) {
  return Complete(req, openai::Kind::kChat);
}

net::HttpResponse OpenAiServer::Completions(const net::HttpRequest& req) {
  return Complete(req, openai::Kind::kText);
}

net::HttpResponse OpenAiServer::Complete(const net::HttpRequest& req, openai::Kind kind) {
  if (req.body.size() > options_.max_body_bytes) {
    return OpenAiError(413, "request body is " + std::to_string(req.body.size()) + " bytes, the limit is " +
                                std::to_string(options_.max_body_bytes), "invalid_request_error", "request_too_large");
  }
  auto parsed = ParseJsonChecked(req.body, "the request body");
  if (!parsed.ok()) return OpenAiError(400, parsed.error().message, "invalid_request_error", "invalid_json");
  // Every field is validated in one place (openai/chat_request.h, openai/completion_request.h).
  openai::ChatRequest chat;
  openai::ApiError bad;
  bool echo = false;
  bool ok = kind == openai::Kind::kText ? openai::ParseCompletionRequest(*parsed, &chat, &echo, &bad)
                                        : openai::ParseChatRequest(*parsed, &chat, &bad);
  if (!ok || !openai::CheckBuiltinEngine(chat, &bad)) return OpenAiError(bad.status, bad.message, bad.type, bad.code, bad.param);
  if (!chat.model.empty() && chat.model != options_.model_name) {
    return OpenAiError(404, "The model '" + chat.model + "' does not exist; this server has '" + options_.model_name + "'",
                       "invalid_request_error", "model_not_found", "model");
  }
  Request r;
  if (!engine::ChatToRequest(engine_->model(), chat, 0, &r, &bad)) {
    return OpenAiError(bad.status, bad.message, bad.type, bad.code, bad.param);
  }
  // With tools the answer is held back until it is whole, then parsed for calls.
  const engine::ToolPlan plan = engine::ToolPlanOf(engine_->model(), chat);
  auto ch = std::make_shared<Channel>(chat.stop);
  bool include_usage = chat.include_usage;
  const std::string prefix = echo ? chat.messages[0].text : "";

  r.on_token = [ch, plan](int token, std::string_view piece) { return ch->OnPiece(plan.Piece(token, piece)); };
  r.on_done = [ch](const Completion& c) { ch->OnDone(c); };
  Status submitted = engine_->Submit(std::move(r));
  if (!submitted.ok()) {
    const Error& e = submitted.error();
    if (e.code == ErrorCode::kResourceExhausted) return OpenAiError(429, e.message, "server_error", "busy");
    if (e.code == ErrorCode::kInvalidArgument) return OpenAiError(400, e.message, "invalid_request_error", "context_length_exceeded", "messages");
    return OpenAiError(503, e.message, "server_error", "unavailable");
  }

  openai::AnswerHead head{kind, openai::AnswerId(kind, NewId()), static_cast<int64_t>(std::time(nullptr)),
                          options_.model_name, "lt-engine"};
  auto usage = [](const Completion& c) { return openai::Usage{c.prompt_tokens, c.completion_tokens}; };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options_.request_timeout_seconds);

  if (!chat.stream) {
    std::unique_lock<std::mutex> lk(ch->mu);
    if (!ch->cv.wait_until(lk, deadline, [&] { return ch->done; })) {
      ch->client_gone = true;
      return OpenAiError(504, "generation timed out", "server_error", "timeout");
    }
    if (!ch->result.status.ok()) return OpenAiError(503, ch->result.status.error().message, "server_error", "unavailable");
    net::HttpResponse resp;
    if (plan.active) {
      ToolAnswer a = ParseAnswer(plan, *ch);
      resp.body = Dump(openai::Answer(head, a.content, a.reason, a.calls, usage(ch->result)));
      return resp;
    }
    resp.body = Dump(openai::Answer(head, prefix + ch->text, Reason(*ch), nullptr, usage(ch->result)));
    return resp;
  }

  net::HttpResponse resp;
  resp.content_type = "text/event-stream";
  resp.headers.emplace("Cache-Control", "no-cache");
  resp.stream = [ch, head, include_usage, usage, deadline, prefix, plan](net::ChunkSink& sink) {
    std::string start = openai::StreamStart(head);
    if (!prefix.empty()) start += openai::StreamDelta(head, prefix);
    if (!start.empty() && !sink.Write(start)) {
      ch->client_gone = true;
      return;
    }
    for (;;) {
      std::string delta;
      bool done;
      {
        std::unique_lock<std::mutex> lk(ch->mu);
        if (!ch->cv.wait_until(lk, deadline,
                               [&] { return ch->done || (!plan.active && ch->text.size() > ch->sent); })) {
          ch->client_gone = true;
          return;
        }
        if (plan.active) break;
        delta = ch->text.substr(ch->sent);
        ch->sent = ch->text.size();
        done = ch->done && ch->sent == ch->text.size();
      }
      if (!delta.empty() && !sink.Write(openai::StreamDelta(head, delta))) {
        ch->client_gone = true;
        return;
      }
      if (done) break;
    }
    if (plan.active) {  // done: the whole answer, parsed
      ToolAnswer a = ParseAnswer(plan, *ch);
      std::string out;
      if (!a.content.empty()) out += openai::StreamDelta(head, a.content);
      if (!a.calls.is_null()) out += openai::StreamToolCalls(head, a.calls);
      sink.Write(out + openai::StreamEnd(head, a.reason, include_usage, usage(ch->result)));
      return;
    }
    sink.Write(openai::StreamEnd(head, Reason(*ch), include_usage, usage(ch->result)));
  };
  return resp;
}


net::HttpResponse OpenAiServer::NoRoute(const net::HttpRequest& req) {
  std::string allow;
  openai::ApiError e = openai::NoRoute(req.method, req.path, kRoutes, &allow);
  net::HttpResponse r = OpenAiError(e.status, e.message, e.type, e.code, e.param);
  if (!allow.empty()) r.headers.emplace("Allow", allow);
  return r;
}

}  // namespace lt::engine_server
