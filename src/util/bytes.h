// Byte strings and hex: the encodings every other library uses.
//
// Bytes is a std::vector<uint8_t>; FixedBytes<N> an array (bytes32, addresses). Hex parsing is
// strict: an optional "0x" prefix, an even number of hex digits, nothing else; errors name what
// was wrong. Thread-safety: pure functions.
#ifndef LT_UTIL_BYTES_H_
#define LT_UTIL_BYTES_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace lt {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
template <size_t N>
using FixedBytes = std::array<uint8_t, N>;
using Hash32 = FixedBytes<32>;

// The value of one hex digit (either case), or -1.
int HexValue(char c);
// Lower-case hex without prefix.
std::string HexEncode(ByteSpan data);
// "0x" + lower-case hex.
std::string HexEncode0x(ByteSpan data);
// Accepts "0x"/"0X"-prefixed or bare hex; an odd length or a non-hex character is an error.
Result<Bytes> HexDecode(std::string_view hex);
// As HexDecode, and the result must be exactly N bytes.
template <size_t N>
Result<FixedBytes<N>> HexDecodeFixed(std::string_view hex) {
  auto b = HexDecode(hex);
  if (!b.ok()) return b.error();
  if (b->size() != N) {
    return InvalidArgument("expected " + std::to_string(N) + " bytes of hex, got " +
                           std::to_string(b->size()));
  }
  FixedBytes<N> out;
  for (size_t i = 0; i < N; ++i) out[i] = (*b)[i];
  return out;
}

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsString(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Constant-time comparison for MACs and secrets.
bool ConstantTimeEqual(ByteSpan a, ByteSpan b);
// Overwrites memory so secrets do not linger (not optimised away).
void SecureWipe(void* data, size_t size);

// A byte buffer for secrets (private keys, derived keys, passwords): wiped when destroyed.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(ByteSpan data) : data_(data.begin(), data.end()) {}
  explicit SecretBytes(size_t n) : data_(n, 0) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes&) = default;
  SecretBytes(SecretBytes&&) noexcept = default;
  SecretBytes& operator=(SecretBytes&&) noexcept = default;
  ~SecretBytes() { SecureWipe(data_.data(), data_.size()); }

  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  ByteSpan span() const { return {data_.data(), data_.size()}; }

 private:
  std::vector<uint8_t> data_;
};

}  // namespace lt

#endif  // LT_UTIL_BYTES_H_
