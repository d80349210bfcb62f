#include "engine/kernels.h"
#include "engine/pack.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define LT_ENGINE_X86 1
#endif

namespace lt::engine {

void DequantizeRow(const Matrix& m, int64_t r, float* out) { DequantizeRow(m.type, m.Row(r), out, m.cols); }

// ---------------------------------------------------------------- activations

void Activations::Set(const float* x, int64_t ldx, int n, int64_t cols) {
  x_ = x;
  ldx_ = ldx;
  n_ = n;
  cols_ = cols;
  q8_0_.reserved = q8_0_.ready = false;
  q8_k_.reserved = q8_k_.ready = false;
}

void Activations::Reserve(DType act) {
  if (act != DType::kQ8_0 && act != DType::kQ8_K) return;
  Q& q = Slot(act);
  if (q.reserved) return;
  q.stride = act == DType::kQ8_0 ? Q8ActRowBytes(cols_) : RowBytes(act, cols_);
  if (q.bytes.size() < q.stride * static_cast<size_t>(n_)) q.bytes.resize(q.stride * static_cast<size_t>(n_));
  q.reserved = true;
}

void Activations::Quantize(DType act, int t0, int t1) {
  if (act != DType::kQ8_0 && act != DType::kQ8_K) return;
  Q& q = Slot(act);
  for (int t = t0; t < t1; ++t) {
    const float* x = x_ + static_cast<size_t>(t) * static_cast<size_t>(ldx_);
    uint8_t* out = q.bytes.data() + static_cast<size_t>(t) * q.stride;
    if (act == DType::kQ8_0) {
      QuantizeActQ8_0(x, out, cols_);
#ifdef LT_ENGINE_X86
    } else if (ActiveIsa() != Isa::kPortable) {
      Avx2QuantizeRowQ8_K(x, reinterpret_cast<BlockQ8_K*>(out), cols_);
#endif
    } else {
      QuantizeRowQ8_K(x, reinterpret_cast<BlockQ8_K*>(out), cols_);
    }
  }
  if (t0 == 0 && t1 == n_) q.ready = true;
}

void Activations::Prepare(DType act) {
  if (act != DType::kQ8_0 && act != DType::kQ8_K) return;
  if (Slot(act).ready) return;
  Reserve(act);
  Quantize(act, 0, n_);
  Slot(act).ready = true;
}

bool Activations::Ready(DType act) const {
  if (act != DType::kQ8_0 && act != DType::kQ8_K) return true;
  return Slot(act).ready;
}

const uint8_t* Activations::QRow(DType act, int t) const {
  const Q& q = Slot(act);
  return q.bytes.data() + static_cast<size_t>(t) * q.stride;
}

// ---------------------------------------------------------------- portable kernels
//
// Each computes the same integer sums as the AVX2 kernels (and ggml), summed in float per block.

namespace {

template <typename T>
T Ld(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void PortableF32(const uint8_t* w, int64_t n, const uint8_t* const* x, int nx, float* out) {
  for (int t = 0; t < nx; ++t) {
    float s[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      for (int k = 0; k < 4; ++k) s[k] += Ld<float>(w + 4 * (i + k)) * Ld<float>(x[t] + 4 * (i + k));
    }
    float sum = (s[0] + s[1]) + (s[2] + s[3]);
    for (; i < n; ++i) sum += Ld<float>(w + 4 * i) * Ld<float>(x[t] + 4 * i);
    out[t] = sum;
  }
}

template <bool kBf16>
void PortableHalf(const uint8_t* w, int64_t n, const uint8_t* const* x, int nx, float* out) {
  for (int t = 0; t < nx; ++t) {
    float sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h = Ld<uint16_t>(w + 2 * i);
      sum += (kBf16 ? Bf16ToF32(h) : F16ToF32(h)) * Ld<float>(x[t] + 4 * i);
    }
    out[t] = sum;
  }
}

void PortableQ8_0(const uint8_t* w, int64_t n, const uint8_t* const* x, int nx, float* out) {
  const int64_t nb = n / kQK;
  for (int t = 0; t < nx; ++t) {
    const int8_t* xq = reinterpret_cast<const int8_t*>(x[t] + 8 * nb);
    float sum = 0;
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ8_0 bw = Ld<BlockQ8_0>(w + b * sizeof(BlockQ8_0));
      int32_t acc = 0;
      for (int i = 0; i < kQK; ++i) acc += static_cast<int32_t>(bw.qs[i]) * xq[b * kQK + i];
      sum += static_cast<float>(acc) * (F16ToF32(bw.d) * Ld<float>(x[t] + 4 * b));
    }
    out[t] = sum;
  }
}

void PortableQ4_0(const uint8_t* w, int64_t n, const uint8_t* const* x, int nx, float* out) {
  const int64_t nb = n / kQK;
  for (int t = 0; t < nx; ++t) {
    float sum = 0;
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ4_0 bw = Ld<BlockQ4_0>(w + b * sizeof(BlockQ4_0));
      const int8_t* xq = reinterpret_cast<const int8_t*>(x[t] + 8 * nb) + b * kQK;
      int32_t acc = 0;
      for (int i = 0; i < kQK / 2; ++i) {
        acc += ((bw.qs[i] & 0xF) - 8) * xq[i] + ((bw.qs[i] >> 4) - 8) * xq[i + kQK / 2];
      }
      sum += static_cast<float>(acc) * (F16ToF32(bw.d) * Ld<float>(x[t] + 4 * b));
    }
    out[t] = sum;
  }
}

void ScalesMinsK4(const uint8_t* s, int* sc, int* mn) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      sc[j] = s[j] & 63;
      mn[j] = s[j + 4] & 63;
    } else {
      sc[j] = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
      mn[j] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
  }
}

template <bool kQ5>
void PortableQ45_K(const uint8_t* w, int64_t n, const uint8_t* const* x, int nx, float* out) {
  const int64_t nb = n / kQKK;
  const size_t wb = kQ5 ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  for (int t = 0; t < nx; ++t) {
    float sum = 0;
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* blk = w + b * wb;
      const BlockQ8_K& bx = *reinterpret_cast<const BlockQ8_K*>(x[t] + b * sizeof(BlockQ8_K));
      uint16_t d16 = Ld<uint16_t>(blk), dmin16 = Ld<uint16_t>(blk + 2);
      int sc[8], mn[8];
      ScalesMinsK4(blk + 4, sc, mn);
      const uint8_t* qh = blk + 16;
      const uint8_t* qs = kQ5 ? blk + 16 + 32 : blk + 16;
      int32_t sumi = 0, summ = 0;
      for (int j = 0; j < 4; ++j) {  // 64 elements: sub-blocks 2j (low nibbles) and 2j+1 (high)
        int32_t lo = 0, hi = 0;
        for (int l = 0; l < 32; ++l) {
          int ql = qs[32 * j + l] & 0xF, qhh = qs[32 * j + l] >> 4;
          if (kQ5) {
            ql += (qh[l] >> (2 * j)) & 1 ? 16 : 0;
            qhh += (qh[l] >> (2 * j + 1)) & 1 ? 16 : 0;
          }
          lo += ql * bx.qs[64 * j + l];
          hi += qhh * bx.qs[64 * j + 32 + l];
        }
        sumi += sc[2 * j] * lo + sc[2 * j + 1] * hi;
      }
      for (int j = 0; j < 8; ++j) summ += mn[j] * (bx.bsums[2 * j] + bx.bsums[2 * j + 1]);
      sum += bx.d * F16ToF32(d16) * static_cast<float>(sumi) - bx.d * F16ToF32(dmin16) * static_cast<float>(summ);
    }
    out[t] = sum;
  }
}

void PortableQ6_K(const uint8_t* w, int64_t n, const uint8_t* const* x, int nx, float* out) {
  const int64_t nb = n / kQKK;
  for (int t = 0; t < nx; ++t) {
    float sum = 0;
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ6_K& bw = *reinterpret_cast<const BlockQ6_K*>(w + b * sizeof(BlockQ6_K));
      const BlockQ8_K& bx = *reinterpret_cast<const BlockQ8_K*>(x[t] + b * sizeof(BlockQ8_K));
      int32_t sumi = 0;
      for (int half = 0; half < 2; ++half) {
        const uint8_t* ql = bw.ql + 64 * half;
        const uint8_t* qh = bw.qh + 32 * half;
        const int8_t* sc = bw.scales + 8 * half;
        const int8_t* q8 = bx.qs + 128 * half;
        int32_t part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int l = 0; l < 32; ++l) {
          const int is = l / 16;
          const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
          const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
          const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
          const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
          part[is + 0] += q1 * q8[l];
          part[is + 2] += q2 * q8[l + 32];
          part[is + 4] += q3 * q8[l + 64];
          part[is + 6] += q4 * q8[l + 96];
        }
        for (int k = 0; k < 8; ++k) sumi += sc[k] * part[k];
      }
      sum += bx.d * F16ToF32(bw.d) * static_cast<float>(sumi);
    }
    out[t] = sum;
  }
}

std::atomic<int> g_forced{-1};

}  // namespace

RowKernel PortableKernel(DType t) {
  switch (t) {
    case DType::kF32: return PortableF32;
    case DType::kF16: return PortableHalf<false>;
    case DType::kBF16: return PortableHalf<true>;
    case DType::kQ8_0: return PortableQ8_0;
    case DType::kQ4_0: return PortableQ4_0;
    case DType::kQ4_K: return PortableQ45_K<false>;
    case DType::kQ5_K: return PortableQ45_K<true>;
    case DType::kQ6_K: return PortableQ6_K;
    default: return nullptr;
  }
}

void QuantizeActQ8_0(const float* x, uint8_t* out, int64_t cols) {
#ifdef LT_ENGINE_X86
  if (ActiveIsa() != Isa::kPortable) {
    Avx2QuantizeActQ8_0(x, out, cols);
    return;
  }
#endif
  const int64_t nb = cols / kQK;
  int8_t* q = reinterpret_cast<int8_t*>(out + 8 * nb);
  for (int64_t b = 0; b < nb; ++b) {
    BlockQ8_0 blk;
    QuantizeRowQ8_0(x + b * kQK, &blk, kQK);
    const float d = F16ToF32(blk.d);
    int32_t sum = 0;
    for (int i = 0; i < kQK; ++i) sum += blk.qs[i];
    std::memcpy(out + 4 * b, &d, 4);
    std::memcpy(out + 4 * nb + 4 * b, &sum, 4);
    std::memcpy(q + b * kQK, blk.qs, kQK);
  }
}

#if !defined(__x86_64__)
RowKernel Avx512Kernel(DType) { return nullptr; }
#endif

#ifndef LT_ENGINE_X86
RowKernel Avx2Kernel(DType) { return nullptr; }
void Avx2QuantizeActQ8_0(const float*, uint8_t*, int64_t) {}
void Avx2QuantizeRowQ8_K(const float*, BlockQ8_K*, int64_t) {}
float Avx2DotF32(const float*, const float*, int64_t) { return 0; }
void Avx2AxpyF32(float, const float*, float*, int64_t) {}
bool Avx2Attend(const float*, const float*, const float*, size_t, int, int, float, float*, float*) { return false; }
#endif

float DotF32(const float* a, const float* b, int64_t n) {
#ifdef LT_ENGINE_X86
  if (ActiveIsa() != Isa::kPortable) return Avx2DotF32(a, b, n);
#endif
  float s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) s[k] += a[i + k] * b[i + k];
  }
  float sum = (s[0] + s[1]) + (s[2] + s[3]);
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void Attend(const float* q, const float* k, const float* v, size_t stride, int len, int hs, float scale, float* att,
            float* out) {
#ifdef LT_ENGINE_X86
  if (ActiveIsa() != Isa::kPortable && Avx2Attend(q, k, v, stride, len, hs, scale, att, out)) return;
#endif
  float mx = -3.0e38f;
  for (int p = 0; p < len; ++p) {
    att[p] = DotF32(q, k + static_cast<size_t>(p) * stride, hs) * scale;
    mx = std::max(mx, att[p]);
  }
  float sum = 0.0f;
  for (int p = 0; p < len; ++p) {
    att[p] = std::exp(att[p] - mx);
    sum += att[p];
  }
  const float inv = 1.0f / sum;
  std::memset(out, 0, static_cast<size_t>(hs) * sizeof(float));
  for (int p = 0; p < len; ++p) AxpyF32(att[p] * inv, v + static_cast<size_t>(p) * stride, out, hs);
}

void AxpyF32(float a, const float* x, float* y, int64_t n) {
#ifdef LT_ENGINE_X86
  if (ActiveIsa() != Isa::kPortable) {
    Avx2AxpyF32(a, x, y, n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

Isa DetectIsa() {
#ifdef LT_ENGINE_X86
  __builtin_cpu_init();
  // clang 14 does not know "f16c" in __builtin_cpu_supports: read its CPUID bit directly.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni")) {
      return Isa::kAvx512;
    }
#endif
    return Isa::kAvx2;
  }
#endif
  return Isa::kPortable;
}

std::optional<Isa> IsaFromName(std::string_view name) {
  if (name == "portable") return Isa::kPortable;
  if (name == "avx2") return Isa::kAvx2;
  if (name == "avx512") return Isa::kAvx512;
  return std::nullopt;
}

namespace {

// DetectIsa(), lowered by LT_ENGINE_ISA when set (read once, at the first kernel call).
Isa StartIsa() {
  const Isa detected = DetectIsa();
  const char* env = std::getenv("LT_ENGINE_ISA");
  if (env == nullptr || *env == '\0') return detected;
  std::optional<Isa> want = IsaFromName(env);
  if (!want) {
    std::fprintf(stderr, "lt: LT_ENGINE_ISA=%s is not one of portable, avx2, avx512: ignored, using %s\n", env,
                 std::string(IsaName(detected)).c_str());
    return detected;
  }
  return static_cast<int>(*want) > static_cast<int>(detected) ? detected : *want;
}

}  // namespace

Isa ActiveIsa() {
  static const Isa start = StartIsa();
  int f = g_forced.load(std::memory_order_relaxed);
  if (f < 0) return start;
  const Isa want = static_cast<Isa>(f);
  const Isa detected = DetectIsa();
  return static_cast<int>(want) > static_cast<int>(detected) ? detected : want;
}

void SetIsa(Isa isa) { g_forced.store(static_cast<int>(isa), std::memory_order_relaxed); }

void ResetIsa() { g_forced.store(-1, std::memory_order_relaxed); }

std::string_view IsaName(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return "avx512-vnni+avx2";
    case Isa::kAvx2: return "avx2+fma+f16c";
    default: return "portable";
  }
}

void MatMulRows(const Matrix& w, const Activations& x, float* y, int64_t ldy, int64_t r0, int64_t r1) {
  RowKernel k = nullptr;
  const Isa isa = ActiveIsa();
  if (isa == Isa::kAvx512) k = Avx512Kernel(w.type);
  if (k == nullptr && isa != Isa::kPortable) k = Avx2Kernel(w.type);
  if (k == nullptr) k = PortableKernel(w.type);
  if (k == nullptr || r1 <= r0) return;
  if (isa == Isa::kAvx512 && w.packed != nullptr && r0 % kPackRows == 0 && r1 % kPackRows == 0 &&
      Avx512PackedMatMul(w, x, y, ldy, r0, r1)) {
    return;
  }
  const DType act = ActivationType(w.type);
  const int n = x.n();
  const size_t stride = w.RowStride();
  auto xrow = [&](int t) -> const uint8_t* {
    if (act == DType::kF32) return reinterpret_cast<const uint8_t*>(x.f32() + static_cast<size_t>(t) * static_cast<size_t>(x.ldx()));
    return x.QRow(act, t);
  };
  if (n == 1) {
    const uint8_t* xs[1] = {xrow(0)};
    const uint8_t* row = w.data + static_cast<size_t>(r0) * stride;
    for (int64_t r = r0; r < r1; ++r, row += stride) k(row, w.cols, xs, 1, y + r);
    return;
  }
  // Token blocks whose activations stay in L1/L2 while a block of rows runs over them.
  const size_t act_row = act == DType::kF32 ? static_cast<size_t>(w.cols) * 4 : RowBytes(act, w.cols);
  const int tblock = static_cast<int>(std::clamp<size_t>((24u << 10) / std::max<size_t>(act_row, 1), 8, 64)) / 8 * 8;
  const int64_t rblock = 16;
  const int max_nx = isa == Isa::kAvx512 && Avx512Kernel(w.type) != nullptr ? 8 : 4;
  const uint8_t* xs[8];
  float out[8];
  for (int64_t rb = r0; rb < r1; rb += rblock) {
    const int64_t re = std::min(r1, rb + rblock);
    for (int tb = 0; tb < n; tb += tblock) {
      const int te = std::min(n, tb + tblock);
      for (int64_t r = rb; r < re; ++r) {
        const uint8_t* row = w.data + static_cast<size_t>(r) * stride;
        for (int t = tb; t < te; t += max_nx) {
          const int nx = std::min(max_nx, te - t);
          for (int i = 0; i < nx; ++i) xs[i] = xrow(t + i);
          k(row, w.cols, xs, nx, out);
          for (int i = 0; i < nx; ++i) y[static_cast<size_t>(t + i) * static_cast<size_t>(ldy) + static_cast<size_t>(r)] = out[i];
        }
      }
    }
  }
}

}  // namespace lt::engine
