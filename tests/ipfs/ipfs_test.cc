// Lake Travis on the IPFS network, checked against independent IPFS implementations from npm
// (tests/ipfs/package.json): Helia over HTTP with a router as its only delegated router, a
// trustless gateway built on @ipld/car, ipfs-unixfs-importer for HAMT CIDs and kubo-shaped CARs.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kDir = LT_IPFS_DIR;

bool HaveNodeModules() { return !FindProgram("node").empty() && fs::exists(kDir + "/node_modules/@helia/http"); }

json Node(const std::string& script, const std::vector<std::string>& args, int timeout_ms = 120000) {
  std::vector<std::string> a{kDir + "/" + script};
  a.insert(a.end(), args.begin(), args.end());
  auto r = Run(FindProgram("node"), a, "", timeout_ms);
  EXPECT_EQ(r.exit_code, 0) << script << ": " << r.err;
  auto j = json::parse(r.out, nullptr, false);
  return r.exit_code == 0 && !j.is_discarded() ? j : json{{"cid", "(node failed)"}, {"sha256", "(node failed)"}};
}

std::string Sha256Of(const std::string& path) {
  auto r = Run("/usr/bin/sha256sum", {path});
  return r.exit_code == 0 ? r.out.substr(0, 64) : "(sha256sum failed)";
}

std::string Pattern(size_t n, int seed) {
  std::string s(n, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(seed + 1);
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    s[i] = static_cast<char>(x);
  }
  return s;
}

std::string LtCid(const std::string& path) {
  auto r = RunLt({"cid", path}, "", 120000);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.empty() ? "" : r.out.substr(0, r.out.size() - 1);
}

// A directory of `n` small files named f00000.txt... (the HAMT cases).
void ManyFiles(const std::string& dir, int n) {
  fs::create_directories(dir);
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/f%05d.txt", i);
    WriteFile(dir + name, "entry " + std::to_string(i) + "\n");
  }
}

class IpfsInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveNodeModules()) GTEST_SKIP() << "node or tests/ipfs/node_modules is missing (make deps)";
    dir_ = TempDir("lt-ipfs");
  }
  std::string dir_;
};

// The first test: Helia, configured with a Lake Travis router as its only delegated router
// (no bootstrap, no public gateway), finds the model `lt devnet` pushed and reads it; the SHA-256
// of what it reads equals the shipped file's. Then a 6,000-entry directory (a HAMT we write),
// served by `lt store serve` and announced to the same router, is read through a path by Helia.
TEST_F(IpfsInterop, HeliaFindsAndFetchesAModelPushedToADevnet) {
  std::string net_dir = dir_ + "/net";
  LtProcess devnet({"devnet", "--datadir", net_dir, "--api-port", std::to_string(FreePort()), "--no-showcase",
                    "--exit-after", "300"});
  ASSERT_TRUE(WaitForFile(net_dir + "/devnet.json", devnet, 300)) << devnet.Stdout() << devnet.Stderr();
  json net = json::parse(ReadFileOrEmpty(net_dir + "/devnet.json"));
  std::string router = net["routers"][0]["url"];
  std::string manifest = net["model"]["cid"];

  for (const char* file : {"stories260K.bin", "tok512.bin"}) {
    json got = Node("helia_fetch.mjs", {"--router", router, "--cid", manifest, "--manifest", "--path", file});
    EXPECT_EQ(got["sha256"], Sha256Of(ModelsDir() + "/" + file)) << file;
    ASSERT_FALSE(got["providers"].empty());
    // Found through our router: a Lake Travis gateway on this machine.
    EXPECT_EQ(got["providers"][0]["addrs"][0].get<std::string>().rfind("/ip4/127.0.0.1/tcp/", 0), 0u);
  }

  // A HAMT-sharded directory of ours, announced by another account, read by name.
  std::string big = dir_ + "/big";
  ManyFiles(big, 6000);
  WriteFile(big + "/weights.bin", Pattern((1 << 20) + 4321, 7));
  std::string store_dd = dir_ + "/holder";
  auto add = RunLt({"--datadir", store_dd, "--json", "store", "add", big});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  std::string root = json::parse(add.out)["cid"];
  int port = FreePort();
  const json* user = nullptr;
  for (const auto& a : net["accounts"]) {
    if (a["name"] == "user") user = &a;
  }
  ASSERT_NE(user, nullptr);
  LtProcess serve({"--datadir", store_dd, "store", "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--router",
                   router, "--ledger", net["ledger"]["url"], "--keystore", (*user)["keystore"], "--password-file",
                   (*user)["password_file"]});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", port, "/ipfs/bafkqaaa?format=raw")) << serve.Stderr();
  json got;
  for (int i = 0; i < 50; ++i) {  // until the first announce has reached the router
    auto r = lt::test::Run(FindProgram("node"), {kDir + "/helia_fetch.mjs", "--router", router, "--cid", root, "--path", "weights.bin"},
                 "", 120000);
    got = json::parse(r.out, nullptr, false);
    if (r.exit_code == 0 && !got.is_discarded()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  WriteFile(dir_ + "/expected.bin", Pattern((1 << 20) + 4321, 7));
  EXPECT_EQ(got.value("sha256", ""), Sha256Of(dir_ + "/expected.bin"));
  json small = Node("helia_fetch.mjs", {"--router", router, "--cid", root, "--path", "f04321.txt"});
  WriteFile(dir_ + "/f04321.txt", "entry 4321\n");
  EXPECT_EQ(small["sha256"], Sha256Of(dir_ + "/f04321.txt"));
}

// The second test: `lt model pull` from a plain trustless gateway that is not ours (node's
// http server over a CAR made by ipfs-unixfs-importer), for our profile, kubo's (CIDv0, dag-pb
// leaves) and a HAMT; the files come out byte-equal.
TEST_F(IpfsInterop, LtPullsFromAnIndependentTrustlessGateway) {
  std::string m = dir_ + "/m";
  fs::create_directories(m + "/sub");
  WriteFile(m + "/weights.bin", Pattern(3 * (1 << 20) + 77, 5));
  WriteFile(m + "/config.json", "{\"dim\": 64}");
  ManyFiles(m + "/sub", 300);
  struct Case {
    std::vector<std::string> import;
    const char* name;
  };
  for (const Case& c : {Case{{}, "unixfs-v1-2025"}, Case{{"--profile", "unixfs-v0-2015"}, "kubo"},
                        Case{{"--shard-threshold", "2000"}, "hamt"}}) {
    SCOPED_TRACE(c.name);
    std::string car = dir_ + "/" + c.name + ".car";
    std::vector<std::string> a{m, "--car", car};
    a.insert(a.end(), c.import.begin(), c.import.end());
    std::string root = Node("make_car.mjs", a)["cid"];
    int port = FreePort();
    LtProcess gw({kDir + "/gateway_server.mjs", "--car", car, "--port", std::to_string(port)}, FindProgram("node"));
    ASSERT_TRUE(WaitForHttp("127.0.0.1", port, "/")) << gw.Stderr();
    std::string dd = dir_ + "/dd-" + c.name;
    auto pull = RunLt({"--datadir", dd, "--json", "model", "pull", root, "--peer",
                       "http://127.0.0.1:" + std::to_string(port) + "/ipfs/"},
                      "", 120000);
    ASSERT_EQ(pull.exit_code, 0) << pull.err;
    EXPECT_GT(json::parse(pull.out)["blocks_fetched"].get<int>(), 4);
    // Every file is whole in the store, under its file root: compare with the originals.
    auto out = RunLt({"--datadir", dd, "--json", "model", "inspect", root});
    ASSERT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(json::parse(out.out)["dag"]["complete"], true);
    std::string exported = dd + "/back.car";
    ASSERT_EQ(RunLt({"--datadir", dd, "model", "export", root, "--car", exported}).exit_code, 0);
    std::string dd2 = dir_ + "/re-" + std::string(c.name);  // what we export imports again
    ASSERT_EQ(RunLt({"--datadir", dd2, "model", "import", "--car", exported}).exit_code, 0);
    std::string weights_sha = Sha256Of(m + "/weights.bin");
    bool found = false;
    for (const auto& e : fs::directory_iterator(dd + "/store/files")) {
      if (Sha256Of(e.path().string()) == weights_sha) found = true;
    }
    EXPECT_TRUE(found) << "no file in the store equals weights.bin";
    gw.Stop();
  }
}

// The third test: a 10,000-entry directory is a HAMT, and its CID equals the importer's
// (unixfs-v1-2025), also nested in a parent next to a file and an empty directory.
TEST_F(IpfsInterop, HamtCidParityWith10000Entries) {
  std::string top = dir_ + "/top";
  ManyFiles(top + "/many", 10000);
  WriteFile(top + "/readme.md", "ten thousand files\n");
  fs::create_directories(top + "/empty");
  // One import of the parent: its CID covers the HAMT's (a link to it), the file's and the empty
  // directory's; `lt cid` of the HAMT alone is the link's CID.
  EXPECT_EQ(LtCid(top), Node("make_car.mjs", {top})["cid"].get<std::string>());
  auto inner = RunLt({"--json", "cid", top + "/many"});
  ASSERT_EQ(inner.exit_code, 0) << inner.err;
  EXPECT_GT(json::parse(inner.out)["dag_size"].get<uint64_t>(), 262144u);
}

// `lt model import` of a CAR as kubo writes it by default (CIDv0 root and links, dag-pb leaves of
// 256 KiB, a HAMT decided on link bytes): files come out whole, blocks round-trip, and what we
// export @ipld/car reads back with every block hash-checked.
TEST_F(IpfsInterop, KuboMadeCarsImport) {
  WriteFile(dir_ + "/hello.txt", "hello world\n");
  // The layout is kubo's: `echo "hello world" | ipfs add` gives this CID.
  EXPECT_EQ(Node("make_car.mjs", {dir_ + "/hello.txt", "--profile", "unixfs-v0-2015"})["cid"],
            "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
  std::string m = dir_ + "/model";
  fs::create_directories(m);
  WriteFile(m + "/model.gguf", Pattern(2 * (1 << 20) + 12345, 9));
  ManyFiles(m + "/vocab", 6000);
  std::string car = dir_ + "/kubo.car";
  std::string root = Node("make_car.mjs", {m, "--profile", "unixfs-v0-2015", "--car", car})["cid"];
  ASSERT_EQ(root.rfind("Qm", 0), 0u);
  std::string dd = dir_ + "/dd";
  auto imp = RunLt({"--datadir", dd, "--json", "model", "import", "--car", car}, "", 120000);
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  EXPECT_EQ(json::parse(imp.out)["roots"][0], root);
  std::string want = Sha256Of(m + "/model.gguf");
  bool found = false;
  for (const auto& e : fs::directory_iterator(dd + "/store/files")) found = found || Sha256Of(e.path().string()) == want;
  EXPECT_TRUE(found);
  std::string back = dir_ + "/back.car";
  ASSERT_EQ(RunLt({"--datadir", dd, "model", "export", root, "--car", back}).exit_code, 0);
  json read = Node("make_car.mjs", {"--read-car", back});
  EXPECT_EQ(read["roots"], json::array({root}));
  json orig = Node("make_car.mjs", {"--read-car", car});
  std::set<std::string> theirs;
  for (const auto& b : orig["blocks"]) theirs.insert(b[0].get<std::string>());
  EXPECT_GT(read["blocks"].size(), 6000u);
  for (const auto& b : read["blocks"]) EXPECT_TRUE(theirs.count(b[0].get<std::string>())) << b[0];
}

// Odd shapes from `lt store serve`, read by independent IPFS code (odd_shapes.mjs): Helia lists
// and reads every file by path, ipfs-unixfs-exporter reads byte ranges from nothing but the
// blocks of `?format=car&entity-bytes=` answers. Empty files (top level and nested), a one-byte
// file, a file of exactly one chunk and one of a chunk plus a byte, an empty directory, names with
// a space and non-ASCII; once as we import them (CIDv1, raw leaves) and once as kubo does (the
// importer's unixfs-v0-2015: CIDv0, dag-pb leaves, 256 KiB chunks), imported from its CAR.
TEST_F(IpfsInterop, IndependentReadersGetOddShapesFromTheGateway) {
  std::string tree = dir_ + "/odd";
  fs::create_directories(tree + "/sub/deeper");
  fs::create_directories(tree + "/emptydir");
  WriteFile(tree + "/empty", "");
  WriteFile(tree + "/sub/empty2", "");
  WriteFile(tree + "/one", "1");
  WriteFile(tree + "/exact_chunk", Pattern(1 << 20, 3));
  WriteFile(tree + "/chunk_plus_1", Pattern((1 << 20) + 1, 4));
  WriteFile(tree + "/sub/hello world.txt", "x y\n");
  WriteFile(tree + "/sub/deeper/\xc3\xa9.txt", "u\n");
  std::string dd = dir_ + "/store";
  auto add = RunLt({"--datadir", dd, "--json", "store", "add", tree});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  std::string ours = json::parse(add.out)["cid"];
  std::string car = dir_ + "/kubo.car";
  std::string kubo = Node("make_car.mjs", {tree, "--profile", "unixfs-v0-2015", "--car", car})["cid"];
  ASSERT_EQ(kubo.rfind("Qm", 0), 0u);
  auto imp = RunLt({"--datadir", dd, "model", "import", "--car", car});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  int port = FreePort();
  LtProcess serve({"--datadir", dd, "store", "serve", "--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", port, "/ipfs/bafkqaaa?format=raw")) << serve.Stderr();
  for (const std::string& root : {ours, kubo}) {
    json r = Node("odd_shapes.mjs", {"http://127.0.0.1:" + std::to_string(port), root, tree});
    EXPECT_EQ(r["files"], 7) << root << " " << r.dump();
    EXPECT_EQ(r["dirs"], 4) << root << " " << r.dump();
    EXPECT_EQ(r["ranges"], 27) << root << " " << r.dump();
    EXPECT_EQ(r["bad"], json::array()) << root << " " << r.dump();
  }
}

}  // namespace
}  // namespace lt::test
