// The router's dashboard page (GET /, doc/analytics.md "Dashboard"): one self-contained HTML
// document (inline CSS and JS, no external assets), responsive, that fetches /leaderboard,
// /reports and /reports/latest every few seconds and shows the leaderboard, the providers with
// their verdicts, and the reports by day.
#ifndef LT_ANALYTICS_DASHBOARD_H_
#define LT_ANALYTICS_DASHBOARD_H_

#include <string_view>

namespace lt::analytics {

std::string_view DashboardHtml();

}  // namespace lt::analytics

#endif  // LT_ANALYTICS_DASHBOARD_H_
