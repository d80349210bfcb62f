#include "wire/json_text.h"

#include <gtest/gtest.h>

#include "wire/router_api.h"

namespace lt::wire {
namespace {

using nlohmann::json;

crypto::PrivateKey Key(uint8_t b) {
  Hash32 k{};
  k[31] = b;
  k[0] = 0x11;
  return crypto::PrivateKey::FromBytes(k).value();
}

Rfc SampleRfc() {
  Rfc r;
  r.user = Key(1).GetAddress();
  r.model = "acme/llama:v1";
  r.max_price_per_second = U256::FromDecimal("123456789012345678901234567890").value();
  r.min_tps = 7;
  r.max_latency_ms = 250;
  r.want_seconds = 600;
  r.nonce = 18446744073709551615ull;
  r.expires_at = 1767225600;
  return r;
}

Ticket SampleTicket() {
  Ticket t;
  t.session_id[0] = 0xab;
  t.session_id[31] = 0x01;
  t.user = Key(1).GetAddress();
  t.provider = Key(2).GetAddress();
  t.router = Key(3).GetAddress();
  t.manifest[5] = 0x77;
  t.price_per_second = U256(1000);
  t.min_seconds = 1;
  t.max_seconds = 3600;
  t.issued_at = 1767225600;
  t.expires_at = 1767226200;
  return t;
}

// What the router did before the fast path: json::parse, then the strict FromJson.
std::string Outcome(const Result<RfcRequest>& r) {
  return r.ok() ? "ok " + r->ToJson().dump() : "error " + r.error().message;
}

TEST(JsonTextTest, MessagesWriteWhatToJsonWritesAndReadBack) {
  Ticket t = SampleTicket();
  EXPECT_EQ(json::parse(json_text::DumpMessage(t)), t.ToJson());
  Rfc r = SampleRfc();
  EXPECT_EQ(json::parse(json_text::DumpMessage(r)), r.ToJson());
  Pong p;
  p.challenge[3] = 9;
  p.provider = Key(2).GetAddress();
  p.free_slots = 4;
  p.at = 99;
  EXPECT_EQ(json::parse(json_text::DumpMessage(p)), p.ToJson());
  Voucher v;
  v.is_final = true;
  v.seconds = 12;
  EXPECT_EQ(json::parse(json_text::DumpMessage(v)), v.ToJson());

  for (const std::string& text : {json_text::DumpMessage(t), t.ToJson().dump(), t.ToJson().dump(2)}) {
    json_text::Reader in(text);
    Ticket back;
    ASSERT_TRUE(json_text::ReadMessage(in, &back)) << text;
    EXPECT_TRUE(in.AtEnd());
    EXPECT_EQ(back, t);
  }
}

TEST(JsonTextTest, StringsThatNeedEscapingAreEscaped) {
  Rfc r = SampleRfc();
  r.model = "a \"quoted\" \\ name\n\x01";
  std::string text = json_text::DumpMessage(r);
  EXPECT_EQ(json::parse(text), r.ToJson());
  json_text::Reader in(text);
  Rfc back;
  EXPECT_FALSE(json_text::ReadMessage(in, &back)) << "escapes are the strict path's";
}

TEST(JsonTextTest, ReaderTakesOnlyThePlainForm) {
  auto unsigned_of = [](std::string_view s, uint64_t* v) {
    json_text::Reader r(s);
    return r.Unsigned(v) && r.AtEnd();
  };
  uint64_t v = 0;
  EXPECT_TRUE(unsigned_of("0", &v));
  EXPECT_TRUE(unsigned_of(" 18446744073709551615 ", &v));
  EXPECT_EQ(v, 18446744073709551615ull);
  for (const char* bad : {"01", "1.5", "1e3", "1E3", "-1", "18446744073709551616", "", "x"}) {
    EXPECT_FALSE(unsigned_of(bad, &v)) << bad;
  }
  auto string_of = [](std::string_view s) {
    json_text::Reader r(s);
    std::string_view out;
    return r.PlainString(&out) && r.AtEnd();
  };
  EXPECT_TRUE(string_of("\"abc 123\""));
  for (const char* bad : {"\"a\\nb\"", "\"\\u0061\"", "\"caf\xc3\xa9\"", "\"tab\there\"", "\"open", "abc"}) {
    EXPECT_FALSE(string_of(bad)) << bad;
  }
}

TEST(JsonTextTest, RfcBodiesGetTheStrictPathsAnswerWhateverTheirForm) {
  RfcRequest req = RfcRequest::Make(SampleRfc(), Key(1), Domain(U256(31337), Key(9).GetAddress()));
  std::string plain = req.ToJson().dump();
  std::string sig = "\"" + HexEncode0x(req.signature) + "\"";
  std::string rfc = req.rfc.ToJson().dump();
  auto with_rfc = [&](const std::string& from, const std::string& to) {
    std::string s = plain;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  std::vector<std::string> bodies = {
      plain,
      req.ToJson().dump(2),                                  // whitespace and newlines
      "{\"signature\":" + sig + ",\"rfc\":" + rfc + "}",     // other key order
      with_rfc("\"acme/llama:v1\"", "\"acme\\/llama:v1\""),  // an escape: same value
      with_rfc("\"acme/llama:v1\"", "\"caf\xc3\xa9\""),      // UTF-8
      with_rfc("\"acme/llama:v1\"", "\"caf\xc3\""),          // invalid UTF-8
      with_rfc("\"minTps\":7", "\"minTps\":7.0"),
      with_rfc("\"minTps\":7", "\"minTps\":7e0"),
      with_rfc("\"minTps\":7", "\"minTps\":-7"),
      with_rfc("\"minTps\":7", "\"minTps\":07"),
      with_rfc("\"minTps\":7", "\"minTps\":4294967296"),
      with_rfc("\"minTps\":7", "\"minTps\":\"7\""),
      with_rfc("\"nonce\":18446744073709551615", "\"nonce\":\"18446744073709551615\""),
      with_rfc("\"nonce\":18446744073709551615", "\"nonce\":18446744073709551616"),
      with_rfc("\"maxPricePerSecond\":\"123456789012345678901234567890\"", "\"maxPricePerSecond\":1000"),
      with_rfc("\"maxPricePerSecond\":\"123456789012345678901234567890\"", "\"maxPricePerSecond\":\"0x3e8\""),
      with_rfc("\"minTps\":7", "\"minTps\":7,\"minTps\":8"),  // duplicate key
      with_rfc("\"minTps\":7", "\"minTps\":7,\"extra\":{\"a\":[1,2]}"),
      with_rfc("\"minTps\":7,", ""),  // missing field
      with_rfc("\"user\":\"0x", "\"user\":\"0X"),
      with_rfc("\"user\":\"", "\"user\":\"0x00"),
      plain + " ",
      plain + "x",
      plain + "{}",
      plain.substr(0, plain.size() / 2),
      "{\"rfc\":" + rfc + ",\"signature\":" + sig + ",\"signature\":" + sig + "}",
      "{\"rfc\":" + rfc + ",\"signature\":\"0x12\"}",
      "{\"rfc\":" + rfc + "}",
      "{\"rfc\":" + rfc + ",\"signature\":" + sig + ",\"more\":1}",
      "{}",
      "[]",
      "",
      "null",
  };
  int fast = 0;
  for (const auto& body : bodies) {
    EXPECT_EQ(Outcome(RfcRequest::Parse(body)), Outcome(RfcRequest::ParseStrict(body))) << body;
    json_text::Reader r(body);
    RfcRequest ignored;
    if (r.Object([&](std::string_view k) { return k == "rfc" ? json_text::ReadMessage(r, &ignored.rfc)
                                                             : json_text::ReadSignature(r, &ignored.signature); }) &&
        r.AtEnd()) {
      ++fast;
    }
  }
  EXPECT_GE(fast, 3) << "the plain bodies take the fast path";
  auto ok = RfcRequest::Parse(plain);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->rfc, req.rfc);
  EXPECT_EQ(ok->signature, req.signature);
  EXPECT_EQ(RfcRequest::Parse("not json").error().message, "request body is not valid JSON");
}

TEST(JsonTextTest, PingChallengesReadAndRefuseAsBefore) {
  std::vector<Hash32> cs(3);
  for (size_t k = 0; k < cs.size(); ++k) cs[k][31] = static_cast<uint8_t>(k + 1);
  auto back = ParsePingChallenges(PingChallengesBody(cs));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, cs);
  std::string one = "\"" + HexEncode0x(cs[0]) + "\"";
  std::string many = "{\"challenges\":[" + one;
  for (size_t k = 1; k < kMaxPingChallenges + 1; ++k) many += "," + one;
  many += "]}";
  for (const std::string& body :
       {PingChallengesBody(cs), std::string("{\"challenges\":[") + one + "], \"x\":1}", std::string("{}"),
        std::string("{\"challenges\":[]}"), std::string("{\"challenges\":[\"0x12\"]}"),
        "{\"challenges\":[" + one + ",7]}", many, std::string("not json"), std::string("{\"challenges\":{}}")}) {
    auto fast = ParsePingChallenges(body);
    auto strict = ParsePingChallengesStrict(body);
    ASSERT_EQ(fast.ok(), strict.ok()) << body;
    if (fast.ok()) {
      EXPECT_EQ(*fast, *strict);
    } else {
      EXPECT_EQ(fast.error().message, strict.error().message);
    }
  }
  EXPECT_NE(ParsePingChallenges("{\"challenges\":[" + one + ",7]}").error().message.find("challenges[1]"),
            std::string::npos);
}

}  // namespace
}  // namespace lt::wire
