// The demand leaderboard (doc/analytics.md "Leaderboard"): per model over a window (a day or
// a week), sessions, session-seconds, unique users (a count only), unmet RFCs by reason, the
// median price per second, the providers serving / offering it, and a demand-to-supply score:
//   demand  = session-seconds + unmet RFCs x the model's median session seconds (60 s when the
//             model had no session in the window): the seconds users bought or tried to buy;
//   score   = demand / window hours / (1 + providers offering the model)
// i.e. the session-seconds per hour a newcomer could expect if demand were split evenly among
// the current providers and itself. Rows are sorted by score, then sessions, then name.
// Only registered names are ranked (when `registered` is known): demand for a name the ledger
// does not know (a typo, a model nobody published) is listed apart under `unregistered`, with the
// nearest registered name, so a mistyped name can never top the board.
// Per ranked row, `earningsPerDayEstimate` = score x 24 h x the median price (MOR per day a
// newcomer could expect; null without a price) and `sizeBytes` when `sizes` has the model.
// Thread-safety: pure functions.
#ifndef LT_ANALYTICS_LEADERBOARD_H_
#define LT_ANALYTICS_LEADERBOARD_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analytics/records.h"

namespace lt::analytics {

struct LeaderboardInput {
  std::string window = "day";       // "day" | "week" (a label; the span is window_seconds)
  uint64_t window_seconds = 86400;
  uint64_t now = 0;
  std::vector<Session> sessions;    // sessions started in [now - window_seconds, now]
  UnmetCounts unmet;                // unmet RFCs in the window
  Supply supply;                    // providers offering each model now (from the ledger)
  size_t max_rows = 200;
  // "ns/name:tag" of every tag on the ledger; nullopt when the ledger could not be read (then
  // every name is ranked, and the answer says `registeredKnown: false`).
  std::optional<std::set<std::string>> registered;
  std::map<std::string, uint64_t> sizes;  // model -> bytes (the manifest's requirements.ram_bytes)
};

// Whether `model` ("ns/name:tag", or "ns/name" meaning the tag latest) is in `registered`.
bool IsRegistered(const std::set<std::string>& registered, const std::string& model);

nlohmann::json ComputeLeaderboard(const LeaderboardInput& in);

}  // namespace lt::analytics

#endif  // LT_ANALYTICS_LEADERBOARD_H_
