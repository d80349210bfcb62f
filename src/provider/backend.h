// Backend: where a provider's inference actually runs (DESIGN §7). One interface, several
// implementations chosen per model in provider.toml:
//   builtin  the in-process CPU engine (src/engine), see MakeBuiltinBackend
//   openai   any OpenAI-compatible server (llama.cpp server, vLLM, Ollama, `lt engine serve`),
//            forwarded over HTTP with SSE streaming, see MakeOpenAiBackend
//
// A generation is a streamed chat completion: Start() takes an OpenAI chat-completion request
// body, or a legacy text-completion body ("prompt", no "messages": openai/completion_request.h)
// (JSON; "stream" is implied) and returns at once; the backend then calls on_chunk with each
// text delta, in order, and finally on_done exactly once — with the finish reason and usage, or
// with an error that carries the backend's own message (an upstream failure is never reported
// as an empty success). on_chunk returning false, or Generation::Cancel(), stops the generation
// early; on_done still arrives (with kUnavailable "cancelled"). Callbacks run on a backend
// thread, never inside Start(), and must not block for long.
//
// Ownership: the caller keeps the shared_ptr<Generation> while it may cancel; dropping it does
// not cancel. The backend outlives its generations (the caller destroys it last).
// Thread-safety: Start and Cancel may be called from any thread.
#ifndef LT_PROVIDER_BACKEND_H_
#define LT_PROVIDER_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "util/result.h"

namespace lt::provider {

struct GenerationResult {
  std::string finish_reason = "stop";  // "stop", "length", ...
  uint32_t prompt_tokens = 0;
  uint32_t completion_tokens = 0;
  nlohmann::json tool_calls;  // the upstream's tool calls, whole (openai backend), or null
  uint32_t cached_tokens = 0;  // prompt tokens whose KV cache was reused (builtin backend)
};

struct GenerationCallbacks {
  std::function<bool(std::string_view delta)> on_chunk;
  std::function<void(Result<GenerationResult>)> on_done;
};

class Generation {
 public:
  virtual ~Generation() = default;
  virtual void Cancel() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // "builtin" or "openai".
  virtual std::string_view kind() const = 0;
  // Errors only for a request the backend can refuse at once (bad JSON shape); everything
  // later arrives through on_done.
  virtual Result<std::shared_ptr<Generation>> Start(const nlohmann::json& request, GenerationCallbacks cb) = 0;
  // Whether the backend can serve now (the openai backend asks its upstream; the builtin one
  // always can). Called by provider/upstream_health.h, never on a session's thread.
  virtual Status CheckHealth() { return OkStatus(); }
};

struct OpenAiBackendOptions {
  std::string base_url;        // "http://127.0.0.1:8080" (the /v1/chat/completions is appended)
  std::string upstream_model;  // replaces "model" in forwarded requests when not empty
  std::string api_key;         // sent as "Authorization: Bearer ..." when not empty
  int connect_timeout_ms = 3000;
  int read_timeout_ms = 120000;
  int health_timeout_ms = 2000;  // connect and read of a health check
};

Result<std::unique_ptr<Backend>> MakeOpenAiBackend(const OpenAiBackendOptions& options);

struct BuiltinBackendOptions {
  std::string model_path;      // llama2.c checkpoint or GGUF
  std::string tokenizer_path;  // tok512.bin etc. (llama2.c); empty for GGUF
  int threads = 0;             // 0 = hardware concurrency
  int slots = 1;               // generations at once (the offer's slots); more wait in the engine's queue
  uint64_t seed = 0;           // 0 = random
};

// The in-process engine. kUnavailable when this build has no engine yet.
Result<std::unique_ptr<Backend>> MakeBuiltinBackend(const BuiltinBackendOptions& options);

// Incremental parser of an OpenAI chat-completion (or text-completion: choices[].text) SSE
// stream (exposed for tests and fuzzing). Usage is the upstream's last usage object; tool-call
// deltas are merged into whole calls (openai/response.h).
class SseChatParser {
 public:
  // Feeds bytes; emits deltas through on_delta. Returns an error for an upstream error event
  // or malformed JSON in a data line.
  Status Feed(std::string_view data, const std::function<bool(std::string_view)>& on_delta);
  bool done() const { return done_; }            // saw "data: [DONE]"
  bool finished() const { return !finish_reason_.empty(); }
  const std::string& finish_reason() const { return finish_reason_; }
  uint32_t deltas() const { return deltas_; }
  uint32_t prompt_tokens() const { return prompt_tokens_; }
  uint32_t completion_tokens() const { return completion_tokens_; }
  bool stopped() const { return stopped_; }      // on_delta returned false
  bool has_usage() const { return has_usage_; }  // the upstream sent a usage object
  const nlohmann::json& tool_calls() const { return tool_calls_; }  // null when none

 private:
  Status Event(std::string_view data, const std::function<bool(std::string_view)>& on_delta);
  std::string buf_;
  std::string finish_reason_;
  uint32_t deltas_ = 0, prompt_tokens_ = 0, completion_tokens_ = 0;
  bool done_ = false, stopped_ = false, has_usage_ = false;
  nlohmann::json tool_calls_;
};

}  // namespace lt::provider

#endif  // LT_PROVIDER_BACKEND_H_
