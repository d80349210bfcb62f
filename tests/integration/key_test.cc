// `lt key` and `lt sign-message`/`verify-message` through real lt processes: the exit codes,
// the error lines, and that nothing is written when a command fails.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "support/process.h"

namespace lt::test {
namespace {

using json = nlohmann::json;

constexpr const char* kSecret = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
constexpr const char* kAddress = "0x008AeEda4D805471dF9b2A5B0f38A0C3bCBA786b";

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

bool Exists(const std::string& p) { return std::filesystem::exists(p); }

size_t FileCount(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

// The one stderr line every failed command prints.
void ExpectErrorLine(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("lt: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

class KeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("lt-key");
    pw_ = dir_ + "/pw";
    WriteFile(pw_, "correct horse\n");
    bad_pw_ = dir_ + "/bad-pw";
    WriteFile(bad_pw_, "battery staple\n");
  }
  std::string dir_, pw_, bad_pw_;
};

TEST_F(KeyTest, NewPrintsChecksumAddressAndWritesPrivateKeystore) {
  std::string ks = dir_ + "/a.json";
  auto r = RunLt({"key", "new", "--keystore", ks, "--password-file", pw_, "--light"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string addr = Trim(r.out);
  ASSERT_EQ(addr.size(), 42u);
  EXPECT_EQ(addr.substr(0, 2), "0x");
  struct stat st;
  ASSERT_EQ(::stat(ks.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  json j = json::parse(ReadFileOrEmpty(ks), nullptr, false);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["version"], 3);
  EXPECT_EQ(j["crypto"]["kdf"], "scrypt");
  EXPECT_EQ(j["crypto"]["kdfparams"]["n"], 4096);

  // The address without a password (from the file) and with one (from the key) agree.
  auto plain = RunLt({"key", "address", "--keystore", ks});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(Trim(plain.out), addr);
  auto verified = RunLt({"--json", "key", "address", "--keystore", ks, "--password-file", pw_});
  ASSERT_EQ(verified.exit_code, 0) << verified.err;
  json v = json::parse(verified.out, nullptr, false);
  EXPECT_EQ(v["address"], addr);
  EXPECT_EQ(v["verified"], true);
}

TEST_F(KeyTest, NewWithJsonAndPbkdf2) {
  std::string ks = dir_ + "/p.json";
  auto r = RunLt({"--json", "key", "new", "--keystore", ks, "--password-file", pw_, "--kdf", "pbkdf2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json out = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.out;
  EXPECT_EQ(out["keystore"], ks);
  json j = json::parse(ReadFileOrEmpty(ks), nullptr, false);
  EXPECT_EQ(j["crypto"]["kdf"], "pbkdf2");
  std::string checksum = out["address"];
  std::transform(checksum.begin(), checksum.end(), checksum.begin(), ::tolower);
  EXPECT_EQ("0x" + j["address"].get<std::string>(), checksum);
  auto addr = RunLt({"key", "address", "--keystore", ks, "--password-file", pw_});
  EXPECT_EQ(Trim(addr.out), out["address"]);
}

TEST_F(KeyTest, NewRefusesToOverwriteAndLeavesTheFileIntact) {
  std::string ks = dir_ + "/a.json";
  ASSERT_EQ(RunLt({"key", "new", "--keystore", ks, "--password-file", pw_, "--light"}).exit_code, 0);
  std::string before = ReadFileOrEmpty(ks);
  auto again = RunLt({"key", "new", "--keystore", ks, "--password-file", pw_, "--light"});
  ExpectErrorLine(again, "already exists");
  EXPECT_EQ(ReadFileOrEmpty(ks), before);
  auto imp = RunLt({"key", "import", "--keystore", ks, "--password-file", pw_, "--light"}, kSecret);
  ExpectErrorLine(imp, "already exists");
  EXPECT_EQ(ReadFileOrEmpty(ks), before);
}

TEST_F(KeyTest, ImportThenExportRoundTripsTheKey) {
  std::string ks = dir_ + "/imp.json";
  auto r = RunLt({"key", "import", "--keystore", ks, "--password-file", pw_, "--light"},
                 std::string("  0x") + kSecret + " \n\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Trim(r.out), kAddress);
  EXPECT_EQ(ReadFileOrEmpty(ks).find(kSecret), std::string::npos);  // never in clear

  auto exp = RunLt({"key", "export", "--keystore", ks, "--password-file", pw_,
                    "--i-understand-this-prints-my-private-key"});
  ASSERT_EQ(exp.exit_code, 0) << exp.err;
  EXPECT_EQ(Trim(exp.out), std::string("0x") + kSecret);

  // Without the 0x prefix too.
  std::string ks2 = dir_ + "/imp2.json";
  auto r2 = RunLt({"key", "import", "--keystore", ks2, "--password-file", pw_, "--light"}, kSecret);
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(Trim(r2.out), kAddress);
}

TEST_F(KeyTest, ExportWithoutTheFlagIsRefusedAndPrintsNothing) {
  std::string ks = dir_ + "/imp.json";
  ASSERT_EQ(RunLt({"key", "import", "--keystore", ks, "--password-file", pw_, "--light"}, kSecret).exit_code,
            0);
  auto exp = RunLt({"key", "export", "--keystore", ks, "--password-file", pw_});
  ExpectErrorLine(exp, "--i-understand-this-prints-my-private-key");
  EXPECT_TRUE(exp.out.empty()) << exp.out;
  EXPECT_EQ(exp.err.find(kSecret), std::string::npos);
}

TEST_F(KeyTest, BadPrivateKeysAreRefusedAndNothingIsWritten) {
  const std::string zero(64, '0');
  const std::string order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
  for (const std::string& input : {std::string(""), std::string("zz"), std::string("0x1234"), zero, order,
                                   std::string(kSecret) + "00"}) {
    SCOPED_TRACE(input);
    std::string ks = dir_ + "/bad.json";
    size_t before = FileCount(dir_);
    auto r = RunLt({"key", "import", "--keystore", ks, "--password-file", pw_, "--light"}, input);
    ExpectErrorLine(r, "private key");
    EXPECT_FALSE(Exists(ks));
    EXPECT_EQ(FileCount(dir_), before);
    if (input.size() > 8) {
      EXPECT_EQ(r.err.find(input), std::string::npos) << "the key must not be echoed";
    }
  }
}

TEST_F(KeyTest, WrongPasswordExitsOneWithAClearLine) {
  std::string ks = dir_ + "/a.json";
  ASSERT_EQ(RunLt({"key", "import", "--keystore", ks, "--password-file", pw_, "--light"}, kSecret).exit_code,
            0);
  const std::vector<std::vector<std::string>> commands = {
      {"key", "address", "--keystore", ks, "--password-file", bad_pw_},
      {"key", "export", "--keystore", ks, "--password-file", bad_pw_,
       "--i-understand-this-prints-my-private-key"},
  };
  for (const auto& args : commands) {
    SCOPED_TRACE(args[1]);
    auto r = RunLt(args);
    ExpectErrorLine(r, "keystore " + ks + ": wrong password (MAC mismatch)");
    EXPECT_TRUE(r.out.empty());
  }
  auto s = RunLt({"sign-message", "--keystore", ks, "--password-file", bad_pw_, "hi"});
  ExpectErrorLine(s, "wrong password");
}

TEST_F(KeyTest, MissingFilesAreNamed) {
  std::string ks = dir_ + "/none.json";
  ExpectErrorLine(RunLt({"key", "address", "--keystore", ks}), "keystore " + ks + ": No such file");
  ExpectErrorLine(RunLt({"key", "address", "--keystore", ks, "--password-file", pw_}), "keystore " + ks);
  std::string ks2 = dir_ + "/a.json";
  ASSERT_EQ(RunLt({"key", "new", "--keystore", ks2, "--password-file", pw_, "--light"}).exit_code, 0);
  ExpectErrorLine(RunLt({"key", "address", "--keystore", ks2, "--password-file", dir_ + "/no-pw"}),
                  "password file");
}

TEST_F(KeyTest, NoPasswordFileAndNoTerminalIsAnError) {
  std::string ks = dir_ + "/a.json";
  auto r = RunLt({"key", "new", "--keystore", ks, "--light"});
  ExpectErrorLine(r, "no terminal");
  EXPECT_FALSE(Exists(ks));
}

TEST_F(KeyTest, CorruptedKeystoresAreRefusedWithTheReason) {
  std::string ks = dir_ + "/a.json";
  ASSERT_EQ(RunLt({"key", "import", "--keystore", ks, "--password-file", pw_, "--light"}, kSecret).exit_code,
            0);
  json good = json::parse(ReadFileOrEmpty(ks));

  struct Case {
    std::string name;
    std::string content;
    std::string needle;
  };
  json bad_mac = good;
  bad_mac["crypto"]["mac"] = std::string(64, 'a');
  json bad_kdf = good;
  bad_kdf["crypto"]["kdfparams"]["n"] = 1ULL << 30;
  json bad_cipher = good;
  bad_cipher["crypto"]["cipher"] = "aes-256-gcm";
  json bad_addr = good;
  bad_addr["address"] = std::string(40, '1');
  const Case cases[] = {
      {"not json", "{\"version\": 3, ", "not valid JSON"},
      {"mac", bad_mac.dump(), "wrong password (MAC mismatch)"},
      {"kdf", bad_kdf.dump(), "scrypt n"},
      {"cipher", bad_cipher.dump(), "unsupported cipher"},
      {"address", bad_addr.dump(), "not to the keystore's address"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string path = dir_ + "/corrupt-" + std::to_string(&c - cases) + ".json";
    WriteFile(path, c.content);
    ExpectErrorLine(RunLt({"key", "address", "--keystore", path, "--password-file", pw_}), c.needle);
  }
  WriteFile(dir_ + "/noaddr.json", "{\"version\":3}");
  ExpectErrorLine(RunLt({"key", "address", "--keystore", dir_ + "/noaddr.json"}), "no \"address\"");
}

TEST_F(KeyTest, SignAndVerifyMessage) {
  std::string ks = dir_ + "/a.json";
  ASSERT_EQ(RunLt({"key", "import", "--keystore", ks, "--password-file", pw_, "--light"}, kSecret).exit_code,
            0);
  auto s = RunLt({"sign-message", "--keystore", ks, "--password-file", pw_, "hello lake travis"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  std::string sig = Trim(s.out);
  ASSERT_EQ(sig.size(), 132u);
  auto v = RunLt({"verify-message", "hello lake travis", sig});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(Trim(v.out), kAddress);
  EXPECT_EQ(RunLt({"verify-message", "hello lake travis", sig, "--expect", kAddress}).exit_code, 0);
  // A different message recovers a different signer; --expect then fails.
  auto other = RunLt({"verify-message", "hello lake travi$", sig});
  ASSERT_EQ(other.exit_code, 0);
  EXPECT_NE(Trim(other.out), kAddress);
  ExpectErrorLine(RunLt({"verify-message", "hello lake travi$", sig, "--expect", kAddress}), "not by");
  ExpectErrorLine(RunLt({"verify-message", "x", "0x1234"}), "signature must be 65 bytes");
  // Hex messages: the bytes of "hi" signed two ways give the same signature (RFC 6979).
  auto a = RunLt({"sign-message", "--keystore", ks, "--password-file", pw_, "hi"});
  auto b = RunLt({"sign-message", "--keystore", ks, "--password-file", pw_, "--hex", "0x6869"});
  EXPECT_EQ(a.out, b.out);
}

}  // namespace
}  // namespace lt::test
