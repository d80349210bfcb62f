// The one cost rule (wire/billing.h): clamp to [minSeconds, maxSeconds], maxSeconds winning, so
// nobody pays more than price × maxSeconds (issue 15, H1).
#include "wire/billing.h"

#include <gtest/gtest.h>

namespace lt::wire {
namespace {

Ticket T(uint32_t min_s, uint32_t max_s, uint64_t price = 1000) {
  Ticket t;
  t.min_seconds = min_s;
  t.max_seconds = max_s;
  t.price_per_second = U256(price);
  return t;
}

TEST(BillingTest, VoucherSecondsAreClampedToTheTicket) {
  EXPECT_EQ(BilledSeconds(T(10, 600), 5), 10u);    // the minimum session
  EXPECT_EQ(BilledSeconds(T(10, 600), 42), 42u);
  EXPECT_EQ(BilledSeconds(T(10, 600), 900), 600u); // never past maxSeconds
  EXPECT_EQ(*SessionCost(T(10, 600), 42), U256(42000));
  EXPECT_EQ(WorstCost(T(10, 600)), U256(600000));
}

// H1: a ticket with minSeconds 100000 and maxSeconds 5 billed 100,000 s for a 5 s session.
TEST(BillingTest, H1_AMinimumAboveTheMaximumNeverBillsPastTheMaximum) {
  Ticket t = T(100000, 5, 400000000000000ull);
  EXPECT_EQ(BilledSeconds(t, 5), 5u);
  EXPECT_EQ(BilledSeconds(t, 0), 5u);
  EXPECT_EQ(*SessionCost(t, 5), U256(2000000000000000ull));
  EXPECT_LE(*SessionCost(t, 5), WorstCost(t));
}

TEST(BillingTest, OverflowIsReportedNotWrapped) {
  Ticket t = T(0, 10);
  t.price_per_second = U256::Max();
  EXPECT_FALSE(SessionCost(t, 10).has_value());
  EXPECT_EQ(WorstCost(t), U256::Max());
}

}  // namespace
}  // namespace lt::wire
