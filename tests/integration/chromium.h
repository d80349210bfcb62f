// Headless Debian Chromium for the dashboard tests: the page's DOM after its JavaScript ran.
#ifndef LT_TESTS_INTEGRATION_CHROMIUM_H_
#define LT_TESTS_INTEGRATION_CHROMIUM_H_

#include <string>

#include "support/process.h"

namespace lt::test {

// Loads `url` in a fresh profile, lets 3 s of virtual time pass (the page's fetches and
// timers), and returns the serialized DOM. `extra` flags go before the URL.
inline RunResult ChromiumRun(const std::string& chromium, const std::string& url,
                             std::vector<std::string> extra = {"--dump-dom"}) {
  std::vector<std::string> args = {"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                   "--user-data-dir=" + TempDir("lt-chromium"), "--virtual-time-budget=3000"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(url);
  return Run(chromium, args, "", 90000);
}

// The text of the dashboard's leaderboard table in a dumped DOM ("" when there is none).
inline std::string LeaderboardTable(const std::string& dom) {
  size_t table = dom.find("id=\"leaderboard\"");
  if (table == std::string::npos) return "";
  size_t end = dom.find("</table>", table);
  return dom.substr(table, end == std::string::npos ? std::string::npos : end - table);
}

}  // namespace lt::test

#endif  // LT_TESTS_INTEGRATION_CHROMIUM_H_
