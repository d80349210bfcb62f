// Pack: weight matrices repacked at load time for the AVX-512 VNNI kernels (kernels_packed.cc).
//
// A packed matrix is a sequence of groups of kPackRows (16) consecutive rows. Inside a group the
// rows are interleaved in 4-byte columns, so one 64-byte load holds 4 consecutive weights of
// each of the 16 rows and one vpdpbusd multiplies them with 4 activation bytes broadcast to every
// lane: the 16 lanes of an accumulator are the 16 rows' dot products, and a tile of rows x tokens
// needs no horizontal sums. Weights are stored unsigned (the kernels use u8 x s8 products and
// correct with the activation block sums), scales as ggml's fp16 values, so the integer sums are
// exactly those of the unpacked kernels and of ggml.
//
// Layouts (doc/engine.md "Packed weights"); G is the byte offset of a group, groups follow each
// other every PackedGroupBytes(type, cols):
// - Q8_0, nb = cols/32 blocks: scales [nb][16] fp16 (padded to 64 bytes), then quants
//   [nb][8 columns][16 rows][4] as u8 (q + 128).
// - Q4_0, nb = cols/32 blocks: scales as for Q8_0, then quants [nb][4 columns h][16 rows][4 bytes
//   k] whose low nibble is element 4h+k and high nibble element 16+4h+k (ggml's q, 0..15).
// - Q4_K, nk = cols/256 super-blocks of 2368 bytes each: quants [8 sub-blocks j][4 columns h]
//   [16 rows][4 bytes k] whose low nibble is element 32j+4h+k and high nibble element 32j+16+4h+k;
//   mins [4][16 rows][2] u8 (sub-blocks 2i, 2i+1); scales [8][16 rows] u8; d [16] fp16;
//   dmin [16] fp16.
// - Q5_K, nk super-blocks of 2880 bytes: Q4_K's tail (mins, scales, d, dmin; 320 bytes) first,
//   then per sub-block j (320 bytes) its quants [4 h][16 rows][4 k] as Q4_K's and its fifth bits
//   [16 rows][4 bytes k]: bit h of byte k is element 32j+4h+k's, bit 4+h element 32j+16+4h+k's.
// - Q6_K, nk super-blocks of 3392 bytes: int8 scales [8 j][16 rows][2] (sub-blocks 2j, 2j+1 of
//   16 values), d [16] fp16, 32 bytes padding; then per sub-block j (384 bytes) the low four bits
//   as Q4_K's quants and the high two bits [2 halves s][16 rows][4 bytes k], bits 2h..2h+1 of
//   byte k element 32j+16s+4h+k's.
// Q5_K and Q6_K blocks are in the order the kernels read them: from memory, reading out of
// address order measured 2-3x slower (doc/engine.md).
// Thread-safety: pure functions; PackRows may run concurrently on disjoint groups.
#ifndef LT_ENGINE_PACK_H_
#define LT_ENGINE_PACK_H_

#include <cstddef>
#include <cstdint>

#include "engine/quant.h"

namespace lt::engine {

constexpr int kPackRows = 16;

// Whether a matrix of this type and shape can be packed (a packed type, rows a multiple of 16).
bool Packable(DType t, int64_t rows, int64_t cols);
// Bytes of one packed group of 16 rows (a multiple of 64).
size_t PackedGroupBytes(DType t, int64_t cols);
// Repacks groups [g0, g1) of the row-major matrix `src` (rows of RowBytes(t, cols) bytes) into
// `out` (which points at group g0 of the packed matrix).
void PackGroups(DType t, const uint8_t* src, int64_t cols, int64_t g0, int64_t g1, uint8_t* out);

}  // namespace lt::engine

#endif  // LT_ENGINE_PACK_H_
