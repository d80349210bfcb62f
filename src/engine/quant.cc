#include "engine/quant.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <string>

namespace lt::engine {

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

// ggml's nearest_int: round half to even through the float mantissa (|x| < 2^22).
int NearestInt(float fval) {
  float val = fval + 12582912.f;
  int i;
  std::memcpy(&i, &val, sizeof(int));
  return (i & 0x007fffff) - 0x00400000;
}

template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

std::string_view DTypeName(DType t) {
  switch (t) {
    case DType::kF32: return "f32";
    case DType::kF16: return "f16";
    case DType::kBF16: return "bf16";
    case DType::kQ4_0: return "q4_0";
    case DType::kQ8_0: return "q8_0";
    case DType::kQ4_K: return "q4_k";
    case DType::kQ5_K: return "q5_k";
    case DType::kQ6_K: return "q6_k";
    case DType::kQ8_K: return "q8_k";
  }
  return "unknown";
}

std::optional<DType> DTypeFromName(std::string_view name) {
  std::string n(name);
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ4_0, DType::kQ8_0, DType::kQ4_K, DType::kQ5_K,
                  DType::kQ6_K}) {
    if (DTypeName(t) == n) return t;
  }
  return std::nullopt;
}

bool IsSupportedWeightType(uint32_t g) {
  switch (static_cast<DType>(g)) {
    case DType::kF32: case DType::kF16: case DType::kBF16: case DType::kQ4_0: case DType::kQ8_0:
    case DType::kQ4_K: case DType::kQ5_K: case DType::kQ6_K:
      return true;
    default:
      return false;
  }
}

int BlockElems(DType t) {
  switch (t) {
    case DType::kQ4_0: case DType::kQ8_0: return kQK;
    case DType::kQ4_K: case DType::kQ5_K: case DType::kQ6_K: case DType::kQ8_K: return kQKK;
    default: return 1;
  }
}

size_t BlockBytes(DType t) {
  switch (t) {
    case DType::kF32: return 4;
    case DType::kF16: case DType::kBF16: return 2;
    case DType::kQ4_0: return sizeof(BlockQ4_0);
    case DType::kQ8_0: return sizeof(BlockQ8_0);
    case DType::kQ4_K: return sizeof(BlockQ4_K);
    case DType::kQ5_K: return sizeof(BlockQ5_K);
    case DType::kQ6_K: return sizeof(BlockQ6_K);
    case DType::kQ8_K: return sizeof(BlockQ8_K);
  }
  return 0;
}

size_t RowBytes(DType t, int64_t cols) {
  const int be = BlockElems(t);
  if (cols < 0 || cols % be != 0) return 0;
  return static_cast<size_t>(cols / be) * BlockBytes(t);
}

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

uint16_t F32ToBf16(float f) {
  uint32_t u = FloatBits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 64);
  return static_cast<uint16_t>((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

// ---------------------------------------------------------------- dequantization

namespace {

// The 6-bit scale and min of sub-block j of a Q4_K/Q5_K super-block (ggml's get_scale_min_k4).
void ScaleMinK4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

void DequantQ4_0(const uint8_t* row, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    BlockQ4_0 b = Load<BlockQ4_0>(row + i * sizeof(BlockQ4_0));
    const float d = F16ToF32(b.d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>((b.qs[j] & 0x0F) - 8) * d;
      y[j + kQK / 2] = static_cast<float>((b.qs[j] >> 4) - 8) * d;
    }
    y += kQK;
  }
}

void DequantQ8_0(const uint8_t* row, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    BlockQ8_0 b = Load<BlockQ8_0>(row + i * sizeof(BlockQ8_0));
    const float d = F16ToF32(b.d);
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(b.qs[j]) * d;
    y += kQK;
  }
}

void DequantQ4_K(const uint8_t* row, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    BlockQ4_K b = Load<BlockQ4_K>(row + i * sizeof(BlockQ4_K));
    const float d = F16ToF32(b.d), dmin = F16ToF32(b.dmin);
    const uint8_t* q = b.qs;
    int is = 0;
    for (int j = 0; j < kQKK; j += 64) {
      uint8_t sc, m;
      ScaleMinK4(is + 0, b.scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      ScaleMinK4(is + 1, b.scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
      q += 32;
      is += 2;
    }
  }
}

void DequantQ5_K(const uint8_t* row, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    BlockQ5_K b = Load<BlockQ5_K>(row + i * sizeof(BlockQ5_K));
    const float d = F16ToF32(b.d), dmin = F16ToF32(b.dmin);
    const uint8_t* ql = b.qs;
    int is = 0;
    uint8_t u1 = 1, u2 = 2;
    for (int j = 0; j < kQKK; j += 64) {
      uint8_t sc, m;
      ScaleMinK4(is + 0, b.scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      ScaleMinK4(is + 1, b.scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>((ql[l] & 0xF) + (b.qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>((ql[l] >> 4) + (b.qh[l] & u2 ? 16 : 0)) - m2;
      ql += 32;
      is += 2;
      u1 = static_cast<uint8_t>(u1 << 2);
      u2 = static_cast<uint8_t>(u2 << 2);
    }
  }
}

void DequantQ6_K(const uint8_t* row, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    BlockQ6_K b = Load<BlockQ6_K>(row + i * sizeof(BlockQ6_K));
    const float d = F16ToF32(b.d);
    const uint8_t* ql = b.ql;
    const uint8_t* qh = b.qh;
    const int8_t* sc = b.scales;
    for (int n = 0; n < kQKK; n += 128) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l + 0] = d * sc[is + 0] * static_cast<float>(q1);
        y[l + 32] = d * sc[is + 2] * static_cast<float>(q2);
        y[l + 64] = d * sc[is + 4] * static_cast<float>(q3);
        y[l + 96] = d * sc[is + 6] * static_cast<float>(q4);
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

}  // namespace

void DequantizeRow(DType t, const uint8_t* row, float* out, int64_t n) {
  const int64_t nb = n / BlockElems(t);
  switch (t) {
    case DType::kF32: std::memcpy(out, row, static_cast<size_t>(n) * 4); return;
    case DType::kF16:
      for (int64_t j = 0; j < n; ++j) out[j] = F16ToF32(Load<uint16_t>(row + 2 * j));
      return;
    case DType::kBF16:
      for (int64_t j = 0; j < n; ++j) out[j] = Bf16ToF32(Load<uint16_t>(row + 2 * j));
      return;
    case DType::kQ4_0: DequantQ4_0(row, out, nb); return;
    case DType::kQ8_0: DequantQ8_0(row, out, nb); return;
    case DType::kQ4_K: DequantQ4_K(row, out, nb); return;
    case DType::kQ5_K: DequantQ5_K(row, out, nb); return;
    case DType::kQ6_K: DequantQ6_K(row, out, nb); return;
    case DType::kQ8_K:
      for (int64_t i = 0; i < nb; ++i) {
        BlockQ8_K b = Load<BlockQ8_K>(row + i * sizeof(BlockQ8_K));
        for (int j = 0; j < kQKK; ++j) out[i * kQKK + j] = b.d * static_cast<float>(b.qs[j]);
      }
      return;
  }
}

// ---------------------------------------------------------------- quantization

namespace {

void QuantQ4_0(const float* x, uint8_t* out, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    float amax = 0, max = 0;
    for (int j = 0; j < kQK; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ4_0 b;
    b.d = F32ToF16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      const int x0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));
      const int x1 = std::min(15, static_cast<int>(x[j + kQK / 2] * id + 8.5f));
      b.qs[j] = static_cast<uint8_t>(std::max(0, x0) | (std::max(0, x1) << 4));
    }
    std::memcpy(out + i * sizeof b, &b, sizeof b);
  }
}

void QuantQ8_0Weights(const float* x, uint8_t* out, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK) {
    float amax = 0;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ8_0 b;
    b.d = F32ToF16(d);
    for (int j = 0; j < kQK; ++j) b.qs[j] = static_cast<int8_t>(std::lround(x[j] * id));
    std::memcpy(out + i * sizeof b, &b, sizeof b);
  }
}

// Six-bit scales and mins of 8 sub-blocks into ggml's 12-byte packing.
void PackScalesK4(const uint8_t* ls, const uint8_t* lm, uint8_t* s) {
  std::memset(s, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      s[j] = ls[j];
      s[j + 4] = lm[j];
    } else {
      s[j + 4] = static_cast<uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
      s[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
      s[j - 0] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
    }
  }
}

// Q4_K (levels = 15) and Q5_K (levels = 31): per sub-block of 32 an affine scale and min,
// quantized to six bits against the super-block's d and dmin; L gets the levels.
void QuantAffineK(const float* x, int levels, uint16_t* d_out, uint16_t* dmin_out, uint8_t* scales, uint8_t* L) {
  float sub_scale[8], sub_min[8];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float lo = xs[0], hi = xs[0];
    for (int l = 1; l < 32; ++l) {
      lo = std::min(lo, xs[l]);
      hi = std::max(hi, xs[l]);
    }
    lo = std::min(lo, 0.0f);
    sub_scale[j] = (hi - lo) / static_cast<float>(levels);
    sub_min[j] = -lo;
    max_scale = std::max(max_scale, sub_scale[j]);
    max_min = std::max(max_min, sub_min[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
  uint8_t ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    ls[j] = static_cast<uint8_t>(std::min(63, NearestInt(inv_scale * sub_scale[j])));
    lm[j] = static_cast<uint8_t>(std::min(63, NearestInt(inv_min * sub_min[j])));
  }
  PackScalesK4(ls, lm, scales);
  *d_out = F32ToF16(max_scale / 63.0f);
  *dmin_out = F32ToF16(max_min / 63.0f);
  const float d = F16ToF32(*d_out), dmin = F16ToF32(*dmin_out);
  for (int j = 0; j < 8; ++j) {
    const float sd = d * ls[j], sm = dmin * lm[j];
    for (int l = 0; l < 32; ++l) {
      int q = sd > 0 ? NearestInt((x[32 * j + l] + sm) / sd) : 0;
      L[32 * j + l] = static_cast<uint8_t>(std::clamp(q, 0, levels));
    }
  }
}

void QuantQ4_K(const float* x, uint8_t* out, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    BlockQ4_K b;
    uint8_t L[kQKK];
    QuantAffineK(x, 15, &b.d, &b.dmin, b.scales, L);
    uint8_t* q = b.qs;
    for (int j = 0; j < kQKK; j += 64) {
      for (int l = 0; l < 32; ++l) q[l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
      q += 32;
    }
    std::memcpy(out + i * sizeof b, &b, sizeof b);
  }
}

void QuantQ5_K(const float* x, uint8_t* out, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    BlockQ5_K b;
    uint8_t L[kQKK];
    QuantAffineK(x, 31, &b.d, &b.dmin, b.scales, L);
    std::memset(b.qh, 0, sizeof b.qh);
    uint8_t* ql = b.qs;
    uint8_t m1 = 1, m2 = 2;
    for (int n = 0; n < kQKK; n += 64) {
      for (int j = 0; j < 32; ++j) {
        int l1 = L[n + j];
        if (l1 > 15) {
          l1 -= 16;
          b.qh[j] |= m1;
        }
        int l2 = L[n + j + 32];
        if (l2 > 15) {
          l2 -= 16;
          b.qh[j] |= m2;
        }
        ql[j] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
      m1 = static_cast<uint8_t>(m1 << 2);
      m2 = static_cast<uint8_t>(m2 << 2);
      ql += 32;
    }
    std::memcpy(out + i * sizeof b, &b, sizeof b);
  }
}

void QuantQ6_K(const float* x, uint8_t* out, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQKK) {
    BlockQ6_K b;
    float sub[16];
    float max_scale = 0, amax_scale = 0;
    for (int j = 0; j < 16; ++j) {
      float amax = 0, max = 0;
      for (int l = 0; l < 16; ++l) {
        if (std::fabs(x[16 * j + l]) > amax) {
          amax = std::fabs(x[16 * j + l]);
          max = x[16 * j + l];
        }
      }
      sub[j] = max / -32.0f;
      if (std::fabs(sub[j]) > amax_scale) {
        amax_scale = std::fabs(sub[j]);
        max_scale = sub[j];
      }
    }
    const float iscale = max_scale != 0 ? -128.0f / max_scale : 0.0f;
    b.d = F32ToF16(iscale != 0 ? 1.0f / iscale : 0.0f);
    const float d = F16ToF32(b.d);
    uint8_t L[kQKK];
    for (int j = 0; j < 16; ++j) {
      b.scales[j] = static_cast<int8_t>(std::min(127, NearestInt(iscale * sub[j])));
      const float sd = d * b.scales[j];
      for (int l = 0; l < 16; ++l) {
        int q = sd != 0 ? NearestInt(x[16 * j + l] / sd) : 0;
        L[16 * j + l] = static_cast<uint8_t>(std::clamp(q, -32, 31) + 32);
      }
    }
    uint8_t* ql = b.ql;
    uint8_t* qh = b.qh;
    for (int j = 0; j < kQKK; j += 128) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t q1 = L[j + l + 0] & 0xF, q2 = L[j + l + 32] & 0xF;
        const uint8_t q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
        ql[l + 0] = static_cast<uint8_t>(q1 | (q3 << 4));
        ql[l + 32] = static_cast<uint8_t>(q2 | (q4 << 4));
        qh[l] = static_cast<uint8_t>((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                                     ((L[j + l + 96] >> 4) << 6));
      }
      ql += 64;
      qh += 32;
    }
    std::memcpy(out + i * sizeof b, &b, sizeof b);
  }
}

}  // namespace

void QuantizeRow(DType t, const float* x, uint8_t* out, int64_t n) {
  const int64_t nb = n / BlockElems(t);
  switch (t) {
    case DType::kF32: std::memcpy(out, x, static_cast<size_t>(n) * 4); return;
    case DType::kF16:
      for (int64_t j = 0; j < n; ++j) {
        uint16_t h = F32ToF16(x[j]);
        std::memcpy(out + 2 * j, &h, 2);
      }
      return;
    case DType::kBF16:
      for (int64_t j = 0; j < n; ++j) {
        uint16_t h = F32ToBf16(x[j]);
        std::memcpy(out + 2 * j, &h, 2);
      }
      return;
    case DType::kQ4_0: QuantQ4_0(x, out, nb); return;
    case DType::kQ8_0: QuantQ8_0Weights(x, out, nb); return;
    case DType::kQ4_K: QuantQ4_K(x, out, nb); return;
    case DType::kQ5_K: QuantQ5_K(x, out, nb); return;
    case DType::kQ6_K: QuantQ6_K(x, out, nb); return;
    case DType::kQ8_K: QuantizeRowQ8_K(x, reinterpret_cast<BlockQ8_K*>(out), n); return;
  }
}

void QuantizeRowQ8_0(const float* x, BlockQ8_0* out, int64_t n) {
  for (int64_t b = 0; b < n / kQK; ++b) {
    const float* xb = x + b * kQK;
    float amax = 0.0f;
    for (int i = 0; i < kQK; ++i) amax = std::max(amax, std::fabs(xb[i]));
    const float d = amax / 127.f;
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    out[b].d = F32ToF16(d);
    for (int i = 0; i < kQK; ++i) out[b].qs[i] = static_cast<int8_t>(std::nearbyint(xb[i] * id));
  }
}

void QuantizeRowQ8_K(const float* x, BlockQ8_K* y, int64_t n) {
  for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
    float max = 0, amax = 0;
    for (int j = 0; j < kQKK; ++j) {
      float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      y[i].d = 0;
      std::memset(y[i].qs, 0, sizeof y[i].qs);
      std::memset(y[i].bsums, 0, sizeof y[i].bsums);
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < kQKK; ++j) y[i].qs[j] = static_cast<int8_t>(std::min(127, NearestInt(iscale * x[j])));
    for (int j = 0; j < kQKK / 16; ++j) {
      int sum = 0;
      for (int k = 0; k < 16; ++k) sum += y[i].qs[j * 16 + k];
      y[i].bsums[j] = static_cast<int16_t>(sum);
    }
    y[i].d = 1 / iscale;
  }
}

DType ActivationType(DType w) {
  switch (w) {
    case DType::kQ4_0: case DType::kQ8_0: return DType::kQ8_0;
    case DType::kQ4_K: case DType::kQ5_K: case DType::kQ6_K: return DType::kQ8_K;
    default: return DType::kF32;
  }
}

}  // namespace lt::engine
