// Kernels: the numeric inner loops of the engine (matrix-vector products, fp16 and Q8_0).
//
// A Matrix is a read-only view of a row-major [rows][cols] weight matrix stored as F32, F16 or
// Q8_0 (blocks of 32 int8 with one fp16 scale, exactly ggml's block_q8_0). The view does not own
// its bytes: the Model that made it keeps them alive. The type ids are ggml's (they reach disk in
// GGUF files): never renumber.
//
// MatVecRows computes y[r] = dot(W[r], x) for a range of rows, so callers can split the rows over
// threads. Two implementations: AVX2+FMA+F16C (chosen at run time when the CPU has them) and a
// portable one; SetIsa lets tests and benchmarks force either. For Q8_0 the vector is first
// quantized to Q8_0 too (like ggml) and the dot products run on int8.
// Thread-safety: all functions are pure; SetIsa is meant for start-up and tests.
#ifndef LT_ENGINE_KERNELS_H_
#define LT_ENGINE_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lt::engine {

enum class DType : uint32_t { kF32 = 0, kF16 = 1, kQ8_0 = 8 };

std::string_view DTypeName(DType t);

constexpr int kQ8Block = 32;
struct BlockQ8_0 {
  uint16_t d;  // fp16 scale
  int8_t qs[kQ8Block];
};
static_assert(sizeof(BlockQ8_0) == 34, "block_q8_0 must be 34 bytes like ggml");

// Bytes of one row of `cols` elements; Q8_0 needs cols % 32 == 0 (0 is returned otherwise).
size_t RowBytes(DType t, int64_t cols);

float F16ToF32(uint16_t h);
uint16_t F32ToF16(float f);  // round to nearest even, like F16C

struct Matrix {
  DType type = DType::kF32;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  const uint8_t* Row(int64_t r) const { return data + static_cast<size_t>(r) * RowBytes(type, cols); }
  size_t Bytes() const { return static_cast<size_t>(rows) * RowBytes(type, cols); }
};

// Writes the `cols` floats of row r.
void DequantizeRow(const Matrix& m, int64_t r, float* out);
// Quantizes n floats (n % 32 == 0) into n/32 blocks, ggml's reference rounding.
void QuantizeRowQ8_0(const float* x, BlockQ8_0* out, int64_t n);

enum class Isa { kPortable, kAvx2 };
Isa DetectIsa();              // what this CPU supports
Isa ActiveIsa();              // what the kernels use now (DetectIsa() unless forced)
void SetIsa(Isa isa);         // forcing kAvx2 on a CPU without it falls back to portable
std::string_view IsaName(Isa isa);

// y[r] = dot(W[r], x) for r in [r0, r1). For Q8_0, xq holds x quantized by QuantizeRowQ8_0.
void MatVecRows(const Matrix& w, const float* x, const BlockQ8_0* xq, float* y, int64_t r0, int64_t r1);

}  // namespace lt::engine

#endif  // LT_ENGINE_KERNELS_H_
