// What a trustless-gateway request asks for: the response type and the CAR parameters, read from
// `?format=`, the Accept header and the CAR query parameters (IPFS Trustless Gateway spec;
// doc/registry.md "Gateway"). Pure parsing, no I/O, so it can be fuzzed (fuzz/gateway_request).
//
// Precedence: `format` beats Accept; `car-version`, `car-order`, `car-dups` beat the Accept
// parameters. Accept is read as RFC 9110 media ranges with q-values; the first acceptable range
// of the highest q wins. application/vnd.ipld.car is acceptable with version 1 (or none), order
// dfs or unk (we always answer dfs), dups y or n. `dag-scope` is block|entity|all (default all),
// `entity-bytes=from:to` implies entity (from an integer, to an integer or '*', either negative
// counting from the end). Errors carry the HTTP status to answer: 400 for a malformed or missing
// choice (a trustless gateway never answers deserialized content), 406 when Accept only names
// types we do not serve. Inputs are bounded: Accept at most 4 KiB and 32 ranges.
// Thread-safety: pure functions.
#ifndef LT_REGISTRY_GATEWAY_REQUEST_H_
#define LT_REGISTRY_GATEWAY_REQUEST_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace lt::registry {

enum class GatewayFormat { kRaw, kCar };
enum class DagScope { kAll, kEntity, kBlock };

struct EntityBytes {
  int64_t from = 0;
  std::optional<int64_t> to;  // inclusive; nullopt is '*' (the end)
};

struct GatewayRequest {
  GatewayFormat format = GatewayFormat::kRaw;
  DagScope scope = DagScope::kAll;
  std::optional<EntityBytes> entity_bytes;
  bool dups = false;  // CAR dups=y: a block is sent every time the walk meets it
};

struct GatewayRequestError {
  int status = 400;
  std::string message;
};

// Either a request or the error to answer with.
struct ParsedGatewayRequest {
  std::optional<GatewayRequest> request;
  GatewayRequestError error;
};

ParsedGatewayRequest ParseGatewayRequest(std::string_view accept, const std::multimap<std::string, std::string>& query);

// "from:to" as above; nullopt when malformed.
std::optional<EntityBytes> ParseEntityBytes(std::string_view s);

std::string_view DagScopeName(DagScope s);

}  // namespace lt::registry

#endif  // LT_REGISTRY_GATEWAY_REQUEST_H_
