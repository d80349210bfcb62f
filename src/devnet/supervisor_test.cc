// The supervisor with /bin/sh as the program: one-shot runs capture stdout and exit codes,
// children log to their file, a child that ignores SIGTERM is killed after the timeout, and a
// child that dies while starting is reported by name with the tail of its log.
#include "devnet/supervisor.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace lt::devnet {
namespace {

// A fresh folder, removed when the test binary exits.
std::string TempDir() {
  static std::vector<std::string> dirs;
  static struct Cleanup {
    ~Cleanup() {
      for (const auto& d : dirs) std::filesystem::remove_all(d);
    }
  } cleanup;
  char tmpl[] = "/tmp/lt-supervisor-XXXXXX";
  char* d = ::mkdtemp(tmpl);
  if (d == nullptr) return "/tmp";
  dirs.push_back(d);
  return d;
}

std::string Read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Supervisor, RunCapturesOutputAndExitCode) {
  std::atomic<bool> stop{false};
  Supervisor sup("/bin/sh", &stop);
  std::string log = TempDir() + "/run.log";
  auto r = sup.Run({"-c", "echo out; echo err >&2; exit 3"}, log);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(Read(log), "err\n");
  auto ok = sup.RunOk("failing step", {"-c", "echo why >&2; exit 1"}, log);
  ASSERT_FALSE(ok.ok());
  EXPECT_NE(ok.error().message.find("failing step failed (exit 1)"), std::string::npos) << ok.error().message;
  EXPECT_NE(ok.error().message.find("why"), std::string::npos);
  auto slow = sup.Run({"-c", "sleep 5"}, log, 200);
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, ErrorCode::kTimeout);
}

TEST(Supervisor, StopsChildrenTermThenKill) {
  std::atomic<bool> stop{false};
  Supervisor sup("/bin/sh", &stop);
  std::string dir = TempDir();
  ASSERT_TRUE(sup.Start("polite", {"-c", "echo started; exec sleep 30"}, dir + "/polite.log").ok());
  ASSERT_TRUE(
      sup.Start("stubborn", {"-c", "trap '' TERM; while true; do sleep 0.1; done"}, dir + "/stubborn.log")
          .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(sup.Stop("polite"), 128 + SIGTERM);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(sup.Stop("stubborn", 500), 128 + SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(Read(dir + "/polite.log"), "started\n");
  EXPECT_NE(::kill(sup.Pid("polite"), 0), 0);
}

TEST(Supervisor, WaitReadyNamesAChildThatDied) {
  std::atomic<bool> stop{false};
  Supervisor sup("/bin/sh", &stop);
  std::string dir = TempDir();
  ASSERT_TRUE(sup.Start("broken", {"-c", "echo 'config: bad key' >&2; exit 1"}, dir + "/broken.log").ok());
  Status s = sup.WaitReady("broken", "http://127.0.0.1:1", "/health", 10000);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("broken exited with code 1"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("config: bad key"), std::string::npos) << s.error().message;
  EXPECT_TRUE(sup.Exited().empty());  // already reaped by WaitReady
}

TEST(Supervisor, ReportsChildrenThatExitWhileServing) {
  std::atomic<bool> stop{false};
  Supervisor sup("/bin/sh", &stop);
  std::string dir = TempDir();
  ASSERT_TRUE(sup.Start("short", {"-c", "exit 7"}, dir + "/short.log").ok());
  std::vector<std::pair<std::string, int>> exited;
  for (int i = 0; i < 50 && exited.empty(); ++i) {
    exited = sup.Exited();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(exited.size(), 1u);
  EXPECT_EQ(exited[0].first, "short");
  EXPECT_EQ(exited[0].second, 7);
}

}  // namespace
}  // namespace lt::devnet
