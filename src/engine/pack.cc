#include "engine/pack.h"

#include <cstring>

namespace lt::engine {

namespace {

constexpr size_t kQ4KPackedBlock = 2048 + 128 + 128 + 32 + 32;  // per super-block of a group
constexpr size_t kQ5KPackedBlock = kQ4KPackedBlock + 512;          // Q4_K's and the fifth bits
constexpr size_t kQ6KPackedBlock = 256 + 32 + 32 + 8 * 384;        // 3360 padded to 64 bytes

size_t Q8ScaleBytes(int64_t nb) { return (static_cast<size_t>(nb) * 32 + 63) / 64 * 64; }

// ggml's 6-bit scales and mins of a Q4_K/Q5_K block.
void ScalesMins(const uint8_t* s, uint8_t* sc, uint8_t* mn) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      sc[j] = s[j] & 63;
      mn[j] = s[j + 4] & 63;
    } else {
      sc[j] = static_cast<uint8_t>((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
      mn[j] = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
    }
  }
}

void PackQ8_0Group(const uint8_t* src, size_t row_bytes, int64_t nb, uint8_t* out) {
  uint8_t* scales = out;
  uint8_t* qs = out + Q8ScaleBytes(nb);
  for (int r = 0; r < kPackRows; ++r) {
    const uint8_t* row = src + static_cast<size_t>(r) * row_bytes;
    for (int64_t b = 0; b < nb; ++b) {
      const uint8_t* blk = row + static_cast<size_t>(b) * sizeof(BlockQ8_0);
      std::memcpy(scales + (static_cast<size_t>(b) * kPackRows + r) * 2, blk, 2);
      uint8_t* dst = qs + static_cast<size_t>(b) * 512 + static_cast<size_t>(r) * 4;
      for (int g = 0; g < 8; ++g) {
        for (int k = 0; k < 4; ++k) dst[g * 64 + k] = static_cast<uint8_t>(blk[2 + 4 * g + k] ^ 0x80);  // q + 128
      }
    }
  }
}

void PackQ4_0Group(const uint8_t* src, size_t row_bytes, int64_t nb, uint8_t* out) {
  uint8_t* scales = out;
  uint8_t* qs = out + Q8ScaleBytes(nb);
  for (int r = 0; r < kPackRows; ++r) {
    const uint8_t* row = src + static_cast<size_t>(r) * row_bytes;
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ4_0* blk = reinterpret_cast<const BlockQ4_0*>(row + static_cast<size_t>(b) * sizeof(BlockQ4_0));
      std::memcpy(scales + (static_cast<size_t>(b) * kPackRows + r) * 2, &blk->d, 2);
      uint8_t* dst = qs + static_cast<size_t>(b) * 256 + static_cast<size_t>(r) * 4;
      // ggml's block already holds element i in the low nibble and i+16 in the high nibble of byte i.
      for (int h = 0; h < 4; ++h) {
        for (int k = 0; k < 4; ++k) dst[h * 64 + k] = blk->qs[4 * h + k];
      }
    }
  }
}

// The low four bits of 256 values in element order, as Q4_K's packed quants of row r: for each
// sub-block j (at o + j * jstride) [4 columns h][16 rows][4 bytes k], element 32j+4h+k in the low
// nibble and 32j+16+4h+k in the high nibble.
void PutNibbles(const uint8_t* q, int r, uint8_t* o, size_t jstride) {
  for (int j = 0; j < 8; ++j) {
    for (int h = 0; h < 4; ++h) {
      uint8_t* dst = o + j * jstride + static_cast<size_t>(h * 64 + r * 4);
      for (int k = 0; k < 4; ++k) {
        dst[k] = static_cast<uint8_t>((q[32 * j + 4 * h + k] & 0xF) | ((q[32 * j + 16 + 4 * h + k] & 0xF) << 4));
      }
    }
  }
}

// Q4_K: the quants, then the mins, scales, d and dmin (the "tail", 320 bytes). Q5_K: the tail
// first, then per sub-block j its quants and its fifth bits [16 rows][4 bytes k] (bit h of byte k
// is element 32j+4h+k's, bit 4+h element 32j+16+4h+k's), so the kernel reads the block in order
// (a decode step streams from memory, and skipping ahead and back measured 3x slower).
void PackQ45KGroup(DType t, const uint8_t* src, size_t row_bytes, int64_t nk, uint8_t* out) {
  const bool five = t == DType::kQ5_K;
  const size_t in_block = five ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K);
  const size_t out_block = five ? kQ5KPackedBlock : kQ4KPackedBlock;
  for (int r = 0; r < kPackRows; ++r) {
    const uint8_t* row = src + static_cast<size_t>(r) * row_bytes;
    for (int64_t b = 0; b < nk; ++b) {
      const uint8_t* in = row + static_cast<size_t>(b) * in_block;
      uint8_t* o = out + static_cast<size_t>(b) * out_block;
      // d, dmin and the 12 scale bytes lead both block types; then Q5_K's qh, then the nibbles.
      const uint8_t* qs = in + 16 + (five ? 32 : 0);
      const uint8_t* qh = in + 16;
      // The 256 values in element order (ggml: 64-element chunks c of 32 low nibbles, then 32 high;
      // Q5_K's fifth bit of element 64c+l is bit 2c of qh[l], of 64c+32+l bit 2c+1).
      uint8_t q[kQKK];
      for (int c = 0; c < 4; ++c) {
        for (int l = 0; l < 32; ++l) {
          q[64 * c + l] = static_cast<uint8_t>(qs[32 * c + l] & 0xF);
          q[64 * c + 32 + l] = static_cast<uint8_t>(qs[32 * c + l] >> 4);
          if (five) {
            q[64 * c + l] |= static_cast<uint8_t>(((qh[l] >> (2 * c)) & 1) << 4);
            q[64 * c + 32 + l] |= static_cast<uint8_t>(((qh[l] >> (2 * c + 1)) & 1) << 4);
          }
        }
      }
      uint8_t* tail = five ? o : o + 2048;
      uint8_t* quants = five ? o + 320 : o;
      const size_t jstride = five ? 320 : 256;
      PutNibbles(q, r, quants, jstride);
      uint8_t sc[8], mn[8];
      ScalesMins(in + 4, sc, mn);
      for (int i = 0; i < 4; ++i) {
        tail[i * 32 + r * 2] = mn[2 * i];
        tail[i * 32 + r * 2 + 1] = mn[2 * i + 1];
      }
      for (int j = 0; j < 8; ++j) tail[128 + j * 16 + r] = sc[j];
      std::memcpy(tail + 256 + r * 2, in, 2);
      std::memcpy(tail + 256 + 32 + r * 2, in + 2, 2);
      if (five) {
        for (int j = 0; j < 8; ++j) {
          uint8_t* dst = quants + j * jstride + 256 + static_cast<size_t>(r * 4);
          for (int k = 0; k < 4; ++k) {
            uint8_t bits = 0;
            for (int h = 0; h < 4; ++h) {
              bits |= static_cast<uint8_t>((q[32 * j + 4 * h + k] >> 4) << h);
              bits |= static_cast<uint8_t>((q[32 * j + 16 + 4 * h + k] >> 4) << (4 + h));
            }
            dst[k] = bits;
          }
        }
      }
    }
  }
}

// Q6_K: the scales [8 j][16 rows][2] int8 (sub-blocks 2j and 2j+1, 16 elements each), d [16]
// fp16 and 32 bytes of padding; then per sub-block j (384 bytes) the low four bits as Q4_K's
// quants and the high two bits [2 halves s][16 rows][4 bytes k], bits 2h..2h+1 of byte k element
// 32j+16s+4h+k's: read in order, as Q5_K's.
void PackQ6KGroup(const uint8_t* src, size_t row_bytes, int64_t nk, uint8_t* out) {
  for (int r = 0; r < kPackRows; ++r) {
    const uint8_t* row = src + static_cast<size_t>(r) * row_bytes;
    for (int64_t b = 0; b < nk; ++b) {
      const BlockQ6_K* blk = reinterpret_cast<const BlockQ6_K*>(row + static_cast<size_t>(b) * sizeof(BlockQ6_K));
      uint8_t* o = out + static_cast<size_t>(b) * kQ6KPackedBlock;
      // The 256 six-bit values in element order (ggml: 128-element halves n of four 32-element
      // runs, from ql's low and high nibbles and qh's 2-bit fields).
      uint8_t q[kQKK];
      for (int n = 0; n < 2; ++n) {
        const uint8_t* ql = blk->ql + 64 * n;
        const uint8_t* qh = blk->qh + 32 * n;
        for (int l = 0; l < 32; ++l) {
          q[128 * n + l] = static_cast<uint8_t>((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4));
          q[128 * n + 32 + l] = static_cast<uint8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
          q[128 * n + 64 + l] = static_cast<uint8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
          q[128 * n + 96 + l] = static_cast<uint8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
        }
      }
      PutNibbles(q, r, o + 320, 384);
      for (int j = 0; j < 8; ++j) {
        for (int s = 0; s < 2; ++s) {
          uint8_t* dst = o + 320 + static_cast<size_t>(j * 384 + 256 + s * 64 + r * 4);
          for (int k = 0; k < 4; ++k) {
            uint8_t bits = 0;
            for (int h = 0; h < 4; ++h) bits |= static_cast<uint8_t>((q[32 * j + 16 * s + 4 * h + k] >> 4) << (2 * h));
            dst[k] = bits;
          }
        }
        std::memcpy(o + j * 32 + r * 2, blk->scales + 2 * j, 2);
      }
      std::memcpy(o + 256 + r * 2, &blk->d, 2);
    }
  }
}

}  // namespace

bool Packable(DType t, int64_t rows, int64_t cols) {
  if (rows <= 0 || rows % kPackRows != 0 || cols <= 0) return false;
  switch (t) {
    case DType::kQ8_0:
    case DType::kQ4_0: return cols % kQK == 0;
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K: return cols % kQKK == 0;
    default: return false;
  }
}

size_t PackedGroupBytes(DType t, int64_t cols) {
  switch (t) {
    case DType::kQ8_0: {
      const int64_t nb = cols / kQK;
      return Q8ScaleBytes(nb) + static_cast<size_t>(nb) * 512;
    }
    case DType::kQ4_0: {
      const int64_t nb = cols / kQK;
      return Q8ScaleBytes(nb) + static_cast<size_t>(nb) * 256;
    }
    case DType::kQ4_K: return static_cast<size_t>(cols / kQKK) * kQ4KPackedBlock;
    case DType::kQ5_K: return static_cast<size_t>(cols / kQKK) * kQ5KPackedBlock;
    case DType::kQ6_K: return static_cast<size_t>(cols / kQKK) * kQ6KPackedBlock;
    default: return 0;
  }
}

void PackGroups(DType t, const uint8_t* src, int64_t cols, int64_t g0, int64_t g1, uint8_t* out) {
  const size_t row_bytes = RowBytes(t, cols);
  const size_t group_bytes = PackedGroupBytes(t, cols);
  for (int64_t g = g0; g < g1; ++g) {
    const uint8_t* s = src + static_cast<size_t>(g) * kPackRows * row_bytes;
    uint8_t* o = out + static_cast<size_t>(g - g0) * group_bytes;
    if (t == DType::kQ8_0) PackQ8_0Group(s, row_bytes, cols / kQK, o);
    if (t == DType::kQ4_0) PackQ4_0Group(s, row_bytes, cols / kQK, o);
    if (t == DType::kQ4_K || t == DType::kQ5_K) PackQ45KGroup(t, s, row_bytes, cols / kQKK, o);
    if (t == DType::kQ6_K) PackQ6KGroup(s, row_bytes, cols / kQKK, o);
  }
}

}  // namespace lt::engine
