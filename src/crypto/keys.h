// Keys, addresses and recoverable signatures on secp256k1, as Ethereum uses them (DESIGN §2).
//
// An identity is an Address: the last 20 bytes of keccak-256 of the 64-byte uncompressed public
// key, written with the EIP-55 checksum. A Signature is 65 bytes r || s || v with v = 27 or 28;
// signing always yields a low s, and Recover refuses a high s (malleability). PrivateKey wipes
// itself and never prints: there is no accessor that formats it.
// Thread-safety: all functions are thread-safe (one shared, randomized libsecp256k1 context).
#ifndef LT_CRYPTO_KEYS_H_
#define LT_CRYPTO_KEYS_H_

#include <string>
#include <string_view>

#include "util/bytes.h"
#include "util/random.h"
#include "util/result.h"

namespace lt::crypto {

struct Address {
  FixedBytes<20> bytes{};
  auto operator<=>(const Address&) const = default;
  bool IsZero() const;
  // EIP-55 mixed-case checksum form, "0x" prefixed.
  std::string ToChecksumHex() const;
  // Lower-case "0x" form (canonical for storage and keys of maps).
  std::string ToLowerHex() const;
};

// Accepts "0x" + 40 hex digits. All-lower or all-upper digits are accepted as is; mixed case
// must match the EIP-55 checksum (a typo is then an error, as in wallets).
Result<Address> ParseAddress(std::string_view s);

using Signature = FixedBytes<65>;

class PrivateKey {
 public:
  // A fresh key from the given source of randomness (retries the negligible invalid cases).
  static PrivateKey Generate(Random& rng);
  // 32 big-endian bytes; zero or >= the group order is refused.
  static Result<PrivateKey> FromBytes(ByteSpan b);
  static Result<PrivateKey> FromHex(std::string_view hex);

  const SecretBytes& secret() const { return key_; }
  // 64-byte uncompressed public key (x || y) without the 0x04 prefix.
  FixedBytes<64> PublicKey() const;
  // Computed once, when the key is made (a point multiplication: as dear as a signature).
  const Address& GetAddress() const { return address_; }
  // Signs a 32-byte digest: r || s || v, v = 27 + recovery id, s low.
  Signature Sign(const Hash32& digest) const;

 private:
  explicit PrivateKey(SecretBytes k);
  SecretBytes key_;
  Address address_;
};

// Address of a 64-byte uncompressed public key.
Address AddressFromPublicKey(const FixedBytes<64>& pub);

// Recovers the signer of a digest. v may be 27/28 (or 0/1). A high s, a bad v or an invalid
// point is an Unauthenticated error.
Result<Address> Recover(const Hash32& digest, const Signature& sig);
// Parses "0x" + 130 hex digits.
Result<Signature> ParseSignature(std::string_view hex);

// EIP-191 version 0x45 ("personal_sign"): keccak("\x19Ethereum Signed Message:\n" + len + msg).
Hash32 PersonalMessageHash(ByteSpan message);

// ECDH on secp256k1 (for the session handshake): SHA-256 of the compressed shared point, as
// libsecp256k1's default. The peer key is 64 bytes uncompressed.
Result<Hash32> Ecdh(const PrivateKey& mine, const FixedBytes<64>& peer_pub);

}  // namespace lt::crypto

#endif  // LT_CRYPTO_KEYS_H_
