// Keystore: private keys at rest in the Web3 Secret Storage format ("V3 keystore", DESIGN §2),
// the JSON file geth, MetaMask and ethers read and write. See doc/identity.md.
//
// Encryption: a KDF (scrypt by default, or PBKDF2-HMAC-SHA256) turns the password into a
// 32-byte derived key; the private key is encrypted with AES-128-CTR under derivedKey[0..16];
// the MAC is keccak256(derivedKey[16..32] || ciphertext).
//
// Decryption validates every field and bounds the KDF work before running it, so a hostile file
// cannot exhaust memory or time: scrypt n must be a power of two in [2, 2^20], r and p >= 1 with
// r*p <= 2^10 and 128*n*r <= 1 GiB; PBKDF2 c in [1, 10^7] with prf "hmac-sha256"; dklen must be
// 32, the cipher "aes-128-ctr" with a 16-byte iv, the ciphertext 32 bytes. "crypto" and the old
// geth "Crypto" are both accepted; only version 3 is. When the file has an "address", the
// decrypted key must match it (kCorrupt otherwise).
//
// Errors: kInvalidArgument for malformed JSON or fields (message names the field),
// kUnauthenticated "wrong password (MAC mismatch)", kCorrupt for an address mismatch,
// kNotFound/kIo for files, kAlreadyExists when SaveKeystoreFile would overwrite.
// Secrets: passwords and keys are held in SecretBytes and never appear in a message.
// Thread-safety: all functions are pure or touch only the given file; safe from any thread.
#ifndef LT_CRYPTO_KEYSTORE_H_
#define LT_CRYPTO_KEYSTORE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/random.h"
#include "util/result.h"

namespace lt::crypto {

struct KdfParams {
  enum class Kind { kScrypt, kPbkdf2 } kind = Kind::kScrypt;
  uint64_t n = 262144;  // scrypt cost (power of two)
  uint32_t r = 8;       // scrypt block size
  uint32_t p = 1;       // scrypt parallelism
  uint32_t c = 262144;  // pbkdf2 iterations
};

// scrypt n=4096, r=8, p=1 (for tests and devnets: ~10 ms instead of ~1 s).
KdfParams LightKdfParams();
// PBKDF2-HMAC-SHA256 with c iterations.
KdfParams Pbkdf2KdfParams(uint32_t c = 262144);

// Upper bounds on the work a keystore may ask for (see the file comment). DecryptKeystoreBounded
// lets a caller (the fuzzer) set tighter ones.
struct KdfLimits {
  uint64_t max_scrypt_n = 1ULL << 20;
  uint64_t max_scrypt_rp = 1ULL << 10;   // r * p
  uint64_t max_scrypt_mem = 1ULL << 30;  // 128 * n * r bytes
  uint32_t max_pbkdf2_c = 10'000'000;
};

// Decrypts a V3 keystore JSON (scrypt or pbkdf2-hmac-sha256, aes-128-ctr, keccak MAC). Wrong
// password -> kUnauthenticated "wrong password (MAC mismatch)".
Result<PrivateKey> DecryptKeystore(std::string_view json, ByteSpan password);
Result<PrivateKey> DecryptKeystoreBounded(std::string_view json, ByteSpan password, const KdfLimits& limits);

// Encrypts into V3 JSON (version 3, lower-case address without 0x, random uuid v4 id, crypto.*
// fields like geth). Parameters outside the decryption bounds are refused.
Result<std::string> EncryptKeystore(const PrivateKey& key, ByteSpan password, const KdfParams& params,
                                    Random& rng);

// Reads and decrypts a keystore file; errors prefixed "keystore PATH: ".
Result<PrivateKey> LoadKeystoreFile(const std::string& path, ByteSpan password);

// Address from the keystore's "address" field without decrypting (no password needed).
Result<Address> KeystoreAddress(std::string_view json);

// Writes the keystore atomically with mode 0600; refuses (kAlreadyExists) to overwrite an
// existing file. Errors prefixed "keystore PATH: ".
Status SaveKeystoreFile(const std::string& path, std::string_view json);

}  // namespace lt::crypto

#endif  // LT_CRYPTO_KEYSTORE_H_
