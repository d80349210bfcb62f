// AVX-512 VNNI kernels for packed weights (pack.h): tiles of R groups of 16 rows x T tokens.
// Each accumulator's 16 lanes are 16 rows of one token, so a tile needs no horizontal sums and
// stores 16 outputs per token at once.
//
// Prefill and decode run these same functions (T tokens per call, T = 1 for a decode step), and
// every token's arithmetic is the same whatever R and T: the integer sums are exact and the
// float accumulation of a (row, token) goes over the blocks in order, one fma per block. So a
// prompt prefilled in one batch gives bit-identical results to the same tokens run one by one.
// Every function carries the target attribute; they run only after DetectIsa said kAvx512.
#include "engine/kernels.h"
#include "engine/pack.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define LT_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c"))) static inline
#define LT_AVX512_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))

namespace lt::engine {
namespace {

LT_AVX512 __m512i Bcast32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// ---------------------------------------------------------------- Q8_0 weights, Q8_0 activations

// w: group 0 of the tile (group r at w + r * gstride); x[t]: activation rows (kernels.h layout:
// nb scales, nb block sums, nb*32 int8); y: row 0 of token 0, token t at y + t * ldy.
template <int R, int T>
LT_AVX512 void Q8_0Tile(const uint8_t* w, size_t gstride, int64_t nb, const uint8_t* const* x, float* y, int64_t ldy) {
  const size_t sbytes = (static_cast<size_t>(nb) * 32 + 63) / 64 * 64;
  const __m512i zero = _mm512_setzero_si512();
  __m512 acc[R][T];
  const float* xd[T];
  const int32_t* xs[T];
  const int8_t* xq[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    xd[t] = reinterpret_cast<const float*>(x[t]);
    xs[t] = reinterpret_cast<const int32_t*>(x[t] + 4 * nb);
    xq[t] = reinterpret_cast<const int8_t*>(x[t] + 8 * nb);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[r][t] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    __m512i isum[R][T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      // The weights are q + 128: subtract 128 * (sum of the block's activations).
      const __m512i c = _mm512_sub_epi32(zero, _mm512_slli_epi32(_mm512_set1_epi32(xs[t][b]), 7));
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) isum[r][t] = c;
    }
    const uint8_t* q = w + sbytes + static_cast<size_t>(b) * 512;
#pragma GCC unroll 8
    for (int g = 0; g < 8; ++g) {
      __m512i wv[R];
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) wv[r] = _mm512_load_si512(q + r * gstride + g * 64);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m512i xv = Bcast32(xq[t] + b * 32 + g * 4);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) isum[r][t] = _mm512_dpbusd_epi32(isum[r][t], wv[r], xv);
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const __m512 dw = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(w + r * gstride + b * 32)));
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r][t]), _mm512_mul_ps(dw, _mm512_set1_ps(xd[t][b])), acc[r][t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) _mm512_storeu_ps(y + t * ldy + 16 * r, acc[r][t]);
  }
}

// ---------------------------------------------------------------- Q4_0 weights, Q8_0 activations

// As Q8_0Tile; the weights are the nibbles q (the value is q - 8): subtract 8 x the block sums.
template <int R, int T>
LT_AVX512 void Q4_0Tile(const uint8_t* w, size_t gstride, int64_t nb, const uint8_t* const* x, float* y, int64_t ldy) {
  const size_t sbytes = (static_cast<size_t>(nb) * 32 + 63) / 64 * 64;
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i zero = _mm512_setzero_si512();
  __m512 acc[R][T];
  const float* xd[T];
  const int32_t* xs[T];
  const int8_t* xq[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    xd[t] = reinterpret_cast<const float*>(x[t]);
    xs[t] = reinterpret_cast<const int32_t*>(x[t] + 4 * nb);
    xq[t] = reinterpret_cast<const int8_t*>(x[t] + 8 * nb);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[r][t] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    __m512i isum[R][T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const __m512i c = _mm512_sub_epi32(zero, _mm512_slli_epi32(_mm512_set1_epi32(xs[t][b]), 3));
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) isum[r][t] = c;
    }
    const uint8_t* q = w + sbytes + static_cast<size_t>(b) * 256;
#pragma GCC unroll 4
    for (int h = 0; h < 4; ++h) {
      __m512i lo[R], hi[R];
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const __m512i p = _mm512_load_si512(q + r * gstride + h * 64);
        lo[r] = _mm512_and_si512(p, m4);
        hi[r] = _mm512_and_si512(_mm512_srli_epi16(p, 4), m4);
      }
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m512i xl = Bcast32(xq[t] + b * 32 + 4 * h);
        const __m512i xh = Bcast32(xq[t] + b * 32 + 16 + 4 * h);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          isum[r][t] = _mm512_dpbusd_epi32(isum[r][t], lo[r], xl);
          isum[r][t] = _mm512_dpbusd_epi32(isum[r][t], hi[r], xh);
        }
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const __m512 dw = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(w + r * gstride + b * 32)));
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[r][t]), _mm512_mul_ps(dw, _mm512_set1_ps(xd[t][b])), acc[r][t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) _mm512_storeu_ps(y + t * ldy + 16 * r, acc[r][t]);
  }
}

// ---------------------------------------------------------- Q4_K and Q5_K weights, Q8_K activations

constexpr size_t kQ4KBlock = 2368;
constexpr size_t kQ5KBlock = kQ4KBlock + 512;  // Q4_K's bytes and the fifth bits

// kFive: Q5_K, whose values are the Q4_K nibble plus 16 x a bit from the sub-block's fifth bits.
// Its block starts with the tail (mins, scales, d, dmin) and then each sub-block's quants and
// fifth bits, so the tile reads it in address order (pack.h).
template <int R, int T, bool kFive>
LT_AVX512 void Q45KTile(const uint8_t* w, size_t gstride, int64_t nk, const uint8_t* const* x, float* y, int64_t ldy) {
  constexpr size_t kBlock = kFive ? kQ5KBlock : kQ4KBlock;
  constexpr size_t kTail = kFive ? 0 : 2048;    // mins [4][16][2], scales [8][16], d [16], dmin [16]
  constexpr size_t kQuants = kFive ? 320 : 0;   // sub-block j at kQuants + j * kJ
  constexpr size_t kJ = kFive ? 320 : 256;
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i m4h = _mm512_set1_epi8(static_cast<char>(0xF0));
  const __m512i m10 = _mm512_set1_epi8(0x10);
  const __m512i zero = _mm512_setzero_si512();
  __m512 acc[R][T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[r][t] = _mm512_setzero_ps();
  }
  for (int64_t sb = 0; sb < nk; ++sb) {
    const BlockQ8_K* xb[T];
    alignas(16) int32_t pairs[T][4];  // (S_2i, S_2i+1) as int16 pairs, S_j the sum of sub-block j
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      xb[t] = reinterpret_cast<const BlockQ8_K*>(x[t] + sb * sizeof(BlockQ8_K));
      const __m128i b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xb[t]->bsums));
      const __m128i b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xb[t]->bsums + 8));
      _mm_store_si128(reinterpret_cast<__m128i*>(pairs[t]), _mm_hadd_epi16(b0, b1));
    }
    const uint8_t* blk = w + sb * kBlock;
    __m512i isc[R][T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) isc[r][t] = zero;
    }
    for (int j = 0; j < 8; ++j) {
      // Two partial sums per (row group, token), of the low nibbles and of 16 x the high nibbles
      // (p & 0xF0 saves a shift per load; at most 240 * 127 * 16 per lane, and the sum is exactly
      // divisible by 16): integers, so nothing depends on the split, and the chains of dependent
      // vpdpbusd a decode tile waits on are half as long. Q5_K's high values (up to 31) are not
      // scaled by 16 (they would not fit a byte).
      constexpr bool kSplit = R * T <= 4;  // registers for two sums per (row group, token)
      __m512i isl[R][T], ish[R][T];
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) isl[r][t] = ish[r][t] = zero;  // ish unused (dead) unless kSplit
      }
#pragma GCC unroll 4
      for (int h = 0; h < 4; ++h) {
        __m512i lo[R], hi[R];
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          const __m512i p = _mm512_load_si512(blk + r * gstride + kQuants + j * kJ + h * 64);
          lo[r] = _mm512_and_si512(p, m4);
          if (kFive) {
            // Bit h of the plane's byte is the low element's fifth bit, bit 4 + h the high one's.
            const __m512i qb = _mm512_load_si512(blk + r * gstride + kQuants + j * kJ + 256);
            lo[r] = _mm512_or_si512(lo[r], _mm512_and_si512(_mm512_slli_epi16(qb, 4 - h), m10));
            hi[r] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(p, 4), m4),
                                    _mm512_and_si512(_mm512_srli_epi16(qb, h), m10));
          } else {
            // kSplit: 16 x the high nibble, its sum shifted back below.
            hi[r] = kSplit ? _mm512_and_si512(p, m4h) : _mm512_and_si512(_mm512_srli_epi16(p, 4), m4);
          }
        }
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
          const __m512i xl = Bcast32(xb[t]->qs + 32 * j + 4 * h);
          const __m512i xh = Bcast32(xb[t]->qs + 32 * j + 16 + 4 * h);
#pragma GCC unroll 4
          for (int r = 0; r < R; ++r) {
            isl[r][t] = _mm512_dpbusd_epi32(isl[r][t], lo[r], xl);
            if (kSplit) {
              ish[r][t] = _mm512_dpbusd_epi32(ish[r][t], hi[r], xh);
            } else {
              isl[r][t] = _mm512_dpbusd_epi32(isl[r][t], hi[r], xh);
            }
          }
        }
      }
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const __m512i sc = _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(blk + r * gstride + kTail + 128 + j * 16)));
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
          const __m512i high = kFive ? ish[r][t] : _mm512_srai_epi32(ish[r][t], 4);
          const __m512i sum = kSplit ? _mm512_add_epi32(isl[r][t], high) : isl[r][t];
          isc[r][t] = _mm512_add_epi32(isc[r][t], _mm512_mullo_epi32(sum, sc));
        }
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const uint8_t* tail = blk + r * gstride + kTail;
      __m512i mins[4];
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) mins[i] = _mm512_cvtepu8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(tail + 32 * i)));
      const __m512 dv = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(tail + 256)));
      const __m512 mv = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(tail + 288)));
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        __m512i summ = _mm512_dpwssd_epi32(zero, mins[0], _mm512_set1_epi32(pairs[t][0]));
        summ = _mm512_dpwssd_epi32(summ, mins[1], _mm512_set1_epi32(pairs[t][1]));
        summ = _mm512_dpwssd_epi32(summ, mins[2], _mm512_set1_epi32(pairs[t][2]));
        summ = _mm512_dpwssd_epi32(summ, mins[3], _mm512_set1_epi32(pairs[t][3]));
        const __m512 dx = _mm512_set1_ps(xb[t]->d);
        acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isc[r][t]), _mm512_mul_ps(dv, dx), acc[r][t]);
        acc[r][t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(summ), _mm512_mul_ps(mv, dx), acc[r][t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) _mm512_storeu_ps(y + t * ldy + 16 * r, acc[r][t]);
  }
}

// ---------------------------------------------------------------- Q6_K weights, Q8_K activations

constexpr size_t kQ6KBlock = 3392;

// Block (pack.h): scales [8 j][16 rows][2] at 0, d at 256, sub-block j at 320 + 384 j (quants as
// Q4_K's, then the high two bits of its low and high halves), read in address order.
// A value is d x sc x (q - 32), q = nibble + 16 x two bits from the block's high-bit plane, sc an
// int8 per 16 elements: the integer sum of a block is sum_g sc_g (sum q x - 32 x bsum_g), bsum_g
// the activation sum of sub-block g (Q8_K keeps them).
template <int R, int T>
LT_AVX512 void Q6KTile(const uint8_t* w, size_t gstride, int64_t nk, const uint8_t* const* x, float* y, int64_t ldy) {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i m30 = _mm512_set1_epi8(0x30);
  const __m512i zero = _mm512_setzero_si512();
  __m512 acc[R][T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) acc[r][t] = _mm512_setzero_ps();
  }
  for (int64_t sb = 0; sb < nk; ++sb) {
    const BlockQ8_K* xb[T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) xb[t] = reinterpret_cast<const BlockQ8_K*>(x[t] + sb * sizeof(BlockQ8_K));
    const uint8_t* blk = w + sb * kQ6KBlock;
    __m512i isc[R][T], bias[R][T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) isc[r][t] = bias[r][t] = zero;
    }
    for (int j = 0; j < 8; ++j) {
      __m512i isl[R][T], ish[R][T];
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) isl[r][t] = ish[r][t] = zero;
      }
      __m512i hb0[R], hb1[R];
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        hb0[r] = _mm512_load_si512(blk + r * gstride + 320 + j * 384 + 256);
        hb1[r] = _mm512_load_si512(blk + r * gstride + 320 + j * 384 + 320);
      }
#pragma GCC unroll 4
      for (int h = 0; h < 4; ++h) {
        __m512i lo[R], hi[R];
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          const __m512i p = _mm512_load_si512(blk + r * gstride + 320 + j * 384 + h * 64);
          // Bits 2h..2h+1 of the plane's byte, moved to bits 4..5 (16-bit shifts: the mask keeps
          // each byte's own bits).
          const __m512i b0 = h < 2 ? _mm512_slli_epi16(hb0[r], 4 - 2 * h) : _mm512_srli_epi16(hb0[r], 2 * h - 4);
          const __m512i b1 = h < 2 ? _mm512_slli_epi16(hb1[r], 4 - 2 * h) : _mm512_srli_epi16(hb1[r], 2 * h - 4);
          lo[r] = _mm512_or_si512(_mm512_and_si512(p, m4), _mm512_and_si512(b0, m30));
          hi[r] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(p, 4), m4), _mm512_and_si512(b1, m30));
        }
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
          const __m512i xl = Bcast32(xb[t]->qs + 32 * j + 4 * h);
          const __m512i xh = Bcast32(xb[t]->qs + 32 * j + 16 + 4 * h);
#pragma GCC unroll 4
          for (int r = 0; r < R; ++r) {
            isl[r][t] = _mm512_dpbusd_epi32(isl[r][t], lo[r], xl);
            ish[r][t] = _mm512_dpbusd_epi32(ish[r][t], hi[r], xh);
          }
        }
      }
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        // Each 32-bit lane: (sc_2j, sc_2j+1) of one row as two int16.
        const __m512i sc = _mm512_cvtepi8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(blk + r * gstride + j * 32)));
        const __m512i sc_lo = _mm512_srai_epi32(_mm512_slli_epi32(sc, 16), 16);
        const __m512i sc_hi = _mm512_srai_epi32(sc, 16);
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
          isc[r][t] = _mm512_add_epi32(isc[r][t], _mm512_mullo_epi32(isl[r][t], sc_lo));
          isc[r][t] = _mm512_add_epi32(isc[r][t], _mm512_mullo_epi32(ish[r][t], sc_hi));
          bias[r][t] = _mm512_dpwssd_epi32(bias[r][t], sc, Bcast32(xb[t]->bsums + 2 * j));
        }
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const __m512 dv = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(blk + r * gstride + 256)));
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m512i sum = _mm512_sub_epi32(isc[r][t], _mm512_slli_epi32(bias[r][t], 5));
        acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(dv, _mm512_set1_ps(xb[t]->d)), acc[r][t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) _mm512_storeu_ps(y + t * ldy + 16 * r, acc[r][t]);
  }
}

// ---------------------------------------------------------------- tiling

using TileFn = void (*)(const uint8_t*, size_t, int64_t, const uint8_t* const*, float*, int64_t);

#define LT_TILE_TABLE(NAME, FN)                                                                                  \
  template <int R, int T>                                                                                       \
  struct NAME {                                                                                                 \
    LT_AVX512_FN static void Run(const uint8_t* w, size_t gs, int64_t nb, const uint8_t* const* x, float* y, int64_t ldy) { \
      FN<R, T>(w, gs, nb, x, y, ldy);                                                                           \
    }                                                                                                           \
  };

LT_TILE_TABLE(Q8_0K, Q8_0Tile)
LT_TILE_TABLE(Q4_0K, Q4_0Tile)
template <int R, int T>
LT_AVX512 void Q4KTile(const uint8_t* w, size_t gs, int64_t nk, const uint8_t* const* x, float* y, int64_t ldy) {
  Q45KTile<R, T, false>(w, gs, nk, x, y, ldy);
}
template <int R, int T>
LT_AVX512 void Q5KTile(const uint8_t* w, size_t gs, int64_t nk, const uint8_t* const* x, float* y, int64_t ldy) {
  Q45KTile<R, T, true>(w, gs, nk, x, y, ldy);
}

LT_TILE_TABLE(Q4KK, Q4KTile)
LT_TILE_TABLE(Q5KK, Q5KTile)
LT_TILE_TABLE(Q6KK, Q6KTile)

// Decode: up to 4 groups (64 rows) of one token. Prefill: one group of up to kTokens tokens.
constexpr int kTokens = 8;

template <template <int, int> class K>
struct Tiles {
  TileFn decode[5] = {nullptr, K<1, 1>::Run, K<2, 1>::Run, K<3, 1>::Run, K<4, 1>::Run};
  TileFn prefill[kTokens + 1] = {nullptr, K<1, 1>::Run, K<1, 2>::Run, K<1, 3>::Run, K<1, 4>::Run,
                                 K<1, 5>::Run, K<1, 6>::Run, K<1, 7>::Run, K<1, 8>::Run};
};

const Tiles<Q8_0K> kQ8_0Tiles;
const Tiles<Q4_0K> kQ4_0Tiles;
const Tiles<Q4KK> kQ4KTiles;
const Tiles<Q5KK> kQ5KTiles;
const Tiles<Q6KK> kQ6KTiles;

}  // namespace

bool Avx512PackedMatMul(const Matrix& w, const Activations& x, float* y, int64_t ldy, int64_t r0, int64_t r1) {
  const TileFn* decode;
  const TileFn* prefill;
  DType act;
  int64_t nb;
  switch (w.type) {
    case DType::kQ8_0:
      decode = kQ8_0Tiles.decode;
      prefill = kQ8_0Tiles.prefill;
      act = DType::kQ8_0;
      nb = w.cols / kQK;
      break;
    case DType::kQ4_0:
      decode = kQ4_0Tiles.decode;
      prefill = kQ4_0Tiles.prefill;
      act = DType::kQ8_0;
      nb = w.cols / kQK;
      break;
    case DType::kQ4_K:
      decode = kQ4KTiles.decode;
      prefill = kQ4KTiles.prefill;
      act = DType::kQ8_K;
      nb = w.cols / kQKK;
      break;
    case DType::kQ5_K:
      decode = kQ5KTiles.decode;
      prefill = kQ5KTiles.prefill;
      act = DType::kQ8_K;
      nb = w.cols / kQKK;
      break;
    case DType::kQ6_K:
      decode = kQ6KTiles.decode;
      prefill = kQ6KTiles.prefill;
      act = DType::kQ8_K;
      nb = w.cols / kQKK;
      break;
    default: return false;
  }
  const size_t gstride = PackedGroupBytes(w.type, w.cols);
  const int64_t g0 = r0 / kPackRows, g1 = r1 / kPackRows;
  const int n = x.n();
  const uint8_t* xs[kTokens];
  if (n == 1) {
    // Q8_0: tiles of 4 groups. Q4_K: one group at a time, so the tile reads one sequential stream
    // (a group's super-blocks follow each other); tiles of 2 to 4 groups, which read 2 to 4
    // streams a group apart advancing 256 bytes at a time, are faster when the weights are in
    // cache but 35-50% slower when they come from memory, as in a decode step (Zen 4,
    // bench/engine_bench.cc BM_PackedMatMul).
    const int64_t step = act == DType::kQ8_K ? 1 : 4;  // the same holds for Q5_K and Q6_K
    xs[0] = x.QRow(act, 0);
    for (int64_t g = g0; g < g1; g += step) {
      const int gr = static_cast<int>(std::min<int64_t>(step, g1 - g));
      decode[gr](w.packed + static_cast<size_t>(g) * gstride, gstride, nb, xs, y + g * kPackRows, ldy);
    }
    return true;
  }
  // Token blocks whose activations stay in L2 while the groups of rows run over them; a group
  // (16 rows) stays in L1/L2 while the tiles of a token block run over it.
  const size_t act_row = act == DType::kQ8_0 ? Q8ActRowBytes(w.cols) : RowBytes(act, w.cols);
  const int tblock = static_cast<int>(std::clamp<size_t>((256u << 10) / std::max<size_t>(act_row, 1), kTokens, 256)) /
                     kTokens * kTokens;
  for (int tb = 0; tb < n; tb += tblock) {
    const int te = std::min(n, tb + tblock);
    for (int64_t g = g0; g < g1; ++g) {
      const uint8_t* wg = w.packed + static_cast<size_t>(g) * gstride;
      for (int t = tb; t < te; t += kTokens) {
        const int nt = std::min(kTokens, te - t);
        for (int i = 0; i < nt; ++i) xs[i] = x.QRow(act, t + i);
        prefill[nt](wg, gstride, nb, xs, y + static_cast<size_t>(t) * static_cast<size_t>(ldy) + g * kPackRows, ldy);
      }
    }
  }
  return true;
}

}  // namespace lt::engine

#else

namespace lt::engine {
bool Avx512PackedMatMul(const Matrix&, const Activations&, float*, int64_t, int64_t, int64_t) { return false; }
}  // namespace lt::engine

#endif  // x86-64
