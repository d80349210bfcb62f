// Bounded JSON parsing (util/json.h): depth counted outside strings only, deep input refused
// before nlohmann walks it (issue 15, rows H3 and M1).
#include "util/json.h"

#include <gtest/gtest.h>

#include <string>

namespace lt {
namespace {

TEST(JsonTest, DepthIsCountedOutsideStringsOnly) {
  EXPECT_FALSE(JsonNestsDeeperThan("1", 0));
  EXPECT_TRUE(JsonNestsDeeperThan("[]", 0));
  EXPECT_FALSE(JsonNestsDeeperThan("[]", 1));
  EXPECT_FALSE(JsonNestsDeeperThan(R"({"a":[{"b":1}]})", 3));
  EXPECT_TRUE(JsonNestsDeeperThan(R"({"a":[{"b":1}]})", 2));
  EXPECT_FALSE(JsonNestsDeeperThan(R"(["[[[[[[", "\"[[[["])", 1));  // brackets in strings, escaped quotes
  EXPECT_FALSE(JsonNestsDeeperThan(R"([[]][[]])", 2));               // siblings do not add up
}

TEST(JsonTest, ExactlyTheLimitParsesOneMoreIsRefused) {
  std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJsonChecked(ok, "body").ok());
  std::string deep = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  auto r = ParseJsonChecked(deep, "body");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "body nests deeper than 64 levels");
  EXPECT_TRUE(ParseJson(deep).is_discarded());
}

// 200,000 nested '[' (H3: the ledger's POST /txs; M1: any field of a chat request) are refused in
// a linear scan, whatever follows them.
TEST(JsonTest, H3_M1_HugeNestingIsRefusedWithoutRecursion) {
  std::string deep = R"({"txs":)" + std::string(200000, '[') + std::string(200000, ']') + "}";
  EXPECT_TRUE(ParseJson(deep).is_discarded());
  std::string unclosed(200000, '[');
  EXPECT_TRUE(ParseJson(unclosed).is_discarded());
}

TEST(JsonTest, InvalidJsonSaysSo) {
  auto r = ParseJsonChecked("{nope", "request body");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "request body is not valid JSON");
}

}  // namespace
}  // namespace lt

namespace lt {
namespace {

TEST(JsonUintTest, NonNegativeIntegersWhicheverWayTheyWereMade) {
  EXPECT_EQ(JsonUint(nlohmann::json(5)), 5u);                   // built in C++: number_integer
  EXPECT_EQ(JsonUint(nlohmann::json::parse("5")), 5u);          // parsed: number_unsigned
  EXPECT_EQ(JsonUint(nlohmann::json::parse("18446744073709551615")), UINT64_MAX);
  EXPECT_EQ(JsonUint(nlohmann::json(0)), 0u);
  EXPECT_FALSE(JsonUint(nlohmann::json(-1)).has_value());
  EXPECT_FALSE(JsonUint(nlohmann::json(1.5)).has_value());
  EXPECT_FALSE(JsonUint(nlohmann::json("5")).has_value());
  EXPECT_FALSE(JsonUint(nlohmann::json()).has_value());
}

}  // namespace
}  // namespace lt
