// AVX2+FMA+F16C kernels: one weight row against up to 4 activation rows. Every function carries
// the target attribute (the file is compiled for the baseline ISA, and these run only after
// DetectIsa said yes); no lambdas, which would not inherit the attribute.
#include "engine/kernels.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <cstring>

#define LT_AVX2 __attribute__((target("avx2,fma,f16c"))) static inline
#define LT_AVX2_FN __attribute__((target("avx2,fma,f16c")))

namespace lt::engine {
namespace {

LT_AVX2 float HSum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  __m128 sh = _mm_movehdup_ps(lo);
  __m128 s = _mm_add_ps(lo, sh);
  sh = _mm_movehl_ps(sh, s);
  s = _mm_add_ss(s, sh);
  return _mm_cvtss_f32(s);
}

LT_AVX2 float H16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

LT_AVX2 __m256 LoadF16x8(const uint8_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
LT_AVX2 __m256 LoadBf16x8(const uint8_t* p) {
  __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

// ---------------------------------------------------------------- float weights

// kKind: 0 = f32, 1 = f16, 2 = bf16 weights; activations f32.
template <int kKind, int NX>
LT_AVX2 void FloatRow(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) {
  __m256 acc[NX][2];
#pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
  const float* xf[NX];
#pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) xf[t] = reinterpret_cast<const float*>(x[t]);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 w0, w1;
    if (kKind == 0) {
      w0 = _mm256_loadu_ps(reinterpret_cast<const float*>(w) + i);
      w1 = _mm256_loadu_ps(reinterpret_cast<const float*>(w) + i + 8);
    } else if (kKind == 1) {
      w0 = LoadF16x8(w + 2 * i);
      w1 = LoadF16x8(w + 2 * i + 16);
    } else {
      w0 = LoadBf16x8(w + 2 * i);
      w1 = LoadBf16x8(w + 2 * i + 16);
    }
  #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) {
      acc[t][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xf[t] + i), acc[t][0]);
      acc[t][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xf[t] + i + 8), acc[t][1]);
    }
  }
#pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) {
    float s = HSum(_mm256_add_ps(acc[t][0], acc[t][1]));
    for (int64_t j = i; j < n; ++j) {
      float wj;
      if (kKind == 0) {
        std::memcpy(&wj, w + 4 * j, 4);
      } else {
        uint16_t h;
        std::memcpy(&h, w + 2 * j, 2);
        wj = kKind == 1 ? _cvtsh_ss(h) : Bf16ToF32(h);
      }
      s += wj * xf[t][j];
    }
    out[t] = s;
  }
}

// ---------------------------------------------------------------- Q8_0 / Q4_0 weights, Q8_0 activations

// kQ4: weights are Q4_0 (nibbles - 8), else Q8_0.
template <bool kQ4, int NX>
LT_AVX2 void Q8Row(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) {
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i eight = _mm256_set1_epi8(8);
  __m256 acc[NX];
#pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) acc[t] = _mm256_setzero_ps();
  const int64_t nb = n / kQK;
  const size_t wbytes = kQ4 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0);
  const float* xd[NX];
  const int8_t* xq[NX];
#pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) {
    xd[t] = reinterpret_cast<const float*>(x[t]);
    xq[t] = reinterpret_cast<const int8_t*>(x[t] + 8 * nb);
  }
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = w + b * wbytes;
    const float dw = H16(blk);
    __m256i qw;
    if (kQ4) {
      __m128i tmp = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
      qw = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(tmp, 4), tmp), m4);
      qw = _mm256_sub_epi8(qw, eight);
    } else {
      qw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 2));
    }
    const __m256i aw = _mm256_sign_epi8(qw, qw);
    const __m256 vdw = _mm256_set1_ps(dw);
#pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) {
      const __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[t] + b * kQK));
      const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(aw, _mm256_sign_epi8(qx, qw)), ones);
      const __m256 p = _mm256_mul_ps(vdw, _mm256_cvtepi32_ps(dot));
      acc[t] = _mm256_fmadd_ps(_mm256_broadcast_ss(xd[t] + b), p, acc[t]);
    }
  }
#pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) out[t] = HSum(acc[t]);
}

// ---------------------------------------------------------------- K-quants, Q8_K activations

LT_AVX2 void ScalesMinsK4(const uint8_t* s, int16_t* sc, int16_t* mn) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      sc[j] = static_cast<int16_t>(s[j] & 63);
      mn[j] = static_cast<int16_t>(s[j + 4] & 63);
    } else {
      sc[j] = static_cast<int16_t>((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
      mn[j] = static_cast<int16_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
  }
}

// Q4_K (kQ5 false) or Q5_K against Q8_K.
template <bool kQ5, int NX>
LT_AVX2 void Q45KRow(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256 acc[NX];
#pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) acc[t] = _mm256_setzero_ps();
  float accm[NX];
#pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) accm[t] = 0;
  const int64_t nb = n / kQKK;
  const size_t wbytes = kQ5 ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = w + b * wbytes;
    const float d = H16(blk), dmin = H16(blk + 2);
    alignas(16) int16_t sc[8], mn[8];
    ScalesMinsK4(blk + 4, sc, mn);
    const __m128i mins = _mm_load_si128(reinterpret_cast<const __m128i*>(mn));
    const uint8_t* qs = kQ5 ? blk + 48 : blk + 16;
    __m256i hbits = _mm256_setzero_si256();
    if (kQ5) hbits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16));
    __m256i sumi[NX];
  #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) sumi[t] = _mm256_setzero_si256();
    const BlockQ8_K* xb[NX];
  #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) xb[t] = reinterpret_cast<const BlockQ8_K*>(x[t] + b * sizeof(BlockQ8_K));
  #pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const __m256i q4bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * j));
      __m256i ql = _mm256_and_si256(q4bits, m4);
      __m256i qh = _mm256_and_si256(_mm256_srli_epi16(q4bits, 4), m4);
      if (kQ5) {
        const __m256i h0 = _mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j), _mm256_set1_epi8(1));
        const __m256i h1 = _mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j + 1), _mm256_set1_epi8(1));
        ql = _mm256_add_epi8(ql, _mm256_slli_epi16(h0, 4));
        qh = _mm256_add_epi8(qh, _mm256_slli_epi16(h1, 4));
      }
      const __m256i sl = _mm256_set1_epi16(sc[2 * j]);
      const __m256i sh = _mm256_set1_epi16(sc[2 * j + 1]);
    #pragma GCC unroll 4
      for (int t = 0; t < NX; ++t) {
        const __m256i q8l = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[t]->qs + 64 * j));
        const __m256i q8h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb[t]->qs + 64 * j + 32));
        const __m256i pl = _mm256_madd_epi16(sl, _mm256_maddubs_epi16(ql, q8l));
        const __m256i ph = _mm256_madd_epi16(sh, _mm256_maddubs_epi16(qh, q8h));
        sumi[t] = _mm256_add_epi32(sumi[t], _mm256_add_epi32(pl, ph));
      }
    }
  #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) {
      // mins: sum_j mn[j] * (bsums[2j] + bsums[2j+1])
      const __m128i bs = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xb[t]->bsums));
      const __m128i bs2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xb[t]->bsums + 8));
      const __m128i q8s = _mm_hadd_epi16(bs, bs2);
      const __m128i pm = _mm_madd_epi16(mins, q8s);
      __m128i s = _mm_add_epi32(pm, _mm_shuffle_epi32(pm, 0x4E));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
      const float dx = xb[t]->d;
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d * dx), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
      accm[t] += dmin * dx * static_cast<float>(_mm_cvtsi128_si32(s));
    }
  }
#pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) out[t] = HSum(acc[t]) - accm[t];
}

alignas(16) const uint8_t kQ6ScaleShuffle[8][16] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1},         {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3},
    {4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5},         {6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7},
    {8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9},         {10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11},
    {12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 13}, {14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15},
};

template <int NX>
LT_AVX2 void Q6KRow(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i m2 = _mm256_set1_epi8(3);
  const __m256i m32s = _mm256_set1_epi8(32);
  __m256 acc[NX];
#pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) acc[t] = _mm256_setzero_ps();
  const int64_t nb = n / kQKK;
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = w + b * sizeof(BlockQ6_K);
    const uint8_t* ql = blk;
    const uint8_t* qhp = blk + 128;
    const __m128i scales = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 192));
    const float d = H16(blk + 208);
    __m256i sumi[NX];
  #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) sumi[t] = _mm256_setzero_si256();
    const BlockQ8_K* xb[NX];
  #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) xb[t] = reinterpret_cast<const BlockQ8_K*>(x[t] + b * sizeof(BlockQ8_K));
    for (int half = 0; half < 2; ++half) {
      const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 64 * half));
      const __m256i b2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 64 * half + 32));
      const __m256i bh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qhp + 32 * half));
      __m256i q[4];
      q[0] = _mm256_or_si256(_mm256_and_si256(b1, m4), _mm256_slli_epi16(_mm256_and_si256(bh, m2), 4));
      q[1] = _mm256_or_si256(_mm256_and_si256(b2, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 2), m2), 4));
      q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b1, 4), m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 4), m2), 4));
      q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b2, 4), m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(bh, 6), m2), 4));
      __m256i s[4];
    #pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        const __m128i shuf = _mm_load_si128(reinterpret_cast<const __m128i*>(kQ6ScaleShuffle[4 * half + k]));
        s[k] = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, shuf));
      }
    #pragma GCC unroll 4
      for (int t = 0; t < NX; ++t) {
        const int8_t* q8 = xb[t]->qs + 128 * half;
      #pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) {
          const __m256i x8 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q8 + 32 * k));
          __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(q[k], x8), _mm256_maddubs_epi16(m32s, x8));
          sumi[t] = _mm256_add_epi32(sumi[t], _mm256_madd_epi16(s[k], p));
        }
      }
    }
  #pragma GCC unroll 4
    for (int t = 0; t < NX; ++t) {
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d * xb[t]->d), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
    }
  }
#pragma GCC unroll 4
  for (int t = 0; t < NX; ++t) out[t] = HSum(acc[t]);
}

// ---------------------------------------------------------------- dispatch on the token count

#define LT_DISPATCH_NX(NAME, ...)                                                                  \
  LT_AVX2_FN void NAME(const uint8_t* w, int64_t n, const uint8_t* const* x, int nx, float* out) { \
    switch (nx) {                                                                                  \
      case 1: __VA_ARGS__<1>(w, n, x, out); return;                                                \
      case 2: __VA_ARGS__<2>(w, n, x, out); return;                                                \
      case 3: __VA_ARGS__<3>(w, n, x, out); return;                                                \
      default: __VA_ARGS__<4>(w, n, x, out); return;                                               \
    }                                                                                              \
  }

template <int NX>
LT_AVX2 void F32RowN(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) { FloatRow<0, NX>(w, n, x, out); }
template <int NX>
LT_AVX2 void F16RowN(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) { FloatRow<1, NX>(w, n, x, out); }
template <int NX>
LT_AVX2 void Bf16RowN(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) { FloatRow<2, NX>(w, n, x, out); }
template <int NX>
LT_AVX2 void Q8_0RowN(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) { Q8Row<false, NX>(w, n, x, out); }
template <int NX>
LT_AVX2 void Q4_0RowN(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) { Q8Row<true, NX>(w, n, x, out); }
template <int NX>
LT_AVX2 void Q4KRowN(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) { Q45KRow<false, NX>(w, n, x, out); }
template <int NX>
LT_AVX2 void Q5KRowN(const uint8_t* w, int64_t n, const uint8_t* const* x, float* out) { Q45KRow<true, NX>(w, n, x, out); }

LT_DISPATCH_NX(KF32, F32RowN)
LT_DISPATCH_NX(KF16, F16RowN)
LT_DISPATCH_NX(KBf16, Bf16RowN)
LT_DISPATCH_NX(KQ8_0, Q8_0RowN)
LT_DISPATCH_NX(KQ4_0, Q4_0RowN)
LT_DISPATCH_NX(KQ4K, Q4KRowN)
LT_DISPATCH_NX(KQ5K, Q5KRowN)
LT_DISPATCH_NX(KQ6K, Q6KRow)

}  // namespace

// ggml's x86 quantize_row_q8_0 (max |x| / 127, round to nearest even), into the kernels' layout.
LT_AVX2_FN void Avx2QuantizeActQ8_0(const float* x, uint8_t* out, int64_t cols) {
  const int64_t nb = cols / kQK;
  int8_t* q = reinterpret_cast<int8_t*>(out + 8 * nb);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int64_t b = 0; b < nb; ++b, x += kQK) {
    __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8), v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
    __m256 m = _mm256_andnot_ps(sign, v0);
    m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v1));
    m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v2));
    m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v3));
    __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    const float d = _cvtsh_ss(_cvtss_sh(amax / 127.f, 0));
    std::memcpy(out + 4 * b, &d, 4);
    const __m256 mul = _mm256_set1_ps(amax != 0.0f ? 127.f / amax : 0.0f);
    __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, mul), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    const __m256i s4 = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(s4), _mm256_extracti128_si256(s4, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    const int32_t sum = _mm_cvtsi128_si32(s);
    std::memcpy(out + 4 * nb + 4 * b, &sum, 4);
    i0 = _mm256_packs_epi32(i0, i1);
    i2 = _mm256_packs_epi32(i2, i3);
    i0 = _mm256_packs_epi16(i0, i2);
    i0 = _mm256_permutevar8x32_epi32(i0, perm);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + b * kQK), i0);
  }
}

// ggml's quantize_row_q8_K_ref: -127 / (the value of largest magnitude), round half to even.
LT_AVX2_FN void Avx2QuantizeRowQ8_K(const float* x, BlockQ8_K* y, int64_t cols) {
  const int64_t nb = cols / kQKK;
  const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    float max = 0, amax = 0;
    for (int j = 0; j < kQKK; ++j) {
      const float ax = x[j] < 0 ? -x[j] : x[j];
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      std::memset(&y[i], 0, sizeof y[i]);
      continue;
    }
    const float iscale = -127.f / max;
    const __m256 mul = _mm256_set1_ps(iscale);
    const __m256i hi = _mm256_set1_epi32(127);
    for (int j = 0; j < kQKK; j += 32) {
      __m256i v[4];
      for (int k = 0; k < 4; ++k) {
        v[k] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * k), mul),
                                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        v[k] = _mm256_min_epi32(v[k], hi);
      }
      __m256i a = _mm256_packs_epi32(v[0], v[1]), b = _mm256_packs_epi32(v[2], v[3]);
      a = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(a, b), perm);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[i].qs + j), a);
    }
    for (int j = 0; j < kQKK / 16; ++j) {
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(y[i].qs + 16 * j));
      const __m256i w = _mm256_cvtepi8_epi16(q);
      __m128i s = _mm_add_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
      s = _mm_madd_epi16(s, _mm_set1_epi16(1));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
      s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
      y[i].bsums[j] = static_cast<int16_t>(_mm_cvtsi128_si32(s));
    }
    y[i].d = 1 / iscale;
  }
}

namespace {

// One attention head over len cached positions: softmax(q.K^T * scale) V, q and the running
// output held in registers (head size HS8 * 8).
template <int HS8>
LT_AVX2 void AttendFixed(const float* q, const float* k, const float* v, size_t stride, int len, float scale,
                         float* att, float* out) {
  __m256 qv[HS8];
#pragma GCC unroll 16
  for (int i = 0; i < HS8; ++i) qv[i] = _mm256_loadu_ps(q + 8 * i);
  float mx = -3.0e38f;
  for (int p = 0; p < len; ++p) {
    const float* kp = k + static_cast<size_t>(p) * stride;
    __m256 a0 = _mm256_mul_ps(qv[0], _mm256_loadu_ps(kp));
    __m256 a1 = _mm256_mul_ps(qv[1], _mm256_loadu_ps(kp + 8));
#pragma GCC unroll 16
    for (int i = 2; i < HS8; i += 2) {
      a0 = _mm256_fmadd_ps(qv[i], _mm256_loadu_ps(kp + 8 * i), a0);
      a1 = _mm256_fmadd_ps(qv[i + 1], _mm256_loadu_ps(kp + 8 * i + 8), a1);
    }
    const float sc = HSum(_mm256_add_ps(a0, a1)) * scale;
    att[p] = sc;
    mx = sc > mx ? sc : mx;
  }
  float sum = 0;
  for (int p = 0; p < len; ++p) {
    att[p] = __builtin_expf(att[p] - mx);
    sum += att[p];
  }
  const float inv = 1.0f / sum;
  __m256 o[HS8];
#pragma GCC unroll 16
  for (int i = 0; i < HS8; ++i) o[i] = _mm256_setzero_ps();
  for (int p = 0; p < len; ++p) {
    const float* vp = v + static_cast<size_t>(p) * stride;
    const __m256 a = _mm256_set1_ps(att[p]);
#pragma GCC unroll 16
    for (int i = 0; i < HS8; ++i) o[i] = _mm256_fmadd_ps(a, _mm256_loadu_ps(vp + 8 * i), o[i]);
  }
  const __m256 vinv = _mm256_set1_ps(inv);
#pragma GCC unroll 16
  for (int i = 0; i < HS8; ++i) _mm256_storeu_ps(out + 8 * i, _mm256_mul_ps(o[i], vinv));
}

}  // namespace

LT_AVX2_FN bool Avx2Attend(const float* q, const float* k, const float* v, size_t stride, int len, int hs, float scale,
                           float* att, float* out) {
  switch (hs) {
    case 64: AttendFixed<8>(q, k, v, stride, len, scale, att, out); return true;
    case 128: AttendFixed<16>(q, k, v, stride, len, scale, att, out); return true;
    case 32: AttendFixed<4>(q, k, v, stride, len, scale, att, out); return true;
    default: return false;
  }
}

LT_AVX2_FN float Avx2DotF32(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  float s = HSum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

LT_AVX2_FN void Avx2AxpyF32(float a, const float* x, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

RowKernel Avx2Kernel(DType t) {
  switch (t) {
    case DType::kF32: return KF32;
    case DType::kF16: return KF16;
    case DType::kBF16: return KBf16;
    case DType::kQ8_0: return KQ8_0;
    case DType::kQ4_0: return KQ4_0;
    case DType::kQ4_K: return KQ4K;
    case DType::kQ5_K: return KQ5K;
    case DType::kQ6_K: return KQ6K;
    default: return nullptr;
  }
}

}  // namespace lt::engine

#endif  // x86
