// EIP-712 against ethers v6 (tests/interop/typed_data.mjs): ethers signs a Ticket, an RFC and a
// complex document (nested structs, struct arrays, nested arrays, bytes, bytesN, negative ints)
// and `lt verify-typed` recovers the same address with the same digest; `lt sign-typed` signs
// and ethers' verifyTypedData recovers our address. Skipped when node or ethers is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/process.h"

namespace lt::test {
namespace {

using json = nlohmann::json;

class TypedDataInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = FindProgram("node");
    if (node_.empty()) GTEST_SKIP() << "node is not installed: ethers interop tests skipped (make deps)";
    if (::access((std::string(LT_INTEROP_DIR) + "/node_modules/ethers").c_str(), F_OK) != 0) {
      GTEST_SKIP() << "ethers is not installed in " LT_INTEROP_DIR "/node_modules (make npm-deps)";
    }
    dir_ = TempDir("lt-712-interop");
  }

  json Ethers(const std::vector<std::string>& args) {
    std::vector<std::string> full = {std::string(LT_INTEROP_DIR) + "/typed_data.mjs"};
    full.insert(full.end(), args.begin(), args.end());
    RunResult r = lt::test::Run(node_, full, "", 120000);
    EXPECT_EQ(r.exit_code, 0) << "node typed_data.mjs " << args[0] << ": " << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.out << r.err;
    return j.is_object() ? j : json::object();
  }

  std::string node_, dir_;
};

TEST_F(TypedDataInteropTest, LtRecoversWhatEthersSigned) {
  json gen = Ethers({"gen", dir_});
  ASSERT_TRUE(gen.contains("docs"));
  ASSERT_EQ(gen["docs"].size(), 3u);
  for (const auto& d : gen["docs"]) {
    SCOPED_TRACE(d["name"].get<std::string>());
    auto v = RunLt({"--json", "verify-typed", d["file"], d["signature"]});
    ASSERT_EQ(v.exit_code, 0) << v.err;
    json j = json::parse(v.out);
    EXPECT_EQ(j["signer"], gen["signer"]);
    EXPECT_EQ(j["digest"], d["digest"]);
    auto h = RunLt({"--json", "hash-typed", d["file"]});
    ASSERT_EQ(h.exit_code, 0) << h.err;
    EXPECT_EQ(json::parse(h.out)["digest"], d["digest"]);
  }
}

TEST_F(TypedDataInteropTest, EthersRecoversWhatLtSigned) {
  json gen = Ethers({"gen", dir_});
  ASSERT_TRUE(gen.contains("docs"));
  std::string pw = dir_ + "/pw";
  WriteFile(pw, "interop\n");
  std::string ks = dir_ + "/key.json";
  auto made = RunLt({"--json", "key", "new", "--keystore", ks, "--password-file", pw, "--light"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string ours = json::parse(made.out)["address"];
  ASSERT_NE(ours, gen["signer"]);
  for (const auto& d : gen["docs"]) {
    SCOPED_TRACE(d["name"].get<std::string>());
    auto s = RunLt({"sign-typed", "--keystore", ks, "--password-file", pw, d["file"]});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    std::string sig = s.out.substr(0, s.out.find('\n'));
    ASSERT_EQ(sig.size(), 132u);
    json v = Ethers({"verify", d["file"], sig});
    EXPECT_EQ(v["signer"], ours);
    EXPECT_EQ(v["digest"], d["digest"]);
  }
}

}  // namespace
}  // namespace lt::test
