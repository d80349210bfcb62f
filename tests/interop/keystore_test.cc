// Keystores and personal_sign signatures against ethers v6 (tests/interop/keystore.mjs): ethers
// decrypts what `lt key new` writes (scrypt and pbkdf2), lt decrypts what ethers writes, and each
// verifies the other's signatures. Skipped, with a message, when node is not installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/process.h"

namespace lt::test {
namespace {

using json = nlohmann::json;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

class KeystoreInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = FindProgram("node");
    if (node_.empty()) GTEST_SKIP() << "node is not installed: ethers interop tests skipped (make deps)";
    if (::access((std::string(LT_INTEROP_DIR) + "/node_modules/ethers").c_str(), F_OK) != 0) {
      GTEST_SKIP() << "ethers is not installed in " LT_INTEROP_DIR "/node_modules (make npm-deps)";
    }
    dir_ = TempDir("lt-ks-interop");
    pw_file_ = dir_ + "/pw";
    WriteFile(pw_file_, password_ + "\n");
  }

  // Runs keystore.mjs and parses its one JSON line; fails the test on error.
  json Ethers(const std::vector<std::string>& args) {
    std::vector<std::string> full = {std::string(LT_INTEROP_DIR) + "/keystore.mjs"};
    full.insert(full.end(), args.begin(), args.end());
    RunResult r = lt::test::Run(node_, full, "", 120000);
    EXPECT_EQ(r.exit_code, 0) << "node keystore.mjs " << args[0] << ": " << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.out << r.err;
    return j.is_object() ? j : json::object();
  }

  std::string node_, dir_, pw_file_;
  const std::string password_ = "interop p\xc3\xa4ssword";
};

TEST_F(KeystoreInteropTest, EthersDecryptsLtKeystores) {
  for (const std::vector<std::string>& kdf :
       {std::vector<std::string>{"--light"}, std::vector<std::string>{"--kdf", "pbkdf2"}}) {
    SCOPED_TRACE(kdf.back());
    std::string ks = dir_ + "/lt-" + kdf.back() + ".json";
    std::vector<std::string> args = {"key", "new", "--keystore", ks, "--password-file", pw_file_};
    args.insert(args.end(), kdf.begin(), kdf.end());
    auto made = RunLt(args);
    ASSERT_EQ(made.exit_code, 0) << made.err;
    std::string addr = Trim(made.out);
    json e = Ethers({"decrypt", ks, password_});
    EXPECT_EQ(e["address"], addr);
    EXPECT_EQ(e["addressSync"], addr);
    // And the key ethers found is the one lt exports.
    auto exp = RunLt({"key", "export", "--keystore", ks, "--password-file", pw_file_,
                      "--i-understand-this-prints-my-private-key"});
    ASSERT_EQ(exp.exit_code, 0) << exp.err;
    EXPECT_EQ(e["privateKey"], Trim(exp.out));
  }
}

TEST_F(KeystoreInteropTest, LtDecryptsEthersKeystores) {
  // r=8 as usual, and the r=1 / p>1 shape of the spec vector (ethers, like OpenSSL, refuses
  // n >= 2^(16r), so n stays below 2^16 here; geth's n=2^18, r=1 is covered by the unit test).
  const std::vector<std::vector<std::string>> params = {
      {"4096", "8", "1"}, {"1024", "1", "4"}, {"1024", "2", "3"}};
  for (const auto& p : params) {
    SCOPED_TRACE(p[0] + "/" + p[1] + "/" + p[2]);
    std::string ks = dir_ + "/ethers-" + p[0] + "-" + p[1] + "-" + p[2] + ".json";
    json e = Ethers({"encrypt", ks, password_, p[0], p[1], p[2]});
    ASSERT_TRUE(e.contains("address"));
    auto verified = RunLt({"key", "address", "--keystore", ks, "--password-file", pw_file_});
    ASSERT_EQ(verified.exit_code, 0) << verified.err;
    EXPECT_EQ(Trim(verified.out), e["address"]);
    auto plain = RunLt({"key", "address", "--keystore", ks});
    EXPECT_EQ(Trim(plain.out), e["address"]);
    WriteFile(dir_ + "/wrong", "not the password\n");
    auto wrong = RunLt({"key", "address", "--keystore", ks, "--password-file", dir_ + "/wrong"});
    EXPECT_EQ(wrong.exit_code, 1);
    EXPECT_NE(wrong.err.find("wrong password (MAC mismatch)"), std::string::npos) << wrong.err;
  }
}

TEST_F(KeystoreInteropTest, PersonalSignSignaturesVerifyBothWays) {
  std::string ks = dir_ + "/signer.json";
  auto made = RunLt({"key", "new", "--keystore", ks, "--password-file", pw_file_, "--light"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string addr = Trim(made.out);
  for (const std::string& msg : {std::string("hello from lake travis"),
                                 std::string("unicode \xe2\x9c\x93 and\nnewline"), std::string("")}) {
    SCOPED_TRACE(msg);
    // lt signs, ethers verifies.
    auto s = RunLt({"sign-message", "--keystore", ks, "--password-file", pw_file_, msg});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_EQ(Ethers({"verify", msg, Trim(s.out)})["address"], addr);
    // ethers signs, lt verifies; both use RFC 6979, so the signatures are identical too.
    json e = Ethers({"sign", ks, password_, msg});
    EXPECT_EQ(e["address"], addr);
    auto v = RunLt({"verify-message", msg, e["signature"].get<std::string>()});
    ASSERT_EQ(v.exit_code, 0) << v.err;
    EXPECT_EQ(Trim(v.out), addr);
    EXPECT_EQ(e["signature"], Trim(s.out));
  }
}

}  // namespace
}  // namespace lt::test
