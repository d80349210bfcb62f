#include "util/bytes.h"

#include <gtest/gtest.h>

namespace lt {
namespace {

TEST(HexTest, RoundTripsWithAndWithoutPrefix) {
  auto b = HexDecode("0xDEADbeef");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(HexEncode(*b), "deadbeef");
  EXPECT_EQ(HexEncode0x(*b), "0xdeadbeef");
  EXPECT_TRUE(HexDecode("").ok());
}

TEST(HexTest, OddLengthAndBadCharactersNameTheProblem) {
  auto odd = HexDecode("abc");
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.error().message.find("odd"), std::string::npos);
  auto bad = HexDecode("0x12zz");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("position 2"), std::string::npos);
  EXPECT_FALSE(HexDecodeFixed<4>("0x0011").ok());
}

TEST(ConstantTimeEqualTest, ComparesContentAndLength) {
  Bytes a{1, 2, 3}, b{1, 2, 3}, c{1, 2, 4};
  EXPECT_TRUE(ConstantTimeEqual(a, b));
  EXPECT_FALSE(ConstantTimeEqual(a, c));
  EXPECT_FALSE(ConstantTimeEqual(a, Bytes{1, 2}));
}

}  // namespace
}  // namespace lt
