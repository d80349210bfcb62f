// The `openai` backend: forwards chat completions (to /v1/chat/completions) and legacy text
// completions (to /v1/completions) to an OpenAI-compatible server with SSE, unchanged but for
// "model" (upstream_model), "stream": true and stream_options.include_usage (so the upstream
// reports its usage, which is passed on; without one the deltas are counted). Tools, tool_choice
// and response_format go through as they are; tool-call deltas come back merged (GenerationResult).
#include <atomic>
#include <thread>

#include "net/http.h"
#include "openai/completion_request.h"
#include "openai/response.h"
#include "provider/backend.h"
#include "util/json.h"
#include "util/thread.h"

namespace lt::provider {
namespace {

using nlohmann::json;

class OpenAiGeneration final : public Generation {
 public:
  void Cancel() override { cancelled.store(true); }
  std::atomic<bool> cancelled{false};
};

class OpenAiBackend final : public Backend {
 public:
  explicit OpenAiBackend(OpenAiBackendOptions o) : o_(std::move(o)) {}
  std::string_view kind() const override { return "openai"; }

  // GET /v1/models: what every OpenAI-compatible server answers (llama.cpp server, vLLM, Ollama).
  Status CheckHealth() override {
    net::HttpClientOptions ho;
    ho.connect_timeout_ms = o_.health_timeout_ms;
    ho.read_timeout_ms = o_.health_timeout_ms;
    ho.max_body_bytes = 4 << 20;
    LT_TRY(auto client, net::HttpClient::Create(o_.base_url, ho));
    std::multimap<std::string, std::string> headers;
    if (!o_.api_key.empty()) headers.emplace("Authorization", "Bearer " + o_.api_key);
    auto r = client.Get("/v1/models", headers);
    if (!r.ok()) return r.error().Wrap("upstream " + o_.base_url);
    if (r->status != 200) {
      return MakeError(ErrorCode::kUnavailable, "upstream " + o_.base_url + " answered GET /v1/models with HTTP " +
                                                    std::to_string(r->status));
    }
    return OkStatus();
  }

  Result<std::shared_ptr<Generation>> Start(const json& request, GenerationCallbacks cb) override {
    bool completion = openai::IsCompletionBody(request);
    if (!completion && (!request.is_object() || !request.contains("messages") || !request["messages"].is_array())) {
      return InvalidArgument("chat completion request needs a \"messages\" array");
    }
    json body = request;
    body["stream"] = true;
    if (!body.contains("stream_options") || !body["stream_options"].is_object()) body["stream_options"] = json::object();
    body["stream_options"]["include_usage"] = true;
    if (!o_.upstream_model.empty()) body["model"] = o_.upstream_model;
    auto gen = std::make_shared<OpenAiGeneration>();
    OpenAiBackendOptions o = o_;
    std::string route = completion ? "/v1/completions" : "/v1/chat/completions";
    GuardedThread("openai backend request", [o, gen, route, cb = std::move(cb), text = body.dump()] {
      net::HttpClientOptions ho;
      ho.connect_timeout_ms = o.connect_timeout_ms;
      ho.read_timeout_ms = o.read_timeout_ms;
      auto client = net::HttpClient::Create(o.base_url, ho);
      if (!client.ok()) {
        cb.on_done(client.error().Wrap("openai backend"));
        return;
      }
      std::multimap<std::string, std::string> headers = {{"Accept", "text/event-stream"}};
      if (!o.api_key.empty()) headers.emplace("Authorization", "Bearer " + o.api_key);
      SseChatParser parser;
      Status parse_status;
      auto on_delta = [&](std::string_view d) { return !gen->cancelled.load() && cb.on_chunk(d); };
      auto r = client->PostStream(
          route, text,
          [&](std::string_view data) {
            if (gen->cancelled.load()) return false;
            parse_status = parser.Feed(data, on_delta);
            return parse_status.ok() && !parser.stopped() && !gen->cancelled.load();
          },
          "application/json", headers);
      std::string where = "upstream " + o.base_url;
      if (gen->cancelled.load() || parser.stopped()) {
        cb.on_done(MakeError(ErrorCode::kUnavailable, "cancelled"));
        return;
      }
      if (!parse_status.ok()) {
        cb.on_done(parse_status.error().Wrap(where));
        return;
      }
      if (!r.ok()) {
        cb.on_done(r.error().Wrap(where));
        return;
      }
      if (r->status != 200) {
        Error e = net::ErrorFromResponse(*r);
        cb.on_done(MakeError(r->status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInvalidArgument,
                             where + " answered HTTP " + std::to_string(r->status) + ": " + e.message));
        return;
      }
      if (!parser.done() && !parser.finished()) {
        cb.on_done(MakeError(ErrorCode::kUnavailable, where + " closed the stream before it finished (" +
                                                          std::to_string(parser.deltas()) + " chunks received)"));
        return;
      }
      GenerationResult res;
      res.finish_reason = parser.finished() ? parser.finish_reason() : "stop";
      res.prompt_tokens = parser.prompt_tokens();
      res.completion_tokens = parser.has_usage() ? parser.completion_tokens() : parser.deltas();
      res.tool_calls = parser.tool_calls();
      cb.on_done(res);
    }).detach();
    return std::shared_ptr<Generation>(gen);
  }

 private:
  OpenAiBackendOptions o_;
};

}  // namespace

Status SseChatParser::Feed(std::string_view data, const std::function<bool(std::string_view)>& on_delta) {
  buf_.append(data);
  if (buf_.size() > (8u << 20)) return InvalidArgument("SSE event larger than 8 MiB");
  while (true) {
    size_t nl = buf_.find('\n');
    if (nl == std::string::npos) return OkStatus();
    std::string line = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("data:", 0) != 0) continue;  // comments, "event:", blank separators
    std::string_view payload(line);
    payload.remove_prefix(5);
    while (!payload.empty() && payload.front() == ' ') payload.remove_prefix(1);
    LT_TRY_STATUS(Event(payload, on_delta));
    if (stopped_ || done_) return OkStatus();
  }
}

Status SseChatParser::Event(std::string_view data, const std::function<bool(std::string_view)>& on_delta) {
  if (data == "[DONE]") {
    done_ = true;
    return OkStatus();
  }
  json j = ParseJson(data);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("malformed JSON in an SSE data line");
  if (j.contains("error")) {
    const json& e = j["error"];
    std::string msg = e.is_object() && e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>()
                                                                                        : e.dump();
    return MakeError(ErrorCode::kUnavailable, "stream error: " + msg);
  }
  if (j.contains("usage") && j["usage"].is_object()) {
    const json& u = j["usage"];
    has_usage_ = true;
    if (u.contains("prompt_tokens") && u["prompt_tokens"].is_number_unsigned()) prompt_tokens_ = u["prompt_tokens"].get<uint32_t>();
    if (u.contains("completion_tokens") && u["completion_tokens"].is_number_unsigned()) {
      completion_tokens_ = u["completion_tokens"].get<uint32_t>();
    }
  }
  if (!j.contains("choices") || !j["choices"].is_array()) return OkStatus();
  for (const json& c : j["choices"]) {
    if (!c.is_object()) continue;
    const json* piece = nullptr;  // chat: delta.content; text completion: text
    if (c.contains("delta") && c["delta"].is_object() && c["delta"].contains("content") &&
        c["delta"]["content"].is_string()) {
      piece = &c["delta"]["content"];
    } else if (c.contains("text") && c["text"].is_string()) {
      piece = &c["text"];
    }
    if (c.contains("delta") && c["delta"].is_object() && c["delta"].contains("tool_calls") &&
        !c["delta"]["tool_calls"].is_null()) {
      if (!openai::MergeToolCallDeltas(&tool_calls_, c["delta"]["tool_calls"])) {
        return InvalidArgument("malformed tool_calls in a stream delta");
      }
    }
    if (piece != nullptr) {
      const std::string& s = piece->get_ref<const std::string&>();
      if (!s.empty()) {
        ++deltas_;
        if (!on_delta(s)) {
          stopped_ = true;
          return OkStatus();
        }
      }
    }
    if (c.contains("finish_reason") && c["finish_reason"].is_string()) finish_reason_ = c["finish_reason"].get<std::string>();
  }
  return OkStatus();
}

Result<std::unique_ptr<Backend>> MakeOpenAiBackend(const OpenAiBackendOptions& options) {
  if (options.base_url.rfind("http://", 0) != 0) {
    return InvalidArgument("openai backend upstream must be an http:// URL, got '" + options.base_url + "'");
  }
  OpenAiBackendOptions o = options;
  while (!o.base_url.empty() && o.base_url.back() == '/') o.base_url.pop_back();
  if (o.base_url.size() >= 3 && o.base_url.substr(o.base_url.size() - 3) == "/v1") o.base_url.resize(o.base_url.size() - 3);
  return std::unique_ptr<Backend>(new OpenAiBackend(std::move(o)));
}

}  // namespace lt::provider
