// What a router says about providers, as values (doc/router.md "GET /providers", "GET
// /holders/{cid}"): the router builds these and serializes them with ToJson; clients, providers
// and the registry read them with FromJson. One JSON form, written once.
//
//   GET /providers      {"providers":[ProviderStatus...]}
//   GET /holders/{cid}  {"cid":"..","holders":[Holder...]}
//
// FromJson refuses a missing or mistyped required field with a message naming it, ignores keys it
// does not know (a newer router may add some), and treats the optional figures (null when the
// router has not measured them yet) as absent.
// Thread-safety: plain values.
#ifndef LT_WIRE_ROUTER_VIEWS_H_
#define LT_WIRE_ROUTER_VIEWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/keys.h"
#include "util/result.h"

namespace lt::wire {

struct OfferStatus {
  std::string manifest;          // "0x" + 64 hex
  std::string model;             // "name:tag" the router resolved, "" when unknown
  std::string price_per_second;  // MOR decimal
  uint64_t min_seconds = 0;
  double tps = 0;                        // what the provider offers
  std::optional<double> observed_tps;    // what the router measured, when it has
  uint64_t slots = 0;
};

struct ProviderStatus {
  crypto::Address address{};
  std::string endpoint;
  std::vector<OfferStatus> offers;
  std::optional<double> rtt_ewma_ms;
  std::optional<int64_t> free_slots;
  uint64_t liveness_ok = 0;
  uint64_t liveness_failed = 0;
  double reliability = 1;
  uint64_t banned_ms = 0;  // > 0: banned for that many more milliseconds
  uint64_t consecutive_failures = 0;
  std::string announced_http;     // the gateway URL of a live announce, "" when none
  std::vector<std::string> roots;  // CIDs it announced (live ones)

  nlohmann::json ToJson() const;
  static Result<ProviderStatus> FromJson(const nlohmann::json& j);
};

// GET /providers: the list, refused when the answer is not {"providers":[...]}.
nlohmann::json ProvidersToJson(const std::vector<ProviderStatus>& list);
Result<std::vector<ProviderStatus>> ProvidersFromJson(const nlohmann::json& j);

struct Holder {
  crypto::Address provider{};
  std::string http;      // gateway base URL, "" when its announce has lapsed
  uint64_t expires_at = 0;
  std::string endpoint;  // session endpoint when registered, "" when not

  nlohmann::json ToJson() const;
  static Result<Holder> FromJson(const nlohmann::json& j);
};

// GET /holders/{cid}: the list, refused when the answer is not {"holders":[...]}.
Result<std::vector<Holder>> HoldersFromJson(const nlohmann::json& j);

}  // namespace lt::wire

#endif  // LT_WIRE_ROUTER_VIEWS_H_
