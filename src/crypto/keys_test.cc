#include "crypto/keys.h"

#include <gtest/gtest.h>

#include "crypto/keccak.h"

namespace lt::crypto {
namespace {

TEST(KeccakTest, EmptyStringMatchesEthereumVector) {
  EXPECT_EQ(HexEncode(Keccak(std::string_view(""))),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(KeccakTest, AbcAndIncrementalAgree) {
  EXPECT_EQ(HexEncode(Keccak(std::string_view("abc"))),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  std::string big(1000, 'a');
  Keccak256 h;
  for (size_t i = 0; i < big.size(); i += 7) h.Update(std::string_view(big).substr(i, 7));
  EXPECT_EQ(h.Finalize(), Keccak(big));
}

TEST(AddressTest, Eip55ExamplesRoundTrip) {
  for (const char* s : {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"}) {
    auto a = ParseAddress(s);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->ToChecksumHex(), s);
  }
}

TEST(AddressTest, BadChecksumIsRefused) {
  auto a = ParseAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("checksum"), std::string::npos);
  EXPECT_TRUE(ParseAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").ok());
  EXPECT_FALSE(ParseAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea").ok());
  EXPECT_FALSE(ParseAddress("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00").ok());
}

TEST(KeysTest, KnownKeyHasKnownAddress) {
  // keccak("cow") is the private key of the EIP-712 example's "Cow".
  auto k = PrivateKey::FromBytes(Keccak(std::string_view("cow")));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->GetAddress().ToChecksumHex(), "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826");
}

TEST(KeysTest, SignThenRecoverGivesSigner) {
  SeededRandom rng(7);
  PrivateKey k = PrivateKey::Generate(rng);
  Hash32 digest = Keccak(std::string_view("hello"));
  Signature sig = k.Sign(digest);
  EXPECT_TRUE(sig[64] == 27 || sig[64] == 28);
  auto who = Recover(digest, sig);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(*who, k.GetAddress());
}

TEST(KeysTest, HighSIsRefused) {
  SeededRandom rng(8);
  PrivateKey k = PrivateKey::Generate(rng);
  Hash32 digest = Keccak(std::string_view("x"));
  Signature sig = k.Sign(digest);
  // s' = n - s flips the recovery id: the same signature in its malleable twin form.
  static const uint8_t n[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                                0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[i] - sig[32 + i] - borrow;
    borrow = d < 0;
    sig[32 + i] = static_cast<uint8_t>(d + (borrow ? 256 : 0));
  }
  sig[64] = sig[64] == 27 ? 28 : 27;
  auto who = Recover(digest, sig);
  ASSERT_FALSE(who.ok());
  EXPECT_NE(who.error().message.find("high s"), std::string::npos);
}

TEST(KeysTest, BadPrivateKeysAreRefused) {
  EXPECT_FALSE(PrivateKey::FromHex("00").ok());
  EXPECT_FALSE(PrivateKey::FromHex(std::string(64, '0')).ok());
  EXPECT_FALSE(PrivateKey::FromHex(std::string(64, 'f')).ok());
  EXPECT_FALSE(PrivateKey::FromHex("zz").ok());
}

TEST(KeysTest, EcdhAgreesBothWays) {
  SeededRandom rng(9);
  PrivateKey a = PrivateKey::Generate(rng), b = PrivateKey::Generate(rng);
  auto ab = Ecdh(a, b.PublicKey());
  auto ba = Ecdh(b, a.PublicKey());
  ASSERT_TRUE(ab.ok() && ba.ok());
  EXPECT_EQ(*ab, *ba);
}

}  // namespace
}  // namespace lt::crypto
