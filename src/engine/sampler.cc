#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace lt::engine {

uint32_t RandomU32(uint64_t* state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return static_cast<uint32_t>((*state * 0x2545F4914F6CDD1Dull) >> 32);
}

float RandomF32(uint64_t* state) { return static_cast<float>(RandomU32(state) >> 8) / 16777216.0f; }

Sampler::Sampler(int vocab_size, SamplingParams params)
    : vocab_size_(vocab_size), params_(params), seed_(params.seed) {
  if (seed_ == 0) seed_ = static_cast<uint64_t>(static_cast<unsigned int>(std::time(nullptr)));
  state_ = seed_;
  probindex_.resize(static_cast<size_t>(vocab_size));
}

namespace {

int Argmax(const float* p, int n) {
  int max_i = 0;
  float max_p = p[0];
  for (int i = 1; i < n; ++i) {
    if (p[i] > max_p) {
      max_i = i;
      max_p = p[i];
    }
  }
  return max_i;
}

void Softmax(float* x, int size) {
  float max_val = x[0];
  for (int i = 1; i < size; ++i) max_val = std::max(max_val, x[i]);
  float sum = 0.0f;
  for (int i = 0; i < size; ++i) {
    x[i] = std::exp(x[i] - max_val);
    sum += x[i];
  }
  for (int i = 0; i < size; ++i) x[i] /= sum;
}

int SampleMult(const float* p, int n, float coin) {
  float cdf = 0.0f;
  for (int i = 0; i < n; ++i) {
    cdf += p[i];
    if (coin < cdf) return i;
  }
  return n - 1;
}

}  // namespace

int Sampler::SampleTopP(const float* probs, float coin) {
  const int n = vocab_size_;
  const float topp = params_.top_p;
  int n0 = 0;
  const float cutoff = (1.0f - topp) / static_cast<float>(n - 1);
  for (int i = 0; i < n; ++i) {
    if (probs[i] >= cutoff) probindex_[static_cast<size_t>(n0++)] = {probs[i], i};
  }
  // glibc's qsort is a stable merge sort for arrays this size: keep equal probabilities in order.
  std::stable_sort(probindex_.begin(), probindex_.begin() + n0,
                   [](const ProbIndex& a, const ProbIndex& b) { return a.prob > b.prob; });
  float cumulative = 0.0f;
  int last = n0 - 1;
  for (int i = 0; i < n0; ++i) {
    cumulative += probindex_[static_cast<size_t>(i)].prob;
    if (cumulative > topp) {
      last = i;
      break;
    }
  }
  float r = coin * cumulative;
  float cdf = 0.0f;
  for (int i = 0; i <= last; ++i) {
    cdf += probindex_[static_cast<size_t>(i)].prob;
    if (r < cdf) return probindex_[static_cast<size_t>(i)].index;
  }
  return last >= 0 ? probindex_[static_cast<size_t>(last)].index : 0;
}

int Sampler::Sample(float* logits) {
  if (params_.temperature == 0.0f) return Argmax(logits, vocab_size_);
  for (int q = 0; q < vocab_size_; ++q) logits[q] /= params_.temperature;
  Softmax(logits, vocab_size_);
  float coin = RandomF32(&state_);
  if (params_.top_p <= 0.0f || params_.top_p >= 1.0f) return SampleMult(logits, vocab_size_, coin);
  return SampleTopP(logits, coin);
}

}  // namespace lt::engine
