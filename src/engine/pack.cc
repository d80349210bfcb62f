#include "engine/pack.h"

#include <cstring>

namespace lt::engine {

namespace {

constexpr size_t kQ4KPackedBlock = 2048 + 128 + 128 + 32 + 32;  // per super-block of a group

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

void PackQ4KGroup(const uint8_t* src, size_t row_bytes, int64_t nk, uint8_t* out) {
  for (int r = 0; r < kPackRows; ++r) {
    const uint8_t* row = src + static_cast<size_t>(r) * row_bytes;
    for (int64_t b = 0; b < nk; ++b) {
      const BlockQ4_K* blk = reinterpret_cast<const BlockQ4_K*>(row + static_cast<size_t>(b) * sizeof(BlockQ4_K));
      uint8_t* o = out + static_cast<size_t>(b) * kQ4KPackedBlock;
      // The 256 four-bit values in element order.
      uint8_t q[kQKK];
      for (int c = 0; c < 4; ++c) {
        for (int l = 0; l < 32; ++l) {
          q[64 * c + l] = blk->qs[32 * c + l] & 0xF;
          q[64 * c + 32 + l] = blk->qs[32 * c + l] >> 4;
        }
      }
      for (int j = 0; j < 8; ++j) {
        for (int h = 0; h < 4; ++h) {
          uint8_t* dst = o + static_cast<size_t>((j * 4 + h) * 64 + r * 4);
          for (int k = 0; k < 4; ++k) {
            dst[k] = static_cast<uint8_t>(q[32 * j + 4 * h + k] | (q[32 * j + 16 + 4 * h + k] << 4));
          }
        }
      }
      uint8_t sc[8], mn[8];
      ScalesMins(blk->scales, sc, mn);
      for (int i = 0; i < 4; ++i) {
        o[2048 + i * 32 + r * 2] = mn[2 * i];
        o[2048 + i * 32 + r * 2 + 1] = mn[2 * i + 1];
      }
      for (int j = 0; j < 8; ++j) o[2048 + 128 + j * 16 + r] = sc[j];
      std::memcpy(o + 2048 + 256 + r * 2, &blk->d, 2);
      std::memcpy(o + 2048 + 256 + 32 + r * 2, &blk->dmin, 2);
    }
  }
}

}  // namespace

bool Packable(DType t, int64_t rows, int64_t cols) {
  if (rows <= 0 || rows % kPackRows != 0 || cols <= 0) return false;
  switch (t) {
    case DType::kQ8_0:
    case DType::kQ4_0: return cols % kQK == 0;
    case DType::kQ4_K: return cols % kQKK == 0;
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
    if (t == DType::kQ4_K) PackQ4KGroup(s, row_bytes, cols / kQKK, o);
  }
}

}  // namespace lt::engine
