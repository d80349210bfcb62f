// Transparency on a real `lt router serve` (doc/analytics.md): /records carry the final
// voucher's tokens and ttft; /leaderboard counts sessions, unique users and unmet RFCs; after
// the (6-second) ledger day closes, /reports/latest is a signed report that `lt report verify`
// accepts and a changed byte fails; GET / is the dashboard; and no record, leaderboard, report
// or analytics file contains the user's address.
#include <algorithm>
#include <cctype>

#include "integration/transparency_world.h"

namespace lt::test {
namespace {

using json = nlohmann::json;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class TransparencyTest : public TransparencyWorld {};

TEST_F(TransparencyTest, RecordsLeaderboardSignedReportsAndDashboard) {
  RunSession(1, "acme/tiny:latest", 30, 600, 250);
  RunSession(2, "acme/tiny:latest", 12, 0, 0);
  AskUnknown(3, "acme/wanted:latest");
  ASSERT_TRUE(WaitFor([&] { return Get("/records?since=0")["records"].size() == 2; })) << router_->Stderr();

  json records = Get("/records?since=0")["records"];
  json first = records[0]["seconds"] == 30 ? records[0] : records[1];
  EXPECT_EQ(first["model"], "acme/tiny:latest");
  EXPECT_EQ(first["seconds"], 30);
  EXPECT_EQ(first["tokensOut"], 600);
  EXPECT_EQ(first["ttftMs"], 250);
  EXPECT_EQ(first["provider"], pa_.GetAddress().ToChecksumHex());

  json board = Get("/leaderboard?window=week");
  ASSERT_TRUE(board.is_object()) << board.dump();
  EXPECT_EQ(board["daySeconds"], kDaySeconds);
  EXPECT_EQ(board["windowSeconds"], 7 * kDaySeconds);
  json tiny, wanted;
  for (const auto& m : board["models"]) {
    if (m["model"] == "acme/tiny:latest") tiny = m;
    EXPECT_NE(m["model"], "acme/wanted:latest") << "an unregistered name is ranked: " << board.dump(2);
  }
  // acme/wanted is not on the ledger: its demand is listed apart, not ranked.
  EXPECT_TRUE(board["registeredKnown"].get<bool>()) << board.dump(2);
  for (const auto& m : board["unregistered"]) {
    if (m["model"] == "acme/wanted:latest") wanted = m;
  }
  ASSERT_TRUE(tiny.is_object()) << board.dump(2);
  EXPECT_EQ(tiny["sessions"], 2);
  EXPECT_EQ(tiny["sessionSeconds"], 42);
  EXPECT_EQ(tiny["uniqueUsers"], 1);
  EXPECT_EQ(tiny["providersOffering"], 1);
  EXPECT_DOUBLE_EQ(tiny["medianPricePerSecond"].get<double>(), 1e-15);  // 1000 wei
  ASSERT_TRUE(wanted.is_object()) << board.dump(2);
  EXPECT_EQ(wanted["unmet"]["unknown_model"], 1);
  EXPECT_EQ(Get("/leaderboard?window=month")["error"]["code"], "invalid_argument");

  // The day the sessions started closes after 6 s (+3 s grace): its report appears, signed.
  std::string text;
  ASSERT_TRUE(WaitFor([&] {
    int status = 0;
    text = GetText("/reports/latest", &status);
    return status == 200;
  })) << text << router_->Stderr();
  json doc = json::parse(text);
  EXPECT_EQ(doc["signer"], router_key_.GetAddress().ToChecksumHex());
  const json& rep = doc["report"];
  EXPECT_EQ(rep["router"], router_key_.GetAddress().ToChecksumHex());
  EXPECT_EQ(rep["daySeconds"], kDaySeconds);
  ASSERT_EQ(rep["providers"].size(), 1u) << rep.dump(2);
  EXPECT_EQ(rep["providers"][0]["sessions"], 2);
  EXPECT_EQ(rep["providers"][0]["verdict"], "pass");  // too few sessions to judge
  EXPECT_EQ(GetText("/reports/" + rep["day"].dump()), text);
  json index = Get("/reports");
  ASSERT_GE(index["reports"].size(), 1u);
  int status = 0;
  GetText("/reports/nope", &status);
  EXPECT_EQ(status, 400);
  GetText("/reports/1", &status);
  EXPECT_EQ(status, 404);

  WriteFile(dir_ + "/report.json", text);
  auto ok = RunLt({"report", "verify", dir_ + "/report.json"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find(router_key_.GetAddress().ToChecksumHex()), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("0 pass, 0 watch, 0 fail, 1 unjudged"), std::string::npos) << ok.out;
  std::string changed = text;
  size_t at = changed.find("\"sessions\":2");
  ASSERT_NE(at, std::string::npos);
  changed[at + 11] = '3';
  WriteFile(dir_ + "/changed.json", changed);
  auto bad = RunLt({"report", "verify", dir_ + "/changed.json"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("not by"), std::string::npos) << bad.err;

  std::string html = GetText("/", &status);
  EXPECT_EQ(status, 200);
  EXPECT_NE(html.find("<meta name=\"viewport\""), std::string::npos);
  EXPECT_NE(html.find("/leaderboard"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);  // no external assets
  EXPECT_EQ(html.find("https://"), std::string::npos);

  // No user address anywhere the router publishes, nor in its analytics file.
  std::string user = Lower(user_.GetAddress().ToLowerHex().substr(2));
  for (const char* path : {"/records?since=0", "/leaderboard?window=day", "/leaderboard?window=week",
                           "/reports", "/reports/latest", "/"}) {
    EXPECT_EQ(Lower(GetText(path)).find(user), std::string::npos) << path;
  }
  router_->Stop();
  std::string analytics = ReadFileOrEmpty(dir_ + "/r/router/router-analytics.db");
  ASSERT_FALSE(analytics.empty());
  EXPECT_EQ(Lower(analytics).find(user), std::string::npos);
}

}  // namespace
}  // namespace lt::test
