#include "crypto/scrypt.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <new>
#include <string>

namespace lt::crypto {

namespace {

inline uint32_t Rotl(uint32_t a, int b) { return (a << b) | (a >> (32 - b)); }

inline uint32_t Le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

inline void PutLe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

// Salsa20/8 core (RFC 7914 section 3), in place on 16 words.
void Salsa208(uint32_t b[16]) {
  uint32_t x[16];
  std::memcpy(x, b, sizeof x);
  // clang-format off
  for (int i = 0; i < 8; i += 2) {
    x[4] ^= Rotl(x[0] + x[12], 7);   x[8] ^= Rotl(x[4] + x[0], 9);
    x[12] ^= Rotl(x[8] + x[4], 13);  x[0] ^= Rotl(x[12] + x[8], 18);
    x[9] ^= Rotl(x[5] + x[1], 7);    x[13] ^= Rotl(x[9] + x[5], 9);
    x[1] ^= Rotl(x[13] + x[9], 13);  x[5] ^= Rotl(x[1] + x[13], 18);
    x[14] ^= Rotl(x[10] + x[6], 7);  x[2] ^= Rotl(x[14] + x[10], 9);
    x[6] ^= Rotl(x[2] + x[14], 13);  x[10] ^= Rotl(x[6] + x[2], 18);
    x[3] ^= Rotl(x[15] + x[11], 7);  x[7] ^= Rotl(x[3] + x[15], 9);
    x[11] ^= Rotl(x[7] + x[3], 13);  x[15] ^= Rotl(x[11] + x[7], 18);
    x[1] ^= Rotl(x[0] + x[3], 7);    x[2] ^= Rotl(x[1] + x[0], 9);
    x[3] ^= Rotl(x[2] + x[1], 13);   x[0] ^= Rotl(x[3] + x[2], 18);
    x[6] ^= Rotl(x[5] + x[4], 7);    x[7] ^= Rotl(x[6] + x[5], 9);
    x[4] ^= Rotl(x[7] + x[6], 13);   x[5] ^= Rotl(x[4] + x[7], 18);
    x[11] ^= Rotl(x[10] + x[9], 7);  x[8] ^= Rotl(x[11] + x[10], 9);
    x[9] ^= Rotl(x[8] + x[11], 13);  x[10] ^= Rotl(x[9] + x[8], 18);
    x[12] ^= Rotl(x[15] + x[14], 7); x[13] ^= Rotl(x[12] + x[15], 9);
    x[14] ^= Rotl(x[13] + x[12], 13); x[15] ^= Rotl(x[14] + x[13], 18);
  }
  // clang-format on
  for (int i = 0; i < 16; ++i) b[i] += x[i];
}

// scryptBlockMix: b is 2r 16-word blocks; y is scratch of the same size. Result in b.
void BlockMix(uint32_t* b, uint32_t* y, uint32_t r) {
  uint32_t x[16];
  std::memcpy(x, &b[(2 * r - 1) * 16], 64);
  for (uint32_t i = 0; i < 2 * r; ++i) {
    for (int k = 0; k < 16; ++k) x[k] ^= b[i * 16 + k];
    Salsa208(x);
    // Even blocks to the first half, odd ones to the second.
    std::memcpy(&y[((i & 1) * r + i / 2) * 16], x, 64);
  }
  std::memcpy(b, y, 128 * static_cast<size_t>(r));
}

// scryptROMix on one 128*r-byte chunk of B, with v (32*r*n words) and xy (64*r words) scratch.
void RoMix(uint8_t* chunk, uint32_t r, uint64_t n, uint32_t* v, uint32_t* xy) {
  const size_t words = 32 * static_cast<size_t>(r);
  uint32_t* x = xy;
  uint32_t* y = xy + words;
  for (size_t k = 0; k < words; ++k) x[k] = Le32(chunk + 4 * k);
  for (uint64_t i = 0; i < n; ++i) {
    std::memcpy(&v[i * words], x, words * 4);
    BlockMix(x, y, r);
  }
  for (uint64_t i = 0; i < n; ++i) {
    // Integerify: the first 64 bits of the last 64-byte block, little-endian; n is a power of two.
    const uint32_t* last = &x[(2 * r - 1) * 16];
    uint64_t j = ((static_cast<uint64_t>(last[1]) << 32) | last[0]) & (n - 1);
    const uint32_t* vj = &v[j * words];
    for (size_t k = 0; k < words; ++k) x[k] ^= vj[k];
    BlockMix(x, y, r);
  }
  for (size_t k = 0; k < words; ++k) PutLe32(chunk + 4 * k, x[k]);
}

bool Pbkdf2Sha256(ByteSpan password, ByteSpan salt, std::span<uint8_t> out) {
  static const uint8_t kEmpty = 0;
  const char* pw = reinterpret_cast<const char*>(password.empty() ? &kEmpty : password.data());
  const uint8_t* s = salt.empty() ? &kEmpty : salt.data();
  return PKCS5_PBKDF2_HMAC(pw, static_cast<int>(password.size()), s, static_cast<int>(salt.size()), 1,
                           EVP_sha256(), static_cast<int>(out.size()), out.data()) == 1;
}

}  // namespace

Status Scrypt(ByteSpan password, ByteSpan salt, uint64_t n, uint32_t r, uint32_t p, std::span<uint8_t> out) {
  if (n < 2 || (n & (n - 1)) != 0) return InvalidArgument("scrypt n must be a power of two >= 2");
  if (r == 0 || p == 0) return InvalidArgument("scrypt r and p must be >= 1");
  if (out.empty() || out.size() > (1u << 20)) return InvalidArgument("scrypt output length out of range");
  const uint64_t chunk = 128ULL * r;
  // Keep every size well inside size_t and int (PBKDF2's length argument).
  if (n > (1ULL << 32) || chunk * p > (1ULL << 30) || chunk > (1ULL << 30) / 2 || chunk * n > (1ULL << 40)) {
    return InvalidArgument("scrypt parameters too large (n=" + std::to_string(n) +
                           ", r=" + std::to_string(r) + ", p=" + std::to_string(p) + ")");
  }
  const size_t b_len = static_cast<size_t>(chunk * p);
  const size_t v_words = static_cast<size_t>(chunk / 4 * n);
  std::unique_ptr<uint8_t[]> b(new (std::nothrow) uint8_t[b_len]);
  std::unique_ptr<uint32_t[]> v(new (std::nothrow) uint32_t[v_words]);
  std::unique_ptr<uint32_t[]> xy(new (std::nothrow) uint32_t[chunk / 2]);
  if (!b || !v || !xy) {
    return MakeError(ErrorCode::kResourceExhausted, "scrypt needs " + std::to_string((chunk * n) >> 20) +
                                                        " MiB, which could not be allocated");
  }
  Status st = OkStatus();
  if (!Pbkdf2Sha256(password, salt, {b.get(), b_len})) {
    st = InternalError("scrypt: pbkdf2 failed");
  } else {
    for (uint32_t i = 0; i < p; ++i) RoMix(b.get() + i * chunk, r, n, v.get(), xy.get());
    if (!Pbkdf2Sha256(password, {b.get(), b_len}, out)) st = InternalError("scrypt: pbkdf2 failed");
  }
  // V holds password-derived state too, but large blocks are mmap'd and returned zeroed to the
  // OS on free; wiping 256 MiB would cost more than the KDF's last pass. B and XY are wiped.
  SecureWipe(b.get(), b_len);
  SecureWipe(xy.get(), chunk * 2);
  return st;
}

}  // namespace lt::crypto
