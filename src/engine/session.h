// Session: one generation in progress (run.c's generate loop, one step at a time).
//
// The prompt tokens (starting with BOS) are forced first, then tokens are sampled. Each step runs
// one forward pass and yields the next token and its printable piece (Tokenizer::Decode of the
// previous and next token), so the pieces of all steps concatenated are exactly what llama2.c's
// run prints: the prompt text followed by the generated text. Generation ends when `steps`
// positions are done (prompt included, clamped to the context length), or when BOS or EOS is
// sampled (run.c stops on BOS; we also stop on EOS). Each Session owns its RunState (KV cache) and
// Sampler. Thread-safety: one thread at a time; sessions are independent of each other.
#ifndef LT_ENGINE_SESSION_H_
#define LT_ENGINE_SESSION_H_

#include <memory>
#include <string_view>
#include <vector>

#include "engine/forward.h"
#include "engine/sampler.h"

namespace lt::engine {

enum class FinishReason { kNone, kStop, kLength };

class Session {
 public:
  Session(std::shared_ptr<const Model> model, std::vector<int> prompt_tokens, int steps, SamplingParams sampling);

  struct Step {
    int token = 0;
    std::string_view piece;  // valid until the next call
    bool prompt = false;     // a forced prompt token, not a generated one
  };
  // One forward pass; false once finished (then `out` is untouched).
  bool Next(ThreadPool* pool, Step* out);

  bool done() const { return reason_ != FinishReason::kNone; }
  FinishReason finish_reason() const { return reason_; }
  int prompt_tokens() const { return static_cast<int>(prompt_.size()); }
  int generated_tokens() const { return generated_; }
  int pos() const { return pos_; }
  uint64_t seed() const { return sampler_.seed(); }

 private:
  std::shared_ptr<const Model> model_;
  RunState state_;
  Sampler sampler_;
  std::vector<int> prompt_;
  int steps_;
  int pos_ = 0;
  int token_;
  int generated_ = 0;
  FinishReason reason_ = FinishReason::kNone;
};

}  // namespace lt::engine

#endif  // LT_ENGINE_SESSION_H_
