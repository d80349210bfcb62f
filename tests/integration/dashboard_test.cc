// The router's dashboard in headless Chromium: after its JavaScript ran, the page shows the
// model in the leaderboard. Skipped when no chromium is installed.
#include <cstdlib>

#include "chromium.h"
#include "integration/transparency_world.h"

namespace lt::test {
namespace {

class DashboardTest : public TransparencyWorld {};

TEST_F(DashboardTest, HeadlessChromiumShowsTheModelInTheLeaderboard) {
  std::string chromium = FindProgram("chromium");
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed";
  RunSession(1, "acme/tiny:latest", 30, 600, 250);
  ASSERT_TRUE(WaitFor([&] { return Get("/records?since=0")["records"].size() == 1; })) << router_->Stderr();
  auto r = ChromiumRun(chromium, "http://127.0.0.1:" + std::to_string(port_) + "/");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string board = LeaderboardTable(r.out);
  ASSERT_FALSE(board.empty()) << r.out;
  EXPECT_NE(board.find("acme/tiny:latest"), std::string::npos) << board;
  EXPECT_NE(r.out.find(router_key_.GetAddress().ToChecksumHex()), std::string::npos);  // the header
  // LT_DASHBOARD_SCREENSHOT=file.png: also a phone-sized screenshot, to look at the layout.
  if (const char* shot = std::getenv("LT_DASHBOARD_SCREENSHOT")) {
    auto s = ChromiumRun(chromium, "http://127.0.0.1:" + std::to_string(port_) + "/",
                         {"--hide-scrollbars", "--window-size=390,1200", std::string("--screenshot=") + shot});
    EXPECT_EQ(s.exit_code, 0) << s.err;
  }
}

}  // namespace
}  // namespace lt::test
