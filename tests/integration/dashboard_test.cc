// The router's dashboard in headless Chromium: after its JavaScript ran, the page shows the
// registered model in the leaderboard and a mistyped, unregistered name only apart (with the name
// it was probably meant as), and dates rather than day numbers. Skipped when no chromium is
// installed.
#include <cstdlib>
#include <regex>

#include "chromium.h"
#include "integration/transparency_world.h"

namespace lt::test {
namespace {

class DashboardTest : public TransparencyWorld {};

TEST_F(DashboardTest, HeadlessChromiumShowsTheModelInTheLeaderboard) {
  std::string chromium = FindProgram("chromium");
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed";
  RunSession(1, "acme/tiny:latest", 30, 600, 250);
  AskUnknown(2, "acme/tinny:latest");
  AskUnknown(3, "acme/tinny:latest");
  ASSERT_TRUE(WaitFor([&] { return Get("/records?since=0")["records"].size() == 1; })) << router_->Stderr();
  auto r = ChromiumRun(chromium, "http://127.0.0.1:" + std::to_string(port_) + "/");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string board = LeaderboardTable(r.out);
  ASSERT_FALSE(board.empty()) << r.out;
  EXPECT_NE(board.find("acme/tiny:latest"), std::string::npos) << board;
  EXPECT_EQ(board.find("acme/tinny"), std::string::npos) << "an unregistered name is ranked: " << board;
  size_t apart = r.out.find("id=\"unregistered\"");
  ASSERT_NE(apart, std::string::npos) << r.out;
  std::string unregistered = r.out.substr(apart, r.out.find("</table>", apart) - apart);
  EXPECT_NE(unregistered.find("acme/tinny:latest"), std::string::npos) << unregistered;
  EXPECT_NE(unregistered.find("acme/tiny:latest"), std::string::npos) << "the nearest name: " << unregistered;
  // Dates, not day numbers: the window is shown as UTC date and time.
  EXPECT_TRUE(std::regex_search(r.out, std::regex("From 20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC"))) << r.out;
  EXPECT_NE(r.out.find(router_key_.GetAddress().ToChecksumHex()), std::string::npos);  // the header
  // The day closes (6 s days + grace): one session is too few to judge, and the badge says so
  // instead of a green "pass"; the report's day is shown as a date.
  ASSERT_TRUE(WaitFor([&] { return Get("/reports")["reports"].size() >= 1; }, 60000)) << router_->Stderr();
  auto later = ChromiumRun(chromium, "http://127.0.0.1:" + std::to_string(port_) + "/");
  ASSERT_EQ(later.exit_code, 0) << later.err;
  size_t prov = later.out.find("id=\"providers\"");
  ASSERT_NE(prov, std::string::npos) << later.out;
  std::string verdicts = later.out.substr(prov, later.out.find("</table>", prov) - prov);
  EXPECT_NE(verdicts.find("too few sessions to judge"), std::string::npos) << verdicts;
  EXPECT_EQ(verdicts.find("badge pass"), std::string::npos) << verdicts;
  EXPECT_TRUE(std::regex_search(later.out, std::regex("id=\"report-day\">20[0-9]{2}-[0-9]{2}-[0-9]{2} "))) << later.out;
  // LT_DASHBOARD_SCREENSHOT=file.png: also a phone-sized screenshot, to look at the layout.
  if (const char* shot = std::getenv("LT_DASHBOARD_SCREENSHOT")) {
    auto s = ChromiumRun(chromium, "http://127.0.0.1:" + std::to_string(port_) + "/",
                         {"--hide-scrollbars", "--window-size=390,1200", std::string("--screenshot=") + shot});
    EXPECT_EQ(s.exit_code, 0) << s.err;
  }
}

}  // namespace
}  // namespace lt::test
