// Engine kernels: matrix products (2048x768 weights, 1 and 64 tokens) for every weight type
// with the SIMD and portable kernels, single-threaded, and the shipped model's decode step. The counters
// report weight bytes per second; compare with `lt bench engine`, which also measures the
// memory-bandwidth ceiling in the same run.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "engine/bench.h"
#include "engine/forward.h"
#include "engine/kernels.h"
#include "engine/model.h"

namespace lt::engine {
namespace {

struct Weights {
  std::vector<uint8_t> bytes;
  Matrix m;
};

Weights Make(DType t, int rows, int cols) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  Weights w;
  w.bytes.resize(RowBytes(t, cols) * static_cast<size_t>(rows));
  std::vector<float> row(static_cast<size_t>(cols));
  for (int r = 0; r < rows; ++r) {
    for (auto& x : row) x = u(rng);
    QuantizeRow(t, row.data(), w.bytes.data() + RowBytes(t, cols) * static_cast<size_t>(r), cols);
  }
  w.m = Matrix{t, w.bytes.data(), rows, cols};
  return w;
}

// One 2048x768 weight matrix times n activation rows (n = 1: a decode step; n = 64: prefill).
void BM_MatMul(benchmark::State& state) {
  const DType t = static_cast<DType>(state.range(0));
  const bool portable = state.range(1) != 0;
  const int n = static_cast<int>(state.range(2));
  const int rows = 2048, cols = 768;
  Weights w = Make(t, rows, cols);
  std::vector<float> x(static_cast<size_t>(cols) * n), y(static_cast<size_t>(rows) * n);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 101) / 50.0f - 1.0f;
  Activations a;
  a.Set(x.data(), cols, n, cols);
  a.Prepare(ActivationType(t));
  if (portable) SetIsa(Isa::kPortable);
  for (auto _ : state) {
    MatMulRows(w.m, a, y.data(), rows, 0, rows);
    benchmark::DoNotOptimize(y.data());
  }
  ResetIsa();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(w.m.Bytes()));
  state.counters["MAC/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * rows * cols * n, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(DTypeName(t)) + (portable ? " portable" : " simd") + " n=" + std::to_string(n));
}
BENCHMARK(BM_MatMul)->ArgsProduct({{0, 1, 30, 2, 8, 12, 13, 14}, {0, 1}, {1, 64}});

void BM_ShippedModelDecodeStep(benchmark::State& state) {
  auto m = Model::Load(std::string(LT_MODELS_DIR) + "/stories260K.bin", std::string(LT_MODELS_DIR) + "/tok512.bin");
  if (!m.ok()) {
    state.SkipWithError(m.error().message.c_str());
    return;
  }
  RunState st(*m);
  int pos = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(st.Forward(1, pos, nullptr));
    pos = (pos + 1) % 256;
  }
  state.counters["tok/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ShippedModelDecodeStep);

void BM_MemoryBandwidthCeiling(benchmark::State& state) {
  double bw = 0;
  for (auto _ : state) bw = MeasureReadBandwidth(0, size_t{256} << 20, 1);
  state.counters["GB/s"] = bw / 1e9;
}
BENCHMARK(BM_MemoryBandwidthCeiling)->Iterations(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lt::engine

BENCHMARK_MAIN();
