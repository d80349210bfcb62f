// RLP against the examples of the Ethereum wiki / Yellow Paper appendix B, and every
// non-canonical form the decoder must refuse.
#include "evm/rlp.h"

#include <gtest/gtest.h>

namespace lt::evm {
namespace {

Bytes H(std::string_view hex) { return *HexDecode(hex); }
Bytes S(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(RlpTest, EncodesTheSpecExamples) {
  EXPECT_EQ(HexEncode(RlpString(S("dog"))), "83646f67");
  EXPECT_EQ(HexEncode(RlpList({RlpString(S("cat")), RlpString(S("dog"))})), "c88363617483646f67");
  EXPECT_EQ(HexEncode(RlpString({})), "80");
  EXPECT_EQ(HexEncode(RlpList({})), "c0");
  EXPECT_EQ(HexEncode(RlpUint(0)), "80");
  EXPECT_EQ(HexEncode(RlpString(H("00"))), "00");
  EXPECT_EQ(HexEncode(RlpUint(15)), "0f");
  EXPECT_EQ(HexEncode(RlpUint(1024)), "820400");
  // The set-theoretical representation of three: [ [], [[]], [ [], [[]] ] ].
  Bytes empty = RlpList({});
  Bytes one = RlpList({empty});
  EXPECT_EQ(HexEncode(RlpList({empty, one, RlpList({empty, one})})), "c7c0c1c0c3c0c1c0");
  std::string lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
  EXPECT_EQ(HexEncode(RlpString(S(lorem))), "b838" + HexEncode(S(lorem)));
  // A list longer than 55 bytes.
  std::vector<Bytes> items(20, RlpString(S("abc")));
  Bytes long_list = RlpList(items);
  EXPECT_EQ(HexEncode(ByteSpan(long_list).subspan(0, 2)), "f850");
  EXPECT_EQ(HexEncode(RlpUint(*U256::FromDecimal("115792089237316195423570985008687907853269984665640564039457584007913129639935"))),
            "a0" + std::string(64, 'f'));
}

TEST(RlpTest, DecodesWhatItEncodes) {
  Bytes enc = RlpList({RlpString(S("cat")), RlpList({RlpUint(1024), RlpString({})}), RlpString(H("7f"))});
  auto d = RlpDecode(enc);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_TRUE(d->is_list);
  ASSERT_EQ(d->items.size(), 3u);
  EXPECT_EQ(d->items[0].bytes, S("cat"));
  EXPECT_EQ(*RlpToUint(d->items[1].items[0]), U256(1024));
  EXPECT_TRUE(d->items[1].items[1].bytes.empty());
  EXPECT_EQ(d->items[2].bytes, H("7f"));
  std::string lorem(1000, 'x');
  auto big = RlpDecode(RlpString(S(lorem)));
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->bytes.size(), 1000u);
}

TEST(RlpTest, RefusesNonCanonicalAndTruncatedInput) {
  for (const char* bad : {
           "8100",        // a single byte below 0x80 in a 0x81 prefix
           "817f",        //   likewise
           "b800",        // long form for a length below 56
           "b90000",      // length with a leading zero
           "83646f",      // string shorter than its header says
           "c3c0c0",      // list shorter than its header says
           "",            // nothing
           "83646f6700",  // a byte after the item
           "bf0000000000000001",  // 8-byte length beyond the input
       }) {
    EXPECT_FALSE(RlpDecode(H(bad)).ok()) << bad;
  }
  // Nesting deeper than the limit.
  Bytes deep = RlpList({});
  for (size_t i = 0; i < kMaxRlpDepth + 1; ++i) deep = RlpList({deep});
  EXPECT_FALSE(RlpDecode(deep).ok());
  // Integers: no leading zero, at most 32 bytes.
  EXPECT_FALSE(RlpToUint(*RlpDecode(H("820004"))).ok());
  EXPECT_FALSE(RlpToUint(*RlpDecode(RlpString(Bytes(33, 1)))).ok());
  EXPECT_FALSE(RlpToUint(*RlpDecode(H("c0"))).ok());
}

}  // namespace
}  // namespace lt::evm
