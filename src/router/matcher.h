// Matching (DESIGN §5.3, doc/router.md "Matching"): which offers may serve an RFC, in which order.
//
// Filters, in this order (the first one that leaves nothing names the unmet reason):
//   no offer for the manifest              -> kNoProvider
//   provider in the RFC's excludeProviders -> kAllExcluded
//   pricePerSecond > maxPricePerSecond     -> kTooExpensive
//   minSeconds > the RFC's wantSeconds     -> kMinSecondsTooLong (a session shorter than the
//                                             offer's minimum would be billed the minimum)
//   observed TPS < minTps                  -> kTooSlow   (observed = EWMA of what users' final
//                                                         vouchers measured; the offer's claim
//                                                         until there is one)
//   banned (failed liveness, back-off)     -> kAllBanned
//   no free slot                           -> kAllBusy
// Order of the survivors: those whose latency estimate (EWMA of liveness RTT; unknown counts as
// meeting it; maxLatencyMs 0 means no target) meets maxLatencyMs first; inside each group the
// cheapest first; offers within 2% of the cheapest remaining price form a near-tie tier, ordered
// by reliability (bucketed to 0.05) and then at random, so load spreads among equals.
// Thread-safety: pure functions (the Random is the caller's).
#ifndef LT_ROUTER_MATCHER_H_
#define LT_ROUTER_MATCHER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/random.h"
#include "util/uint256.h"

namespace lt::router {

// Why an RFC got no ticket. Names are on the wire (error codes, /stats): never rename.
enum class Unmet {
  kNone = 0,
  kUnknownModel,
  kNoProvider,
  kTooExpensive,
  kTooSlow,
  kAllBanned,
  kAllBusy,
  kLivenessFailed,
  kInsufficientFunds,
  kAllExcluded,
  kMinSecondsTooLong,
};
std::string_view UnmetName(Unmet u);

struct OfferInfo {
  crypto::Address provider;
  std::string endpoint;        // session endpoint host:port
  Hash32 manifest{};
  U256 price_per_second;
  uint32_t min_seconds = 0;
  uint32_t tps = 0;            // claimed by the offer
  uint32_t slots = 0;
  double observed_tps = -1;    // < 0: no receipts yet
  bool banned = false;
  int64_t free_slots = -1;     // < 0: unknown (stale); else last known free slots
  double rtt_ms = -1;          // < 0: never measured
  double reliability = 1;      // in [0, 1]; router::Reliability of the liveness record
};

struct MatchCriteria {
  U256 max_price_per_second;
  uint32_t min_tps = 0;
  uint32_t max_latency_ms = 0;  // 0: no latency target
  uint32_t want_seconds = UINT32_MAX;
  std::vector<crypto::Address> exclude;  // providers the RFC excludes
};

struct Ranking {
  std::vector<size_t> order;  // indices into the offers, best first
  Unmet reason = Unmet::kNone;  // set when order is empty
};

Ranking RankOffers(const std::vector<OfferInfo>& offers, const MatchCriteria& c, Random& rng);

}  // namespace lt::router

#endif  // LT_ROUTER_MATCHER_H_
