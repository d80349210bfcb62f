// `lt sim market`: a synthetic market run through the same analytics code (doc/analytics.md
// "Simulation"). Providers serve one model each; users open sessions on providers chosen by
// price; some providers misbehave as --bad says:
//   abandon      its users leave at once (60% of sessions end within 5 s, mostly without output)
//   overstate    its offer claims 3x the TPS it delivers
//   wash         3 of its own accounts buy 15 long sessions a day each from it
//   yellowstone  10 of its accounts open 40 sessions a day each on its competitors (the other
//                providers of its model) and abandon them at once, producing nothing
// Each (provider, model, day) is one unit judged by the daily report. Positives are the units
// of abandon / overstate / wash providers; a unit is predicted positive when its verdict is fail.
// Yellowstone attackers serve honestly (their attack is only visible in their victims' records):
// their units count as negatives, and the victims are reported apart.
// Thread-safety: pure (deterministic for a seed on one standard library).
#ifndef LT_ANALYTICS_SIM_H_
#define LT_ANALYTICS_SIM_H_

#include <map>
#include <vector>
#include <string>

#include <nlohmann/json.hpp>

#include "analytics/report.h"
#include "util/result.h"

namespace lt::analytics {

struct SimOptions {
  int providers = 20;
  int users = 500;
  int days = 3;
  std::string bad = "abandon:2,overstate:2,wash:2,yellowstone:2";
  uint64_t seed = 1;
  Thresholds thresholds;
};

// "kind:count[,kind:count...]" with kinds abandon, overstate, wash, yellowstone ("" or "none": none).
Result<std::map<std::string, int>> ParseBadSpec(const std::string& spec);

struct SimResult {
  uint64_t tp = 0, fp = 0, fn = 0, tn = 0;
  uint64_t watch_positive = 0, watch_negative = 0;
  double precision = 1, recall = 1, fpr = 0;
  std::map<std::string, std::pair<uint64_t, uint64_t>> by_kind;  // kind -> (failed units, units)
  uint64_t honest_units = 0, honest_failed = 0;   // providers with no misbehaviour (victims included)
  uint64_t victim_units = 0, victim_failed = 0;   // honest units attacked that day
  uint64_t victim_failed_unweighted = 0;          // the same with weight_by_user = false
  uint64_t sessions = 0;
  std::vector<std::string> honest_fail_reasons;  // the first few, to see why
  std::vector<std::string> missed_reasons;       // the first few misbehaving units not failed
  nlohmann::json ToJson() const;
};

Result<SimResult> RunMarketSim(const SimOptions& o);

}  // namespace lt::analytics

#endif  // LT_ANALYTICS_SIM_H_
