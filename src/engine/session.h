// Session: one generation in progress (run.c's generate loop, one step at a time), with its
// prompt prefilled in one batched pass and, optionally, a KV cache reused from an earlier turn.
//
// The prompt tokens (as the caller built them, usually starting with BOS) are evaluated in one
// batch (forward.h) on the first Next(); then each Next() yields the forced prompt tokens one by
// one (no computation, so the pieces of all steps concatenated are exactly what llama2.c's run
// prints: the prompt text followed by the generated text), then one sampled token per forward
// step. Generation ends when `steps` positions are done (prompt included, clamped to the
// context), or when an end-of-generation token is sampled (Tokenizer::IsEog; for llama2.c
// models also BOS, as run.c).
// Prompt caching: a Session made with a KvCache keeps the longest common prefix of the cached
// tokens and the new prompt (at most prompt - 1 tokens, so the last prompt token is always
// evaluated) and prefills only the rest; the output is the same as a cold start (tested).
// TakeCache() hands the cache back with the tokens it holds, for the next turn.
// Each Session owns its RunState (KV cache) and Sampler. Thread-safety: one thread at a time;
// sessions are independent of each other.
#ifndef LT_ENGINE_SESSION_H_
#define LT_ENGINE_SESSION_H_

#include <memory>
#include <string_view>
#include <vector>

#include "engine/forward.h"
#include "engine/sampler.h"

namespace lt::engine {

enum class FinishReason { kNone, kStop, kLength };

// A sequence's KV cache and the tokens whose keys and values it holds (positions 0..n-1).
struct KvCache {
  std::unique_ptr<RunState> state;
  std::vector<int> tokens;
};

class Session {
 public:
  Session(std::shared_ptr<const Model> model, std::vector<int> prompt_tokens, int steps, SamplingParams sampling);
  // Reuses `cache` (made for the same model; an empty cache is a cold start).
  Session(std::shared_ptr<const Model> model, KvCache cache, std::vector<int> prompt_tokens, int steps,
          SamplingParams sampling);

  struct Step {
    int token = 0;
    std::string_view piece;  // valid until the next call
    bool prompt = false;     // a forced prompt token, not a generated one
  };
  // One step; false once finished (then `out` is untouched).
  bool Next(ThreadPool* pool, Step* out);

  bool done() const { return reason_ != FinishReason::kNone; }
  FinishReason finish_reason() const { return reason_; }
  int prompt_tokens() const { return static_cast<int>(prompt_.size()); }
  int reused_tokens() const { return reused_; }  // prompt tokens whose KV came from the cache
  int generated_tokens() const { return generated_; }
  int pos() const { return computed_; }  // positions evaluated so far
  uint64_t seed() const { return sampler_.seed(); }
  // The logits the next sampled token is drawn from (valid after the prompt is prefilled).
  const std::vector<float>& logits() const { return logits_; }
  // The KV cache and the tokens it holds; the session must not be stepped afterwards.
  KvCache TakeCache();

 private:
  void Init(int steps);
  bool Stops(int token) const;

  std::shared_ptr<const Model> model_;
  KvCache cache_;
  Sampler sampler_;
  std::vector<int> prompt_;
  std::vector<float> logits_;
  int steps_;
  int reused_ = 0;
  int computed_ = 0;        // positions in the KV cache
  int reported_ = 1;        // prompt tokens reported so far (the first is never reported)
  bool prefilled_ = false;
  bool need_forward_ = false;
  int token_ = 0;           // the last token reported
  int generated_ = 0;
  FinishReason reason_ = FinishReason::kNone;
};

}  // namespace lt::engine

#endif  // LT_ENGINE_SESSION_H_
