// Kernels: the numeric inner loops of the engine — matrix products of weight matrices stored in
// any type of quant.h with the activations of one or many tokens.
//
// A Matrix is a read-only view of a row-major [rows][cols] weight matrix (ggml's [cols, rows]).
// The view does not own its bytes: the Model that made it keeps them alive.
// Activations holds the float activations of n tokens and, prepared once per input, their
// quantized forms (Q8_0 for Q4_0/Q8_0 weights, Q8_K for the K-quants, exactly as ggml rounds),
// so the products run on integers like llama.cpp's.
// MatMulRows computes y[t*ldy + r] = dot(W[r], x_t) for rows [r0, r1) and every token t, so
// callers split rows over threads; for several tokens it works in tiles (one weight row against
// up to 4 tokens, token blocks that stay in cache), which is what makes prefill fast.
// Implementations: AVX-512 VNNI (integer types), AVX2+FMA+F16C and portable, picked at run time
// from what the CPU has; the environment variable LT_ENGINE_ISA=portable|avx2|avx512 lowers the
// choice for a whole process (to run the AVX2-only or portable paths on a bigger CPU), and SetIsa
// lets tests and benchmarks force any level at run time. All compute the same integer sums.
// Thread-safety: MatMulRows is pure and may run concurrently on distinct rows; Activations::
// Prepare* must finish before the products that read it start.
#ifndef LT_ENGINE_KERNELS_H_
#define LT_ENGINE_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/quant.h"

namespace lt::engine {

struct Matrix {
  DType type = DType::kF32;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  // The same weights repacked for the AVX-512 kernels (pack.h), or null; owned by the Model.
  const uint8_t* packed = nullptr;
  size_t RowStride() const { return RowBytes(type, cols); }
  const uint8_t* Row(int64_t r) const { return data + static_cast<size_t>(r) * RowStride(); }
  size_t Bytes() const { return static_cast<size_t>(rows) * RowStride(); }
};

// Writes the `cols` floats of row r.
void DequantizeRow(const Matrix& m, int64_t r, float* out);

// The inputs of a product: n rows of `cols` floats (row t at f32 + t*ldx) and their quantized
// forms. Buffers are reused between calls.
class Activations {
 public:
  // Points at the float rows; forgets earlier quantized forms.
  void Set(const float* x, int64_t ldx, int n, int64_t cols);
  // Quantizes rows [t0, t1) for `act` (kQ8_0 or kQ8_K); Reserve(act) first, then any split of
  // the rows over threads.
  void Reserve(DType act);
  void Quantize(DType act, int t0, int t1);
  // Reserve + Quantize of all rows on the calling thread (no-op for kF32 or when done).
  void Prepare(DType act);
  bool Ready(DType act) const;

  const float* f32() const { return x_; }
  int64_t ldx() const { return ldx_; }
  int n() const { return n_; }
  int64_t cols() const { return cols_; }
  // Row t of the quantized form for `act`. Q8_K rows are ggml's blocks; Q8_0 rows are laid out
  // for the kernels: the nb block scales as floats (ggml's fp16 scale, widened), the nb block
  // sums of the int8 values as int32, then the nb*32 int8 values (Q8ActRowBytes).
  const uint8_t* QRow(DType act, int t) const;

 private:
  const float* x_ = nullptr;
  int64_t ldx_ = 0;
  int n_ = 0;
  int64_t cols_ = 0;
  struct Q {
    std::vector<uint8_t> bytes;
    size_t stride = 0;
    bool reserved = false;
    bool ready = false;
  } q8_0_, q8_k_;
  Q& Slot(DType act) { return act == DType::kQ8_K ? q8_k_ : q8_0_; }
  const Q& Slot(DType act) const { return act == DType::kQ8_K ? q8_k_ : q8_0_; }
};

// Bytes of a Q8_0 activation row of `cols` values (see Activations::QRow).
inline size_t Q8ActRowBytes(int64_t cols) { return static_cast<size_t>(cols / kQK) * (8 + kQK); }
// Quantizes one row into that layout (ggml's rounding; the AVX2 path when active).
void QuantizeActQ8_0(const float* x, uint8_t* out, int64_t cols);

// kAvx512 adds AVX-512 (F, BW, VL, DQ) + VNNI kernels for Q8_0/Q4_0 on top of kAvx2.
enum class Isa { kPortable, kAvx2, kAvx512 };
Isa DetectIsa();       // what this CPU supports
Isa ActiveIsa();       // what the kernels use now (DetectIsa(), lowered by LT_ENGINE_ISA or SetIsa)
void SetIsa(Isa isa);  // forcing more than the CPU has falls back to what it has
void ResetIsa();       // undoes SetIsa (back to DetectIsa() lowered by LT_ENGINE_ISA)
std::string_view IsaName(Isa isa);
std::optional<Isa> IsaFromName(std::string_view name);  // "portable", "avx2", "avx512"

// y[t*ldy + r] = dot(W[r], x_t) for r in [r0, r1), t in [0, x.n()). x must be prepared for
// ActivationType(w.type).
void MatMulRows(const Matrix& w, const Activations& x, float* y, int64_t ldy, int64_t r0, int64_t r1);

// Float vector helpers for attention (dispatched like MatMulRows): dot(a, b) and y += a * x.
float DotF32(const float* a, const float* b, int64_t n);
void AxpyF32(float a, const float* x, float* y, int64_t n);
// One attention head: out[hs] = softmax(scale * q.k_p for p < len) weighted sum of v_p, where
// k_p = k + p*stride and v_p = v + p*stride; att holds len floats of scratch.
void Attend(const float* q, const float* k, const float* v, size_t stride, int len, int hs, float scale, float* att,
            float* out);

// A dot product of one weight row with up to 4 (AVX-512: 8) activation rows (internal to the kernels; the
// per-ISA tables are filled by kernels.cc and kernels_avx2.cc).
using RowKernel = void (*)(const uint8_t* w, int64_t cols, const uint8_t* const* x, int nx, float* out);
RowKernel PortableKernel(DType weight);
RowKernel Avx2Kernel(DType weight);    // nullptr when not built for x86
RowKernel Avx512Kernel(DType weight);  // Q8_0 and Q4_0; nullptr for the others or when not x86-64
float Avx2DotF32(const float* a, const float* b, int64_t n);
bool Avx2Attend(const float* q, const float* k, const float* v, size_t stride, int len, int hs, float scale, float* att,
                float* out);
void Avx2QuantizeActQ8_0(const float* x, uint8_t* out, int64_t cols);
void Avx2QuantizeRowQ8_K(const float* x, BlockQ8_K* out, int64_t cols);
void Avx2AxpyF32(float a, const float* x, float* y, int64_t n);
// The packed-weight products (kernels_packed.cc): rows [r0, r1) (multiples of 16) of a matrix
// with w.packed set, on AVX-512 VNNI; false when the type has no packed kernel.
bool Avx512PackedMatMul(const Matrix& w, const Activations& x, float* y, int64_t ldy, int64_t r0, int64_t r1);

}  // namespace lt::engine

#endif  // LT_ENGINE_KERNELS_H_
