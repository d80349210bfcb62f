// The contract ABI against the examples of the Solidity documentation ("Contract ABI
// Specification", Examples), round trips of every type, and the strict decoder's refusals.
#include "evm/abi.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace lt::evm {
namespace {

using V = AbiValue;

Bytes H(std::string_view hex) { return *HexDecode(hex); }
std::string Words(std::initializer_list<const char*> words) {
  std::string s;
  for (const char* w : words) s += w;
  return s;
}
std::vector<AbiType> Types(std::initializer_list<const char*> ts) {
  std::vector<AbiType> out;
  for (const char* t : ts) out.push_back(*ParseAbiType(t));
  return out;
}
std::string Call(std::string_view sig, const std::vector<AbiType>& types, const std::vector<V>& values) {
  auto body = AbiEncode(types, values);
  EXPECT_TRUE(body.ok()) << body.error().message;
  auto sel = Selector(sig);
  return HexEncode(sel) + (body.ok() ? HexEncode(*body) : "");
}

TEST(AbiTest, SelectorsOfKnownFunctions) {
  EXPECT_EQ(HexEncode(Selector("transfer(address,uint256)")), "a9059cbb");
  EXPECT_EQ(HexEncode(Selector("baz(uint32,bool)")), "cdcd77c0");
  EXPECT_EQ(HexEncode(Selector("Error(string)")), "08c379a0");
  EXPECT_EQ(HexEncode(Selector("Panic(uint256)")), "4e487b71");
}

TEST(AbiTest, SpecExampleStaticArguments) {
  EXPECT_EQ(Call("baz(uint32,bool)", Types({"uint32", "bool"}), {V::Uint(69), V::Bool(true)}),
            "cdcd77c0" + Words({"0000000000000000000000000000000000000000000000000000000000000045",
                                "0000000000000000000000000000000000000000000000000000000000000001"}));
  EXPECT_EQ(Call("bar(bytes3[2])", Types({"bytes3[2]"}), {V::List({V::Blob(H("616263")), V::Blob(H("646566"))})}),
            "fce353f6" + Words({"6162630000000000000000000000000000000000000000000000000000000000",
                                "6465660000000000000000000000000000000000000000000000000000000000"}));
}

TEST(AbiTest, SpecExampleDynamicArguments) {
  EXPECT_EQ(Call("sam(bytes,bool,uint256[])", Types({"bytes", "bool", "uint256[]"}),
                 {V::Str("dave"), V::Bool(true), V::List({V::Uint(1), V::Uint(2), V::Uint(3)})}),
            "a5643bf2" + Words({"0000000000000000000000000000000000000000000000000000000000000060",
                                "0000000000000000000000000000000000000000000000000000000000000001",
                                "00000000000000000000000000000000000000000000000000000000000000a0",
                                "0000000000000000000000000000000000000000000000000000000000000004",
                                "6461766500000000000000000000000000000000000000000000000000000000",
                                "0000000000000000000000000000000000000000000000000000000000000003",
                                "0000000000000000000000000000000000000000000000000000000000000001",
                                "0000000000000000000000000000000000000000000000000000000000000002",
                                "0000000000000000000000000000000000000000000000000000000000000003"}));
  EXPECT_EQ(Call("f(uint256,uint32[],bytes10,bytes)", Types({"uint256", "uint32[]", "bytes10", "bytes"}),
                 {V::Uint(0x123), V::List({V::Uint(0x456), V::Uint(0x789)}), V::Str("1234567890"),
                  V::Str("Hello, world!")}),
            "8be65246" + Words({"0000000000000000000000000000000000000000000000000000000000000123",
                                "0000000000000000000000000000000000000000000000000000000000000080",
                                "3132333435363738393000000000000000000000000000000000000000000000",
                                "00000000000000000000000000000000000000000000000000000000000000e0",
                                "0000000000000000000000000000000000000000000000000000000000000002",
                                "0000000000000000000000000000000000000000000000000000000000000456",
                                "0000000000000000000000000000000000000000000000000000000000000789",
                                "000000000000000000000000000000000000000000000000000000000000000d",
                                "48656c6c6f2c20776f726c642100000000000000000000000000000000000000"}));
  auto types = Types({"uint256[][]", "string[]"});
  std::vector<V> values = {V::List({V::List({V::Uint(1), V::Uint(2)}), V::List({V::Uint(3)})}),
                           V::List({V::Str("one"), V::Str("two"), V::Str("three")})};
  std::string g = Call("g(uint256[][],string[])", types, values);
  EXPECT_EQ(g, "2289b18c" + Words({"0000000000000000000000000000000000000000000000000000000000000040",
                                   "0000000000000000000000000000000000000000000000000000000000000140",
                                   "0000000000000000000000000000000000000000000000000000000000000002",
                                   "0000000000000000000000000000000000000000000000000000000000000040",
                                   "00000000000000000000000000000000000000000000000000000000000000a0",
                                   "0000000000000000000000000000000000000000000000000000000000000002",
                                   "0000000000000000000000000000000000000000000000000000000000000001",
                                   "0000000000000000000000000000000000000000000000000000000000000002",
                                   "0000000000000000000000000000000000000000000000000000000000000001",
                                   "0000000000000000000000000000000000000000000000000000000000000003",
                                   "0000000000000000000000000000000000000000000000000000000000000003",
                                   "0000000000000000000000000000000000000000000000000000000000000060",
                                   "00000000000000000000000000000000000000000000000000000000000000a0",
                                   "00000000000000000000000000000000000000000000000000000000000000e0",
                                   "0000000000000000000000000000000000000000000000000000000000000003",
                                   "6f6e650000000000000000000000000000000000000000000000000000000000",
                                   "0000000000000000000000000000000000000000000000000000000000000003",
                                   "74776f0000000000000000000000000000000000000000000000000000000000",
                                   "0000000000000000000000000000000000000000000000000000000000000005",
                                   "7468726565000000000000000000000000000000000000000000000000000000"}));
  auto back = AbiDecode(types, H(g.substr(8)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, values);
}

TEST(AbiTest, ParsesTypesAndTheirCanonicalSpelling) {
  for (const char* t : {"uint8", "int256", "address", "bool", "bytes1", "bytes32", "bytes", "string", "uint256[]",
                        "bytes32[4]", "(address,uint256)", "(address,(bytes,bool)[])[3][]", "()"}) {
    auto p = ParseAbiType(t);
    ASSERT_TRUE(p.ok()) << t << ": " << p.error().message;
    EXPECT_EQ(p->Canonical(), t);
  }
  for (const char* bad : {"uint", "uint7", "uint264", "uint08", "bytes0", "bytes33", "foo", "uint256[", "(uint256",
                          "(uint256,)", "uint256[0x1]", "int-8",
                          "uint8[65536][65536]"}) {
    EXPECT_FALSE(ParseAbiType(bad).ok()) << bad;
  }
  auto j = nlohmann::json::parse(
      R"({"type":"tuple[]","components":[{"type":"address"},{"type":"tuple","components":[{"type":"bytes32"}]}]})");
  auto t = AbiTypeFromJson(j);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Canonical(), "(address,(bytes32))[]");
  EXPECT_TRUE(ParseAbiType("(uint256,bytes)")->IsDynamic());
  EXPECT_FALSE(ParseAbiType("(uint256,bytes32[2])")->IsDynamic());
  EXPECT_EQ(ParseAbiType("(uint256,bytes32[2])")->HeadSize(), 96u);
}

TEST(AbiTest, RoundTripsEveryKind) {
  auto types = Types({"int8", "int256", "address", "bytes4", "(uint32,string,bool[2])[]", "uint96"});
  crypto::Address a = *crypto::ParseAddress("0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1");
  std::vector<V> values = {V::Int(-128), V::Int(-1), V::Addr(a), V::Blob(H("deadbeef")),
                           V::List({V::List({V::Uint(7), V::Str("x"), V::List({V::Bool(true), V::Bool(false)})})}),
                           V::Uint(*U256::FromDecimal("79228162514264337593543950335"))};
  auto enc = AbiEncode(types, values);
  ASSERT_TRUE(enc.ok()) << enc.error().message;
  auto dec = AbiDecode(types, *enc);
  ASSERT_TRUE(dec.ok()) << dec.error().message;
  EXPECT_EQ(*dec, values);
  EXPECT_EQ((*dec)[2].AsAddress(), a);
  EXPECT_EQ(AbiValueToString(types[0], (*dec)[0]), "-128");
  EXPECT_EQ(AbiValueToString(types[2], (*dec)[2]), a.ToChecksumHex());
}

TEST(AbiTest, EncodeRefusesValuesThatDoNotFit) {
  EXPECT_FALSE(AbiEncode(Types({"uint8"}), {V::Uint(256)}).ok());
  EXPECT_FALSE(AbiEncode(Types({"int8"}), {V::Int(128)}).ok());
  EXPECT_FALSE(AbiEncode(Types({"bytes4"}), {V::Blob(H("0102"))}).ok());
  EXPECT_FALSE(AbiEncode(Types({"uint8[2]"}), {V::List({V::Uint(1)})}).ok());
  EXPECT_FALSE(AbiEncode(Types({"(uint8,bool)"}), {V::List({V::Uint(1)})}).ok());
  EXPECT_FALSE(AbiEncode(Types({"bool"}), {V::Uint(2)}).ok());
  EXPECT_FALSE(AbiEncode(Types({"uint8", "uint8"}), {V::Uint(1)}).ok());
}

TEST(AbiTest, DecodeIsStrict) {
  auto word = [](std::string_view hex) { return std::string(64 - hex.size(), '0') + std::string(hex); };
  // A dirty address, a bool of 2, a uint8 of 256, a bytes4 with non-zero padding, a bad sign extension.
  EXPECT_FALSE(AbiDecode(Types({"address"}), H("ff" + word("1").substr(2))).ok());
  EXPECT_FALSE(AbiDecode(Types({"bool"}), H(word("2"))).ok());
  EXPECT_FALSE(AbiDecode(Types({"uint8"}), H(word("100"))).ok());
  EXPECT_FALSE(AbiDecode(Types({"bytes4"}), H("0102030405" + std::string(54, '0'))).ok());
  EXPECT_FALSE(AbiDecode(Types({"int8"}), H(word("80"))).ok());  // +128 is not an int8
  EXPECT_TRUE(AbiDecode(Types({"int8"}), H(std::string(62, 'f') + "80")).ok());  // -128 is
  // Offsets and lengths beyond the data; a truncated head.
  EXPECT_FALSE(AbiDecode(Types({"bytes"}), H(word("40"))).ok());
  EXPECT_FALSE(AbiDecode(Types({"bytes"}), H(word("20") + word("ff"))).ok());
  EXPECT_FALSE(AbiDecode(Types({"uint256[]"}), H(word("20") + word("ffffffffffff"))).ok());
  EXPECT_FALSE(AbiDecode(Types({"uint256", "uint256"}), H(word("1"))).ok());
  // A "bomb": one inner array of 2000 words referenced by all 2000 elements of the outer array
  // (128 KB of data, 4 million values): refused by the value budget, not decoded.
  auto hexw = [&](size_t v) {
    char buf[17];
    snprintf(buf, sizeof buf, "%zx", v);
    return word(buf);
  };
  const size_t n = 2000;
  std::string bomb = hexw(0x20) + hexw(n);
  for (size_t i = 0; i < n; ++i) bomb += hexw(n * 32);
  bomb += hexw(n);
  for (size_t i = 0; i < n; ++i) bomb += hexw(i);
  auto r = AbiDecode(Types({"uint256[][]"}), H(bomb));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("values"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace lt::evm
