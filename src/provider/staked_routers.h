// StakedRouters: "accept any router staked on the ledger" (doc/provider.md, config
// `accept_staked_routers`). A ticket's router is accepted when the ledger's GET /account/ADDR
// shows a router stake of at least the genesis `min_router_stake` (the stake that pays a
// user's shortfall, so a staked router is one the ledger will settle for).
//
// Answers come from a cache: a staked router is re-checked after 60 s (and kept, stale, for up
// to 10 min while the ledger is unreachable), an unstaked one after 10 s. A router not in the
// cache is looked up synchronously with short timeouts (0.5 s connect, 1.5 s read); at most
// 10 such lookups per second are made (a flood of tickets from fresh keys cannot turn the
// provider into a ledger load generator; beyond that they are refused until the next second).
// Thread-safety: IsStaked and Status may be called from any thread.
#ifndef LT_PROVIDER_STAKED_ROUTERS_H_
#define LT_PROVIDER_STAKED_ROUTERS_H_

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "crypto/keys.h"
#include "ledger/client.h"
#include "util/clock.h"

namespace lt::provider {

class StakedRouters {
 public:
  StakedRouters(std::string ledger_url, const Clock* clock) : url_(std::move(ledger_url)), clock_(clock) {}
  bool IsStaked(const crypto::Address& router);
  // {"routers":[{"address","staked","checked_ms_ago"}],"lookups":N,"lookup_errors":N}
  nlohmann::json Describe() const;

 private:
  struct Entry {
    bool staked = false;
    uint64_t checked_ms = 0;
  };
  Result<bool> Lookup(const crypto::Address& router);

  std::string url_;
  const Clock* clock_;
  mutable std::mutex mu_;
  std::unique_ptr<ledger::RemoteLedger> ledger_;
  U256 min_stake_;
  std::map<crypto::Address, Entry> cache_;
  uint64_t window_start_ms_ = 0;
  int window_lookups_ = 0;
  uint64_t lookups_ = 0, lookup_errors_ = 0;
};

}  // namespace lt::provider

#endif  // LT_PROVIDER_STAKED_ROUTERS_H_
