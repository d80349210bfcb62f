// Forward pass of a llama-family transformer over a batch of consecutive tokens of one sequence:
// RMSNorm, q/k/v projections (plus biases for qwen2), RoPE (adjacent pairs for llama, halves for
// qwen2, llama3 frequency factors when the model has them), grouped-query causal attention over
// the sequence's KV cache, SwiGLU FFN, final RMSNorm, classifier.
//
// A batch of n tokens goes through matrix-matrix products (kernels.h MatMulRows, rows split over
// the ThreadPool), so a prompt is prefilled in blocks of up to kMaxBatch tokens and the KV cache
// is filled in one pass; a batch of 1 is a decode step. Prefill and step-by-step decoding give
// the same logits up to float summation order (tested to 1e-4).
//
// RunState owns the activations and the KV cache of one sequence (one session); the cache grows
// on demand up to the context it was made for. It references the Model, which must outlive it.
// Thread-safety: a RunState is used by one thread at a time; several RunStates may share a Model.
#ifndef LT_ENGINE_FORWARD_H_
#define LT_ENGINE_FORWARD_H_

#include <initializer_list>
#include <memory>
#include <vector>

#include "engine/model.h"
#include "engine/thread_pool.h"

namespace lt::engine {

constexpr int kMaxBatch = 512;

class RunState {
 public:
  // context: positions the KV cache may hold (0 or more than the model's: the model's seq_len).
  explicit RunState(std::shared_ptr<const Model> model, int context = 0);
  const Model& model() const { return *model_; }
  int context() const { return context_; }

  // Runs tokens[0..n) at positions pos..pos+n-1; positions below pos must already be in the
  // cache (from earlier calls). Callers check 0 < n, pos + n <= context() and token ids.
  // Returns the logits of the last token ([vocab]) or, with all_logits, of every token
  // ([n][vocab]); the buffer is owned by this state and valid until the next call.
  float* Forward(const int* tokens, int n, int pos, ThreadPool* pool, bool all_logits = false);
  // One token (a decode step).
  float* Forward(int token, int pos, ThreadPool* pool) { return Forward(&token, 1, pos, pool); }

  // Bytes held by the KV cache now.
  size_t CacheBytes() const;

 private:
  void Reserve(int positions);
  float* ForwardBlock(const int* tokens, int n, int pos, ThreadPool* pool, bool all_logits, float* logits_out);

  std::shared_ptr<const Model> model_;
  int context_ = 0;
  int capacity_ = 0;                         // positions allocated in the caches
  std::vector<std::vector<float>> k_, v_;    // per layer: [capacity][kv_dim]
  std::vector<float> x_, xb_, xb2_, q_, hb_, hb2_, logits_, rope_;
  Activations acts_;
};

// y_j = W_j x for several matrices sharing the input rows of `acts` (rows split into chunks over
// the pool); y_j row t at y + t*ldy.
struct MatMulJob {
  const Matrix* w;
  float* y;
  int64_t ldy;
};
void MatMulParallel(ThreadPool* pool, Activations& acts, std::initializer_list<MatMulJob> jobs);

}  // namespace lt::engine

#endif  // LT_ENGINE_FORWARD_H_
