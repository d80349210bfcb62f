// lt sign-typed / verify-typed / hash-typed through real `lt` processes: the EIP's Mail example,
// a sign-then-verify round trip with a keystore, and every bad-input path exiting 1 with one line.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "support/process.h"

namespace lt::test {
namespace {

using nlohmann::json;

// The EIP-712 reference example; Cow's key is keccak256("cow").
constexpr char kMail[] = R"({
  "types": {
    "EIP712Domain": [{"name":"name","type":"string"},{"name":"version","type":"string"},
                     {"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],
    "Person": [{"name":"name","type":"string"},{"name":"wallet","type":"address"}],
    "Mail": [{"name":"from","type":"Person"},{"name":"to","type":"Person"},{"name":"contents","type":"string"}]
  },
  "primaryType": "Mail",
  "domain": {"name":"Ether Mail","version":"1","chainId":1,"verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
  "message": {"from":{"name":"Cow","wallet":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
              "to":{"name":"Bob","wallet":"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},"contents":"Hello, Bob!"}
})";
constexpr char kMailSig[] =
    "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d"
    "07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b915621c";
constexpr char kCow[] = "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826";
constexpr char kCowKeyHex[] = "c85ef7d79691fe79573b1a7064c19c1a9819ebdbd1faaab1a8ec92344438aaf4";

class TypedDataCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("lt-typed");
    mail_ = dir_ + "/mail.json";
    WriteFile(mail_, kMail);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string p = dir_ + "/" + name;
    WriteFile(p, text);
    return p;
  }
  // A variant of the Mail document with one change applied.
  std::string MailWith(const std::string& name, const std::function<void(json&)>& change) {
    json j = json::parse(kMail);
    change(j);
    return Write(name, j.dump());
  }
  void ExpectOneLineError(const RunResult& r, const std::string& needle) {
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.err.rfind("lt: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  std::string dir_, mail_;
};

TEST_F(TypedDataCliTest, HashTypedPrintsTheEipValues) {
  auto r = RunLt({"--json", "hash-typed", mail_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["encodeType"], "Mail(Person from,Person to,string contents)Person(string name,address wallet)");
  EXPECT_EQ(j["domainSeparator"], "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f");
  EXPECT_EQ(j["structHash"], "0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e");
  EXPECT_EQ(j["digest"], "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");
  auto human = RunLt({"hash-typed", mail_});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"), std::string::npos);
}

TEST_F(TypedDataCliTest, VerifyTypedRecoversCowFromTheEipSignature) {
  auto r = RunLt({"verify-typed", mail_, kMailSig});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(kCow) + "\n");
  auto j = RunLt({"--json", "verify-typed", mail_, kMailSig});
  ASSERT_EQ(j.exit_code, 0);
  EXPECT_EQ(json::parse(j.out)["signer"], kCow);
  EXPECT_EQ(RunLt({"verify-typed", "--expect", kCow, mail_, kMailSig}).exit_code, 0);
  ExpectOneLineError(RunLt({"verify-typed", "--expect", "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB", mail_, kMailSig}),
                     "not by the expected");
  // Reading the document from standard input.
  auto in = RunLt({"verify-typed", "-", kMailSig}, kMail);
  EXPECT_EQ(in.exit_code, 0) << in.err;
  EXPECT_EQ(in.out, std::string(kCow) + "\n");
}

TEST_F(TypedDataCliTest, SignTypedWithKeystoreThenVerify) {
  std::string pw = Write("pw", "correct horse\n");
  std::string ks = dir_ + "/cow.json";
  auto imp = RunLt({"key", "import", "--keystore", ks, "--password-file", pw, "--light"}, std::string(kCowKeyHex) + "\n");
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  auto s = RunLt({"sign-typed", "--keystore", ks, "--password-file", pw, mail_});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(s.out, std::string(kMailSig) + "\n");  // RFC 6979: deterministic, equals the EIP's
  EXPECT_EQ(s.out.find(kCowKeyHex), std::string::npos);
  auto v = RunLt({"verify-typed", mail_, s.out.substr(0, 132)});
  EXPECT_EQ(v.out, std::string(kCow) + "\n");

  std::string bad_pw = Write("bad", "wrong\n");
  auto wrong = RunLt({"sign-typed", "--keystore", ks, "--password-file", bad_pw, mail_});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(wrong.err.find("correct horse"), std::string::npos);
  ExpectOneLineError(RunLt({"sign-typed", "--keystore", dir_ + "/none.json", "--password-file", pw, mail_}),
                     "none.json");
}

TEST_F(TypedDataCliTest, BadInputsExitOneWithOneClearLine) {
  ExpectOneLineError(RunLt({"hash-typed", Write("bad.json", "{\"types\": {")}), "malformed JSON");
  ExpectOneLineError(RunLt({"hash-typed", dir_ + "/missing.json"}), "missing.json");
  ExpectOneLineError(RunLt({"hash-typed", MailWith("unknown.json", [](json& j) {
                              j["types"]["Mail"][2]["type"] = "Text";
                            })}),
                     "unknown type \"Text\"");
  ExpectOneLineError(RunLt({"hash-typed", MailWith("recursive.json", [](json& j) {
                              j["types"]["Person"].push_back({{"name", "friend"}, {"type", "Mail"}});
                            })}),
                     "recursive type reference");
  ExpectOneLineError(RunLt({"hash-typed", MailWith("range.json", [](json& j) {
                              j["types"]["Mail"].push_back({{"name", "n"}, {"type", "uint8"}});
                              j["message"]["n"] = 256;
                            })}),
                     "message.n: 256 is out of range for uint8");
  ExpectOneLineError(RunLt({"hash-typed", MailWith("hex.json", [](json& j) {
                              j["types"]["Mail"].push_back({{"name", "b"}, {"type", "bytes"}});
                              j["message"]["b"] = "0xzz";
                            })}),
                     "message.b: bad hex");
  ExpectOneLineError(RunLt({"hash-typed", MailWith("addr.json", [](json& j) {
                              j["message"]["to"]["wallet"] = "0x1234";
                            })}),
                     "message.to.wallet: expected an address");
  ExpectOneLineError(RunLt({"verify-typed", mail_, "0x1234"}), "signature");
  ExpectOneLineError(RunLt({"verify-typed", mail_, std::string(kMailSig) + "00"}), "signature");
  // The same signature with s replaced by n - s (high s) is refused.
  std::string high_s = std::string(kMailSig).substr(0, 66) +
                       "f8d666c92cfb3eac09bbc205fa0bf00eb2d7b3d4f8517d33c63c3b76ca7d2bdf" + "1b";
  ExpectOneLineError(RunLt({"verify-typed", mail_, high_s}), "high s");
}

}  // namespace
}  // namespace lt::test
