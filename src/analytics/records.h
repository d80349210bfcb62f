// What the analytics read: one settled session as the router keeps it for analytics
// (doc/analytics.md "Records"). `user_key` is a salted hash the router derives from the user's
// address with a secret only it holds; it is used to count distinct users and their shares,
// and is never published (no JSON function here writes it).
// Thread-safety: plain values.
#ifndef LT_ANALYTICS_RECORDS_H_
#define LT_ANALYTICS_RECORDS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lt::analytics {

struct Session {
  std::string session_id;     // 0x hex
  std::string model;          // "ns/name:tag" (or manifest hex when unknown)
  std::string manifest;       // 0x hex of the manifest bytes32
  std::string provider;       // checksum address
  uint64_t started = 0;       // unix seconds (the ticket's issuedAt)
  uint32_t seconds = 0;       // paid seconds (final voucher, capped by maxSeconds)
  uint32_t tokens_out = 0;    // user-counted output tokens (final voucher)
  uint32_t ttft_ms = 0;       // user-measured time to first token (final voucher)
  uint32_t claimed_tps = 0;   // the provider's offer tps when the session settled (0: unknown)
  double price_per_second = 0;  // MOR per second
  std::string user_key;       // salted hash of the user; never published
};

// Unmet RFCs: model -> reason -> count.
using UnmetCounts = std::map<std::string, std::map<std::string, uint64_t>>;

// Supply as the ledger's offers show it: model -> providers offering it.
using Supply = std::map<std::string, std::vector<std::string>>;

}  // namespace lt::analytics

#endif  // LT_ANALYTICS_RECORDS_H_
