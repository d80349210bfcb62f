// Forward pass of a llama-architecture transformer for one token at one position, as llama2.c's
// run.c computes it: RMSNorm (eps from the model), RoPE on adjacent pairs (2i, 2i+1) of each
// head, grouped-query causal attention over a per-session KV cache, SwiGLU FFN, final RMSNorm,
// classifier. Matrix-vector products are split over a ThreadPool (Q, K and V in one parallel
// loop, W1 and W3 in one).
//
// RunState owns the activations and KV cache of one sequence (one session); it references the
// Model it was made for, which must outlive it. Thread-safety: a RunState is used by one thread
// at a time; several RunStates may share one Model.
#ifndef LT_ENGINE_FORWARD_H_
#define LT_ENGINE_FORWARD_H_

#include <memory>
#include <vector>

#include "engine/model.h"
#include "engine/thread_pool.h"

namespace lt::engine {

class RunState {
 public:
  explicit RunState(std::shared_ptr<const Model> model);
  const Model& model() const { return *model_; }
  // Logits over the vocabulary for `token` at position `pos` (0 <= pos < seq_len; both checked by
  // callers). The returned buffer is owned by this state and valid until the next call.
  float* Forward(int token, int pos, ThreadPool* pool);

 private:
  std::shared_ptr<const Model> model_;
  std::vector<float> x_, xb_, xb2_, hb_, hb2_, q_, att_, logits_;
  std::vector<float> key_cache_, value_cache_;  // [layer][seq_len][kv_dim]
  std::vector<BlockQ8_0> xq_;                    // quantized input for Q8_0 matrices
};

// Parallel y = W x for several matrices sharing one input x (rows split into chunks).
struct MatVecJob {
  const Matrix* w;
  float* y;
};
void MatVecParallel(ThreadPool* pool, const float* x, int64_t n, std::vector<BlockQ8_0>& xq_scratch,
                    std::initializer_list<MatVecJob> jobs);

}  // namespace lt::engine

#endif  // LT_ENGINE_FORWARD_H_
