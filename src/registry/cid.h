// Content identifiers: unsigned varints, multihash sha2-256, CIDv1 and CIDv0.
//
// A Cid has a sha2-256 multihash (what every profile of IPFS tools produces by default): a
// version, a codec (kRaw 0x55 or kDagPb 0x70, others are parsed and kept) and a 32-byte digest.
// CIDv1 is what we make (unixfs-v1-2025); CIDv0 (a bare multihash, always dag-pb, "Qm..." in
// base58btc) is what kubo makes by default, and is read wherever a CID is (CAR files, dag-pb links,
// URLs), so kubo-made DAGs import. A CIDv0 and the CIDv1 dag-pb of the same digest name the same
// block: ToV1() gives the one form the store and routers key by.
// Strings: ToString() is base32 lower case with the 'b' prefix for v1 ("bafy...", "bafk...") and
// base58btc for v0; Parse() also reads the multibase prefixes B, z, k, f and F. Other hash
// functions (and the identity multihash) are refused with a clear error. Parsing is strict and
// bounded; nothing here aborts on input. Sha256 uses OpenSSL (SHA-NI where the CPU has it).
// Thread-safety: pure functions and plain values.
#ifndef LT_REGISTRY_CID_H_
#define LT_REGISTRY_CID_H_

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "registry/multibase.h"
#include "util/bytes.h"
#include "util/result.h"

namespace lt::registry {

inline constexpr uint64_t kCodecRaw = 0x55;
inline constexpr uint64_t kCodecDagPb = 0x70;
inline constexpr uint64_t kMultihashSha256 = 0x12;

// Unsigned LEB128 varint (multiformats: at most 9 bytes, minimal encoding).
void AppendVarint(Bytes& out, uint64_t v);
size_t VarintSize(uint64_t v);
// Reads a varint at data[*pos], advances *pos. Refuses truncation, overlong (> 9 bytes or
// non-minimal) encodings.
Result<uint64_t> ReadVarint(ByteSpan data, size_t* pos);

Hash32 Sha256(ByteSpan data);

// Incremental SHA-256 (OpenSSL), for streaming whole-file checks.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(ByteSpan data);
  Hash32 Finalize();

 private:
  void* ctx_;
};

struct Cid {
  uint8_t version = 1;  // 0 (then codec is always dag-pb) or 1
  uint64_t codec = kCodecRaw;
  Hash32 digest{};

  // The CID of `block` with `codec` (sha2-256 of the bytes).
  static Cid Of(uint64_t codec, ByteSpan block);
  // A CID string: "Qm..." (v0) or multibase b/B/z/k/f/F (v1, or a v0 binary form).
  static Result<Cid> Parse(std::string_view s);
  // Binary CID at data[*pos] (as in dag-pb links and CAR sections); advances *pos.
  static Result<Cid> ReadBinary(ByteSpan data, size_t* pos);
  static Result<Cid> FromBinary(ByteSpan data);

  Bytes ToBytes() const;  // v1: 0x01 codec 0x12 0x20 digest; v0: 0x12 0x20 digest
  std::string ToString() const;
  // The CIDv1 of the same block (itself when already v1).
  Cid ToV1() const { return Cid{1, codec, digest}; }
  // True when `block` hashes to this CID's digest.
  bool Matches(ByteSpan block) const;
  bool IsRaw() const { return codec == kCodecRaw; }
  bool IsDagPb() const { return codec == kCodecDagPb; }

  auto operator<=>(const Cid&) const = default;
};

struct CidHash {
  size_t operator()(const Cid& c) const {
    size_t h;
    static_assert(sizeof(h) <= 32);
    __builtin_memcpy(&h, c.digest.data(), sizeof(h));
    return h ^ static_cast<size_t>(c.codec) ^ (static_cast<size_t>(c.version) << 8);
  }
};

}  // namespace lt::registry

#endif  // LT_REGISTRY_CID_H_
