// Sampler: picks the next token from logits exactly as llama2.c's run.c does, bit for bit:
// temperature 0 is argmax; otherwise logits are divided by the temperature, softmaxed, and one
// xorshift draw (random_f32) picks a token by the full distribution (top_p <= 0 or >= 1) or by
// nucleus (top-p) sampling with run.c's cutoff pre-filter and stable descending sort.
// Ownership: plain value with its RNG state. Thread-safety: one thread at a time.
#ifndef LT_ENGINE_SAMPLER_H_
#define LT_ENGINE_SAMPLER_H_

#include <cstdint>
#include <vector>

namespace lt::engine {

// run.c's xorshift64* generator.
uint32_t RandomU32(uint64_t* state);
float RandomF32(uint64_t* state);

struct SamplingParams {
  float temperature = 1.0f;
  float top_p = 0.9f;
  uint64_t seed = 0;  // 0: picked from the clock, like run.c
};

class Sampler {
 public:
  Sampler(int vocab_size, SamplingParams params);
  // Modifies logits in place (like run.c).
  int Sample(float* logits);
  uint64_t seed() const { return seed_; }

 private:
  struct ProbIndex {
    float prob;
    int index;
  };
  int SampleTopP(const float* probs, float coin);

  int vocab_size_;
  SamplingParams params_;
  uint64_t seed_;
  uint64_t state_;
  std::vector<ProbIndex> probindex_;
};

}  // namespace lt::engine

#endif  // LT_ENGINE_SAMPLER_H_
