// ModelFacts: what the router's dashboard says about models besides demand (doc/analytics.md
// "Leaderboard"): which names are registered (every NAME:TAG on the ledger, re-read at most every
// 30 s) and each tagged model's size (its manifest's requirements.ram_bytes; the manifest block
// fetched from a holder announced to this router, verified against its CID, cached; a failed
// fetch is retried after 60 s). Best effort: when the ledger cannot be read, `Registered()` is
// nullopt and the leaderboard ranks every name.
// Thread-safety: all methods are thread-safe; Refresh does its network calls without holding
// the lock, so concurrent readers keep the previous facts.
#ifndef LT_ROUTER_MODEL_FACTS_H_
#define LT_ROUTER_MODEL_FACTS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "ledger/ledger.h"
#include "router/providers.h"
#include "util/clock.h"

namespace lt::router {

class ModelFacts {
 public:
  explicit ModelFacts(const Clock* clock) : clock_(clock) {}

  // Re-reads the ledger's names when 30 s old, then fetches the sizes still unknown for
  // `models` ("ns/name:tag" as the leaderboard lists them).
  void Refresh(ledger::Ledger& ledger, const ProviderBook& book, const std::set<std::string>& models);
  std::optional<std::set<std::string>> Registered() const;
  std::map<std::string, uint64_t> Sizes() const;  // model -> bytes, for those known

 private:
  const Clock* clock_;
  mutable std::mutex mu_;
  std::optional<std::set<std::string>> registered_;
  std::map<std::string, Hash32> manifests_;  // model -> manifest bytes32
  uint64_t read_at_ms_ = 0;
  bool read_once_ = false;
  std::map<Hash32, uint64_t> sizes_;
  std::map<Hash32, uint64_t> failed_at_ms_;
};

}  // namespace lt::router

#endif  // LT_ROUTER_MODEL_FACTS_H_
