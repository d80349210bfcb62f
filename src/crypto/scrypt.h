// scrypt (RFC 7914) as keystores use it.
//
// Why our own: OpenSSL's scrypt enforces RFC 7914's N < 2^(16*r), which refuses keystores other
// wallets write and read without complaint, e.g. the Web3 Secret Storage spec's own vector
// (n=2^18, r=1, p=8). This is the reference algorithm (Salsa20/8 BlockMix, ROMix) on top of
// OpenSSL's PBKDF2-HMAC-SHA256; unit tests check it against RFC 7914 vectors and against OpenSSL
// wherever OpenSSL accepts the parameters.
//
// The caller bounds n, r and p (the keystore parser does); Scrypt itself only refuses what it
// cannot compute (n not a power of two >= 2, r or p zero, sizes overflowing, allocation failure).
// Memory used: 128*r*n + 128*r*p + 256*r bytes. Thread-safety: pure function.
#ifndef LT_CRYPTO_SCRYPT_H_
#define LT_CRYPTO_SCRYPT_H_

#include <cstdint>
#include <span>

#include "util/bytes.h"
#include "util/result.h"

namespace lt::crypto {

// Derives out.size() bytes from password and salt. Errors: kInvalidArgument for unusable
// parameters, kResourceExhausted when the memory cannot be allocated.
Status Scrypt(ByteSpan password, ByteSpan salt, uint64_t n, uint32_t r, uint32_t p, std::span<uint8_t> out);

}  // namespace lt::crypto

#endif  // LT_CRYPTO_SCRYPT_H_
