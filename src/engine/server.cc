#include "engine/server.h"

#include "openai/chat_request.h"
#include "util/json.h"

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>

namespace lt::engine {

using nlohmann::json;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Length of the longest prefix of s that does not end inside a UTF-8 sequence.
size_t CompleteUtf8Prefix(std::string_view s) {
  size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    unsigned char c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
    size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

// Output text of one request: pieces in, stop strings applied, UTF-8-complete deltas out.
// Shared by the engine thread (producer) and an HTTP thread (consumer).
struct Channel {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> stop;
  size_t max_stop = 0;
  std::string text;      // everything generated (up to a stop string)
  size_t released = 0;   // text[0, released) may be sent
  size_t sent = 0;       // consumer's position
  bool stopped = false;  // a stop string was seen
  bool done = false;
  Completion result;
  std::atomic<bool> client_gone{false};

  // Engine thread. Returns false to end generation.
  bool OnPiece(std::string_view piece) {
    std::lock_guard<std::mutex> lk(mu);
    // Keep bytes and whitespace; drop other control characters (run.c drops them too).
    if (piece.size() == 1) {
      unsigned char c = static_cast<unsigned char>(piece[0]);
      if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') piece = {};
    }
    size_t from = text.size() > max_stop ? text.size() - max_stop : 0;
    text += piece;
    for (const auto& s : stop) {
      size_t p = text.find(s, from);
      if (p != std::string::npos) {
        text.resize(p);
        stopped = true;
      }
    }
    size_t hold = stopped || max_stop == 0 ? 0 : max_stop - 1;
    size_t end = text.size() > hold ? text.size() - hold : 0;
    end = std::max(released, CompleteUtf8Prefix(std::string_view(text).substr(0, end)));
    released = end;
    cv.notify_all();
    return !stopped && !client_gone.load();
  }
  void OnDone(const Completion& c) {
    std::lock_guard<std::mutex> lk(mu);
    result = c;
    released = text.size();
    done = true;
    cv.notify_all();
  }
};

const char* Reason(const Channel& ch) {
  if (ch.stopped) return "stop";
  return ch.result.reason == FinishReason::kLength ? "length" : "stop";
}

}  // namespace

net::HttpResponse OpenAiError(int status, std::string_view message, std::string_view type, std::string_view code,
                              std::string_view param) {
  json e = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (!code.empty()) e["code"] = code;
  if (!param.empty()) e["param"] = param;
  net::HttpResponse r;
  r.status = status;
  r.body = Dump(json{{"error", e}});
  return r;
}

OpenAiServer::OpenAiServer(Engine* engine, OpenAiServerOptions options)
    : engine_(engine), options_(std::move(options)), created_(static_cast<int64_t>(std::time(nullptr))) {}

void OpenAiServer::Register(net::HttpServer& http) {
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
  std::snprintf(buf, sizeof buf, "chatcmpl-%llx%06llx", static_cast<unsigned long long>(created_),
                static_cast<unsigned long long>(n));
  return buf;
}

net::HttpResponse OpenAiServer::ChatCompletions(const net::HttpRequest& req) {
  if (req.body.size() > options_.max_body_bytes) {
    return OpenAiError(413, "request body is " + std::to_string(req.body.size()) + " bytes, the limit is " +
                                std::to_string(options_.max_body_bytes), "invalid_request_error", "body_too_large");
  }
  auto parsed = ParseJsonChecked(req.body, "the request body");
  if (!parsed.ok()) return OpenAiError(400, parsed.error().message, "invalid_request_error", "invalid_json");
  // Every field is validated in one place (openai/chat_request.h).
  openai::ChatRequest chat;
  openai::ApiError bad;
  if (!openai::ParseChatRequest(*parsed, &chat, &bad)) return OpenAiError(bad.status, bad.message, bad.type, bad.code, bad.param);
  if (!chat.model.empty() && chat.model != options_.model_name) {
    return OpenAiError(404, "The model '" + chat.model + "' does not exist; this server has '" + options_.model_name + "'",
                       "invalid_request_error", "model_not_found", "model");
  }
  bool have_user = false;
  for (const auto& m : chat.messages) have_user = have_user || m.role == "user";
  if (!have_user) {
    return OpenAiError(400, "'messages' must contain a user message (the start of the story)", "invalid_request_error",
                       "invalid_value", "messages");
  }
  std::string prompt = chat.LastUserText();
  const int ctx = engine_->model().config().seq_len;
  Request r;
  r.max_new_tokens = chat.max_tokens ? static_cast<int>(std::min<int64_t>(*chat.max_tokens, ctx)) : ctx;
  r.sampling.temperature = chat.temperature ? static_cast<float>(*chat.temperature) : 1.0f;
  r.sampling.top_p = chat.top_p ? static_cast<float>(*chat.top_p) : 1.0f;
  if (chat.seed) {
    r.sampling.seed = static_cast<uint64_t>(*chat.seed);
    if (r.sampling.seed == 0) r.sampling.seed = 0x9e3779b97f4a7c15ull;  // 0 means "from the clock" in run.c
  } else {
    r.sampling.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1;
  }
  auto ch = std::make_shared<Channel>();
  ch->stop = chat.stop;
  for (const auto& x : ch->stop) ch->max_stop = std::max(ch->max_stop, x.size());
  bool stream = chat.stream;
  bool include_usage = chat.include_usage;

  r.prompt_tokens = engine_->model().tokenizer().Encode(prompt, true, false);
  r.on_token = [ch](int, std::string_view piece) { return ch->OnPiece(piece); };
  r.on_done = [ch](const Completion& c) { ch->OnDone(c); };
  Status submitted = engine_->Submit(std::move(r));
  if (!submitted.ok()) {
    const Error& e = submitted.error();
    if (e.code == ErrorCode::kResourceExhausted) return OpenAiError(429, e.message, "server_error", "busy");
    if (e.code == ErrorCode::kInvalidArgument) return OpenAiError(400, e.message, "invalid_request_error", "context_length_exceeded", "messages");
    return OpenAiError(503, e.message, "server_error", "unavailable");
  }

  const std::string id = NewId();
  const int64_t created = static_cast<int64_t>(std::time(nullptr));
  const std::string model = options_.model_name;
  auto usage = [](const Completion& c) {
    return json{{"prompt_tokens", c.prompt_tokens}, {"completion_tokens", c.completion_tokens},
                {"total_tokens", c.prompt_tokens + c.completion_tokens}};
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options_.request_timeout_seconds);

  if (!stream) {
    std::unique_lock<std::mutex> lk(ch->mu);
    if (!ch->cv.wait_until(lk, deadline, [&] { return ch->done; })) {
      ch->client_gone = true;
      return OpenAiError(504, "generation timed out", "server_error", "timeout");
    }
    if (!ch->result.status.ok()) return OpenAiError(503, ch->result.status.error().message, "server_error", "unavailable");
    json out = {{"id", id},
                {"object", "chat.completion"},
                {"created", created},
                {"model", model},
                {"system_fingerprint", "lt-engine"},
                {"choices", json::array({{{"index", 0},
                                          {"message", {{"role", "assistant"}, {"content", ch->text}}},
                                          {"logprobs", nullptr},
                                          {"finish_reason", Reason(*ch)}}})},
                {"usage", usage(ch->result)}};
    net::HttpResponse resp;
    resp.body = Dump(out);
    return resp;
  }

  net::HttpResponse resp;
  resp.content_type = "text/event-stream";
  resp.headers.emplace("Cache-Control", "no-cache");
  resp.stream = [ch, id, created, model, include_usage, usage, deadline](net::ChunkSink& sink) {
    auto chunk = [&](const json& delta, const json& finish) {
      json c = {{"id", id},
                {"object", "chat.completion.chunk"},
                {"created", created},
                {"model", model},
                {"system_fingerprint", "lt-engine"},
                {"choices", json::array({{{"index", 0}, {"delta", delta}, {"logprobs", nullptr}, {"finish_reason", finish}}})}};
      return "data: " + Dump(c) + "\n\n";
    };
    if (!sink.Write(chunk({{"role", "assistant"}, {"content", ""}}, nullptr))) {
      ch->client_gone = true;
      return;
    }
    for (;;) {
      std::string delta;
      bool done;
      {
        std::unique_lock<std::mutex> lk(ch->mu);
        if (!ch->cv.wait_until(lk, deadline, [&] { return ch->done || ch->released > ch->sent; })) {
          ch->client_gone = true;
          return;
        }
        delta = ch->text.substr(ch->sent, ch->released - ch->sent);
        ch->sent = ch->released;
        done = ch->done && ch->sent == ch->text.size();
      }
      if (!delta.empty() && !sink.Write(chunk({{"content", delta}}, nullptr))) {
        ch->client_gone = true;
        return;
      }
      if (done) break;
    }
    std::string tail = chunk(json::object(), Reason(*ch));
    if (include_usage) {
      json u = {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model},
                {"choices", json::array()}, {"usage", usage(ch->result)}};
      tail += "data: " + Dump(u) + "\n\n";
    }
    tail += "data: [DONE]\n\n";
    sink.Write(tail);
  };
  return resp;
}

}  // namespace lt::engine
