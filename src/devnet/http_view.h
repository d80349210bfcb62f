// Small read helpers over HTTP JSON for the devnet (routers, local API; the ledger is read through
// ledger::RemoteLedger, typed), plus the
// manifest bytes32 -> CID mapping (interfaces: CIDv1 raw sha2-256 of the manifest block).
// Thread-safety: stateless. Errors: transport failures and non-2xx answers, naming the URL.
#ifndef LT_DEVNET_HTTP_VIEW_H_
#define LT_DEVNET_HTTP_VIEW_H_

#include <nlohmann/json.hpp>
#include <string>

#include "util/result.h"

namespace lt::devnet {

Result<nlohmann::json> GetJson(const std::string& base_url, const std::string& path, int timeout_ms = 10000);
Result<nlohmann::json> PostJson(const std::string& base_url, const std::string& path,
                                const nlohmann::json& body, int timeout_ms = 120000);
bool EqualsIgnoreCase(const std::string& a, const std::string& b);
// "0x<64 hex>" -> "bafkrei..." (CIDv1 raw, sha2-256 digest = the bytes32); "" when malformed.
std::string ManifestCid(const std::string& bytes32);

// The error of a Result, or OK, dropping its value.
template <typename T>
Status AsStatus(const Result<T>& r) {
  if (r.ok()) return OkStatus();
  return r.error();
}

}  // namespace lt::devnet

#endif  // LT_DEVNET_HTTP_VIEW_H_
