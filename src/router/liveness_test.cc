// HttpProber against a real Pong responder on 127.0.0.1: concurrent checks of one provider are
// batched into POST /ping, each challenge still gets its own verified Pong, an older provider
// without the batched route is asked one GET per challenge, and a failing provider fails every
// challenge of its batch.
#include "router/liveness.h"

#include <gtest/gtest.h>

#include <thread>

#include "testkit/router_world.h"
#include "util/random.h"

namespace lt::router {
namespace {

wire::Domain TestDomain() { return wire::Domain(U256(31337), testkit::Key(9).GetAddress()); }

Hash32 Challenge(int i) {
  Hash32 c{};
  SecureRandom::Default()->Fill(c);
  c[0] = static_cast<uint8_t>(i);
  return c;
}

// Runs `n` concurrent pings; returns how many came back verified for their own challenge.
int PingConcurrently(HttpProber& prober, const std::string& url, const crypto::Address& provider, int n,
                     std::vector<std::string>* errors) {
  std::vector<std::thread> ts;
  std::atomic<int> good{0};
  std::mutex mu;
  for (int i = 0; i < n; ++i) {
    ts.emplace_back([&, i] {
      Hash32 c = Challenge(i);
      auto r = prober.Ping(url, c);
      if (!r.ok()) {
        std::lock_guard<std::mutex> l(mu);
        errors->push_back(r.error().message);
        return;
      }
      auto signer = r->pong.Recover(TestDomain(), r->signature);
      if (r->pong.challenge == c && signer.ok() && *signer == provider && r->pong.provider == provider) ++good;
    });
  }
  for (auto& t : ts) t.join();
  return good;
}

TEST(HttpProberTest, ConcurrentChecksShareRequestsAndEachGetsItsOwnSignedPong) {
  auto key = testkit::Key(1, 0x33);
  testkit::PongServer server(*crypto::PrivateKey::FromBytes(key.secret().span()), TestDomain(), 7);
  ASSERT_TRUE(server.Start().ok());
  // The first batch is held for a while, so the next challenges pile up behind the in-flight limit.
  server.set_batch_delay_ms(150);
  HttpProber prober;
  std::vector<std::string> errors;
  int good = PingConcurrently(prober, server.Url(), key.GetAddress(), 24, &errors);
  EXPECT_EQ(good, 24) << (errors.empty() ? "" : errors[0]);
  EXPECT_EQ(server.pings(), 24u);
  EXPECT_LT(server.requests(), 12u) << "24 concurrent checks should travel in a few batched requests";
  EXPECT_GE(server.batches(), 1u);
  EXPECT_EQ(prober.requests(), server.requests());
}

TEST(HttpProberTest, OlderProviderWithoutBatchesIsAskedOneChallengeAtATime) {
  auto key = testkit::Key(2, 0x33);
  testkit::PongServer server(*crypto::PrivateKey::FromBytes(key.secret().span()), TestDomain(), 7);
  ASSERT_TRUE(server.Start().ok());
  server.set_batch(false);
  HttpProber prober;
  std::vector<std::string> errors;
  // Two rounds: the first may or may not batch; once refused, the prober remembers.
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(PingConcurrently(prober, server.Url(), key.GetAddress(), 16, &errors), 16)
        << (errors.empty() ? "" : errors[0]);
  }
  EXPECT_EQ(server.pings(), 32u);
  EXPECT_EQ(server.batches(), 0u);
}

TEST(HttpProberTest, FailingProviderFailsEveryChallengeOfItsBatch) {
  auto key = testkit::Key(3, 0x33);
  testkit::PongServer server(*crypto::PrivateKey::FromBytes(key.secret().span()), TestDomain(), 7);
  ASSERT_TRUE(server.Start().ok());
  server.set_fail(true);
  server.set_batch_delay_ms(50);
  HttpProber prober;
  std::vector<std::string> errors;
  EXPECT_EQ(PingConcurrently(prober, server.Url(), key.GetAddress(), 10, &errors), 0);
  ASSERT_EQ(errors.size(), 10u);
  for (const auto& e : errors) EXPECT_NE(e.find("HTTP 500"), std::string::npos) << e;
}

TEST(HttpProberTest, UnreachableProviderIsATransportError) {
  HttpProber prober(300);
  auto r = prober.Ping("http://127.0.0.1:1", Challenge(0));
  ASSERT_FALSE(r.ok());
}

TEST(ParsePongBatchTest, WrongShapeFailsAllAndABadEntryFailsOnlyItself) {
  auto all = ParsePongBatch(R"({"pongs":[]})", 2);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_FALSE(all[0].ok());
  EXPECT_NE(all[0].error().message.find("2 entries"), std::string::npos);
  EXPECT_FALSE(ParsePongBatch("not json", 1)[0].ok());

  auto key = testkit::Key(4, 0x33);
  wire::Pong p;
  p.challenge = Challenge(1);
  p.provider = key.GetAddress();
  p.at = 5;
  nlohmann::json good = {{"pong", p.ToJson()}, {"signature", HexEncode0x(p.Sign(key, TestDomain()))}};
  nlohmann::json body = {{"pongs", {good, {{"pong", 1}}}}};
  auto mixed = ParsePongBatch(body.dump(), 2);
  ASSERT_EQ(mixed.size(), 2u);
  ASSERT_TRUE(mixed[0].ok()) << mixed[0].error().message;
  EXPECT_EQ(mixed[0]->pong.challenge, p.challenge);
  EXPECT_FALSE(mixed[1].ok());
}

TEST(ParsePongBatchTest, PlainAndOtherFormsGiveTheStrictParsersResults) {
  auto key = testkit::Key(4, 0x33);
  std::vector<std::string> entries;
  std::vector<Hash32> challenges;
  for (uint8_t i = 1; i <= 3; ++i) {
    wire::Pong p;
    p.challenge = challenges.emplace_back(Challenge(i));
    p.provider = key.GetAddress();
    p.free_slots = i;
    p.at = 5;
    entries.push_back(nlohmann::json{{"pong", p.ToJson()}, {"signature", HexEncode0x(p.Sign(key, TestDomain()))}}.dump());
  }
  std::string plain = "{\"pongs\":[" + entries[0] + "," + entries[1] + "," + entries[2] + "]}";
  auto describe = [](const std::vector<Result<PongReply>>& rs) {
    std::string out;
    for (const auto& r : rs) {
      out += r.ok() ? HexEncode0x(r->pong.challenge) + "/" + std::to_string(r->pong.free_slots) + "/" +
                          HexEncode0x(r->signature)
                    : "error " + r.error().message;
      out += "; ";
    }
    return out;
  };
  std::string with_extra = plain;
  with_extra.insert(with_extra.find("\"signature\""), "\"note\":\"hi\",");
  for (const std::string& body :
       {plain, "{ \"pongs\" : [\n" + entries[0] + " ,\n" + entries[1] + "," + entries[2] + " ] }\n", with_extra,
        "{\"pongs\":[" + entries[0] + "," + entries[1] + "]}", plain + "x", plain.substr(0, 100),
        "{\"pongs\":[" + entries[0] + "," + entries[1] + ",{\"pong\":1}]}", "{\"other\":1," + plain.substr(1)}) {
    EXPECT_EQ(describe(ParsePongBatch(body, 3)), describe(ParsePongBatchStrict(body, 3))) << body;
  }
  auto got = ParsePongBatch(plain, 3);
  ASSERT_TRUE(got[2].ok());
  EXPECT_EQ(got[2]->pong.challenge, challenges[2]);
  EXPECT_EQ(got[2]->pong.free_slots, 3u);
}

}  // namespace
}  // namespace lt::router
