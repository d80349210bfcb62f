#include "provider/staked_routers.h"

#include "util/log.h"

namespace lt::provider {

namespace {
constexpr uint64_t kStakedTtlMs = 60000;
constexpr uint64_t kUnstakedTtlMs = 10000;
constexpr uint64_t kStaleMaxMs = 600000;
constexpr int kLookupsPerSecond = 10;
}  // namespace

Result<bool> StakedRouters::Lookup(const crypto::Address& router) {
  if (!ledger_) {
    net::HttpClientOptions o;
    o.connect_timeout_ms = 500;
    o.read_timeout_ms = 1500;
    LT_TRY(ledger_, ledger::RemoteLedger::Connect(url_, o));
    auto g = ledger_->GetGenesis();
    if (!g.ok()) {
      ledger_.reset();
      return g.error();
    }
    min_stake_ = g->params.min_router_stake;
  }
  LT_TRY(ledger::AccountInfo a, ledger_->GetAccount(router));
  return !a.router_stake.IsZero() && a.router_stake >= min_stake_;
}

bool StakedRouters::IsStaked(const crypto::Address& router) {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t now = clock_->MonotonicMillis();
  auto it = cache_.find(router);
  if (it != cache_.end()) {
    uint64_t age = now - it->second.checked_ms;
    if (age < (it->second.staked ? kStakedTtlMs : kUnstakedTtlMs)) return it->second.staked;
  }
  if (now - window_start_ms_ >= 1000) {
    window_start_ms_ = now;
    window_lookups_ = 0;
  }
  if (window_lookups_ >= kLookupsPerSecond) {
    return it != cache_.end() && it->second.staked && now - it->second.checked_ms < kStaleMaxMs;
  }
  ++window_lookups_;
  ++lookups_;
  auto staked = Lookup(router);
  if (!staked.ok()) {
    ++lookup_errors_;
    LT_WARN("staked routers: cannot check router " << router.ToChecksumHex() << " on the ledger: "
                                                   << staked.error().message);
    return it != cache_.end() && it->second.staked && now - it->second.checked_ms < kStaleMaxMs;
  }
  cache_[router] = Entry{*staked, now};
  return *staked;
}

nlohmann::json StakedRouters::Describe() const {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t now = clock_->MonotonicMillis();
  nlohmann::json rs = nlohmann::json::array();
  for (const auto& [a, e] : cache_) {
    rs.push_back({{"address", a.ToChecksumHex()}, {"staked", e.staked}, {"checked_ms_ago", now - e.checked_ms}});
  }
  return {{"routers", rs}, {"lookups", lookups_}, {"lookup_errors", lookup_errors_}};
}

}  // namespace lt::provider
