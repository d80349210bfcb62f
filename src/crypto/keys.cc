#include "crypto/keys.h"

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_recovery.h>

#include <cstdlib>
#include <cstring>

#include "crypto/keccak.h"

namespace lt::crypto {

namespace {

// secp256k1 group order n and n/2, big-endian, for the low-s rule.
constexpr uint8_t kHalfOrder[32] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
                                    0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

const secp256k1_context* Ctx() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
    uint8_t seed[32];
    SecureRandom::Default()->Fill(seed);
    if (secp256k1_context_randomize(c, seed) != 1) std::abort();
    SecureWipe(seed, sizeof seed);
    return c;
  }();
  return ctx;
}

bool IsHighS(const uint8_t* s) {
  return std::memcmp(s, kHalfOrder, 32) > 0;
}

}  // namespace

bool Address::IsZero() const {
  for (uint8_t b : bytes) if (b != 0) return false;
  return true;
}

std::string Address::ToLowerHex() const { return HexEncode0x(bytes); }

std::string Address::ToChecksumHex() const {
  std::string hex = HexEncode(bytes);
  Hash32 h = Keccak(hex);
  for (size_t i = 0; i < hex.size(); ++i) {
    uint8_t nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0xf);
    if (hex[i] >= 'a' && hex[i] <= 'f' && nibble >= 8) hex[i] = static_cast<char>(hex[i] - 'a' + 'A');
  }
  return "0x" + hex;
}

Result<Address> ParseAddress(std::string_view s) {
  if (s.size() != 42 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
    return InvalidArgument("address must be 0x followed by 40 hex digits, got '" + std::string(s.substr(0, 64)) + "'");
  }
  auto b = HexDecodeFixed<20>(s);
  if (!b.ok()) return b.error().Wrap("address");
  Address a{*b};
  std::string_view digits = s.substr(2);
  bool has_lower = false, has_upper = false;
  for (char c : digits) {
    if (c >= 'a' && c <= 'f') has_lower = true;
    if (c >= 'A' && c <= 'F') has_upper = true;
  }
  if (has_lower && has_upper && a.ToChecksumHex().substr(2) != digits) {
    return InvalidArgument("address " + std::string(s) + " has a bad EIP-55 checksum (mistyped?)");
  }
  return a;
}

PrivateKey PrivateKey::Generate(Random& rng) {
  for (;;) {
    SecretBytes k(32);
    rng.Fill({k.data(), k.size()});
    if (secp256k1_ec_seckey_verify(Ctx(), k.data()) == 1) return PrivateKey(std::move(k));
  }
}

PrivateKey::PrivateKey(SecretBytes k) : key_(std::move(k)), address_(AddressFromPublicKey(PublicKey())) {}

Result<PrivateKey> PrivateKey::FromBytes(ByteSpan b) {
  if (b.size() != 32) {
    return InvalidArgument("private key must be 32 bytes, got " + std::to_string(b.size()));
  }
  if (secp256k1_ec_seckey_verify(Ctx(), b.data()) != 1) {
    return InvalidArgument("private key is zero or not below the secp256k1 group order");
  }
  return PrivateKey(SecretBytes(b));
}

Result<PrivateKey> PrivateKey::FromHex(std::string_view hex) {
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) hex.remove_suffix(1);
  while (!hex.empty() && (hex.front() == ' ' || hex.front() == '\t')) hex.remove_prefix(1);
  auto b = HexDecode(hex);
  if (!b.ok()) return b.error().Wrap("private key");
  SecretBytes s(*b);
  SecureWipe(b->data(), b->size());
  return FromBytes(s.span());
}

FixedBytes<64> PrivateKey::PublicKey() const {
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_create(Ctx(), &pk, key_.data()) != 1) std::abort();  // validated at construction
  uint8_t out[65];
  size_t len = sizeof out;
  secp256k1_ec_pubkey_serialize(Ctx(), out, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
  FixedBytes<64> r;
  std::memcpy(r.data(), out + 1, 64);
  return r;
}

Address AddressFromPublicKey(const FixedBytes<64>& pub) {
  Hash32 h = Keccak(pub);
  Address a;
  std::memcpy(a.bytes.data(), h.data() + 12, 20);
  return a;
}


Signature PrivateKey::Sign(const Hash32& digest) const {
  secp256k1_ecdsa_recoverable_signature sig;
  (void)secp256k1_ecdsa_sign_recoverable(Ctx(), &sig, digest.data(), key_.data(), nullptr, nullptr);
  Signature out;
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(Ctx(), out.data(), &recid, &sig);
  out[64] = static_cast<uint8_t>(27 + recid);
  return out;
}

Result<Address> Recover(const Hash32& digest, const Signature& sig) {
  int v = sig[64];
  int recid;
  if (v == 27 || v == 28) {
    recid = v - 27;
  } else if (v == 0 || v == 1) {
    recid = v;
  } else {
    return Unauthenticated("signature has an invalid v byte " + std::to_string(v) + " (expected 27 or 28)");
  }
  if (IsHighS(sig.data() + 32)) {
    return Unauthenticated("signature has a high s value (malleable signatures are refused)");
  }
  secp256k1_ecdsa_recoverable_signature rs;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(Ctx(), &rs, sig.data(), recid) != 1) {
    return Unauthenticated("signature r or s is out of range");
  }
  secp256k1_pubkey pk;
  if (secp256k1_ecdsa_recover(Ctx(), &pk, &rs, digest.data()) != 1) {
    return Unauthenticated("signature does not recover to a public key");
  }
  uint8_t out[65];
  size_t len = sizeof out;
  secp256k1_ec_pubkey_serialize(Ctx(), out, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
  FixedBytes<64> pub;
  std::memcpy(pub.data(), out + 1, 64);
  return AddressFromPublicKey(pub);
}

Result<Signature> ParseSignature(std::string_view hex) {
  auto b = HexDecode(hex);
  if (!b.ok()) return b.error().Wrap("signature");
  if (b->size() != 65) {
    return InvalidArgument("signature must be 65 bytes (0x + 130 hex digits), got " + std::to_string(b->size()) + " bytes");
  }
  Signature s;
  std::memcpy(s.data(), b->data(), 65);
  return s;
}

Hash32 PersonalMessageHash(ByteSpan message) {
  Keccak256 h;
  h.Update(std::string_view("\x19" "Ethereum Signed Message:\n"));
  h.Update(std::to_string(message.size()));
  h.Update(message);
  return h.Finalize();
}

Result<Hash32> Ecdh(const PrivateKey& mine, const FixedBytes<64>& peer_pub) {
  uint8_t ser[65];
  ser[0] = 0x04;
  std::memcpy(ser + 1, peer_pub.data(), 64);
  secp256k1_pubkey pk;
  if (secp256k1_ec_pubkey_parse(Ctx(), &pk, ser, sizeof ser) != 1) {
    return InvalidArgument("peer public key is not a point on secp256k1");
  }
  Hash32 out;
  if (secp256k1_ecdh(Ctx(), out.data(), &pk, mine.secret().data(), nullptr, nullptr) != 1) {
    return InternalError("ECDH failed");
  }
  return out;
}

}  // namespace lt::crypto
