#include "crypto/scrypt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

namespace lt::crypto {
namespace {

std::string ScryptHex(std::string_view pw, std::string_view salt, uint64_t n, uint32_t r, uint32_t p,
                      size_t len) {
  Bytes out(len);
  Status s = Scrypt(AsBytes(pw), AsBytes(salt), n, r, p, out);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return HexEncode(out);
}

TEST(ScryptTest, MatchesRfc7914Vectors) {
  EXPECT_EQ(ScryptHex("", "", 16, 1, 1, 64),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
  EXPECT_EQ(ScryptHex("password", "NaCl", 1024, 8, 16, 64),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST(ScryptTest, AgreesWithOpenSslWhereOpenSslAcceptsTheParameters) {
  struct P {
    uint64_t n;
    uint32_t r, p;
  };
  for (P c : {P{2, 1, 1}, P{256, 2, 3}, P{4096, 8, 1}, P{1024, 3, 2}, P{8, 4, 7}}) {
    SCOPED_TRACE(std::to_string(c.n) + "," + std::to_string(c.r) + "," + std::to_string(c.p));
    std::string pw = "pw" + std::to_string(c.n), salt = "salt" + std::to_string(c.r * 31 + c.p);
    uint8_t want[32];
    ASSERT_EQ(EVP_PBE_scrypt(pw.data(), pw.size(), reinterpret_cast<const uint8_t*>(salt.data()), salt.size(),
                             c.n, c.r, c.p, 1ULL << 30, want, sizeof want),
              1);
    EXPECT_EQ(ScryptHex(pw, salt, c.n, c.r, c.p, 32), HexEncode(ByteSpan(want, 32)));
  }
}

TEST(ScryptTest, ComputesParametersOpenSslRefuses) {
  // OpenSSL refuses n >= 2^(16r); wallets use such parameters (the keystore spec vector has r=1).
  uint8_t tmp[32];
  EXPECT_EQ(
      EVP_PBE_scrypt("a", 1, reinterpret_cast<const uint8_t*>("b"), 1, 1 << 16, 1, 1, 1ULL << 30, tmp, 32),
      0);
  Bytes out(32);
  EXPECT_TRUE(Scrypt(AsBytes("a"), AsBytes("b"), 1 << 16, 1, 1, out).ok());
  EXPECT_NE(HexEncode(out), std::string(64, '0'));
}

TEST(ScryptTest, RefusesUnusableParameters) {
  Bytes out(32);
  EXPECT_FALSE(Scrypt(AsBytes("a"), AsBytes("b"), 3, 1, 1, out).ok());
  EXPECT_FALSE(Scrypt(AsBytes("a"), AsBytes("b"), 1, 1, 1, out).ok());
  EXPECT_FALSE(Scrypt(AsBytes("a"), AsBytes("b"), 16, 0, 1, out).ok());
  EXPECT_FALSE(Scrypt(AsBytes("a"), AsBytes("b"), 16, 1, 0, out).ok());
  EXPECT_FALSE(Scrypt(AsBytes("a"), AsBytes("b"), 1ULL << 40, 8, 1, out).ok());
}

}  // namespace
}  // namespace lt::crypto
