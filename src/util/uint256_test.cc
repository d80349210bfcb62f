#include "util/uint256.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "util/random.h"

namespace lt {
namespace {

constexpr char kMaxDec[] =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";
constexpr char kTwo256Dec[] =
    "115792089237316195423570985008687907853269984665640564039457584007913129639936";

// Slow, obviously-correct reference: 512-bit numbers as 8 limbs, shift-subtract division.
using Wide = std::array<uint64_t, 8>;

Wide RefMul(const U256& a, const U256& b) {
  Wide out{};
  // Schoolbook with 32-bit half limbs (no __int128), independent of the implementation.
  uint32_t x[8], y[8], z[16] = {};
  for (int i = 0; i < 4; ++i) {
    x[2 * i] = static_cast<uint32_t>(a.limbs()[i]);
    x[2 * i + 1] = static_cast<uint32_t>(a.limbs()[i] >> 32);
    y[2 * i] = static_cast<uint32_t>(b.limbs()[i]);
    y[2 * i + 1] = static_cast<uint32_t>(b.limbs()[i] >> 32);
  }
  for (int i = 0; i < 8; ++i) {
    uint64_t carry = 0;
    for (int j = 0; j < 8; ++j) {
      uint64_t t = static_cast<uint64_t>(x[i]) * y[j] + z[i + j] + carry;
      z[i + j] = static_cast<uint32_t>(t);
      carry = t >> 32;
    }
    z[i + 8] = static_cast<uint32_t>(carry);
  }
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint64_t>(z[2 * i]) | static_cast<uint64_t>(z[2 * i + 1]) << 32;
  return out;
}

bool WideGe(const Wide& a, const Wide& b) {
  for (int i = 7; i >= 0; --i) {
    if (a[i] != b[i]) return a[i] > b[i];
  }
  return true;
}

void WideSub(Wide& a, const Wide& b) {
  uint64_t borrow = 0;
  for (int i = 0; i < 8; ++i) {
    uint64_t t = a[i] - b[i] - borrow;
    borrow = (a[i] < b[i]) || (a[i] - b[i] < borrow) ? 1 : 0;
    a[i] = t;
  }
}

// floor(n / d) by long division, bit by bit; returns the quotient as 8 limbs.
Wide RefDiv(const Wide& n, const U256& d) {
  Wide q{}, r{};
  Wide dw{};
  for (int i = 0; i < 4; ++i) dw[i] = d.limbs()[i];
  for (int bit = 511; bit >= 0; --bit) {
    for (int i = 7; i > 0; --i) r[i] = (r[i] << 1) | (r[i - 1] >> 63);
    r[0] = (r[0] << 1) | ((n[bit / 64] >> (bit % 64)) & 1);
    if (WideGe(r, dw)) {
      WideSub(r, dw);
      q[bit / 64] |= 1ULL << (bit % 64);
    }
  }
  return q;
}

// Random values of varied magnitude (so every limb count and normalisation shift is hit).
U256 RandomU256(SeededRandom& rng) {
  U256::Limbs l{};
  int limbs = 1 + static_cast<int>(rng.Uniform(4));
  for (int i = 0; i < limbs; ++i) l[i] = rng.NextU64();
  int shift = static_cast<int>(rng.Uniform(64));
  l[limbs - 1] >>= shift;
  if (rng.Uniform(8) == 0) l[limbs - 1] |= 1ULL << 63;  // top bit set: no normalisation
  return U256::FromLimbs(l);
}

TEST(U256Test, MaxParsesAndTwoTo256Fails) {
  auto max = U256::FromDecimal(kMaxDec);
  ASSERT_TRUE(max.ok()) << max.error().message;
  EXPECT_EQ(*max, U256::Max());
  EXPECT_EQ(max->ToDecimal(), kMaxDec);
  auto over = U256::FromDecimal(kTwo256Dec);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find(kTwo256Dec), std::string::npos) << over.error().message;
  EXPECT_NE(over.error().message.find("256 bits"), std::string::npos);

  EXPECT_EQ(U256::FromHex("0x" + std::string(64, 'f'))->ToDecimal(), kMaxDec);
  EXPECT_FALSE(U256::FromHex("0x1" + std::string(64, '0')).ok());
  EXPECT_TRUE(U256::FromHex("0x" + std::string(64, '0')).ok());
  EXPECT_FALSE(U256::FromHex("0x" + std::string(65, '0')).ok());
}

TEST(U256Test, ParsingRefusesJunk) {
  for (const char* s : {"", "-1", "+1", " 1", "1 ", "1e3", "1.0", "0x", "0xg", "x10", "12a"}) {
    EXPECT_FALSE(U256::Parse(s).ok()) << s;
  }
  EXPECT_FALSE(U256::FromHex("12").ok());
  EXPECT_FALSE(U256::FromDecimal("0x12").ok());
  EXPECT_EQ(*U256::Parse("0x12"), U256(18));
  EXPECT_EQ(*U256::Parse("0X1F"), U256(31));
  EXPECT_EQ(*U256::Parse("007"), U256(7));
}

TEST(U256Test, DecimalHexAndBigEndianRoundTrip) {
  SeededRandom rng(1);
  for (int i = 0; i < 500; ++i) {
    U256 v = RandomU256(rng);
    EXPECT_EQ(*U256::FromDecimal(v.ToDecimal()), v);
    EXPECT_EQ(*U256::FromHex(v.ToHex()), v);
    EXPECT_EQ(U256::FromBigEndian(v.ToBigEndian()), v);
  }
  EXPECT_EQ(U256().ToHex(), "0x0");
  EXPECT_EQ(U256().ToDecimal(), "0");
  EXPECT_EQ(U256(255).ToHex(), "0xff");
  EXPECT_EQ(U256(10'000'000'000'000'000'000ULL).ToDecimal(), "10000000000000000000");
  auto be = U256(0x0102).ToBigEndian();
  EXPECT_EQ(be[31], 0x02);
  EXPECT_EQ(be[30], 0x01);
  EXPECT_EQ(be[0], 0x00);
  // 2^64 crosses a limb.
  EXPECT_EQ(U256::FromLimbs({0, 1, 0, 0}).ToDecimal(), "18446744073709551616");
}

TEST(U256Test, MorFormattingAndParsing) {
  EXPECT_EQ(U256::FromMor("1.5")->ToDecimal(), "1500000000000000000");
  EXPECT_EQ(*U256::FromMor("3456"), *OneMor().CheckedMul(3456));
  EXPECT_EQ(*U256::FromMor("0.000000000000000001"), U256(1));
  EXPECT_EQ(U256(1).ToMor(), "0.000000000000000001");
  EXPECT_EQ(U256().ToMor(), "0");
  EXPECT_EQ(U256::FromMor("1.5")->ToMor(), "1.5");
  EXPECT_EQ(U256::FromMor("3456.000")->ToMor(), "3456");
  EXPECT_EQ(U256::FromMor("0.59255872824")->ToMor(), "0.59255872824");
  EXPECT_EQ(U256::Max().ToMor(), "115792089237316195423570985008687907853269984665640564039457.584007913129639935");
  auto too_precise = U256::FromMor("0.0000000000000000001");
  ASSERT_FALSE(too_precise.ok());
  EXPECT_NE(too_precise.error().message.find("18 decimals"), std::string::npos);
  for (const char* s : {"", ".5", "1.", "1..2", "-1", "1,5", "1e18", " 1", "0x10"}) {
    EXPECT_FALSE(U256::FromMor(s).ok()) << s;
  }
  EXPECT_FALSE(U256::FromMor("115792089237316195423570985008687907853269984665640564039458").ok());
}

TEST(U256Test, CheckedArithmeticDetectsOverflow) {
  EXPECT_FALSE(U256::Max().CheckedAdd(1).has_value());
  EXPECT_EQ(*U256::Max().CheckedAdd(0), U256::Max());
  EXPECT_FALSE(U256(1).CheckedSub(2).has_value());
  EXPECT_EQ(*U256(2).CheckedSub(2), U256());
  EXPECT_EQ(*U256::FromLimbs({0, 1, 0, 0}).CheckedSub(1), U256(~0ULL));
  EXPECT_EQ(*U256(~0ULL).CheckedAdd(1), U256::FromLimbs({0, 1, 0, 0}));
  U256 two128 = U256::FromLimbs({0, 0, 1, 0});
  EXPECT_FALSE(two128.CheckedMul(two128).has_value());
  EXPECT_EQ(*two128.CheckedMul(U256(2)),
            U256::FromLimbs({0, 0, 2, 0}));
  EXPECT_FALSE(U256::Max().CheckedMul(2).has_value());
  EXPECT_EQ(*U256::Max().CheckedMul(1), U256::Max());
  EXPECT_FALSE(U256(5).Div(0).has_value());
  EXPECT_FALSE(U256::MulDiv(1, 1, 0).has_value());
  EXPECT_EQ(U256(5).Mod(0), U256());
  // Quotient too large for 256 bits.
  EXPECT_FALSE(U256::MulDiv(U256::Max(), 2, 1).has_value());
  EXPECT_EQ(*U256::MulDiv(U256::Max(), U256::Max(), U256::Max()), U256::Max());
  EXPECT_EQ(*U256::MulDiv(U256::Max(), 3, 4), *(*U256::Max().Div(4)).CheckedMul(3)->CheckedAdd(2));
}

TEST(U256Test, OrderingIsNumeric) {
  EXPECT_LT(U256(1), U256(2));
  EXPECT_LT(U256(~0ULL), U256::FromLimbs({0, 1, 0, 0}));
  EXPECT_GT(U256::FromLimbs({0, 0, 0, 1}), U256::FromLimbs({~0ULL, ~0ULL, ~0ULL, 0}));
  EXPECT_TRUE(U256(0).IsZero());
  EXPECT_TRUE(U256(7).FitsU64());
  EXPECT_FALSE(U256::FromLimbs({0, 1, 0, 0}).FitsU64());
  EXPECT_EQ(U256::FromLimbs({9, 1, 0, 0}).Low64(), 9u);
}

TEST(U256Test, DivModAndMulDivMatchSlowReference) {
  SeededRandom rng(42);
  for (int i = 0; i < 3000; ++i) {
    U256 a = RandomU256(rng), b = RandomU256(rng), c = RandomU256(rng);
    if (c.IsZero()) c = 1;
    // Div / Mod against the reference on a (as a 512-bit number with a zero top half).
    Wide aw{};
    for (int k = 0; k < 4; ++k) aw[k] = a.limbs()[k];
    Wide q = RefDiv(aw, c);
    U256 q256 = U256::FromLimbs({q[0], q[1], q[2], q[3]});
    ASSERT_EQ(*a.Div(c), q256) << a.ToHex() << " / " << c.ToHex();
    U256 back = *q256.CheckedMul(c)->CheckedAdd(a.Mod(c));
    ASSERT_EQ(back, a) << a.ToHex() << " % " << c.ToHex();
    ASSERT_LT(a.Mod(c), c);

    Wide prod = RefMul(a, b);
    Wide pq = RefDiv(prod, c);
    auto md = U256::MulDiv(a, b, c);
    bool fits = (pq[4] | pq[5] | pq[6] | pq[7]) == 0;
    ASSERT_EQ(md.has_value(), fits) << a.ToHex() << " * " << b.ToHex() << " / " << c.ToHex();
    if (fits) {
      ASSERT_EQ(*md, U256::FromLimbs({pq[0], pq[1], pq[2], pq[3]}));
    }
    auto mul = a.CheckedMul(b);
    bool mul_fits = (prod[4] | prod[5] | prod[6] | prod[7]) == 0;
    ASSERT_EQ(mul.has_value(), mul_fits);
    if (mul_fits) {
      ASSERT_EQ(*mul, U256::FromLimbs({prod[0], prod[1], prod[2], prod[3]}));
    }
  }
}

TEST(U256Test, DivisionEdgeCasesNeedingCorrection) {
  // Divisors whose top limb is all ones / just a high bit exercise qhat correction and add-back.
  const U256 divisors[] = {U256::FromLimbs({~0ULL, ~0ULL, 0, 0}), U256::FromLimbs({1, 0, 1ULL << 63, 0}),
                           U256::FromLimbs({0, 0, 0, 1ULL << 63}), U256::FromLimbs({~0ULL, 0, ~0ULL, 0}),
                           U256::FromLimbs({0x8000000000000001ULL, 0x7fffffffffffffffULL, 0, 0})};
  const U256 numerators[] = {U256::Max(), U256::FromLimbs({0, 0, 0, 1ULL << 63}),
                             U256::FromLimbs({~0ULL, 0, ~0ULL, 0x7fffffffffffffffULL}),
                             U256::FromLimbs({0, ~0ULL, ~0ULL, ~0ULL})};
  for (const U256& d : divisors) {
    for (const U256& n : numerators) {
      Wide nw{};
      for (int k = 0; k < 4; ++k) nw[k] = n.limbs()[k];
      Wide q = RefDiv(nw, d);
      EXPECT_EQ(*n.Div(d), U256::FromLimbs({q[0], q[1], q[2], q[3]}));
      Wide prod = RefMul(n, n);
      Wide pq = RefDiv(prod, d);
      bool fits = (pq[4] | pq[5] | pq[6] | pq[7]) == 0;
      auto md = U256::MulDiv(n, n, d);
      ASSERT_EQ(md.has_value(), fits);
      if (fits) {
        EXPECT_EQ(*md, U256::FromLimbs({pq[0], pq[1], pq[2], pq[3]}));
      }
    }
  }
}

TEST(U256Test, JsonWritesDecimalAndReadsThreeForms) {
  nlohmann::json j = *U256::FromDecimal(kMaxDec);
  EXPECT_EQ(j, kMaxDec);
  EXPECT_EQ(*U256FromJson(nlohmann::json("12")), U256(12));
  EXPECT_EQ(*U256FromJson(nlohmann::json("0x0c")), U256(12));
  EXPECT_EQ(*U256FromJson(nlohmann::json(12)), U256(12));
  EXPECT_EQ(*U256FromJson(nlohmann::json(18446744073709551615ULL)), U256(~0ULL));
  EXPECT_FALSE(U256FromJson(nlohmann::json(-1)).ok());
  EXPECT_FALSE(U256FromJson(nlohmann::json(1.5)).ok());
  EXPECT_FALSE(U256FromJson(nlohmann::json(true)).ok());
  EXPECT_FALSE(U256FromJson(nlohmann::json::array()).ok());
  EXPECT_FALSE(U256FromJson(nlohmann::json(kTwo256Dec)).ok());
}

}  // namespace
}  // namespace lt
