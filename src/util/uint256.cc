#include "util/uint256.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace lt {

namespace {

__extension__ typedef unsigned __int128 u128;

constexpr uint64_t kTen19 = 10'000'000'000'000'000'000ULL;  // largest power of 10 in a limb
constexpr size_t kMaxShown = 80;                             // longest input echoed in an error

std::string Shown(std::string_view s) {
  if (s.size() <= kMaxShown) return "\"" + std::string(s) + "\"";
  return "\"" + std::string(s.substr(0, kMaxShown)) + "...\" (" + std::to_string(s.size()) + " chars)";
}

int CountLimbs(const uint64_t* x, int n) {
  while (n > 0 && x[n - 1] == 0) --n;
  return n;
}

// Divides u (m limbs) by v (n limbs, v[n-1] != 0, n <= 4, m <= 8): q gets m-n+1 limbs (or m when
// n == 1), r gets n limbs. Knuth, TAOCP vol. 2, 4.3.1, Algorithm D with 64-bit digits.
void DivMod(const uint64_t* u, int m, const uint64_t* v, int n, uint64_t* q, uint64_t* r) {
  if (m < n) {
    for (int i = 0; i < n; ++i) r[i] = i < m ? u[i] : 0;
    return;
  }
  if (n == 1) {
    u128 rem = 0;
    for (int i = m - 1; i >= 0; --i) {
      u128 cur = (rem << 64) | u[i];
      q[i] = static_cast<uint64_t>(cur / v[0]);
      rem = cur % v[0];
    }
    r[0] = static_cast<uint64_t>(rem);
    return;
  }
  const int s = __builtin_clzll(v[n - 1]);
  uint64_t vn[4];
  uint64_t un[9];
  for (int i = n - 1; i > 0; --i) vn[i] = (v[i] << s) | (s ? v[i - 1] >> (64 - s) : 0);
  vn[0] = v[0] << s;
  un[m] = s ? u[m - 1] >> (64 - s) : 0;
  for (int i = m - 1; i > 0; --i) un[i] = (u[i] << s) | (s ? u[i - 1] >> (64 - s) : 0);
  un[0] = u[0] << s;

  for (int j = m - n; j >= 0; --j) {
    u128 num = (static_cast<u128>(un[j + n]) << 64) | un[j + n - 1];
    u128 qhat = num / vn[n - 1];
    u128 rhat = num % vn[n - 1];
    while ((qhat >> 64) != 0 ||
           qhat * vn[n - 2] > ((rhat << 64) | un[j + n - 2])) {
      --qhat;
      rhat += vn[n - 1];
      if ((rhat >> 64) != 0) break;
    }
    // un[j..j+n] -= qhat * vn
    uint64_t mul_carry = 0, borrow = 0;
    for (int i = 0; i < n; ++i) {
      u128 p = qhat * vn[i] + mul_carry;
      mul_carry = static_cast<uint64_t>(p >> 64);
      uint64_t lo = static_cast<uint64_t>(p);
      uint64_t t = un[i + j] - lo;
      uint64_t b1 = un[i + j] < lo;
      uint64_t t2 = t - borrow;
      uint64_t b2 = t < borrow;
      un[i + j] = t2;
      borrow = b1 + b2;
    }
    uint64_t top = un[j + n];
    uint64_t t = top - mul_carry;
    uint64_t b1 = top < mul_carry;
    uint64_t t2 = t - borrow;
    uint64_t b2 = t < borrow;
    un[j + n] = t2;
    uint64_t qd = static_cast<uint64_t>(qhat);
    if (b1 | b2) {  // qhat was one too large: add the divisor back
      --qd;
      uint64_t c = 0;
      for (int i = 0; i < n; ++i) {
        u128 sum = static_cast<u128>(un[i + j]) + vn[i] + c;
        un[i + j] = static_cast<uint64_t>(sum);
        c = static_cast<uint64_t>(sum >> 64);
      }
      un[j + n] += c;
    }
    q[j] = qd;
  }
  for (int i = 0; i < n; ++i) {
    r[i] = (un[i] >> s) | (s ? un[i + 1] << (64 - s) : 0);
  }
}

// 256 x 256 -> 512-bit product, little-endian limbs.
void Mul512(const U256::Limbs& a, const U256::Limbs& b, uint64_t out[8]) {
  std::fill(out, out + 8, 0);
  for (int i = 0; i < 4; ++i) {
    uint64_t carry = 0;
    for (int j = 0; j < 4; ++j) {
      u128 p = static_cast<u128>(a[i]) * b[j] + out[i + j] + carry;
      out[i + j] = static_cast<uint64_t>(p);
      carry = static_cast<uint64_t>(p >> 64);
    }
    out[i + 4] = carry;
  }
}

// Single-limb helpers for decimal conversion.
uint64_t DivSmall(U256::Limbs& x, uint64_t d) {
  u128 rem = 0;
  for (int i = 3; i >= 0; --i) {
    u128 cur = (rem << 64) | x[i];
    x[i] = static_cast<uint64_t>(cur / d);
    rem = cur % d;
  }
  return static_cast<uint64_t>(rem);
}

// x = x * mul + add; false on overflow.
bool MulAddSmall(U256::Limbs& x, uint64_t mul, uint64_t add) {
  uint64_t carry = add;
  for (int i = 0; i < 4; ++i) {
    u128 p = static_cast<u128>(x[i]) * mul + carry;
    x[i] = static_cast<uint64_t>(p);
    carry = static_cast<uint64_t>(p >> 64);
  }
  return carry == 0;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<U256> U256::FromDecimal(std::string_view s) {
  if (s.empty()) return InvalidArgument("expected a decimal integer, got an empty string");
  Limbs x{};
  for (char c : s) {
    if (c < '0' || c > '9') return InvalidArgument("expected a decimal integer, got " + Shown(s));
    if (!MulAddSmall(x, 10, static_cast<uint64_t>(c - '0'))) {
      return InvalidArgument("integer " + Shown(s) + " does not fit in 256 bits");
    }
  }
  return FromLimbs(x);
}

Result<U256> U256::FromHex(std::string_view s) {
  if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
    return InvalidArgument("expected \"0x\" and 1 to 64 hex digits, got " + Shown(s));
  }
  std::string_view digits = s.substr(2);
  Limbs x{};
  size_t significant = 0;
  for (char c : digits) {
    int d = HexDigit(c);
    if (d < 0) return InvalidArgument("invalid hex digit '" + std::string(1, c) + "' in " + Shown(s));
    if (significant > 0 || d != 0) ++significant;
    if (significant > 64) return InvalidArgument("hex integer " + Shown(s) + " does not fit in 256 bits");
    MulAddSmall(x, 16, static_cast<uint64_t>(d));
  }
  if (digits.size() > 64) {
    return InvalidArgument("hex integer " + Shown(s) + " has more than 64 digits");
  }
  return FromLimbs(x);
}

Result<U256> U256::Parse(std::string_view s) {
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return FromHex(s);
  return FromDecimal(s);
}

Result<U256> U256::FromMor(std::string_view s) {
  size_t dot = s.find('.');
  std::string_view whole = dot == std::string_view::npos ? s : s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  auto bad = [&](const std::string& why) {
    return InvalidArgument("invalid MOR amount " + Shown(s) + ": " + why);
  };
  if (whole.empty()) return bad("expected digits before the decimal point");
  if (dot != std::string_view::npos && frac.empty()) return bad("expected digits after the decimal point");
  for (char c : whole) {
    if (c < '0' || c > '9') return bad("expected decimal digits and at most one '.'");
  }
  for (char c : frac) {
    if (c < '0' || c > '9') return bad("expected decimal digits and at most one '.'");
  }
  if (frac.size() > kMorDecimals) return bad("more than 18 decimals (1 unit = 10^-18 MOR)");
  Limbs x{};
  for (char c : whole) {
    if (!MulAddSmall(x, 10, static_cast<uint64_t>(c - '0'))) return bad("does not fit in 256 bits");
  }
  for (size_t i = 0; i < kMorDecimals; ++i) {
    uint64_t d = i < frac.size() ? static_cast<uint64_t>(frac[i] - '0') : 0;
    if (!MulAddSmall(x, 10, d)) return bad("does not fit in 256 bits");
  }
  return FromLimbs(x);
}

U256 U256::FromBigEndian(const FixedBytes<32>& b) {
  Limbs x{};
  for (int i = 0; i < 4; ++i) {
    uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v = (v << 8) | b[(3 - i) * 8 + k];
    x[i] = v;
  }
  return FromLimbs(x);
}

FixedBytes<32> U256::ToBigEndian() const {
  FixedBytes<32> out;
  for (int i = 0; i < 4; ++i) {
    uint64_t v = limbs_[i];
    for (int k = 7; k >= 0; --k) {
      out[(3 - i) * 8 + k] = static_cast<uint8_t>(v);
      v >>= 8;
    }
  }
  return out;
}

std::string U256::ToDecimal() const {
  if (IsZero()) return "0";
  Limbs x = limbs_;
  uint64_t chunks[5];  // 2^256 < 10^78 < (10^19)^5
  int n = 0;
  while (!U256::FromLimbs(x).IsZero()) chunks[n++] = DivSmall(x, kTen19);
  std::string out = std::to_string(chunks[n - 1]);
  for (int i = n - 2; i >= 0; --i) {
    std::string part = std::to_string(chunks[i]);
    out.append(19 - part.size(), '0');
    out += part;
  }
  return out;
}

std::string U256::ToHex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  bool started = false;
  for (int i = 3; i >= 0; --i) {
    for (int shift = 60; shift >= 0; shift -= 4) {
      int d = static_cast<int>((limbs_[i] >> shift) & 0xf);
      if (d == 0 && !started) continue;
      started = true;
      out += kDigits[d];
    }
  }
  if (!started) out += '0';
  return out;
}

std::string U256::ToMor() const {
  Limbs x = limbs_;
  uint64_t frac = DivSmall(x, 1'000'000'000'000'000'000ULL);
  std::string out = FromLimbs(x).ToDecimal();
  if (frac == 0) return out;
  std::string f = std::to_string(frac);
  f.insert(0, kMorDecimals - f.size(), '0');
  while (!f.empty() && f.back() == '0') f.pop_back();
  return out + "." + f;
}

std::optional<U256> U256::CheckedAdd(const U256& o) const {
  Limbs r;
  uint64_t carry = 0;
  for (int i = 0; i < 4; ++i) {
    u128 s = static_cast<u128>(limbs_[i]) + o.limbs_[i] + carry;
    r[i] = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
  if (carry != 0) return std::nullopt;
  return FromLimbs(r);
}

std::optional<U256> U256::CheckedSub(const U256& o) const {
  if (*this < o) return std::nullopt;
  Limbs r;
  uint64_t borrow = 0;
  for (int i = 0; i < 4; ++i) {
    uint64_t a = limbs_[i], b = o.limbs_[i];
    uint64_t t = a - b;
    uint64_t b1 = a < b;
    r[i] = t - borrow;
    borrow = b1 | (t < borrow);
  }
  return FromLimbs(r);
}

std::optional<U256> U256::CheckedMul(const U256& o) const {
  uint64_t p[8];
  Mul512(limbs_, o.limbs_, p);
  if ((p[4] | p[5] | p[6] | p[7]) != 0) return std::nullopt;
  return FromLimbs({p[0], p[1], p[2], p[3]});
}

std::optional<U256> U256::Div(const U256& o) const {
  int n = CountLimbs(o.limbs_.data(), 4);
  if (n == 0) return std::nullopt;
  int m = CountLimbs(limbs_.data(), 4);
  if (m < n) return U256();
  uint64_t q[4] = {0, 0, 0, 0}, r[4];
  DivMod(limbs_.data(), m, o.limbs_.data(), n, q, r);
  return FromLimbs({q[0], q[1], q[2], q[3]});
}

U256 U256::Mod(const U256& o) const {
  int n = CountLimbs(o.limbs_.data(), 4);
  if (n == 0) return U256();
  int m = CountLimbs(limbs_.data(), 4);
  if (m < n) return *this;
  uint64_t q[4], r[4] = {0, 0, 0, 0};
  DivMod(limbs_.data(), m, o.limbs_.data(), n, q, r);
  return FromLimbs({r[0], r[1], r[2], r[3]});
}

std::optional<U256> U256::MulDiv(const U256& a, const U256& b, const U256& c) {
  int n = CountLimbs(c.limbs_.data(), 4);
  if (n == 0) return std::nullopt;
  uint64_t p[8];
  Mul512(a.limbs_, b.limbs_, p);
  int m = CountLimbs(p, 8);
  if (m < n) return U256();
  uint64_t q[8] = {0, 0, 0, 0, 0, 0, 0, 0}, r[4];
  DivMod(p, m, c.limbs_.data(), n, q, r);
  if ((q[4] | q[5] | q[6] | q[7]) != 0) return std::nullopt;
  return FromLimbs({q[0], q[1], q[2], q[3]});
}

void to_json(nlohmann::json& j, const U256& v) { j = v.ToDecimal(); }

Result<U256> U256FromJson(const nlohmann::json& j) {
  if (j.is_string()) return U256::Parse(j.get_ref<const std::string&>());
  if (j.is_number_unsigned()) return U256(j.get<uint64_t>());
  if (j.is_number_integer()) {
    int64_t v = j.get<int64_t>();
    if (v < 0) return InvalidArgument("expected a non-negative integer, got " + std::to_string(v));
    return U256(static_cast<uint64_t>(v));
  }
  if (j.is_number_float()) {
    return InvalidArgument("expected an integer (decimal string, 0x string or JSON integer), got the "
                           "floating-point number " + j.dump());
  }
  return InvalidArgument(std::string("expected an integer (decimal string, 0x string or JSON integer), got ") +
                         j.type_name());
}

}  // namespace lt
