// Content identifiers: unsigned varints, multihash sha2-256, CIDv1 and multibase base32.
//
// A Cid here is always CIDv1 with a sha2-256 multihash (what the unixfs-v1-2025 profile
// produces): a codec (kRaw 0x55 or kDagPb 0x70, others are parsed and kept) and a 32-byte digest.
// The string form is multibase base32 lower case with the 'b' prefix ("bafy...", "bafk...").
// CIDv0 ("Qm...") and other hash functions are refused with a clear error. Parsing is strict and
// bounded; nothing here aborts on input. Sha256 uses OpenSSL (SHA-NI where the CPU has it).
// Thread-safety: pure functions and plain values.
#ifndef LT_REGISTRY_CID_H_
#define LT_REGISTRY_CID_H_

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

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

// RFC 4648 base32, lower case, no padding.
std::string Base32Encode(ByteSpan data);
Result<Bytes> Base32Decode(std::string_view s);

struct Cid {
  uint64_t codec = kCodecRaw;
  Hash32 digest{};

  // The CID of `block` with `codec` (sha2-256 of the bytes).
  static Cid Of(uint64_t codec, ByteSpan block);
  // "b..." base32 string.
  static Result<Cid> Parse(std::string_view s);
  // Binary CID at data[*pos] (as in dag-pb links and CAR sections); advances *pos.
  static Result<Cid> ReadBinary(ByteSpan data, size_t* pos);
  static Result<Cid> FromBinary(ByteSpan data);

  Bytes ToBytes() const;  // 0x01 codec 0x12 0x20 digest
  std::string ToString() const;
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
    return h ^ static_cast<size_t>(c.codec);
  }
};

}  // namespace lt::registry

#endif  // LT_REGISTRY_CID_H_
