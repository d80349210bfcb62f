// Used session ids on disk (provider/used_sessions.h): a restart keeps refusing a used ticket
// until it expires (issue 15, M3), expired ids are dropped, a torn line is skipped.
#include "provider/used_sessions.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "util/fs.h"

namespace lt::provider {
namespace {

Hash32 Id(uint8_t b) {
  Hash32 h{};
  h[0] = b;
  h[31] = b;
  return h;
}

std::string TempFile() {
  auto dir = std::filesystem::temp_directory_path() / ("lt-used-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  return (dir / "used_sessions.txt").string();
}

TEST(UsedSessionsTest, M3_AUsedIdStaysUsedAcrossARestartUntilItsTicketExpires) {
  std::string path = TempFile();
  {
    UsedSessions u;
    ASSERT_TRUE(u.Open(path, 1000).ok());
    EXPECT_TRUE(*u.Claim(Id(1), 1600, 1000));
    EXPECT_FALSE(*u.Claim(Id(1), 1600, 1001));
    EXPECT_TRUE(*u.Claim(Id(2), 1100, 1002));
  }
  {  // The provider restarts.
    UsedSessions u;
    ASSERT_TRUE(u.Open(path, 1050).ok());
    EXPECT_FALSE(*u.Claim(Id(1), 1600, 1050)) << "a used ticket opened a second session after a restart";
    EXPECT_FALSE(*u.Claim(Id(2), 1100, 1050));
    EXPECT_EQ(u.size(), 2u);
  }
  {  // Later: id 2's ticket has expired (the provider refuses expired tickets anyway).
    UsedSessions u;
    ASSERT_TRUE(u.Open(path, 1200).ok());
    EXPECT_EQ(u.size(), 1u);
    EXPECT_FALSE(*u.Claim(Id(1), 1600, 1200));
  }
}

TEST(UsedSessionsTest, ATornOrGarbledLineIsSkipped) {
  std::string path = TempFile();
  {
    std::ofstream f(path);
    f << HexEncode0x(Id(7)) << " 5000\n" << "garbage line\n" << "0x12 7\n" << HexEncode0x(Id(8)).substr(0, 20);
  }
  UsedSessions u;
  ASSERT_TRUE(u.Open(path, 100).ok());
  EXPECT_EQ(u.size(), 1u);
  EXPECT_FALSE(*u.Claim(Id(7), 5000, 100));
  EXPECT_TRUE(*u.Claim(Id(8), 5000, 100));
  // The file was rewritten whole: a second restart reads both.
  UsedSessions again;
  ASSERT_TRUE(again.Open(path, 100).ok());
  EXPECT_EQ(again.size(), 2u);
}

TEST(UsedSessionsTest, AnUnwritableFileRefusesTheSession) {
  UsedSessions u;
  EXPECT_FALSE(u.Open("/proc/definitely/not/here/used.txt", 1).ok());
}

}  // namespace
}  // namespace lt::provider
