#include "engine/kernels.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define LT_ENGINE_X86 1
#endif

namespace lt::engine {

std::string_view DTypeName(DType t) {
  switch (t) {
    case DType::kF32: return "f32";
    case DType::kF16: return "f16";
    case DType::kQ8_0: return "q8_0";
  }
  return "unknown";
}

size_t RowBytes(DType t, int64_t cols) {
  if (cols < 0) return 0;
  switch (t) {
    case DType::kF32: return static_cast<size_t>(cols) * 4;
    case DType::kF16: return static_cast<size_t>(cols) * 2;
    case DType::kQ8_0:
      if (cols % kQ8Block != 0) return 0;
      return static_cast<size_t>(cols / kQ8Block) * sizeof(BlockQ8_0);
  }
  return 0;
}

namespace {

uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float BitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace

float F16ToF32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    if (mant == 0) return BitsFloat(sign);
    int e = 1;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    mant &= 0x3ffu;
    return BitsFloat(sign | (static_cast<uint32_t>(e + 112) << 23) | (mant << 13));
  }
  if (exp == 31) return BitsFloat(sign | 0x7f800000u | (mant << 13));
  return BitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

// Round to nearest even (the algorithm of FP16 / ggml's reference conversion).
uint16_t F32ToF16(float f) {
  const float scale_to_inf = 0x1.0p+112f;
  const float scale_to_zero = 0x1.0p-110f;
  float base = (std::fabs(f) * scale_to_inf) * scale_to_zero;
  const uint32_t w = FloatBits(f);
  const uint32_t shl1_w = w + w;
  const uint32_t sign = w & 0x80000000u;
  uint32_t bias = shl1_w & 0xff000000u;
  if (bias < 0x71000000u) bias = 0x71000000u;
  base = BitsFloat((bias >> 1) + 0x07800000u) + base;
  const uint32_t bits = FloatBits(base);
  const uint32_t exp_bits = (bits >> 13) & 0x00007c00u;
  const uint32_t mantissa_bits = bits & 0x00000fffu;
  const uint32_t nonsign = exp_bits + mantissa_bits;
  return static_cast<uint16_t>((sign >> 16) | (shl1_w > 0xff000000u ? 0x7e00u : nonsign));
}

void DequantizeRow(const Matrix& m, int64_t r, float* out) {
  const uint8_t* row = m.Row(r);
  switch (m.type) {
    case DType::kF32:
      std::memcpy(out, row, static_cast<size_t>(m.cols) * 4);
      return;
    case DType::kF16:
      for (int64_t j = 0; j < m.cols; ++j) {
        uint16_t h;
        std::memcpy(&h, row + 2 * j, 2);
        out[j] = F16ToF32(h);
      }
      return;
    case DType::kQ8_0:
      for (int64_t b = 0; b < m.cols / kQ8Block; ++b) {
        BlockQ8_0 blk;
        std::memcpy(&blk, row + b * sizeof(BlockQ8_0), sizeof blk);
        float d = F16ToF32(blk.d);
        for (int i = 0; i < kQ8Block; ++i) out[b * kQ8Block + i] = d * static_cast<float>(blk.qs[i]);
      }
      return;
  }
}

void QuantizeRowQ8_0(const float* x, BlockQ8_0* out, int64_t n) {
  for (int64_t b = 0; b < n / kQ8Block; ++b) {
    const float* xb = x + b * kQ8Block;
    float amax = 0.0f;
    for (int i = 0; i < kQ8Block; ++i) amax = std::max(amax, std::fabs(xb[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = F32ToF16(d);
    for (int i = 0; i < kQ8Block; ++i) out[b].qs[i] = static_cast<int8_t>(std::lround(xb[i] * id));
  }
}

// ---------------------------------------------------------------- portable kernels

namespace {

float DotF32Portable(const float* a, const float* b, int64_t n) {
  float s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) s[k] += a[i + k] * b[i + k];
  }
  float sum = (s[0] + s[1]) + (s[2] + s[3]);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

float DotF16Portable(const uint8_t* a, const float* b, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, a + 2 * i, 2);
    sum += F16ToF32(h) * b[i];
  }
  return sum;
}

float DotQ8Portable(const uint8_t* a, const BlockQ8_0* xq, int64_t n) {
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQ8Block; ++b) {
    BlockQ8_0 blk;
    std::memcpy(&blk, a + b * sizeof(BlockQ8_0), sizeof blk);
    int32_t acc = 0;
    for (int i = 0; i < kQ8Block; ++i) acc += static_cast<int32_t>(blk.qs[i]) * xq[b].qs[i];
    sum += static_cast<float>(acc) * F16ToF32(blk.d) * F16ToF32(xq[b].d);
  }
  return sum;
}

void MatVecPortable(const Matrix& w, const float* x, const BlockQ8_0* xq, float* y, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w.Row(r);
    switch (w.type) {
      case DType::kF32: {
        float tmp[256];
        // rows may be unaligned in a foreign file; copy through a small buffer when needed
        if (reinterpret_cast<uintptr_t>(row) % alignof(float) == 0) {
          y[r] = DotF32Portable(reinterpret_cast<const float*>(row), x, w.cols);
        } else {
          float sum = 0.0f;
          for (int64_t j = 0; j < w.cols; j += 256) {
            int64_t len = std::min<int64_t>(256, w.cols - j);
            std::memcpy(tmp, row + 4 * j, static_cast<size_t>(len) * 4);
            sum += DotF32Portable(tmp, x + j, len);
          }
          y[r] = sum;
        }
        break;
      }
      case DType::kF16: y[r] = DotF16Portable(row, x, w.cols); break;
      case DType::kQ8_0: y[r] = DotQ8Portable(row, xq, w.cols); break;
    }
  }
}

// ---------------------------------------------------------------- AVX2 kernels

#ifdef LT_ENGINE_X86

__attribute__((target("avx2,fma"))) inline float HSum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  __m128 sh = _mm_movehdup_ps(lo);
  __m128 s = _mm_add_ps(lo, sh);
  sh = _mm_movehl_ps(sh, s);
  s = _mm_add_ss(s, sh);
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float DotF32Avx2(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  float sum = HSum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

__attribute__((target("avx2,fma,f16c"))) float DotF16Avx2(const uint8_t* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 2 * i)));
    __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 2 * i + 16)));
    acc0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(b + i + 8), acc1);
  }
  float sum = HSum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, a + 2 * i, 2);
    sum += F16ToF32(h) * b[i];
  }
  return sum;
}

__attribute__((target("avx2,fma,f16c"))) float DotQ8Avx2(const uint8_t* a, const BlockQ8_0* xq, int64_t n) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc = _mm256_setzero_ps();
  const int64_t nb = n / kQ8Block;
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = a + b * sizeof(BlockQ8_0);
    uint16_t dw;
    std::memcpy(&dw, blk, 2);
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(dw) * _cvtsh_ss(xq[b].d));
    __m256i qw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
    __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[b].qs));
    __m256i ax = _mm256_sign_epi8(qw, qw);
    __m256i sy = _mm256_sign_epi8(qx, qw);
    __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sy), ones);
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot), acc);
  }
  return HSum(acc);
}

__attribute__((target("avx2,fma,f16c"))) void MatVecAvx2(const Matrix& w, const float* x, const BlockQ8_0* xq,
                                                         float* y, int64_t r0, int64_t r1) {
  const size_t stride = RowBytes(w.type, w.cols);
  const uint8_t* row = w.data + static_cast<size_t>(r0) * stride;
  for (int64_t r = r0; r < r1; ++r, row += stride) {
    switch (w.type) {
      case DType::kF32: y[r] = DotF32Avx2(reinterpret_cast<const float*>(row), x, w.cols); break;
      case DType::kF16: y[r] = DotF16Avx2(row, x, w.cols); break;
      case DType::kQ8_0: y[r] = DotQ8Avx2(row, xq, w.cols); break;
    }
  }
}

#endif  // LT_ENGINE_X86

std::atomic<int> g_forced{-1};

}  // namespace

Isa DetectIsa() {
#ifdef LT_ENGINE_X86
  __builtin_cpu_init();
  // clang 14 does not know "f16c" in __builtin_cpu_supports: read its CPUID bit directly.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c) {
    return Isa::kAvx2;
  }
#endif
  return Isa::kPortable;
}

Isa ActiveIsa() {
  static const Isa detected = DetectIsa();
  int f = g_forced.load(std::memory_order_relaxed);
  if (f < 0) return detected;
  Isa want = static_cast<Isa>(f);
  return want == Isa::kAvx2 && detected != Isa::kAvx2 ? Isa::kPortable : want;
}

void SetIsa(Isa isa) { g_forced.store(static_cast<int>(isa), std::memory_order_relaxed); }

std::string_view IsaName(Isa isa) { return isa == Isa::kAvx2 ? "avx2+fma+f16c" : "portable"; }

void MatVecRows(const Matrix& w, const float* x, const BlockQ8_0* xq, float* y, int64_t r0, int64_t r1) {
#ifdef LT_ENGINE_X86
  if (ActiveIsa() == Isa::kAvx2) {
    MatVecAvx2(w, x, xq, y, r0, r1);
    return;
  }
#endif
  MatVecPortable(w, x, xq, y, r0, r1);
}

}  // namespace lt::engine
