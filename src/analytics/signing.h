// Signed report documents (doc/analytics.md "Signature").
//
// Canonical JSON: nlohmann's dump() with no whitespace; object keys sorted (byte order); numbers
// as dump() writes them (integers in decimal, doubles in shortest round-trip form; SignReport
// first turns integral doubles into integers, so a report's text is also what JavaScript's
// JSON.stringify writes with sorted keys); strings UTF-8 with the minimal JSON escapes. Signed bytes: the EIP-191 personal message (version 0x45)
// whose message is the 32 raw bytes keccak256(canonical JSON of "report"), i.e.
//   digest = keccak256("\x19Ethereum Signed Message:\n32" || keccak256(canonical(report)))
// which ethers' `signMessage(getBytes(keccak256(toUtf8Bytes(canonical))))` produces too.
// Document: {"report": {...}, "signer": "0x..", "signature": "0x<65 bytes>",
//            "scheme": "eip191-keccak256-canonical-json"}. The signer must equal report.router.
// Thread-safety: pure functions.
#ifndef LT_ANALYTICS_SIGNING_H_
#define LT_ANALYTICS_SIGNING_H_

#include <string>

#include <nlohmann/json.hpp>

#include "crypto/keys.h"
#include "util/result.h"

namespace lt::analytics {

inline constexpr const char* kReportScheme = "eip191-keccak256-canonical-json";

std::string CanonicalJson(const nlohmann::json& j);
// The digest the router signs for a report body.
Hash32 ReportDigest(const nlohmann::json& report);
nlohmann::json SignReport(const nlohmann::json& report, const crypto::PrivateKey& key);
// Checks a signed document: shape, scheme, the signature recovers to `signer`, and the signer is
// report.router. Returns the signer.
Result<crypto::Address> VerifyReport(const nlohmann::json& doc);
// As VerifyReport on the raw file text, which must also be the document's canonical JSON (a
// trailing newline allowed): any changed byte fails.
Result<crypto::Address> VerifyReportText(const std::string& text);

}  // namespace lt::analytics

#endif  // LT_ANALYTICS_SIGNING_H_
