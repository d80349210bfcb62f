// Registration diffing (PlanRegistration): only what differs from the ledger is sent.
#include "provider/registration.h"

#include <gtest/gtest.h>

namespace lt::provider {
namespace {

using nlohmann::json;

Hash32 H(uint8_t b) {
  Hash32 h{};
  h[0] = b;
  return h;
}

U256 Mor(const char* s) { return *U256::FromMor(s); }

RegistrationSpec Want() {
  RegistrationSpec w;
  w.endpoint = "127.0.0.1:7070";
  w.stake = Mor("10");
  OfferSpec o;
  o.name = "acme/tiny:v1";
  o.manifest = H(1);
  o.price_per_second = Mor("0.001");
  o.min_seconds = 5;
  o.slots = 4;
  o.tps = 400;
  o.tps_measured = true;
  w.offers.push_back(o);
  return w;
}

// The ledger's GET /providers row for exactly Want(), in its JSON form.
json RowJson() {
  return {{"address", "0x00000000000000000000000000000000000000aa"},
          {"endpoint", "127.0.0.1:7070"},
          {"stake", Mor("10").ToDecimal()},
          {"offers",
           {{{"manifest", HexEncode0x(H(1))},
             {"model", "acme/tiny"},
             {"price_per_second", Mor("0.001").ToDecimal()},
             {"min_seconds", 5},
             {"tps", 400},
             {"slots", 4},
             {"nonce", 3}}}}};
}
ledger::ProviderInfo Row() {
  auto r = ledger::ProviderInfo::FromJson(RowJson());
  EXPECT_TRUE(r.ok()) << r.error().message << " in " << RowJson().dump();
  return r.ok() ? *r : ledger::ProviderInfo{};
}

TEST(PlanRegistrationTest, NewProviderRegistersAndPublishesTaggedOffersOnly) {
  RegistrationSpec w = Want();
  OfferSpec untagged = w.offers[0];
  untagged.name = "acme/other:v1";
  untagged.manifest = H(2);
  w.offers.push_back(untagged);
  auto plan = PlanRegistration(w, std::nullopt, {H(1)});
  ASSERT_EQ(plan.txs.size(), 2u);
  EXPECT_EQ(plan.txs[0].type, ledger::TxType::kRegisterProvider);
  EXPECT_EQ(plan.txs[0].endpoint, "127.0.0.1:7070");
  EXPECT_EQ(plan.txs[0].amount, Mor("10"));
  EXPECT_EQ(plan.txs[1].type, ledger::TxType::kSetOffer);
  EXPECT_EQ(plan.txs[1].manifest, H(1));
  EXPECT_EQ(plan.txs[1].tps, 400u);
  EXPECT_EQ(plan.txs[1].slots, 4u);
  bool noted = false;
  for (const auto& n : plan.notes) noted |= n.find("acme/other:v1") != std::string::npos && n.find("not tagged") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(PlanRegistrationTest, UnchangedMeansNoTransaction) {
  EXPECT_TRUE(PlanRegistration(Want(), Row(), {H(1)}).txs.empty());
}

TEST(PlanRegistrationTest, MeasuredTpsWithinToleranceIsUnchanged) {
  RegistrationSpec w = Want();
  w.offers[0].tps = 800;  // twice
  EXPECT_TRUE(PlanRegistration(w, Row(), {H(1)}).txs.empty());
  w.offers[0].tps = 200;  // half
  EXPECT_TRUE(PlanRegistration(w, Row(), {H(1)}).txs.empty());
  w.offers[0].tps = 801;
  auto plan = PlanRegistration(w, Row(), {H(1)});
  ASSERT_EQ(plan.txs.size(), 1u);
  EXPECT_EQ(plan.txs[0].tps, 801u);
  w.offers[0].tps = 199;
  EXPECT_EQ(PlanRegistration(w, Row(), {H(1)}).txs.size(), 1u);
}

TEST(PlanRegistrationTest, ConfiguredTpsMustMatchExactly) {
  RegistrationSpec w = Want();
  w.offers[0].tps_measured = false;
  w.offers[0].tps = 401;
  ASSERT_EQ(PlanRegistration(w, Row(), {H(1)}).txs.size(), 1u);
}

TEST(PlanRegistrationTest, PriceSlotsOrMinSecondsChangeUpdatesTheOffer) {
  for (int field = 0; field < 3; ++field) {
    RegistrationSpec w = Want();
    if (field == 0) w.offers[0].price_per_second = Mor("0.002");
    if (field == 1) w.offers[0].slots = 8;
    if (field == 2) w.offers[0].min_seconds = 0;
    auto plan = PlanRegistration(w, Row(), {H(1)});
    ASSERT_EQ(plan.txs.size(), 1u) << field;
    EXPECT_EQ(plan.txs[0].type, ledger::TxType::kSetOffer);
  }
}

TEST(PlanRegistrationTest, EndpointChangeReregistersWithoutNewStake) {
  RegistrationSpec w = Want();
  w.endpoint = "10.0.0.1:7070";
  auto plan = PlanRegistration(w, Row(), {H(1)});
  ASSERT_EQ(plan.txs.size(), 1u);
  EXPECT_EQ(plan.txs[0].type, ledger::TxType::kRegisterProvider);
  EXPECT_TRUE(plan.txs[0].amount.IsZero());
}

TEST(PlanRegistrationTest, StakeIsToppedUpNeverReduced) {
  RegistrationSpec w = Want();
  w.stake = Mor("15");
  auto plan = PlanRegistration(w, Row(), {H(1)});
  ASSERT_EQ(plan.txs.size(), 1u);
  EXPECT_EQ(plan.txs[0].amount, Mor("5"));
  w.stake = Mor("3");
  EXPECT_TRUE(PlanRegistration(w, Row(), {H(1)}).txs.empty());
}

TEST(PlanRegistrationTest, OffersOfModelsNoLongerServedAreWithdrawn) {
  RegistrationSpec w = Want();
  w.offers.clear();
  auto plan = PlanRegistration(w, Row(), {H(1)});
  ASSERT_EQ(plan.txs.size(), 1u);
  EXPECT_EQ(plan.txs[0].type, ledger::TxType::kSetOffer);
  EXPECT_EQ(plan.txs[0].manifest, H(1));
  EXPECT_EQ(plan.txs[0].slots, 0u);
}

TEST(RegistrationHelpersTest, FindRowAndTagManifest) {
  std::vector<ledger::ProviderInfo> providers = {Row()};
  auto me = *crypto::ParseAddress("0x00000000000000000000000000000000000000aa");
  auto other = *crypto::ParseAddress("0x00000000000000000000000000000000000000bb");
  ASSERT_TRUE(FindProviderRow(providers, me).has_value());
  EXPECT_EQ(FindProviderRow(providers, me)->offers.size(), 1u);
  EXPECT_FALSE(FindProviderRow(providers, other).has_value());
  EXPECT_FALSE(ledger::ProviderInfo::FromJson(json("garbage")).ok());
  auto model = ledger::ModelInfo::FromJson(
      {{"name", "acme/tiny"}, {"owner", "0x00000000000000000000000000000000000000cc"}, {"kind", "model"},
       {"builder_fee_bps", 0}, {"tags", {{"v1", HexEncode0x(H(1))}, {"latest", HexEncode0x(H(2))}}}});
  ASSERT_TRUE(model.ok()) << model.error().message;
  std::vector<ledger::ModelInfo> models = {*model};
  EXPECT_EQ(TagManifest(models, "acme/tiny:v1"), H(1));
  EXPECT_EQ(TagManifest(models, "acme/tiny"), H(2));
  EXPECT_FALSE(TagManifest(models, "acme/tiny:v9").has_value());
  EXPECT_FALSE(TagManifest(models, "acme/other:v1").has_value());
  EXPECT_EQ(TaggedManifests(models).size(), 2u);
}

TEST(RegistrationHelpersTest, EndpointNamesTheLivenessUrlWhenNotPortPlusOne) {
  EXPECT_EQ(RegistrationEndpoint("203.0.113.7:7070", "0.0.0.0:7070", 7070, "0.0.0.0:7071", 7071), "203.0.113.7:7070");
  EXPECT_EQ(RegistrationEndpoint("203.0.113.7:7070", "0.0.0.0:7070", 7070, "0.0.0.0:9000", 9000),
            "203.0.113.7:7070;http://203.0.113.7:9000");
  EXPECT_EQ(RegistrationEndpoint("", "0.0.0.0:0", 4100, "127.0.0.1:0", 4200), "127.0.0.1:4100;http://127.0.0.1:4200");
  EXPECT_EQ(RegistrationEndpoint("", "127.0.0.1:4100", 4100, "127.0.0.1:4101", 4101), "127.0.0.1:4100");
}

}  // namespace
}  // namespace lt::provider

namespace lt::provider {
namespace {

// U1: an openai-backed provider whose upstream was down at start published an offer with 0 tps.
TEST(PlanRegistrationTest, U1_AnOfferWithoutMeasuredTpsIsNotPublished) {
  RegistrationSpec w = Want();
  w.offers[0].tps = 0;  // the measurement failed
  auto plan = PlanRegistration(w, std::nullopt, {H(1)});
  ASSERT_EQ(plan.txs.size(), 1u);
  EXPECT_EQ(plan.txs[0].type, ledger::TxType::kRegisterProvider);
  bool noted = false;
  for (const auto& n : plan.notes) noted = noted || n.find("not measured yet") != std::string::npos;
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace lt::provider
