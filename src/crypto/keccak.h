// Keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not SHA3-256's 0x06).
// Thread-safety: Keccak256 objects are not shared; the free function is pure.
#ifndef LT_CRYPTO_KECCAK_H_
#define LT_CRYPTO_KECCAK_H_

#include <cstdint>
#include <string_view>

#include "util/bytes.h"

namespace lt::crypto {

// Incremental hasher: Update() any number of times, then Finalize() once.
class Keccak256 {
 public:
  Keccak256();
  void Update(ByteSpan data);
  void Update(std::string_view s) { Update(AsBytes(s)); }
  Hash32 Finalize();

 private:
  static constexpr size_t kRate = 136;  // 1088 bits
  uint64_t state_[25];
  uint8_t buf_[kRate];
  size_t buf_len_ = 0;
};

Hash32 Keccak(ByteSpan data);
inline Hash32 Keccak(std::string_view s) { return Keccak(AsBytes(s)); }

}  // namespace lt::crypto

#endif  // LT_CRYPTO_KECCAK_H_
