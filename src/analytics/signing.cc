#include "analytics/signing.h"

#include <cmath>

#include "crypto/keccak.h"
#include "util/json.h"

namespace lt::analytics {

using nlohmann::json;

std::string CanonicalJson(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::strict); }

Hash32 ReportDigest(const json& report) {
  Hash32 inner = crypto::Keccak(CanonicalJson(report));
  return crypto::PersonalMessageHash(ByteSpan(inner.data(), inner.size()));
}

namespace {

// Integral doubles become integers, so the canonical text is also what JavaScript's
// JSON.stringify writes for every number of a report (doubles there are rounded to a few
// decimals, so no exponent form occurs).
void NormalizeNumbers(json& j) {
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9007199254740992.0) {
      j = d < 0 ? json(static_cast<int64_t>(d)) : json(static_cast<uint64_t>(d));
    }
  } else if (j.is_structured()) {
    for (auto& v : j) NormalizeNumbers(v);
  }
}

}  // namespace

json SignReport(const json& raw, const crypto::PrivateKey& key) {
  json report = raw;
  NormalizeNumbers(report);
  crypto::Signature sig = key.Sign(ReportDigest(report));
  return {{"report", report},
          {"signer", key.GetAddress().ToChecksumHex()},
          {"signature", HexEncode0x(ByteSpan(sig.data(), sig.size()))},
          {"scheme", kReportScheme}};
}

Result<crypto::Address> VerifyReport(const json& doc) {
  if (!doc.is_object() || !doc.contains("report") || !doc["report"].is_object()) {
    return InvalidArgument("signed report: missing object \"report\"");
  }
  if (!doc.contains("signature") || !doc["signature"].is_string() || !doc.contains("signer") || !doc["signer"].is_string()) {
    return InvalidArgument("signed report: missing string \"signature\" or \"signer\"");
  }
  if (doc.value("scheme", std::string()) != kReportScheme) {
    return InvalidArgument(std::string("signed report: scheme must be \"") + kReportScheme + "\"");
  }
  LT_TRY(auto sig, crypto::ParseSignature(doc["signature"].get<std::string>()));
  LT_TRY(auto claimed, crypto::ParseAddress(doc["signer"].get<std::string>()));
  auto got = crypto::Recover(ReportDigest(doc["report"]), sig);
  if (!got.ok() || *got != claimed) {
    return Unauthenticated("signed report: the signature is not by " + claimed.ToChecksumHex() +
                           " (the report was changed or signed by another key)");
  }
  const json& r = doc["report"];
  if (!r.contains("router") || !r["router"].is_string()) return InvalidArgument("signed report: report.router is missing");
  auto router = crypto::ParseAddress(r["router"].get<std::string>());
  if (!router.ok() || *router != claimed) {
    return Unauthenticated("signed report: signer " + claimed.ToChecksumHex() + " is not report.router");
  }
  return claimed;
}

Result<crypto::Address> VerifyReportText(const std::string& text) {
  json doc = ParseJson(text);
  if (doc.is_discarded()) return InvalidArgument("signed report: not valid JSON");
  LT_TRY(auto signer, VerifyReport(doc));
  // Byte-exact: the file must be the canonical form (a trailing newline allowed), so any
  // changed byte fails, even one that would parse to the same values.
  std::string body = text;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  if (body != CanonicalJson(doc)) {
    return InvalidArgument("signed report: the file is not in canonical form (it was edited or reformatted)");
  }
  return signer;
}

}  // namespace lt::analytics
