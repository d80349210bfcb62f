// Interop with an independent IPFS implementation: ipfs-unixfs-importer 17 (unixfs-v1-2025
// profile) must compute the same CIDs as `lt cid`, and CARs must cross between us and @ipld/car.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "support/process.h"

namespace lt::test {
namespace {

const std::string kScript = std::string(LT_INTEROP_DIR) + "/unixfs_cid.mjs";

bool HaveNode() { return !FindProgram("node").empty(); }

std::string Pattern(size_t n, int seed) {
  std::string s(n, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ULL * (seed + 1);
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    s[i] = static_cast<char>(x);
  }
  return s;
}

nlohmann::json Node(const std::vector<std::string>& args, int timeout_ms = 120000) {
  std::vector<std::string> a{kScript};
  a.insert(a.end(), args.begin(), args.end());
  auto r = Run(FindProgram("node"), a, "", timeout_ms);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  return r.exit_code == 0 && !j.is_discarded() ? j : nlohmann::json{{"cid", "(node failed)"}, {"blocks", 0}};
}

std::string LtCid(const std::vector<std::string>& args) {
  std::vector<std::string> a{"cid"};
  a.insert(a.end(), args.begin(), args.end());
  auto r = RunLt(a, "", 120000);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.empty() ? "" : r.out.substr(0, r.out.size() - 1);
}

class UnixfsInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveNode()) GTEST_SKIP() << "node is not installed";
    dir_ = TempDir("lt-unixfs");
  }
  std::string dir_;
};

TEST_F(UnixfsInteropTest, FileCidsEqualTheImporterAtEdgeSizes) {
  const size_t mib = 1 << 20;
  for (size_t n : {size_t{0}, size_t{1}, mib - 1, mib, mib + 1, 5 * mib + 3}) {
    std::string p = dir_ + "/f" + std::to_string(n);
    WriteFile(p, Pattern(n, static_cast<int>(n % 97)));
    EXPECT_EQ(LtCid({p}), Node({p})["cid"].get<std::string>()) << n << " bytes";
  }
}

TEST_F(UnixfsInteropTest, ReducedLayoutMatchesOnDeepTrees) {
  // Same tree-building code with 1 KiB chunks and 4 links per node: 5 levels from 300 KiB.
  std::string p = dir_ + "/deep";
  WriteFile(p, Pattern(300 * 1024 + 7, 3));
  EXPECT_EQ(LtCid({"--chunk-size", "1024", "--max-links", "4", p}),
            Node({"--chunk", "1024", "--links", "4", p})["cid"].get<std::string>());
}

TEST_F(UnixfsInteropTest, MoreThan1024ChunksMatchesWithTheRealProfile) {
  // 1025 MiB + 5 bytes, generated on the fly by node and streamed through a pipe.
  std::string bytes = std::to_string(1025ull * 1048576 + 5);
  auto ours = lt::test::Run("/bin/sh", {"-c", "'" + FindProgram("node") + "' '" + kScript + "' --emit " + bytes + " | '" + LtBinary() + "' cid -"}, "",
                  300000);
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  EXPECT_EQ(ours.out, Node({"--gen", bytes}, 300000)["cid"].get<std::string>() + "\n");
}

TEST_F(UnixfsInteropTest, DirectoryTreesMatchIncludingEmptyAndUnicode) {
  std::string t = dir_ + "/tree";
  for (const char* d : {"", "/sub", "/sub/deeper", "/empty", "/ünï cödé 日本"}) mkdir((t + d).c_str(), 0755);
  WriteFile(t + "/a.txt", "hello");
  WriteFile(t + "/e", "");
  WriteFile(t + "/sub/big", Pattern((1 << 20) + 9, 4));
  WriteFile(t + "/sub/deeper/z", "y");
  WriteFile(t + "/ünï cödé 日本/f", "x");
  WriteFile(t + "/B", "upper case sorts first");
  EXPECT_EQ(LtCid({t}), Node({t})["cid"].get<std::string>());
  mkdir((dir_ + "/lonely").c_str(), 0755);
  EXPECT_EQ(LtCid({dir_ + "/lonely"}), Node({dir_ + "/lonely"})["cid"].get<std::string>());
}

TEST_F(UnixfsInteropTest, CarsCrossBetweenUsAndIpldCar) {
  std::string t = dir_ + "/m";
  mkdir(t.c_str(), 0755);
  WriteFile(t + "/weights.bin", Pattern(3 * (1 << 20) + 77, 5));
  WriteFile(t + "/config.json", "{\"dim\": 64}");
  std::string ours_dd = dir_ + "/ours";
  auto add = RunLt({"--datadir", ours_dd, "--json", "store", "add", t});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  std::string root = nlohmann::json::parse(add.out)["cid"];
  // Ours -> @ipld/car: same root, every block hash-checked by the node side, all blocks present.
  ASSERT_EQ(RunLt({"--datadir", ours_dd, "model", "export", root, "--car", dir_ + "/ours.car"}).exit_code, 0);
  auto read = Node({"--read-car", dir_ + "/ours.car"});
  EXPECT_EQ(read["roots"], nlohmann::json::array({root}));
  auto theirs = Node({t, "--car", dir_ + "/theirs.car"});
  EXPECT_EQ(theirs["cid"], root);
  // The directory, the weights' file node and 4 leaves, the config leaf (the importer may also
  // put blocks no root reaches, so its count is not compared).
  EXPECT_EQ(read["blocks"].size(), 7u);
  // @ipld/car CarWriter -> ours: imports, and the file comes out whole.
  std::string in_dd = dir_ + "/imported";
  auto imp = RunLt({"--datadir", in_dd, "--json", "model", "import", "--car", dir_ + "/theirs.car"});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_EQ(nlohmann::json::parse(imp.out)["roots"][0], root);
  auto again = RunLt({"--datadir", in_dd, "model", "export", root, "--car", dir_ + "/again.car"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ReadFileOrEmpty(dir_ + "/again.car"), ReadFileOrEmpty(dir_ + "/ours.car"));
}

}  // namespace
}  // namespace lt::test
