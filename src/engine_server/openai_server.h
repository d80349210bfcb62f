// OpenAiServer: an OpenAI-compatible HTTP API over an Engine, in the manner of llama.cpp's
// server. Routes: GET /health, GET /v1/models, GET /v1/models/{id}, POST /v1/chat/completions
// (plain JSON or, with "stream": true, Server-Sent Events of chat.completion.chunk objects ending
// with "data: [DONE]"), POST /v1/completions (the legacy text completion, same machinery;
// openai/completion_request.h). Answers are written by openai/response.h. Unknown routes get
// 404, known routes under another method 405 (catch-all GET/POST/DELETE routes registered
// last), bodies over max_body_bytes 413, in OpenAI's shape (a body over the HTTP server's own cap,
// // 4 MiB in `lt engine serve`, gets net's 413 before any handler runs). A response_format other
// than text, and a tool_choice that forces a call, get a 400 naming the field
// (openai::CheckBuiltinEngine).
// Tools: with `tools` (tool_choice "auto" or absent) the prompt carries them and the answer is
// held back until generation ends, then parsed for tool calls (engine/tool_calls.h): calls come
// back as message.tool_calls (ids "call_<hex>") with finish_reason "tool_calls", the text
// outside them as content (null when none); streamed, as one content delta and one tool_calls
// delta before the closing chunk. Malformed call text stays content.
//
// The prompt is the conversation through the model's chat template (engine/chat_template.h,
// doc/engine.md "Prompt format"). Honoured fields: model (must match the
// served name when given), messages, max_tokens / max_completion_tokens, temperature (0..2, 0 is
// greedy), top_p (0..1], seed, stop (string or up to 4 strings), stream, stream_options.
// include_usage, n (only 1), tools, tool_choice ("auto", "none"). Bad input is a 4xx with an OpenAI-shaped body
// {"error":{"message","type","param","code"}}; handlers never throw.
// Threads: HTTP threads only parse, queue the request on the engine and format the callbacks'
// output; all inference runs on the engine thread. Thread-safety: handlers are thread-safe;
// the Engine must outlive the server.
#ifndef LT_ENGINE_SERVER_OPENAI_SERVER_H_
#define LT_ENGINE_SERVER_OPENAI_SERVER_H_

#include <atomic>
#include <string>

#include "engine/engine.h"
#include "net/http.h"
#include "openai/response.h"

namespace lt::engine_server {

struct OpenAiServerOptions {
  std::string model_name = "model";
  size_t max_body_bytes = 1 << 20;  // larger request bodies get 413
  int request_timeout_seconds = 600;
};

class OpenAiServer {
 public:
  OpenAiServer(engine::Engine* engine, OpenAiServerOptions options);
  // Registers the routes on `http` (before http.Run()).
  void Register(net::HttpServer& http);

  net::HttpResponse Health(const net::HttpRequest& req);
  net::HttpResponse Models(const net::HttpRequest& req);
  net::HttpResponse ChatCompletions(const net::HttpRequest& req);
  net::HttpResponse Completions(const net::HttpRequest& req);
  // A route that does not exist: 404 unknown_url, or 405 (with Allow) on a known route.
  static net::HttpResponse NoRoute(const net::HttpRequest& req);

 private:
  nlohmann::json ModelJson() const;
  std::string NewId();
  net::HttpResponse Complete(const net::HttpRequest& req, openai::Kind kind);

  engine::Engine* engine_;
  OpenAiServerOptions options_;
  int64_t created_;
  std::atomic<uint64_t> counter_{0};
};

// {"error":{"message","type","param","code"}} with the given HTTP status.
net::HttpResponse OpenAiError(int status, std::string_view message, std::string_view type = "invalid_request_error",
                              std::string_view code = "", std::string_view param = "");

}  // namespace lt::engine_server

#endif  // LT_ENGINE_SERVER_OPENAI_SERVER_H_
