// Engine: one engine thread that owns the thread pool and runs every session, fed by a queue.
//
// Callers (HTTP threads, the CLI) Submit a Request and get callbacks; they never touch the model
// themselves. The engine thread admits up to `slots` sessions at once (the rest wait in FIFO
// order) and interleaves them: one forward step of each active session per round, so a long
// generation does not starve a short one. Each session has its own KV cache and sampler, so the
// output of a session does not depend on what else runs (tests check this).
// Prompts are given as tokens (the caller applies the chat template: Model::tokenizer() exposes
// the special tokens and tokenizer.chat_template) and prefilled in one batched pass.
// Prompt caching: a request with a cache_key leaves its KV cache in the engine under that key
// when it finishes; the next request with the same key reuses the longest common prefix of the
// cached tokens and its prompt, so a multi-turn chat prefills only the new turn. At most
// max_cached caches are kept (least recently used dropped first); DropCache forgets one. A key
// used by a running request is not shared: a second request with it starts cold.
// Without a key, reuse_prefix finds the cache by its tokens: the request starts from the kept
// cache (of an earlier reuse_prefix request, not in use) sharing the longest prefix with its
// prompt, when that prefix is more than one token and at least half of the cache's tokens (so a
// conversation that only shares a system prompt does not take another's cache), and leaves its
// own cache when it finishes. This is how a chat's next turn, which repeats the conversation so
// far, prefills only the new turn without the caller naming the conversation.
// Callbacks run on the engine thread and must be quick (push to a queue, not block on I/O):
// on_token for every generated token (returning false stops that session: client gone or a stop
// string seen), then on_done exactly once, also when the engine shuts down.
// Thread-safety: Submit and the accessors may be called from any thread.
#ifndef LT_ENGINE_ENGINE_H_
#define LT_ENGINE_ENGINE_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/model.h"
#include "engine/sampler.h"
#include "engine/session.h"

namespace lt::engine {

struct EngineOptions {
  int threads = 0;      // matmul threads (0: all CPUs)
  int slots = 4;        // sessions generating at once
  int max_queue = 64;   // waiting requests beyond the slots; more are refused
  int max_cached = 16;  // KV caches kept for cache keys between requests
};

struct Completion {
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int cached_tokens = 0;                      // prompt tokens whose KV came from the cache
  FinishReason reason = FinishReason::kNone;  // kStop: EOS/BOS or stopped by on_token; kLength
  bool cancelled = false;                     // on_token returned false
  Status status;                              // not ok when shut down before finishing
};

struct Request {
  std::vector<int> prompt_tokens;  // usually starts with BOS (Tokenizer::Tokenize(text, true, true))
  std::string cache_key;           // non-empty: reuse and keep this conversation's KV cache
  bool reuse_prefix = false;       // no key: reuse the cache with the longest common prefix, keep ours
  int max_new_tokens = 256;        // also bounded by the context length
  SamplingParams sampling;
  std::function<bool(int token, std::string_view piece)> on_token;
  std::function<void(const Completion&)> on_done;
};

class Engine {
 public:
  Engine(std::shared_ptr<const Model> model, EngineOptions options);
  ~Engine();  // finishes waiting and active requests with an error status, joins the thread
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request. kInvalidArgument when the prompt does not fit the context,
  // kResourceExhausted when the queue is full.
  Status Submit(Request request);

  const Model& model() const { return *model_; }
  std::shared_ptr<const Model> shared_model() const { return model_; }
  int threads() const { return threads_; }
  int active() const;
  int waiting() const;
  int cached() const;
  // Forgets the KV cache kept under `key` (no-op when none or in use).
  void DropCache(const std::string& key);

 private:
  struct Active;
  void Loop();

  std::shared_ptr<const Model> model_;
  EngineOptions options_;
  int threads_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  struct Cached {
    std::string key;
    KvCache cache;
  };
  std::deque<Cached> caches_;  // most recently used last; key "" for reuse_prefix caches
  // The reuse_prefix cache to start `prompt` from (caches_.end(): none). Callers hold mu_.
  std::deque<Cached>::iterator LongestPrefix(const std::vector<int>& prompt);
  int active_count_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace lt::engine

#endif  // LT_ENGINE_ENGINE_H_
