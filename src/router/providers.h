// ProviderBook: what the router knows about providers (DESIGN §5.3-5.4, doc/router.md).
//
// Offers come from the ledger (GET /providers), cached and refreshed at most every `refresh_ms`
// by whichever request finds the cache old (one refresh at a time; the others keep using the
// cache). When the ledger is down the cache serves until it is `max_stale_ms` old; after that
// (or before the first successful load) Offers() fails with kUnavailable naming the ledger error.
// Per provider the book keeps what the router measured: an EWMA of liveness RTT, successes and
// failures (reliability, see Reliability below), the free slots of the last Pong (valid
// for `free_slots_ttl_ms`, minus the tickets issued since), bans and the observed TPS per offer
// (EWMA of tokensOut / seconds from final vouchers).
// Bans: a failed liveness check bans for ban_base_ms (15 s), doubling on each consecutive
// failure up to ban_max_ms; a success resets the doubling.
// Announces: a provider (or a model builder) may announce (signed, see router.h) the URL of its
// HTTP server (gateway; for a provider also its liveness endpoint) and the roots (CIDs) it
// holds; an announce adds or refreshes roots until `expires_at` (unix seconds), it never removes
// others; the http URL lasts as long as the latest announce. Holders(cid) lists the unexpired
// holders for `lt model pull`.
// Endpoints on the ledger: "host:port" (session listener; liveness at http://host:port+1, the
// provider's default layout) or "host:port;http://host:port2" (explicit liveness URL).
// Thread-safety: all methods are thread-safe.
#ifndef LT_ROUTER_PROVIDERS_H_
#define LT_ROUTER_PROVIDERS_H_

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/keys.h"
#include "ledger/ledger.h"
#include "router/matcher.h"
#include "util/clock.h"
#include "util/result.h"
#include "wire/router_views.h"

namespace lt::router {

// The share of liveness checks a provider passed, counting one imaginary pass: (ok + 1) /
// (ok + failed + 1). A provider that never failed scores 1 however few checks it had, so a
// newcomer ties with a long-proven provider and load spreads among them at random; each failure
// lowers the score, less so the longer the record of passes.
inline double Reliability(uint64_t ok, uint64_t failed) {
  return static_cast<double>(ok + 1) / static_cast<double>(ok + failed + 1);
}

struct ProviderBookOptions {
  uint64_t refresh_ms = 5000;
  uint64_t max_stale_ms = 60000;
  uint64_t free_slots_ttl_ms = 2000;
  uint64_t ban_base_ms = 15000;
  uint64_t ban_max_ms = 3600000;
  double rtt_alpha = 0.2;
  double tps_alpha = 0.2;
};

// Splits a ledger endpoint into the session endpoint and the liveness base URL.
struct ProviderEndpoints {
  std::string session;  // host:port
  std::string http;     // http://host:port
};
Result<ProviderEndpoints> ParseProviderEndpoint(std::string_view endpoint);

class ProviderBook {
 public:
  ProviderBook(ProviderBookOptions options, const Clock* clock) : options_(options), clock_(clock) {}

  // Refreshes from the ledger when the cache is older than refresh_ms (see the file comment).
  Status EnsureFresh(ledger::Ledger& ledger);
  // Replaces the offers with the ledger's; used by EnsureFresh and tests.
  Status Load(const std::vector<ledger::ProviderInfo>& providers);

  // The offers for a manifest with the router's measurements filled in.
  std::vector<OfferInfo> Offers(const Hash32& manifest) const;
  // The model name the ledger gives a manifest ("" when unknown).
  std::string ModelOf(const Hash32& manifest) const;

  // Liveness outcome of one check. ok=false bans (doubling); ok=true resets the doubling.
  void RecordLiveness(const crypto::Address& p, bool ok, double rtt_ms, int64_t free_slots);
  // A ticket was issued for this provider: one known free slot fewer until the next Pong.
  void TookSlot(const crypto::Address& p);
  void RecordObservedTps(const crypto::Address& p, const Hash32& manifest, double tps);
  bool IsBanned(const crypto::Address& p) const;
  // Milliseconds of ban left (0 when not banned).
  uint64_t BanRemainingMs(const crypto::Address& p) const;

  // The liveness base URL of a provider (announced, else from its ledger endpoint).
  Result<std::string> LivenessUrl(const crypto::Address& p) const;

  // A verified announce (see the file comment); keeps at most max_roots roots per announcer, the
  // ones that expire last. `http_url` "" keeps the previous one.
  void Announce(const crypto::Address& p, const std::string& http_url, const std::vector<std::string>& roots,
                uint64_t expires_at, size_t max_roots);
  std::vector<wire::Holder> Holders(const std::string& cid) const;
  // Every unexpired (root, announced http URL) pair with a URL: what delegated routing indexes.
  std::vector<std::pair<std::string, std::string>> AnnouncedRoots() const;
  // Grows with every announce: delegated routing re-reads AnnouncedRoots only when it changed.
  uint64_t AnnounceGeneration() const;
  // Whether p has announced something that has not expired yet.
  bool HasAnnounced(const crypto::Address& p) const;
  // The roots held for all announcers (expired ones until the next prune), and how many of
  // `roots` announcer `p` does not hold yet.
  std::pair<size_t, size_t> RootCounts(const crypto::Address& p, const std::vector<std::string>& roots) const;
  // Announcers with anything unexpired.
  size_t Announcers() const;
  // Forgets expired roots and http URLs.
  void PruneAnnounces();

  // GET /providers.
  std::vector<wire::ProviderStatus> View() const;

 private:
  struct State {
    double rtt_ms = -1;
    uint64_t ok = 0, failed = 0;
    int64_t free_slots = -1;
    uint64_t free_at_ms = 0;
    uint64_t ban_until_ms = 0;
    uint32_t consecutive_failures = 0;
    std::map<Hash32, double> observed_tps;
    std::string announced_http;
    uint64_t announced_until = 0;            // unix seconds: announced_http is valid until then
    std::map<std::string, uint64_t> roots;   // cid -> expires_at (unix seconds)
  };
  struct ProviderRow {
    std::string endpoint;
    std::vector<OfferInfo> offers;
  };
  OfferInfo WithState(const OfferInfo& o) const;

  ProviderBookOptions options_;
  const Clock* clock_;
  mutable std::mutex mu_;
  std::mutex refresh_mu_;
  std::map<crypto::Address, ProviderRow> providers_;
  std::map<Hash32, std::string> models_;  // manifest -> model name
  std::map<crypto::Address, State> state_;
  bool loaded_ = false;
  uint64_t loaded_at_ms_ = 0;
  uint64_t announce_generation_ = 0;
  std::string last_error_;
};

}  // namespace lt::router

#endif  // LT_ROUTER_PROVIDERS_H_
