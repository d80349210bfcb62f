// The `lt` command line contract: help everywhere, usage errors exit 2, errors exit 1.
#include <gtest/gtest.h>

#include "support/process.h"

namespace lt::test {
namespace {

TEST(CliTest, HelpListsSubcommandsAndExitsZero) {
  auto r = RunLt({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("version"), std::string::npos);
  EXPECT_NE(r.out.find("--datadir"), std::string::npos);
}

TEST(CliTest, UnknownSubcommandExitsTwoWithTheHelpToRead) {
  auto r = RunLt({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown subcommand 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("run 'lt --help' for usage"), std::string::npos) << r.err;
}

TEST(CliTest, UnknownFlagExitsTwo) {
  auto r = RunLt({"version", "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no-such-flag"), std::string::npos) << r.err;
}

TEST(CliTest, NoSubcommandExitsTwo) { EXPECT_EQ(RunLt({}).exit_code, 2); }

TEST(CliTest, BadLogLevelIsAUsageError) {
  auto r = RunLt({"--log-level", "loud", "version"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("loud"), std::string::npos);
}

TEST(CliTest, VersionPrintsJsonWithFlag) {
  auto r = RunLt({"--json", "version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("\"lt\""), std::string::npos);
}

}  // namespace
}  // namespace lt::test
