#include "crypto/eip712.h"

#include <gtest/gtest.h>

namespace lt::crypto {
namespace {

using nlohmann::json;

json MailExample() {
  return json::parse(R"({
    "types": {
      "EIP712Domain": [
        {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
      "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
      "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person"},
               {"name": "contents", "type": "string"}]
    },
    "primaryType": "Mail",
    "domain": {"name": "Ether Mail", "version": "1", "chainId": 1,
               "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
    "message": {
      "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
      "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
      "contents": "Hello, Bob!"
    }
  })");
}

// A document with one field of `type` holding `value`, for the value-encoding tests.
json OneField(const std::string& type, const json& value) {
  json j = MailExample();
  j["types"] = {{"EIP712Domain", j["types"]["EIP712Domain"]}, {"T", {{{"name", "v"}, {"type", type}}}}};
  j["primaryType"] = "T";
  j["message"] = {{"v", value}};
  return j;
}

std::string ErrorOf(const json& j) {
  auto r = ParseTypedData(j);
  return r.ok() ? "(no error)" : r.error().message;
}

Word WordOf(const std::string& type, const json& value) {
  Eip712Types none;
  auto w = EncodeValue(none, type, value, "v");
  EXPECT_TRUE(w.ok()) << w.error().message;
  return w.ok() ? *w : Word{};
}

TEST(Eip712Test, MailExampleMatchesTheEip) {
  auto td = ParseTypedData(MailExample());
  ASSERT_TRUE(td.ok()) << td.error().message;
  EXPECT_EQ(*td->types.EncodeType("Mail"), "Mail(Person from,Person to,string contents)Person(string name,address wallet)");
  EXPECT_EQ(HexEncode0x(*td->types.TypeHash("Mail")),
            "0xa0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2");
  EXPECT_EQ(HexEncode0x(td->domain_separator), "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f");
  EXPECT_EQ(HexEncode0x(td->struct_hash), "0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e");
  EXPECT_EQ(HexEncode0x(td->digest), "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");
  auto data = td->types.EncodeData("Mail", MailExample()["message"], "message");
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data->size(), 4u * 32);
  EXPECT_EQ(Keccak(*data), td->struct_hash);
}

TEST(Eip712Test, MailExampleSignatureByCow) {
  auto td = ParseTypedData(MailExample());
  ASSERT_TRUE(td.ok());
  auto cow = PrivateKey::FromBytes(Keccak(std::string_view("cow")));
  ASSERT_TRUE(cow.ok());
  Signature sig = SignTypedData(*cow, *td);
  EXPECT_EQ(sig[64], 28);
  EXPECT_EQ(HexEncode0x(ByteSpan(sig.data(), 32)),
            "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d");
  EXPECT_EQ(HexEncode0x(ByteSpan(sig.data() + 32, 32)),
            "0x07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562");
  auto who = RecoverTypedData(*td, sig);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->ToChecksumHex(), "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826");
  // Changing one character of the message changes the signer.
  json other = MailExample();
  other["message"]["contents"] = "Hello, Bob?";
  auto td2 = ParseTypedData(other);
  ASSERT_TRUE(td2.ok());
  auto who2 = RecoverTypedData(*td2, sig);
  EXPECT_TRUE(!who2.ok() || *who2 != *who);
}

TEST(Eip712Test, ParseTextReportsMalformedJson) {
  auto r = ParseTypedDataText("{\"types\": {,}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("malformed JSON"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("column"), std::string::npos) << r.error().message;
  EXPECT_TRUE(ParseTypedDataText(MailExample().dump()).ok());
}

TEST(Eip712Test, AtomicEncodings) {
  EXPECT_EQ(WordOf("bool", true), WordUint(1));
  EXPECT_EQ(WordOf("bool", false), WordUint(0));
  EXPECT_EQ(WordOf("uint8", 255), WordUint(255));
  EXPECT_EQ(WordOf("uint256", "0xff"), WordUint(255));
  EXPECT_EQ(WordOf("uint64", "18446744073709551615"), WordUint(~0ULL));
  // Negative integers: 256-bit two's complement.
  Word minus_one;
  minus_one.fill(0xff);
  EXPECT_EQ(WordOf("int8", -1), minus_one);
  EXPECT_EQ(WordOf("int256", "-1"), minus_one);
  Word minus_128 = minus_one;
  minus_128[31] = 0x80;
  EXPECT_EQ(WordOf("int8", -128), minus_128);
  EXPECT_EQ(WordOf("int8", "-0x80"), minus_128);
  EXPECT_EQ(WordOf("int16", 127), WordUint(127));
  EXPECT_EQ(WordOf("int64", -9223372036854775807LL - 1)[23], 0xff);
  EXPECT_EQ(WordOf("int64", -9223372036854775807LL - 1)[24], 0x80);
  // bytesN is left-aligned; bytes and string are hashed.
  Word b2{};
  b2[0] = 0xab;
  b2[1] = 0xcd;
  EXPECT_EQ(WordOf("bytes2", "0xabcd"), b2);
  EXPECT_EQ(WordOf("bytes", "0xabcd"), Keccak(Bytes{0xab, 0xcd}));
  EXPECT_EQ(WordOf("bytes", "0x"), Keccak(std::string_view("")));
  EXPECT_EQ(WordOf("string", "héllo"), Keccak(std::string_view("héllo")));
  Word addr{};
  addr[12] = 0xcd;
  addr[31] = 0x26;
  EXPECT_EQ(WordOf("address", "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826")[12], 0xcd);
  EXPECT_EQ(WordOf("address", "0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826")[31], 0x26);
}

TEST(Eip712Test, IntegerRangesAreChecked) {
  EXPECT_NE(ErrorOf(OneField("uint8", 256)).find("message.v: 256 is out of range for uint8"), std::string::npos)
      << ErrorOf(OneField("uint8", 256));
  EXPECT_NE(ErrorOf(OneField("uint8", -1)).find("negative"), std::string::npos);
  EXPECT_NE(ErrorOf(OneField("int8", 128)).find("out of range for int8"), std::string::npos);
  EXPECT_NE(ErrorOf(OneField("int8", -129)).find("out of range for int8"), std::string::npos);
  EXPECT_NE(ErrorOf(OneField("uint256", "0x1" + std::string(64, '0'))).find("256 bits"), std::string::npos);
  EXPECT_NE(ErrorOf(OneField("uint256", 1.5)).find("non-integer"), std::string::npos);
  EXPECT_NE(ErrorOf(OneField("uint256", "1.5")).find("expected an integer"), std::string::npos);
  EXPECT_NE(ErrorOf(OneField("uint32", true)).find("expected an integer"), std::string::npos);
  EXPECT_TRUE(ParseTypedData(OneField("uint8", 255)).ok());
  EXPECT_TRUE(ParseTypedData(OneField("int8", -128)).ok());
  EXPECT_TRUE(ParseTypedData(OneField("uint256", "115792089237316195423570985008687907853269984665640564039457584007913129639935")).ok());
  EXPECT_TRUE(ParseTypedData(OneField("int256", "-57896044618658097711785492504343953926634992332820282019728792003956564819968")).ok());
  EXPECT_FALSE(ParseTypedData(OneField("int256", "57896044618658097711785492504343953926634992332820282019728792003956564819968")).ok());
}

TEST(Eip712Test, BadValuesNameTheirPath) {
  json j = MailExample();
  j["message"]["to"]["wallet"] = "0x1234";
  EXPECT_NE(ErrorOf(j).find("message.to.wallet: expected an address, got \"0x1234\""), std::string::npos)
      << ErrorOf(j);
  j = MailExample();
  j["message"]["to"]["wallet"] = "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbb";  // checksum broken
  EXPECT_NE(ErrorOf(j).find("checksum"), std::string::npos) << ErrorOf(j);
  j = MailExample();
  j["message"]["from"].erase("name");
  EXPECT_NE(ErrorOf(j).find("message.from.name: missing"), std::string::npos) << ErrorOf(j);
  j = MailExample();
  j["message"]["cc"] = "x";
  EXPECT_NE(ErrorOf(j).find("message.cc: not a field of Mail"), std::string::npos) << ErrorOf(j);
  j = MailExample();
  j["domain"]["chainId"] = "one";
  EXPECT_NE(ErrorOf(j).find("domain.chainId"), std::string::npos) << ErrorOf(j);
  EXPECT_NE(ErrorOf(OneField("bytes2", "0xabcdef")).find("expected 2 bytes for bytes2, got 3"), std::string::npos);
  EXPECT_NE(ErrorOf(OneField("bytes", "abcd")).find("0x-prefixed hex"), std::string::npos);
  EXPECT_NE(ErrorOf(OneField("bytes", "0xabc")).find("bad hex"), std::string::npos);
  EXPECT_NE(ErrorOf(OneField("bytes32", "0xzz")).find("bad hex"), std::string::npos);
  EXPECT_NE(ErrorOf(OneField("bool", 1)).find("expected true or false"), std::string::npos);
  EXPECT_NE(ErrorOf(OneField("string", 5)).find("expected a string"), std::string::npos);
}

TEST(Eip712Test, ArraysAndNestedArrays) {
  // T[] hashes the concatenation of the element words; T[k] needs exactly k elements.
  Keccak256 h;
  h.Update(WordUint(1));
  h.Update(WordUint(2));
  Hash32 arr12 = h.Finalize();
  EXPECT_EQ(WordOf("uint256[]", json::array({1, 2})), arr12);
  EXPECT_EQ(WordOf("uint256[2]", json::array({1, 2})), arr12);
  EXPECT_EQ(WordOf("uint256[]", json::array()), Keccak(std::string_view("")));
  // Nested: uint8[2][] is a dynamic array of pairs; each pair contributes its own hash.
  Keccak256 outer;
  outer.Update(WordOf("uint8[2]", json::array({1, 2})));
  outer.Update(WordOf("uint8[2]", json::array({3, 4})));
  EXPECT_EQ(WordOf("uint8[2][]", json::parse("[[1,2],[3,4]]")), outer.Finalize());
  // Dynamic element types are hashed before concatenation.
  Keccak256 strs;
  strs.Update(Keccak(std::string_view("a")));
  strs.Update(Keccak(std::string_view("bc")));
  EXPECT_EQ(WordOf("string[]", json::array({"a", "bc"})), strs.Finalize());

  EXPECT_NE(ErrorOf(OneField("uint256[3]", json::array({1, 2}))).find("expected exactly 3 elements, got 2"),
            std::string::npos);
  EXPECT_NE(ErrorOf(OneField("uint8[2][]", json::parse("[[1,2],[3,300]]"))).find("message.v[1][1]: 300 is out of range"),
            std::string::npos)
      << ErrorOf(OneField("uint8[2][]", json::parse("[[1,2],[3,300]]")));
  EXPECT_NE(ErrorOf(OneField("uint8[]", 5)).find("expected an array"), std::string::npos);
}

TEST(Eip712Test, StructArraysHashEachStruct) {
  json j = MailExample();
  j["types"]["Group"] = json::parse(R"([{"name":"members","type":"Person[]"},{"name":"tag","type":"bytes32"}])");
  j["primaryType"] = "Group";
  j["message"] = {{"members", json::array({j["message"]["from"], j["message"]["to"]})},
                  {"tag", "0x" + std::string(64, '1')}};
  auto td = ParseTypedData(j);
  ASSERT_TRUE(td.ok()) << td.error().message;
  EXPECT_EQ(*td->types.EncodeType("Group"), "Group(Person[] members,bytes32 tag)Person(string name,address wallet)");
  Hash32 cow = *td->types.HashStruct("Person", j["message"]["members"][0], "m");
  Hash32 bob = *td->types.HashStruct("Person", j["message"]["members"][1], "m");
  Keccak256 h;
  h.Update(cow);
  h.Update(bob);
  Word members = h.Finalize();
  Word tag = *HexDecodeFixed<32>("0x" + std::string(64, '1'));
  Word words[] = {members, tag};
  EXPECT_EQ(td->struct_hash, HashStructWords(*td->types.EncodeType("Group"), words));
}

TEST(Eip712Test, EncodeTypeSortsReferencedTypesByName) {
  std::map<std::string, std::vector<TypedField>> defs = {
      {"Z", {{"b", "B"}, {"a", "A[]"}}}, {"A", {{"c", "C"}}}, {"B", {{"x", "uint8"}}}, {"C", {{"y", "bool"}}}};
  auto types = Eip712Types::Create(defs);
  ASSERT_TRUE(types.ok()) << types.error().message;
  EXPECT_EQ(*types->EncodeType("Z"), "Z(B b,A[] a)A(C c)B(uint8 x)C(bool y)");
  EXPECT_EQ(*types->EncodeType("A"), "A(C c)C(bool y)");
}

TEST(Eip712Test, BadTypeDefinitionsAreRefused) {
  auto err = [](const std::string& types_json) {
    auto t = Eip712Types::FromJson(json::parse(types_json));
    return t.ok() ? std::string("(no error)") : t.error().message;
  };
  EXPECT_NE(err(R"({"A":[{"name":"x","type":"Foo"}]})").find("types.A[0] (x): unknown type \"Foo\""),
            std::string::npos);
  EXPECT_NE(err(R"({"A":[{"name":"a","type":"A"}]})").find("recursive type reference A -> A"), std::string::npos);
  EXPECT_NE(err(R"({"A":[{"name":"b","type":"B[]"}],"B":[{"name":"a","type":"A"}]})").find("recursive"),
            std::string::npos);
  EXPECT_NE(err(R"({"A":[{"name":"x","type":"uint8"},{"name":"x","type":"bool"}]})").find("duplicate field"),
            std::string::npos);
  EXPECT_NE(err(R"({"uint256":[{"name":"x","type":"uint8"}]})").find("atomic type name"), std::string::npos);
  EXPECT_NE(err(R"({"A B":[]})").find("invalid type name"), std::string::npos);
  EXPECT_NE(err(R"({"A":[{"name":"1x","type":"uint8"}]})").find("invalid field name"), std::string::npos);
  for (const char* bad : {"uint", "uint7", "uint264", "uint08", "int0", "bytes0", "bytes33", "uint8[0]", "uint8[01]",
                          "uint8[", "uint8[]x", "uint8[-1]", "uint 8", "uint8[99999999]"}) {
    std::string t = std::string(R"({"A":[{"name":"x","type":")") + bad + R"("}]})";
    EXPECT_NE(err(t), "(no error)") << bad;
  }
  EXPECT_NE(err(R"({"A":[{"name":"x","type":"uint8[][][][][][][][][]"}]})").find("array dimensions"),
            std::string::npos);
  EXPECT_NE(err(R"({"A":[{"name":"x"}]})").find("missing \"type\""), std::string::npos);
  EXPECT_NE(err(R"({"A":[{"name":"x","type":"bool","extra":1}]})").find("unexpected key"), std::string::npos);
  EXPECT_NE(err(R"({"A":{}})").find("expected an array"), std::string::npos);
  EXPECT_NE(err(R"({"EIP712Domain":[{"name":"chainId","type":"uint64"}]})").find("must have type uint256"),
            std::string::npos);
  EXPECT_NE(err(R"({"EIP712Domain":[{"name":"owner","type":"address"}]})").find("not an EIP-712 domain field"),
            std::string::npos);
}

TEST(Eip712Test, DocumentShapeIsChecked) {
  json j = MailExample();
  j["types"].erase("EIP712Domain");
  EXPECT_NE(ErrorOf(j).find("types.EIP712Domain: missing"), std::string::npos);
  j = MailExample();
  j["primaryType"] = "Letter";
  EXPECT_NE(ErrorOf(j).find("primaryType: unknown type \"Letter\""), std::string::npos);
  j = MailExample();
  j["primaryType"] = "EIP712Domain";
  EXPECT_NE(ErrorOf(j).find("cannot be the primary type"), std::string::npos);
  j = MailExample();
  j.erase("message");
  EXPECT_NE(ErrorOf(j).find("message: missing"), std::string::npos);
  j = MailExample();
  j["extra"] = 1;
  EXPECT_NE(ErrorOf(j).find("extra: unexpected key"), std::string::npos);
  EXPECT_NE(ErrorOf(json::array()).find("expected a JSON object"), std::string::npos);
}

TEST(Eip712Test, HostileSizesAreBounded) {
  // A chain of 40 nested struct types is deeper than the limit.
  json types = MailExample()["types"];
  for (int i = 0; i < 40; ++i) {
    types["S" + std::to_string(i)] = {{{"name", "next"}, {"type", "S" + std::to_string(i + 1)}}};
  }
  types["S40"] = {{{"name", "x"}, {"type", "uint8"}}};
  auto t = Eip712Types::FromJson(types);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("levels deep"), std::string::npos) << t.error().message;
  // Too many types.
  json many = json::object();
  for (size_t i = 0; i <= kMaxEip712Types; ++i) many["T" + std::to_string(i)] = json::array();
  EXPECT_FALSE(Eip712Types::FromJson(many).ok());
  // A deeply nested JSON value in a field is refused without recursing into it: before parsing,
  // by the linear depth check every network parser runs (util/json.h).
  // (Built as text: copying such a json value would itself recurse 100000 levels.)
  std::string doc = OneField("uint8[]", 0).dump();
  size_t at = doc.find("\"v\":0");
  ASSERT_NE(at, std::string::npos);
  doc.replace(at, 5, "\"v\":" + std::string(100000, '[') + std::string(100000, ']'));
  auto r = ParseTypedDataText(doc);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nests deeper than 64 levels"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace lt::crypto
