// Fuzz target: the V3 keystore parser and decryptor on arbitrary bytes, with a fixed password.
//
// The KDF work is bounded with tight KdfLimits (scrypt n <= 2^10 and <= 1 MiB, pbkdf2 c <= 1000)
// so each input costs at most a few milliseconds; the production bounds are checked by the
// same code path, only with larger numbers (see keystore_test.cc). Invariants checked: no crash,
// and a successful decryption yields a key whose address matches the file's "address" field.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/keystore.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  lt::crypto::KdfLimits limits;
  limits.max_scrypt_n = 1 << 10;
  limits.max_scrypt_rp = 16;
  limits.max_scrypt_mem = 1 << 20;
  limits.max_pbkdf2_c = 1000;
  auto key = lt::crypto::DecryptKeystoreBounded(text, lt::AsBytes("fuzz"), limits);
  auto addr = lt::crypto::KeystoreAddress(text);
  if (key.ok() && addr.ok() && key->GetAddress() != *addr) __builtin_trap();
  return 0;
}
