// Benchmark helpers for `lt bench engine` and bench/engine_bench.cc: a llama2.c checkpoint with
// random weights of any size (written to a file), the memory bandwidth of this machine (a
// multi-threaded streaming read over a buffer far larger than the caches), and a decode-speed
// measurement. Not used on any serving path. Thread-safety: free functions, no shared state.
#ifndef LT_ENGINE_BENCH_H_
#define LT_ENGINE_BENCH_H_

#include <memory>
#include <string>
#include <vector>

#include "engine/model.h"

namespace lt::engine {

// Writes a llama2.c checkpoint (shared classifier) with uniform random weights in
// [-0.5, 0.5] / sqrt(fan_in) and norms of 1, plus a matching tokenizer file of vocab_size pieces.
Status WriteRandomCheckpoint(const ModelConfig& config, const std::string& path, const std::string& tokenizer_path,
                             uint64_t seed = 1);

// Bytes per second read by `threads` threads summing a `bytes`-sized buffer (best of `rounds`).
double MeasureReadBandwidth(int threads, size_t bytes = size_t{1} << 30, int rounds = 3);

struct DecodeSpeed {
  double tokens_per_second = 0;
  double weight_bytes_per_second = 0;  // WeightBytesPerToken * tokens/s
  int tokens = 0;
};
// Greedy decoding of `tokens` tokens from BOS on `threads` threads, after `warmup` tokens.
DecodeSpeed MeasureDecode(std::shared_ptr<const Model> model, int threads, int tokens, int warmup = 2);

// llama-bench's figures: pp<N> (a prompt of N tokens evaluated in one batch, tokens/s) and
// tg<N> (N tokens generated one at a time after a one-token prompt, tokens/s), each the median of
// `reps` runs after a short warm-up run, on a pool of `threads`. The prompt is the same pseudo-random
// token sequence peer.mjs uses.
struct LlamaBenchFigures {
  std::vector<double> pp, tg;  // tokens/s of each run
  std::vector<double> pp_cpu, tg_cpu;  // tokens per CPU-second of the process (all its threads)
  double pp_median = 0, tg_median = 0;
};
LlamaBenchFigures MeasureLlamaBench(std::shared_ptr<const Model> model, int threads, int pp, int tg, int reps);
double Median(std::vector<double> v);
// Resident memory of this process (VmRSS), bytes.
size_t ResidentBytes();

}  // namespace lt::engine

#endif  // LT_ENGINE_BENCH_H_
