// UnixFS HAMT-sharded directories (UnixFS spec "HAMTDirectory"; Data.Type = 5).
//
// A big directory is a hash array mapped trie of dag-pb nodes. Each node's UnixFS Data holds
// hashType 0x22 (murmur3-x64-64), fanout F (a power of two; IPFS tools use 256) and a bitfield of
// the occupied slots (big-endian, leading zero bytes dropped). A link is named by its slot in
// upper-case hex padded to the width of F-1 ("0A" for F = 256): the bare prefix is a child shard,
// the prefix followed by a name is a directory entry. Links are in slot order. A name's slots are
// read from the hash of its UTF-8 bytes, log2(F) bits per level, most significant bit first: the
// first 64 bits are the first half of MurmurHash3_x64_128 (seed 0) as a big-endian number, the
// next 64 bits the same of name + byte(1), then name + byte(2), and so on (as go-unixfs and
// hamt-sharding do).
//
// DecodeHamtShard is strict: the right hash type, a fanout of 2..1024, a bitfield no longer than
// the fanout and with exactly one set bit per link, link names with a valid prefix in increasing
// slot order, entry names that are valid path segments. BuildHamt writes the layout
// ipfs-unixfs-importer writes (fanout 256, a slot with one name holds the entry, a slot with
// several holds a child shard; Tsize of a shard link = its block + its links' Tsizes), so CIDs
// equal the importer's (tests/ipfs). Thread-safety: pure functions.
#ifndef LT_REGISTRY_HAMT_H_
#define LT_REGISTRY_HAMT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "registry/cid.h"
#include "registry/dag.h"
#include "registry/unixfs.h"
#include "util/result.h"

namespace lt::registry {

inline constexpr uint64_t kHamtHashMurmur3 = 0x22;
inline constexpr uint32_t kHamtDefaultFanout = 256;
inline constexpr uint32_t kHamtMaxFanout = 1024;

// MurmurHash3_x64_128 with seed 0: (h1, h2).
std::pair<uint64_t, uint64_t> Murmur3X64_128(ByteSpan data);

// The slot of `name` at `level` (0 = the root shard) in a HAMT of 2^bits fanout.
uint32_t HamtSlot(std::string_view name, int level, int bits);

struct HamtLink {
  uint32_t slot = 0;
  bool is_shard = false;
  std::string name;  // the entry's name (empty for a child shard)
  Cid cid;
  uint64_t tsize = 0;
};

struct HamtShard {
  uint32_t fanout = kHamtDefaultFanout;
  int bits = 8;     // log2(fanout)
  int pad = 2;      // hex digits of a slot prefix
  std::vector<HamtLink> links;
};

// Checks a decoded UnixFS node of type HAMT shard (see the file comment) and sorts out its links.
Result<HamtShard> DecodeHamtShard(const UnixFSNode& node);

// Writes the HAMT of `children` (names already validated, distinct): every shard block goes to
// `sink->Node` (sink may be null), children before parents; returns the root shard's entry.
Result<ImportEntry> BuildHamt(const std::vector<DirChild>& children, ImportSink* sink,
                              uint32_t fanout = kHamtDefaultFanout);

}  // namespace lt::registry

#endif  // LT_REGISTRY_HAMT_H_
