// Leaderboard numbers from crafted sessions and unmet counts.
#include "analytics/leaderboard.h"

#include <gtest/gtest.h>

using nlohmann::json;

namespace lt::analytics {
namespace {

Session S(const std::string& model, const std::string& provider, const std::string& user, uint32_t seconds, double price) {
  Session s;
  s.model = model;
  s.provider = provider;
  s.user_key = user;
  s.seconds = seconds;
  s.price_per_second = price;
  return s;
}

TEST(LeaderboardTest, CountsAndScore) {
  LeaderboardInput in;
  in.window = "day";
  in.window_seconds = 3600;
  in.now = 10000;
  in.sessions = {S("a", "p1", "u1", 100, 1), S("a", "p1", "u1", 200, 2), S("a", "p2", "u2", 300, 3),
                 S("b", "p3", "u3", 60, 5)};
  in.unmet["a"]["too_expensive"] = 2;
  in.unmet["c"]["no_provider"] = 10;  // wanted, nobody serves it
  in.supply["a"] = {"p1", "p2", "p4"};
  in.supply["z"] = {"p9"};  // offered, unused: not listed
  auto j = ComputeLeaderboard(in);
  ASSERT_EQ(j["models"].size(), 3u) << j.dump(2);
  // c: 10 unmet x 60 s / 1 h / (1 + 0) = 600; a: (600 + 2 x 200) / 1 / 4 = 250; b: 60 / 2 = 30.
  EXPECT_EQ(j["models"][0]["model"], "c");
  EXPECT_DOUBLE_EQ(j["models"][0]["score"].get<double>(), 600);
  auto a = j["models"][1];
  EXPECT_EQ(a["model"], "a");
  EXPECT_EQ(a["sessions"], 3);
  EXPECT_EQ(a["sessionSeconds"], 600);
  EXPECT_EQ(a["uniqueUsers"], 2);
  EXPECT_EQ(a["unmet"]["too_expensive"], 2);
  EXPECT_DOUBLE_EQ(a["medianPricePerSecond"].get<double>(), 2);
  EXPECT_EQ(a["providers"].size(), 3u);
  EXPECT_EQ(a["providersServing"], 2);
  EXPECT_EQ(a["providersOffering"], 3);
  EXPECT_DOUBLE_EQ(a["score"].get<double>(), 250);
  EXPECT_EQ(a["rank"], 2);
  EXPECT_EQ(j["models"][2]["model"], "b");
  EXPECT_DOUBLE_EQ(j["models"][2]["score"].get<double>(), 30);
  EXPECT_EQ(j.dump().find("u1"), std::string::npos);  // user keys never leave
}

// The issue-18 board: a mistyped name with failed RFCs scored above every real model; now only
// registered names are ranked and the typo is listed apart with the name it was probably meant as.
TEST(LeaderboardTest, RanksOnlyRegisteredNames) {
  LeaderboardInput in;
  in.window_seconds = 3600;
  in.now = 10000;
  in.sessions = {S("demo/stories:260k", "p1", "u1", 100, 0.001)};
  in.unmet["demo/storys:260k"]["unknown_model"] = 2;
  in.unmet["demo/stories"]["no_provider"] = 1;  // no tag: latest
  in.registered = std::set<std::string>{"demo/stories:260k", "demo/stories:latest"};
  in.sizes["demo/stories:260k"] = 1056768;
  auto j = ComputeLeaderboard(in);
  ASSERT_EQ(j["models"].size(), 2u) << j.dump(2);
  for (const auto& m : j["models"]) EXPECT_NE(m["model"], "demo/storys:260k");
  ASSERT_EQ(j["unregistered"].size(), 1u) << j.dump(2);
  EXPECT_EQ(j["unregistered"][0]["model"], "demo/storys:260k");
  EXPECT_EQ(j["unregistered"][0]["unmetTotal"], 2);
  EXPECT_EQ(j["unregistered"][0]["nearest"], "demo/stories:260k");
  EXPECT_TRUE(j["registeredKnown"].get<bool>());
  json real;
  for (const auto& m : j["models"]) {
    if (m["model"] == "demo/stories:260k") real = m;
  }
  ASSERT_FALSE(real.is_null());
  EXPECT_EQ(real["sizeBytes"], 1056768);
  // score = 100 s / 1 h / (1 + 1 serving) = 50; x 24 h x 0.001 MOR/s = 1.2 MOR a day.
  EXPECT_DOUBLE_EQ(real["earningsPerDayEstimate"].get<double>(), 1.2);
}

TEST(LeaderboardTest, UnknownRegistryRanksEverything) {
  LeaderboardInput in;
  in.window_seconds = 3600;
  in.unmet["x/y:1"]["unknown_model"] = 1;
  auto j = ComputeLeaderboard(in);
  EXPECT_EQ(j["models"].size(), 1u);
  EXPECT_FALSE(j["registeredKnown"].get<bool>());
  EXPECT_TRUE(j["models"][0]["sizeBytes"].is_null());
}

}  // namespace
}  // namespace lt::analytics
