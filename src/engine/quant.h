// Quant: the tensor types the engine reads (ggml's, as GGUF stores them), their block layouts,
// conversions to and from float, and the quantizers used to write files and to quantize
// activations before integer dot products.
//
// Types and their ids are ggml's and reach disk in GGUF files: never renumber. Block layouts are
// byte-exact copies of ggml's (block_q4_0, block_q8_0, block_q4_K, block_q5_K, block_q6_K,
// block_q8_K), checked by static_asserts; doc/engine.md "Tensor types" describes each.
// Weight quantizers (Q4_0, Q8_0, Q4_K, Q5_K, Q6_K) are simple round-to-nearest schemes of our own
// (the files they make are valid for any GGUF reader); activation quantizers (Q8_0 for
// Q4_0/Q8_0 weights, Q8_K for the K-quants) round exactly as ggml's CPU backend does, so our
// integer dot products equal llama.cpp's.
// Thread-safety: all functions are pure.
#ifndef LT_ENGINE_QUANT_H_
#define LT_ENGINE_QUANT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lt::engine {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,  // activations only (never a weight type here)
  kBF16 = 30,
};

std::string_view DTypeName(DType t);
// "f32", "q4_k", ... (case-insensitive) -> the type; nullopt for unknown names or kQ8_K.
std::optional<DType> DTypeFromName(std::string_view name);
// Whether `ggml_type` is a weight type the engine reads.
bool IsSupportedWeightType(uint32_t ggml_type);

constexpr int kQK = 32;    // elements per Q4_0 / Q8_0 block
constexpr int kQKK = 256;  // elements per K-quant super-block

struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK / 2];  // element i in the low nibble of qs[i], element i+16 in the high nibble
};
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK];
};
struct BlockQ4_K {
  uint16_t d, dmin;
  uint8_t scales[12];  // 8 six-bit scales and 8 six-bit mins
  uint8_t qs[kQKK / 2];
};
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint16_t d;
};
struct BlockQ8_K {
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];
};
static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ8_0) == 34, "ggml block sizes");
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210, "ggml K-quant sizes");
static_assert(sizeof(BlockQ8_K) == 292, "ggml block_q8_K size");

// Elements per block (1 for the float types) and bytes per block.
int BlockElems(DType t);
size_t BlockBytes(DType t);
// Bytes of one row of `cols` elements; 0 when cols is not a multiple of the block size.
size_t RowBytes(DType t, int64_t cols);

float F16ToF32(uint16_t h);
uint16_t F32ToF16(float f);  // round to nearest even, like F16C
inline float Bf16ToF32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
}
uint16_t F32ToBf16(float f);  // round to nearest even (ggml's)

// Writes the `n` floats of a row stored as `t` (n a multiple of the block size).
void DequantizeRow(DType t, const uint8_t* row, float* out, int64_t n);
// Quantizes n floats (a multiple of the block size) into a row of type t (any weight type).
void QuantizeRow(DType t, const float* x, uint8_t* out, int64_t n);

// ggml's reference activation quantizers (bit-exact with its x86 CPU backend).
void QuantizeRowQ8_0(const float* x, BlockQ8_0* out, int64_t n);
void QuantizeRowQ8_K(const float* x, BlockQ8_K* out, int64_t n);

// The activation type a weight type multiplies against: Q8_0 for Q4_0/Q8_0, Q8_K for the
// K-quants, F32 for the float types.
DType ActivationType(DType weight);

}  // namespace lt::engine

#endif  // LT_ENGINE_QUANT_H_
