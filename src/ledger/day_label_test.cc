#include "ledger/day_label.h"

#include <gtest/gtest.h>

namespace lt::ledger {
namespace {

TEST(DayLabelTest, WholeDaysAreDates) {
  EXPECT_EQ(DayLabel(20427, 86400), "2025-12-05");  // 20427 x 86400 = 2025-12-05T00:00:00Z
  EXPECT_EQ(DayLabel(0, 86400), "1970-01-01");
}

TEST(DayLabelTest, ShortDaysAreSpans) {
  // 2026-12-05T02:41:00Z = 1796438460 s = day 29940641 of 60 s.
  EXPECT_EQ(DayLabel(29940641, 60), "2026-12-05 02:41:00-02:42:00 UTC");
  EXPECT_EQ(DayLabel(1, 86400 - 1), "1970-01-01 23:59:59-1970-01-02 23:59:58 UTC");
}

TEST(DayLabelTest, DegenerateInputsSayTheNumber) {
  EXPECT_EQ(DayLabel(5, 0), "day 5");
  EXPECT_EQ(DayLabel(UINT64_MAX, 60), "day 18446744073709551615");
}

}  // namespace
}  // namespace lt::ledger
