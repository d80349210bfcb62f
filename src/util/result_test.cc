// Error codes and their wire names: one table, both directions.
#include "util/result.h"

#include <gtest/gtest.h>

namespace lt {
namespace {

TEST(ErrorCodeTest, EveryNameRoundTrips) {
  for (int c = 1; c <= 12; ++c) {
    auto code = static_cast<ErrorCode>(c);
    std::string_view name = ErrorCodeName(code);
    EXPECT_NE(name, "unknown") << c;
    EXPECT_EQ(ErrorCodeFromName(name), code) << name;
  }
  EXPECT_FALSE(ErrorCodeFromName("Not_Found").has_value());
  EXPECT_FALSE(ErrorCodeFromName("").has_value());
  EXPECT_EQ(ErrorCodeName(static_cast<ErrorCode>(99)), "unknown");
}

}  // namespace
}  // namespace lt
