// Signed reports: the signature verifies, names the router, and any changed byte fails it.
#include "analytics/signing.h"

#include <gtest/gtest.h>

#include "crypto/keccak.h"

namespace lt::analytics {
namespace {

using nlohmann::json;

crypto::PrivateKey Key() {
  Bytes b(32, 0x11);
  return *crypto::PrivateKey::FromBytes(b);
}

json Report(const crypto::PrivateKey& k) {
  return {{"kind", "lt-analytics-daily-report"},
          {"router", k.GetAddress().ToChecksumHex()},
          {"day", 7},
          {"providers", json::array({{{"provider", "0xabc"}, {"verdict", "pass"}, {"earlyAbandonRate", 0.125}}})}};
}

TEST(SigningTest, VerifiesAndNamesTheRouter) {
  auto k = Key();
  json doc = SignReport(Report(k), k);
  auto s = VerifyReportText(CanonicalJson(doc));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(*s, k.GetAddress());
  EXPECT_TRUE(VerifyReportText(CanonicalJson(doc) + "\n").ok());
}

TEST(SigningTest, SignedBytesAreEip191OverKeccakOfCanonicalJson) {
  auto k = Key();
  json r = Report(k);
  std::string canonical = CanonicalJson(r);
  EXPECT_EQ(canonical.find(' '), std::string::npos);
  EXPECT_LT(canonical.find("\"day\""), canonical.find("\"kind\""));  // sorted keys
  Hash32 inner = crypto::Keccak(canonical);
  std::string prefixed = "\x19" "Ethereum Signed Message:\n32" + std::string(inner.begin(), inner.end());
  EXPECT_EQ(ReportDigest(r), crypto::Keccak(prefixed));
}

TEST(SigningTest, EveryChangedByteFails) {
  auto k = Key();
  std::string text = CanonicalJson(SignReport(Report(k), k));
  for (size_t i = 0; i < text.size(); ++i) {
    std::string bad = text;
    bad[i] = bad[i] == '1' ? '2' : '1';
    EXPECT_FALSE(VerifyReportText(bad).ok()) << "byte " << i << " changed: " << bad;
  }
}

TEST(SigningTest, SignerMustBeTheReportsRouter) {
  auto k = Key();
  Bytes other(32, 0x22);
  auto k2 = *crypto::PrivateKey::FromBytes(other);
  json doc = SignReport(Report(k), k2);  // report.router is k, signed by k2
  auto s = VerifyReport(doc);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("not report.router"), std::string::npos);
  EXPECT_FALSE(VerifyReportText("{not json").ok());
  EXPECT_FALSE(VerifyReport(json::object()).ok());
}

}  // namespace
}  // namespace lt::analytics
