// Engine kernels: matrix products (2048x768 weights, 1 and 64 tokens) for every weight type
// with the SIMD and portable kernels, single-threaded, and the shipped model's decode step. The counters
// report weight bytes per second; compare with `lt bench engine`, which also measures the
// memory-bandwidth ceiling in the same run.
#include <benchmark/benchmark.h>

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "engine/bench.h"
#include "engine/forward.h"
#include "engine/kernels.h"
#include "engine/model.h"
#include "engine/pack.h"

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

// Packed weights on the AVX-512 kernels (what a model's matrices run on): `count` matrices of
// rows x cols, each product run in turn, so with count * size above the L3 the weights stream
// from memory as in a decode step of a big model; with one small matrix they stay in cache and
// the figure is the kernel's arithmetic alone.
void BM_PackedMatMul(benchmark::State& state) {
  const DType t = static_cast<DType>(state.range(0));
  const int rows = static_cast<int>(state.range(1)), cols = static_cast<int>(state.range(2));
  const int n = static_cast<int>(state.range(3)), count = static_cast<int>(state.range(4));
  const bool packed = state.range(5) != 0;  // 0: the same matrices unpacked (the row kernels)
  if (DetectIsa() != Isa::kAvx512 || !Packable(t, rows, cols)) {
    state.SkipWithError("no packed kernels for this type or CPU");
    return;
  }
  Weights w = Make(t, rows, cols);
  const size_t one = packed ? PackedGroupBytes(t, cols) * static_cast<size_t>(rows / kPackRows) : (w.m.Bytes() + 63) / 64 * 64;
  const size_t total = (one * count + (size_t{2} << 20) - 1) / (size_t{2} << 20) * (size_t{2} << 20);
  auto* buf = static_cast<uint8_t*>(std::aligned_alloc(size_t{2} << 20, total));
  ::madvise(buf, total, MADV_HUGEPAGE);
  for (int i = 0; i < count; ++i) {
    if (packed) {
      PackGroups(t, w.m.data, cols, 0, rows / kPackRows, buf + one * i);
    } else {
      std::memcpy(buf + one * i, w.m.data, w.m.Bytes());
    }
  }
  std::vector<float> x(static_cast<size_t>(cols) * n), y(static_cast<size_t>(rows) * n);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 101) / 50.0f - 1.0f;
  Activations a;
  a.Set(x.data(), cols, n, cols);
  a.Prepare(ActivationType(t));
  for (auto _ : state) {
    for (int i = 0; i < count; ++i) {
      Matrix m = w.m;
      if (packed) {
        m.packed = buf + one * i;
      } else {
        m.data = buf + one * i;
      }
      MatMulRows(m, a, y.data(), rows, 0, rows);
    }
    benchmark::DoNotOptimize(y.data());
  }
  std::free(buf);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(w.m.Bytes()) * count);
  state.SetLabel(std::string(DTypeName(t)) + (packed ? " packed " : " rows ") + std::to_string(rows) + "x" +
                 std::to_string(cols) + " n=" + std::to_string(n) + " x" + std::to_string(count));
}
// From memory: 8 matrices of the 1B shape's ffn_gate/up (8192x2048) or ffn_down (2048x8192), about
// 75 MB (Q4_K) to 140 MB (Q8_0), and 32 of 2048x768. In cache (L2): one 1024x256 or 512x2048.
// Q4_0 also unpacked, for comparison with its AVX-512 row kernel; Q5_K and Q6_K packed and
// unpacked (their row kernels are AVX2), decode and 64 tokens.
BENCHMARK(BM_PackedMatMul)
    ->ArgsProduct({{8, 2, 12}, {8192}, {2048}, {1}, {8}, {1}})
    ->ArgsProduct({{8, 2, 12}, {2048}, {8192}, {1}, {8}, {1}})
    ->ArgsProduct({{8, 2, 12}, {2048}, {768}, {1}, {32}, {1}})
    ->ArgsProduct({{8, 2, 12}, {1024}, {256}, {1}, {1}, {1}})
    ->ArgsProduct({{8, 2, 12}, {512}, {2048}, {1}, {1}, {1}})
    ->ArgsProduct({{2}, {8192}, {2048}, {1, 64}, {8}, {0}})
    ->ArgsProduct({{2}, {8192}, {2048}, {64}, {8}, {1}})
    ->ArgsProduct({{13, 14}, {8192}, {2048}, {1, 64}, {8}, {0, 1}})
    ->ArgsProduct({{13, 14}, {512}, {2048}, {1}, {1}, {0, 1}});

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
