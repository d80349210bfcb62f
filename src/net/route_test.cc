// Route patterns (net/route.h): the capture forms routes use, whole-path matching, refusals of
// unsupported syntax, and linear matching of very long paths (issue 15, C2).
#include "net/route.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lt::net {
namespace {

RoutePattern Compile(const std::string& p) {
  auto r = RoutePattern::Compile(p);
  EXPECT_TRUE(r.ok()) << p << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : RoutePattern();
}

std::vector<std::string> MatchOf(const RoutePattern& p, const std::string& path, bool* matched) {
  std::vector<std::string> caps;
  *matched = p.Match(path, &caps);
  return caps;
}

TEST(RoutePatternTest, LiteralMatchesExactlyItsPath) {
  auto p = Compile("/health");
  bool m = false;
  EXPECT_EQ(MatchOf(p, "/health", &m), std::vector<std::string>{"/health"});
  EXPECT_TRUE(m);
  MatchOf(p, "/health/", &m);
  EXPECT_FALSE(m);
  MatchOf(p, "/healt", &m);
  EXPECT_FALSE(m);
  MatchOf(p, "/healthz", &m);
  EXPECT_FALSE(m);
}

TEST(RoutePatternTest, SegmentCaptureStopsAtSlashAndNeedsOneCharacter) {
  auto p = Compile("/holders/([^/]+)");
  bool m = false;
  auto caps = MatchOf(p, "/holders/bafyabc", &m);
  ASSERT_TRUE(m);
  EXPECT_EQ(caps, (std::vector<std::string>{"/holders/bafyabc", "bafyabc"}));
  MatchOf(p, "/holders/", &m);
  EXPECT_FALSE(m);
  MatchOf(p, "/holders/a/b", &m);
  EXPECT_FALSE(m);
}

TEST(RoutePatternTest, RestCaptureTakesSlashes) {
  auto p = Compile("/v1/models/(.+)");
  bool m = false;
  auto caps = MatchOf(p, "/v1/models/demo/stories:260k", &m);
  ASSERT_TRUE(m);
  EXPECT_EQ(caps[1], "demo/stories:260k");
  MatchOf(p, "/v1/models/", &m);
  EXPECT_FALSE(m);
}

TEST(RoutePatternTest, GatewayFormWithOptionalSubPath) {
  auto p = Compile("/ipfs/([^/]*)(/.*)?");
  bool m = false;
  auto caps = MatchOf(p, "/ipfs/bafyroot", &m);
  ASSERT_TRUE(m);
  EXPECT_EQ(caps, (std::vector<std::string>{"/ipfs/bafyroot", "bafyroot", ""}));
  caps = MatchOf(p, "/ipfs/bafyroot/dir/file.bin", &m);
  ASSERT_TRUE(m);
  EXPECT_EQ(caps[1], "bafyroot");
  EXPECT_EQ(caps[2], "/dir/file.bin");
  caps = MatchOf(p, "/ipfs/", &m);
  ASSERT_TRUE(m);
  EXPECT_EQ(caps[1], "");
  MatchOf(p, "/ipfsx/a", &m);
  EXPECT_FALSE(m);
}

TEST(RoutePatternTest, UnsupportedSyntaxIsRefusedAtRegistration) {
  for (const char* bad : {"/a/(\\d+)", "/a|b", "/x/(.+)/y", "/a/([^/]+)([^/]+)", "no-slash", "/a.b", "/a/*"}) {
    EXPECT_FALSE(RoutePattern::Compile(bad).ok()) << bad;
  }
}

// std::regex_match recursed once per character: a 60 KB path overflowed the stack. The matcher
// walks the path once.
TEST(RoutePatternTest, C2_VeryLongPathsMatchWithoutRecursion) {
  std::string huge(1 << 20, 'a');
  bool m = false;
  auto caps = MatchOf(Compile("/holders/([^/]+)"), "/holders/" + huge, &m);
  ASSERT_TRUE(m);
  EXPECT_EQ(caps[1].size(), huge.size());
  MatchOf(Compile("/v1/models/(.+)"), "/v1/models/" + huge + "/" + huge, &m);
  EXPECT_TRUE(m);
  MatchOf(Compile("/account/([^/]+)"), "/account/" + huge + "/", &m);
  EXPECT_FALSE(m);
}

}  // namespace
}  // namespace lt::net
