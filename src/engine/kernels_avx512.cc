// AVX-512 (F, BW, VL, DQ) + VNNI kernels for Q8_0 and Q4_0 weights: one weight row against up
// to 8 activation rows, 64 int8 products per vpdpbusd. Same integer sums as the AVX2 and portable
// kernels. (K-quant kernels of this kind measured no faster than the AVX2 ones on Zen 4, and a
// decode path that summed in another order than prefill would break prefill == step-by-step:
// the K-quants stay on AVX2 for both.)
// Every function carries the target attribute; they run only after DetectIsa said yes.
#include "engine/kernels.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <cstring>

// GCC 12 warns about the undefined upper halves of _mm512_cast*256*512 inside its own headers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define LT_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c"))) static inline
#define LT_AVX512_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))

namespace lt::engine {
namespace {

LT_AVX512 float H16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// [a x8, b x8]
LT_AVX512 __m512 Pair(float a, float b) {
  return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(a)), _mm256_set1_ps(b), 1);
}

// Q8_0 (kQ4 false) or Q4_0 weights, Q8_0 activations (kernels' layout: nb floats, then int8s).
template <bool kQ4, int NX>
LT_AVX512 void Q8Row(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) {
  const int64_t nb = n / kQK;
  const size_t wbytes = kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0);
  const __m512i m4 = _mm512_set1_epi8(0x0F), eight = _mm512_set1_epi8(8), zero = _mm512_setzero_si512();
  const __m512i pair_idx = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const float* xd[NX];
  const int8_t* xq[NX];
  __m512 acc[NX];
#pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) {
    xd[t] = reinterpret_cast<const float*>(x[t]);
    xq[t] = reinterpret_cast<const int8_t*>(x[t] + 8 * nb);
    acc[t] = _mm512_setzero_ps();
  }
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    const uint8_t* b0 = w + b * wbytes;
    const uint8_t* b1 = b0 + wbytes;
    __m512i qw;
    if (kQ4) {
      const __m128i t0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + 2));
      const __m128i t1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b1 + 2));
      const __m256i u0 = _mm256_set_m128i(_mm_srli_epi16(t0, 4), t0);
      const __m256i u1 = _mm256_set_m128i(_mm_srli_epi16(t1, 4), t1);
      qw = _mm512_inserti64x4(_mm512_castsi256_si512(u0), u1, 1);
      qw = _mm512_sub_epi8(_mm512_and_si512(qw, m4), eight);
    } else {
      qw = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0 + 2))),
                              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b1 + 2)), 1);
    }
    const __m512i aw = _mm512_abs_epi8(qw);
    const __mmask64 neg = _mm512_movepi8_mask(qw);
    const __m512 dw = Pair(H16(b0), H16(b1));
#pragma GCC unroll 8
    for (int t = 0; t < NX; ++t) {
      const __m512i qx = _mm512_loadu_si512(xq[t] + b * kQK);
      const __m512i sx = _mm512_mask_sub_epi8(qx, neg, zero, qx);
      const __m512i dot = _mm512_dpbusd_epi32(zero, aw, sx);
      const __m512 dx = _mm512_permutexvar_ps(pair_idx, _mm512_castps128_ps512(_mm_castsi128_ps(
                                                            _mm_loadl_epi64(reinterpret_cast<const __m128i*>(xd[t] + b)))));
      acc[t] = _mm512_fmadd_ps(_mm512_mul_ps(dw, dx), _mm512_cvtepi32_ps(dot), acc[t]);
    }
  }
  float tail[NX] = {};
  if (b < nb) {  // an odd last block
    const uint8_t* b0 = w + b * wbytes;
    int8_t q[kQK];
    if (kQ4) {
      for (int i = 0; i < kQK / 2; ++i) {
        q[i] = static_cast<int8_t>((b0[2 + i] & 0xF) - 8);
        q[i + kQK / 2] = static_cast<int8_t>((b0[2 + i] >> 4) - 8);
      }
    } else {
      std::memcpy(q, b0 + 2, kQK);
    }
    for (int t = 0; t < NX; ++t) {
      int32_t s = 0;
      for (int i = 0; i < kQK; ++i) s += q[i] * xq[t][b * kQK + i];
      tail[t] = static_cast<float>(s) * H16(b0) * xd[t][b];
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < NX; ++t) out[t] = _mm512_reduce_add_ps(acc[t]) + tail[t];
}

#define LT_DISPATCH512(NAME, ...)                                                                      \
  LT_AVX512_FN void NAME(const uint8_t* w, int64_t n, const uint8_t* const* x, int nx, float* out) { \
    switch (nx) {                                                                                    \
      case 1: __VA_ARGS__<1>(w, n, x, out); return;                                                  \
      case 2: __VA_ARGS__<2>(w, n, x, out); return;                                                  \
      case 3: __VA_ARGS__<3>(w, n, x, out); return;                                                  \
      case 4: __VA_ARGS__<4>(w, n, x, out); return;                                                  \
      case 5: __VA_ARGS__<5>(w, n, x, out); return;                                                  \
      case 6: __VA_ARGS__<6>(w, n, x, out); return;                                                  \
      case 7: __VA_ARGS__<7>(w, n, x, out); return;                                                  \
      default: __VA_ARGS__<8>(w, n, x, out); return;                                                 \
    }                                                                                                \
  }

template <int NX>
LT_AVX512 void Q8_0N(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) { Q8Row<false, NX>(w, n, x, out); }
template <int NX>
LT_AVX512 void Q4_0N(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) { Q8Row<true, NX>(w, n, x, out); }
LT_DISPATCH512(KQ8_0, Q8_0N)
LT_DISPATCH512(KQ4_0, Q4_0N)

}  // namespace

RowKernel Avx512Kernel(DType t) {
  switch (t) {
    case DType::kQ8_0: return KQ8_0;
    case DType::kQ4_0: return KQ4_0;
    default: return nullptr;  // the K-quants and float types use the AVX2 kernels
  }
}

}  // namespace lt::engine

#endif  // x86-64
