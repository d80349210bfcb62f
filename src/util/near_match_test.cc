#include "util/near_match.h"

#include <gtest/gtest.h>

namespace lt {
namespace {

TEST(NearMatchTest, DistanceCountsEditsAndSwaps) {
  EXPECT_EQ(EditDistance("pull", "pull"), 0u);
  EXPECT_EQ(EditDistance("pul", "pull"), 1u);
  EXPECT_EQ(EditDistance("pusl", "push"), 1u);
  EXPECT_EQ(EditDistance("psuh", "push"), 1u);  // a swap of neighbours is one edit
  EXPECT_EQ(EditDistance("260K", "260k"), 0u);  // case-insensitive
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance(std::string(300, 'a'), "a"), SIZE_MAX);
}

TEST(NearMatchTest, SuggestsTheClosestNearCandidateOnly) {
  std::vector<std::string> subs = {"push", "pull", "tag", "ls", "inspect", "rm"};
  EXPECT_EQ(NearestMatch("pul", subs), "pull");
  EXPECT_EQ(NearestMatch("insepct", subs), "inspect");
  EXPECT_EQ(NearestMatch("frobnicate", subs), "");
  EXPECT_EQ(NearestMatch("", subs), "");
  EXPECT_EQ(NearestMatch("sto", {"store", "storm"}), "store");  // ties go to the first
  EXPECT_EQ(DidYouMean("tga", subs), "; did you mean 'tag'?");
  EXPECT_EQ(DidYouMean("zzzzzz", subs), "");
}

TEST(NearMatchTest, ModelNamesAndTags) {
  EXPECT_EQ(NearestMatch("demo/storys", {"demo/stories", "demo/other"}), "demo/stories");
  EXPECT_EQ(NearestMatch("260", {"260k", "latest"}), "260k");
}

}  // namespace
}  // namespace lt
