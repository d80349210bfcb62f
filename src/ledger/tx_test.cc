// Transaction encoding: the native hashStruct equals the generic EIP-712 encoder for every type,
// the domain separator equals wire::Domain's, JSON round-trips, and names/tags follow DESIGN §4.
#include "ledger/tx.h"

#include <gtest/gtest.h>

#include "crypto/eip712.h"
#include "ledger/names.h"
#include "ledger/test_fixture.h"

namespace lt::ledger {
namespace {

using testing::Mor;
using testing::TestKey;

Tx Sample(TxType type) {
  Tx t;
  t.type = type;
  t.sender = TestKey(1).GetAddress();
  t.nonce = 7;
  t.to = TestKey(2).GetAddress();
  t.amount = Mor("12.5");
  t.name = "acme/llama";
  t.kind = "model";
  t.builder_fee_bps = 150;
  t.tag = "latest";
  t.manifest[3] = 9;
  t.endpoint = "127.0.0.1:9000";
  t.role = "router";
  t.price_per_second = Mor("0.001");
  t.min_seconds = 30;
  t.tps = 40;
  t.slots = 2;
  t.day = 20000;
  return t;
}

LedgerDomain Domain() { return LedgerDomain::Make(31337, TestKey(9).GetAddress()); }

TEST(LedgerTx, NativeHashEqualsGenericEip712ForEveryType) {
  LedgerDomain d = Domain();
  for (int i = 0; i < kTxTypeCount; ++i) {
    Tx t = Sample(static_cast<TxType>(i));
    auto td = crypto::ParseTypedData(TxTypedData(t, d));
    ASSERT_TRUE(td.ok()) << TxTypeName(t.type) << ": " << td.error().message;
    EXPECT_EQ(td->struct_hash, TxStructHash(t)) << TxTypeName(t.type);
    EXPECT_EQ(td->digest, TxDigest(t, d)) << TxTypeName(t.type);
    EXPECT_EQ(*td->types.EncodeType(std::string(TxPrimaryType(t.type))), TxTypeString(t.type));
  }
}

TEST(LedgerTx, DomainSeparatorEqualsWireDomain) {
  LedgerDomain d = Domain();
  wire::Domain w(U256(31337), TestKey(9).GetAddress());
  EXPECT_EQ(d.separator, w.separator());
}

TEST(LedgerTx, SignedSetOfferIsTheWireOffer) {
  // set_offer signs exactly DESIGN §2's Offer, so a provider's offer signature is the tx signature.
  Tx t = Sample(TxType::kSetOffer);
  wire::Offer o;
  o.provider = t.sender;
  o.manifest = t.manifest;
  o.price_per_second = t.price_per_second;
  o.min_seconds = t.min_seconds;
  o.tps = t.tps;
  o.slots = t.slots;
  o.nonce = t.nonce;
  EXPECT_EQ(TxStructHash(t), wire::HashStruct(o));
}

TEST(LedgerTx, CompactAndTypedFormsParseAndVerify) {
  LedgerDomain d = Domain();
  SignedTx s = SignTx(Sample(TxType::kTransfer), TestKey(1), d);
  auto back = ParseSignedTx(SignedTxToJson(s), d);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(VerifyTx(*back, d).ok());
  nlohmann::json typed = {{"typedData", TxTypedData(s.tx, d)}, {"signature", HexEncode0x(s.signature)}};
  back = ParseSignedTx(typed, d);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(VerifyTx(*back, d).ok());
  // The same document for another chain id is refused by name.
  typed["typedData"]["domain"]["chainId"] = 1;
  back = ParseSignedTx(typed, d);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("wrong chain id"), std::string::npos) << back.error().message;
  typed = {{"typedData", TxTypedData(s.tx, LedgerDomain::Make(31337, TestKey(3).GetAddress()))},
           {"signature", HexEncode0x(s.signature)}};
  back = ParseSignedTx(typed, d);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("verifyingContract"), std::string::npos);
}

TEST(LedgerTx, MalformedMessagesAreRefusedWithTheField) {
  LedgerDomain d = Domain();
  nlohmann::json j = SignedTxToJson(SignTx(Sample(TxType::kTransfer), TestKey(1), d));
  auto bad = j;
  bad["message"]["amount"] = "-1";
  EXPECT_NE(ParseSignedTx(bad, d).error().message.find("message.amount"), std::string::npos);
  bad = j;
  bad["message"]["extra"] = 1;
  EXPECT_NE(ParseSignedTx(bad, d).error().message.find("unknown field"), std::string::npos);
  bad = j;
  bad["message"].erase("to");
  EXPECT_NE(ParseSignedTx(bad, d).error().message.find("message.to: missing"), std::string::npos);
  bad = j;
  bad["type"] = "steal";
  EXPECT_NE(ParseSignedTx(bad, d).error().message.find("unknown transaction type"), std::string::npos);
  bad = j;
  bad["signature"] = "0x1234";
  EXPECT_FALSE(ParseSignedTx(bad, d).ok());
  EXPECT_FALSE(ParseSignedTx(nlohmann::json::array(), d).ok());
}

TEST(LedgerTx, DomainFieldsOfAnotherTypeAreRefusedNotThrown) {
  // A number where the domain's name or version belongs once threw out of json::value, and the
  // ledger's POST /tx answered 500 with nlohmann's exception text.
  LedgerDomain d = Domain();
  nlohmann::json j = SignedTxToJson(SignTx(Sample(TxType::kTransfer), TestKey(1), d));
  nlohmann::json typed = {{"typedData", TxTypedData(SignTx(Sample(TxType::kTransfer), TestKey(1), d).tx, d)},
                          {"signature", j["signature"]}};
  for (const char* field : {"name", "version"}) {
    for (const nlohmann::json& v : {nlohmann::json(5), nlohmann::json::array(), nlohmann::json(nullptr)}) {
      auto bad = j;
      bad["domain"] = d.ToJson();
      bad["domain"][field] = v;
      Result<SignedTx> r = InvalidArgument("not run");
      ASSERT_NO_THROW(r = ParseSignedTx(bad, d)) << field << " = " << v.dump();
      ASSERT_FALSE(r.ok());
      EXPECT_NE(r.error().message.find("domain must be"), std::string::npos) << r.error().message;
      auto bad_typed = typed;
      bad_typed["typedData"]["domain"][field] = v;
      ASSERT_NO_THROW(r = ParseSignedTx(bad_typed, d)) << field << " = " << v.dump();
      ASSERT_FALSE(r.ok());
      EXPECT_NE(r.error().message.find("domain must be"), std::string::npos) << r.error().message;
    }
  }
}

TEST(LedgerTx, SettleBatchCommitsToItsReceipts) {
  LedgerDomain d = Domain();
  Tx t;
  t.type = TxType::kSettleBatch;
  t.receipts.push_back(testing::MakeReceipt(d, TestKey(3), TestKey(1), TestKey(4).GetAddress(), Hash32{},
                                            Mor("1"), 0, 100, 10, 1));
  SignedTx s = SignTx(t, TestKey(3), d);
  ASSERT_TRUE(VerifyTx(s, d).ok());
  auto parsed = ParseSignedTx(SignedTxToJson(s), d);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(VerifyTx(*parsed, d).ok());
  SignedTx swapped = s;
  swapped.tx.receipts[0].voucher.voucher.seconds = 99;  // not what the router signed
  auto v = VerifyTx(swapped, d);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("receiptsHash"), std::string::npos);
}

TEST(LedgerNames, ModelNamesAndTagsFollowTheRegistryGrammar) {
  for (const char* ok : {"acme/llama", "a/b/c", "a1.b-c/x__y", "a---b/c_d", "0/9"}) {
    EXPECT_TRUE(ValidateModelName(ok).ok()) << ok;
  }
  for (const char* bad :
       {"", "acme", "Acme/x", "acme/", "/x", "a//b", "a/-b", "a/b-", "a/b___c", "a/b..c", "a b/c"}) {
    EXPECT_FALSE(ValidateModelName(bad).ok()) << bad;
  }
  EXPECT_FALSE(ValidateModelName(std::string(300, 'a') + "/b").ok());
  for (const char* ok : {"latest", "v1.2", "_x", "Q8_0-gguf"}) EXPECT_TRUE(ValidateTag(ok).ok()) << ok;
  for (const char* bad : {"", ".x", "-x", "a b", "a/b"}) EXPECT_FALSE(ValidateTag(bad).ok()) << bad;
  EXPECT_TRUE(ValidateTag(std::string(128, 'a')).ok());
  EXPECT_FALSE(ValidateTag(std::string(129, 'a')).ok());
  EXPECT_EQ(NamespaceOf("acme/llama"), "acme");
}

TEST(LedgerGenesis, ParsesValidatesAndRoundTrips) {
  Genesis g = DevGenesis(60, 1'700'000'000, {{TestKey(1).GetAddress(), Mor("1"), Mor("2.5")}});
  g.minter = TestKey(2).GetAddress();
  auto back = ParseGenesis(GenesisToJson(g));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(GenesisToJson(*back), GenesisToJson(g));
  nlohmann::json j = GenesisToJson(g);
  j["params"]["max_builder_fee_bps"] = 10001;
  EXPECT_NE(ParseGenesis(j).error().message.find("max_builder_fee_bps"), std::string::npos);
  j = GenesisToJson(g);
  j["allocations"][0]["wallet"] = 5;
  EXPECT_NE(ParseGenesis(j).error().message.find("allocations[0].wallet"), std::string::npos);
  j = GenesisToJson(g);
  j.erase("chain_id");
  EXPECT_FALSE(ParseGenesis(j).ok());
  EXPECT_FALSE(ParseGenesisText("{").ok());
  // The emission schedule decreases linearly and stops at zero.
  EXPECT_EQ(g.compute_emission.At(0), Mor("3456"));
  EXPECT_EQ(g.compute_emission.At(1), Mor("3455.40744127176"));
  EXPECT_EQ(g.compute_emission.At(10'000'000), U256());
}

}  // namespace
}  // namespace lt::ledger
