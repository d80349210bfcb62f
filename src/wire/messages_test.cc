#include "wire/messages.h"

#include <gtest/gtest.h>

#include "crypto/eip712.h"
#include "util/random.h"

namespace lt::wire {
namespace {

using nlohmann::json;

Domain TestDomain() {
  return Domain(U256(31337), *crypto::ParseAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3"));
}

Hash32 RandomHash(SeededRandom& rng) {
  Hash32 h;
  rng.Fill(h);
  return h;
}

crypto::Address RandomAddress(SeededRandom& rng) {
  crypto::Address a;
  rng.Fill(a.bytes);
  return a;
}

U256 RandomU256(SeededRandom& rng) {
  return U256::FromLimbs({rng.NextU64(), rng.NextU64(), rng.NextU64(), rng.NextU64() >> rng.Uniform(64)});
}

Rfc SampleRfc(SeededRandom& rng) {
  Rfc r;
  r.user = RandomAddress(rng);
  r.model = "meta/llama3:8b-q8_0";
  r.max_price_per_second = RandomU256(rng);
  r.min_tps = static_cast<uint32_t>(rng.NextU64());
  r.max_latency_ms = 1500;
  r.want_seconds = 600;
  r.nonce = rng.NextU64();  // usually above 2^53: typed-data JSON writes it as a string
  r.expires_at = 1'700'000'600;
  r.exclude_providers = {RandomAddress(rng), RandomAddress(rng)};
  return r;
}

Ticket SampleTicket(SeededRandom& rng) {
  Ticket t;
  t.session_id = RandomHash(rng);
  t.user = RandomAddress(rng);
  t.provider = RandomAddress(rng);
  t.router = RandomAddress(rng);
  t.manifest = RandomHash(rng);
  t.price_per_second = RandomU256(rng);
  t.min_seconds = 60;
  t.max_seconds = 600;
  t.issued_at = 1'700'000'000;
  t.expires_at = 1'700'000'600;
  return t;
}

Voucher SampleVoucher(SeededRandom& rng) {
  Voucher v;
  v.session_id = RandomHash(rng);
  v.seconds = 130;
  v.tokens_out = 4242;
  v.ttft_ms = 180;
  v.is_final = rng.Uniform(2) == 1;
  return v;
}

Offer SampleOffer(SeededRandom& rng) {
  Offer o;
  o.provider = RandomAddress(rng);
  o.manifest = RandomHash(rng);
  o.price_per_second = RandomU256(rng);
  o.min_seconds = 30;
  o.tps = 55;
  o.slots = 4;
  o.nonce = rng.NextU64();
  return o;
}

Pong SamplePong(SeededRandom& rng) {
  Pong p;
  p.challenge = RandomHash(rng);
  p.provider = RandomAddress(rng);
  p.free_slots = 3;
  p.at = 1'700'000'001;
  return p;
}

TEST(WireMessagesTest, TypeStringsAreExactlyTheDesign) {
  EXPECT_EQ(Rfc::TypeString(),
            "RFC(address user,string model,uint256 maxPricePerSecond,uint32 minTps,uint32 maxLatencyMs,uint32 "
            "wantSeconds,uint64 nonce,uint64 expiresAt,address[] excludeProviders)");
  EXPECT_EQ(Ticket::TypeString(),
            "Ticket(bytes32 sessionId,address user,address provider,address router,bytes32 manifest,uint256 "
            "pricePerSecond,uint32 minSeconds,uint32 maxSeconds,uint64 issuedAt,uint64 expiresAt)");
  EXPECT_EQ(Voucher::TypeString(), "Voucher(bytes32 sessionId,uint32 seconds,uint32 tokensOut,uint32 ttftMs,bool final)");
  EXPECT_EQ(Offer::TypeString(),
            "Offer(address provider,bytes32 manifest,uint256 pricePerSecond,uint32 minSeconds,uint32 tps,uint32 "
            "slots,uint64 nonce)");
  EXPECT_EQ(Pong::TypeString(), "Pong(bytes32 challenge,address provider,uint32 freeSlots,uint64 at)");
  EXPECT_EQ(Pong::TypeHash(), crypto::Keccak(Pong::TypeString()));
}

// The native encoder must agree with the generic one (and so with wallets) on every type.
template <typename M>
void ExpectNativeMatchesGeneric(const M& m, const Domain& domain) {
  json doc = m.ToTypedDataJson(domain);
  auto td = crypto::ParseTypedData(doc);
  ASSERT_TRUE(td.ok()) << td.error().message;
  EXPECT_EQ(*td->types.EncodeType(std::string(M::kTypeName)), M::TypeString());
  EXPECT_EQ(td->domain_separator, domain.separator());
  EXPECT_EQ(td->struct_hash, m.HashStruct());
  EXPECT_EQ(td->digest, m.Digest(domain));
  // And the native JSON form parses to the same value.
  auto back = M::FromJson(m.ToJson());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, m);
  // The typed-data message (uint64 above 2^53 as decimal strings) is accepted too.
  auto back2 = M::FromJson(doc["message"]);
  ASSERT_TRUE(back2.ok()) << back2.error().message;
  EXPECT_EQ(*back2, m);
}

TEST(WireMessagesTest, NativeHashEqualsGenericEncoderForEveryType) {
  SeededRandom rng(5);
  Domain d = TestDomain();
  for (int i = 0; i < 20; ++i) {
    ExpectNativeMatchesGeneric(SampleRfc(rng), d);
    ExpectNativeMatchesGeneric(SampleTicket(rng), d);
    ExpectNativeMatchesGeneric(SampleVoucher(rng), d);
    ExpectNativeMatchesGeneric(SampleOffer(rng), d);
    ExpectNativeMatchesGeneric(SamplePong(rng), d);
  }
}

TEST(WireMessagesTest, SignAndRecover) {
  SeededRandom rng(9);
  auto key = crypto::PrivateKey::Generate(rng);
  Domain d = TestDomain();
  Ticket t = SampleTicket(rng);
  crypto::Signature sig = t.Sign(key, d);
  auto who = t.Recover(d, sig);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(*who, key.GetAddress());
  // Another domain (chain) or another field value gives another signer.
  Domain other(U256(1), d.verifying_contract());
  auto who2 = t.Recover(other, sig);
  EXPECT_TRUE(!who2.ok() || *who2 != key.GetAddress());
  t.max_seconds += 1;
  auto who3 = t.Recover(d, sig);
  EXPECT_TRUE(!who3.ok() || *who3 != key.GetAddress());
  // The free-function spellings agree with the members.
  EXPECT_EQ(wire::Digest(t, d.separator()), t.Digest(d));
  EXPECT_EQ(wire::HashStruct(t), t.HashStruct());
}

TEST(WireMessagesTest, JsonFormIsCanonical) {
  SeededRandom rng(3);
  Ticket t = SampleTicket(rng);
  json j = t.ToJson();
  EXPECT_EQ(j["user"], t.user.ToChecksumHex());
  EXPECT_EQ(j["sessionId"], HexEncode0x(t.session_id));
  EXPECT_EQ(j["pricePerSecond"], t.price_per_second.ToDecimal());
  EXPECT_TRUE(j["minSeconds"].is_number_unsigned());
  EXPECT_EQ(j.size(), 10u);
  Voucher v = SampleVoucher(rng);
  EXPECT_TRUE(v.ToJson()["final"].is_boolean());
}

TEST(WireMessagesTest, FromJsonRefusesBadInput) {
  SeededRandom rng(4);
  json good = SampleTicket(rng).ToJson();
  auto err = [](const json& j) {
    auto r = Ticket::FromJson(j);
    return r.ok() ? std::string("(no error)") : r.error().message;
  };
  json j = good;
  j.erase("router");
  EXPECT_NE(err(j).find("Ticket.router: missing"), std::string::npos) << err(j);
  j = good;
  j["color"] = "red";
  EXPECT_NE(err(j).find("Ticket.color: unknown field of Ticket"), std::string::npos) << err(j);
  j = good;
  j["minSeconds"] = 4294967296ULL;
  EXPECT_NE(err(j).find("Ticket.minSeconds: 4294967296 is out of range for uint32"), std::string::npos) << err(j);
  j = good;
  j["minSeconds"] = -1;
  EXPECT_NE(err(j).find("negative"), std::string::npos);
  j = good;
  j["minSeconds"] = "60";
  EXPECT_NE(err(j).find("expected a JSON integer"), std::string::npos);
  j = good;
  j["issuedAt"] = "18446744073709551615";  // uint64 also reads a decimal string (JS precision)
  EXPECT_EQ(Ticket::FromJson(j)->issued_at, ~0ULL);
  j["issuedAt"] = "18446744073709551616";
  EXPECT_NE(err(j).find("Ticket.issuedAt"), std::string::npos);
  j["issuedAt"] = "0x10";
  EXPECT_NE(err(j).find("Ticket.issuedAt"), std::string::npos);
  j = good;
  j["sessionId"] = "0x1234";
  EXPECT_NE(err(j).find("Ticket.sessionId"), std::string::npos);
  j = good;
  j["user"] = "0xnothex";
  EXPECT_NE(err(j).find("Ticket.user"), std::string::npos);
  j = good;
  j["pricePerSecond"] = "-5";
  EXPECT_NE(err(j).find("Ticket.pricePerSecond"), std::string::npos);
  EXPECT_FALSE(Ticket::FromJson(json::array()).ok());
  auto v = Voucher::FromJson(json::parse(R"({"sessionId":"0x)" + std::string(64, '0') +
                                          R"(","seconds":1,"tokensOut":2,"ttftMs":3,"final":1})"));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("Voucher.final: expected true or false"), std::string::npos);
}

TEST(WireMessagesTest, DomainJsonRoundTripAndChecks) {
  Domain d = TestDomain();
  json j = d.ToJson();
  EXPECT_EQ(j["chainId"], 31337);
  auto back = Domain::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->separator(), d.separator());
  j["name"] = "Ether Mail";
  EXPECT_FALSE(Domain::FromJson(j).ok());
  j = d.ToJson();
  j["salt"] = "0x00";
  EXPECT_NE(Domain::FromJson(j).error().message.find("domain.salt: unknown"), std::string::npos);
  // A chain id above 2^53 is written as a decimal string and still round-trips.
  Domain big(*U256::FromDecimal("123456789012345678901234567890"), d.verifying_contract());
  EXPECT_TRUE(big.ToJson()["chainId"].is_string());
  EXPECT_EQ(Domain::FromJson(big.ToJson())->separator(), big.separator());
  EXPECT_NE(big.separator(), d.separator());
}

TEST(WireMessagesTest, HashStructWordsHelperMatchesNative) {
  SeededRandom rng(11);
  Pong p = SamplePong(rng);
  crypto::Word words[] = {p.challenge, crypto::WordAddress(p.provider), crypto::WordUint(p.free_slots),
                          crypto::WordUint(p.at)};
  EXPECT_EQ(crypto::HashStructWords(Pong::TypeString(), words), p.HashStruct());
}

}  // namespace
}  // namespace lt::wire
