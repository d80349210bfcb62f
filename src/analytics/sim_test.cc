// The synthetic market at the default thresholds: recall >= 95%, false-positive rate <= 1%,
// and no honest provider failed by the Yellowstone attack.
#include "analytics/sim.h"

#include <gtest/gtest.h>

namespace lt::analytics {
namespace {

TEST(SimTest, DefaultMarketMeetsTargets) {
  SimOptions o;
  o.days = 2;
  auto r = RunMarketSim(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GE(r->recall, 0.95) << r->ToJson().dump(2);
  EXPECT_LE(r->fpr, 0.01) << r->ToJson().dump(2);
  EXPECT_EQ(r->honest_failed, 0u) << r->ToJson().dump(2);
  EXPECT_GT(r->victim_units, 0u);
  EXPECT_EQ(r->victim_failed, 0u);
}

TEST(SimTest, BadSpecErrors) {
  EXPECT_FALSE(ParseBadSpec("teleport:1").ok());
  EXPECT_FALSE(ParseBadSpec("wash:x").ok());
  auto ok = ParseBadSpec("wash:2,abandon");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["wash"], 2);
  EXPECT_EQ((*ok)["abandon"], 1);
  SimOptions o;
  o.providers = 3;
  o.bad = "wash:5";
  EXPECT_FALSE(RunMarketSim(o).ok());
}

}  // namespace
}  // namespace lt::analytics
