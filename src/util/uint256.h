// U256: an unsigned 256-bit integer for money and for EIP-712 uint256 values (DESIGN §2).
//
// Amounts are integer base units: 1 MOR = 10^18 units. Arithmetic never wraps silently: every
// operation that can overflow returns std::optional (nullopt on overflow, underflow or division
// by zero). Parsing is strict and returns Result with a message naming the offending text.
// MulDiv computes floor(a*b/c) with a 512-bit intermediate, so pro-rata shares
// (amount * part / total) are exact and never overflow in the middle.
//
// Representation: four 64-bit limbs, little-endian (limbs()[0] is the least significant).
// Thread-safety: a plain value type; all functions are pure.
#ifndef LT_UTIL_UINT256_H_
#define LT_UTIL_UINT256_H_

#include <array>
#include <compare>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "util/bytes.h"
#include "util/result.h"

namespace lt {

class U256 {
 public:
  using Limbs = std::array<uint64_t, 4>;

  constexpr U256() = default;
  constexpr U256(uint64_t v) : limbs_{v, 0, 0, 0} {}  // NOLINT(google-explicit-constructor)
  static constexpr U256 FromLimbs(const Limbs& l) {
    U256 r;
    r.limbs_ = l;
    return r;
  }

  // Decimal digits only (no sign, space, or separators); a value >= 2^256 is an error.
  static Result<U256> FromDecimal(std::string_view s);
  // "0x" (or "0X") + 1..64 hex digits.
  static Result<U256> FromHex(std::string_view s);
  // Decimal, or 0x-hex when prefixed.
  static Result<U256> Parse(std::string_view s);
  // A MOR amount in decimal notation: "3456", "1.5", "0.000000000000000001" (at most 18
  // decimals) -> base units. No sign, exponent or leading/trailing dot.
  static Result<U256> FromMor(std::string_view s);

  static U256 FromBigEndian(const FixedBytes<32>& b);
  FixedBytes<32> ToBigEndian() const;

  std::string ToDecimal() const;
  // "0x" + minimal lower-case hex digits; "0x0" for zero.
  std::string ToHex() const;
  // Base units as MOR: "1.5", "0", "0.000000000000000001" (trailing zeros trimmed).
  std::string ToMor() const;

  constexpr bool IsZero() const { return (limbs_[0] | limbs_[1] | limbs_[2] | limbs_[3]) == 0; }
  constexpr bool FitsU64() const { return (limbs_[1] | limbs_[2] | limbs_[3]) == 0; }
  constexpr uint64_t Low64() const { return limbs_[0]; }
  constexpr const Limbs& limbs() const { return limbs_; }

  constexpr std::strong_ordering operator<=>(const U256& o) const {
    for (int i = 3; i >= 0; --i) {
      if (limbs_[i] != o.limbs_[i]) return limbs_[i] <=> o.limbs_[i];
    }
    return std::strong_ordering::equal;
  }
  constexpr bool operator==(const U256& o) const { return limbs_ == o.limbs_; }

  std::optional<U256> CheckedAdd(const U256& o) const;
  // nullopt on underflow (o > *this).
  std::optional<U256> CheckedSub(const U256& o) const;
  std::optional<U256> CheckedMul(const U256& o) const;
  // Floor division; nullopt on division by zero.
  std::optional<U256> Div(const U256& o) const;
  // Remainder; o must be non-zero (returns zero for o == 0, never traps).
  U256 Mod(const U256& o) const;
  // floor(a*b/c) with a 512-bit intermediate; nullopt if c == 0 or the quotient needs > 256 bits.
  static std::optional<U256> MulDiv(const U256& a, const U256& b, const U256& c);

  static constexpr U256 Max() { return FromLimbs({~0ULL, ~0ULL, ~0ULL, ~0ULL}); }

 private:
  Limbs limbs_{};
};

inline constexpr uint64_t kMorDecimals = 18;
// 10^18 base units.
inline constexpr U256 OneMor() { return U256(1'000'000'000'000'000'000ULL); }

// JSON: to_json writes a decimal string (found by ADL, so `json j = amount;` works).
void to_json(nlohmann::json& j, const U256& v);
// Accepts a decimal string, a 0x-hex string, or a non-negative JSON integer.
Result<U256> U256FromJson(const nlohmann::json& j);

}  // namespace lt

#endif  // LT_UTIL_UINT256_H_
