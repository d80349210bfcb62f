// The daily analytics report of a router (DESIGN §5 step 8, doc/analytics.md "Daily report"):
// for each provider x model with sessions started that day, the duration distribution against
// the model's (robust z-score of the median log-duration), the early-abandon rate, the
// zero-output rate, TPS claimed against TPS observed by users, user concentration, and a
// pass / watch / fail verdict with its reasons and the thresholds used.
//
// Robustness (the Yellowstone attack: a provider opening sessions on competitors and
// abandoning them at once): every rate and median is weighted by user, not by session (each
// distinct user of a provider x model weighs 1 in total, however many sessions it opened), and
// "serial abandoners" (users who abandoned nearly all of their sessions that day at two or
// more providers) weigh `serial_weight`. A fail also needs `min_users` distinct users.
// Thread-safety: pure functions.
#ifndef LT_ANALYTICS_REPORT_H_
#define LT_ANALYTICS_REPORT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analytics/records.h"

namespace lt::analytics {

struct Thresholds {
  uint32_t min_sessions = 10;        // fewer sessions: verdict pass, reason "too_few_sessions"
  uint32_t min_users = 5;            // fewer distinct trusted (non-serial) users: at most watch
  double abandon_fraction = 0.2;     // early abandon: seconds <= max(floor, fraction x model median)
  uint32_t abandon_floor_seconds = 2;
  double abandon_watch = 0.25, abandon_fail = 0.45;
  double zero_watch = 0.10, zero_fail = 0.25;   // zero-output rate
  double z_watch = 2.0, z_fail = 3.0;           // |robust z| (fail only on the short side)
  double mad_floor = 0.25;                      // floor of 1.4826 x MAD, in log-seconds
  double tps_watch = 0.75, tps_fail = 0.5;      // observed/claimed relative to the model's
  // Heavy users (wash trading): >= heavy_min_sessions sessions at the provider and more seconds
  // there than heavy_factor x the model's median seconds per (user, provider); their share of
  // the provider's session-seconds.
  double heavy_factor = 8;
  uint32_t heavy_min_sessions = 5;
  double heavy_watch = 0.15, heavy_fail = 0.3;
  uint32_t serial_min_sessions = 3;   // serial abandoner: >= 3 sessions that day,
  uint32_t serial_min_providers = 2;  // at >= 2 providers,
  double serial_rate = 0.8;           // >= 80% of them early abandons;
  double serial_weight = 0.02;        // then the user weighs 0.02.
  bool weight_by_user = true;         // false: every session weighs 1 (to measure the attack)
  nlohmann::json ToJson() const;
};

struct ReportInput {
  uint64_t day = 0;
  uint64_t day_seconds = 86400;
  std::string router;         // checksum address of the signing router
  uint64_t generated_at = 0;
  std::vector<Session> sessions;  // sessions started during the day
  UnmetCounts unmet;              // unmet RFCs of the day
};

// The unsigned report body (doc/analytics.md). Deterministic for a given input.
nlohmann::json ComputeDailyReport(const ReportInput& in, const Thresholds& t = {});

}  // namespace lt::analytics

#endif  // LT_ANALYTICS_REPORT_H_
