// Engine kernels: matrix-vector product (768x2048-class shapes) for F32, F16 and Q8_0 with the
// SIMD and portable kernels, single-threaded, and the shipped model's decode step. The counters
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
    uint8_t* dst = w.bytes.data() + RowBytes(t, cols) * static_cast<size_t>(r);
    if (t == DType::kF32) {
      std::memcpy(dst, row.data(), row.size() * 4);
    } else if (t == DType::kF16) {
      for (int j = 0; j < cols; ++j) {
        uint16_t h = F32ToF16(row[static_cast<size_t>(j)]);
        std::memcpy(dst + 2 * j, &h, 2);
      }
    } else {
      QuantizeRowQ8_0(row.data(), reinterpret_cast<BlockQ8_0*>(dst), cols);
    }
  }
  w.m = Matrix{t, w.bytes.data(), rows, cols};
  return w;
}

void BM_MatVec(benchmark::State& state) {
  const DType t = static_cast<DType>(state.range(0));
  const bool portable = state.range(1) != 0;
  const int rows = 2048, cols = 768;
  Weights w = Make(t, rows, cols);
  std::vector<float> x(cols, 0.5f), y(rows);
  std::vector<BlockQ8_0> xq(cols / kQ8Block);
  QuantizeRowQ8_0(x.data(), xq.data(), cols);
  SetIsa(portable ? Isa::kPortable : DetectIsa());
  for (auto _ : state) {
    MatVecRows(w.m, x.data(), xq.data(), y.data(), 0, rows);
    benchmark::DoNotOptimize(y.data());
  }
  SetIsa(DetectIsa());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(w.m.Bytes()));
  state.SetLabel(std::string(DTypeName(t)) + (portable ? " portable" : " simd"));
}
BENCHMARK(BM_MatVec)->ArgsProduct({{0, 1, 8}, {0, 1}});

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
