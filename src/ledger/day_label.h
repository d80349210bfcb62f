// Ledger days in words (doc/ledger.md "Days"): day d covers the UTC seconds
// [d x day_seconds, (d + 1) x day_seconds). People read dates, not day numbers, so every place that
// shows a day (the devnet's showcase, `lt ledger close-day`, the router's dashboard does the same
// in JavaScript) says it with DayLabel.
// Thread-safety: pure functions.
#ifndef LT_LEDGER_DAY_LABEL_H_
#define LT_LEDGER_DAY_LABEL_H_

#include <cstdint>
#include <string>

namespace lt::ledger {

// "2026-12-05" for whole UTC days (day_seconds 86400); otherwise the span, e.g.
// "2026-12-05 02:41:00-02:42:00 UTC" (or with both dates when it crosses midnight).
std::string DayLabel(uint64_t day, uint64_t day_seconds);

}  // namespace lt::ledger

#endif  // LT_LEDGER_DAY_LABEL_H_
