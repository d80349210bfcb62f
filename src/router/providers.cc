#include "router/providers.h"

#include <algorithm>
#include <charconv>

#include "net/http.h"
#include "util/log.h"

namespace lt::router {

using nlohmann::json;

Result<ProviderEndpoints> ParseProviderEndpoint(std::string_view endpoint) {
  ProviderEndpoints e;
  std::string_view session = endpoint;
  std::string_view http;
  if (auto semi = endpoint.find(';'); semi != std::string_view::npos) {
    session = endpoint.substr(0, semi);
    http = endpoint.substr(semi + 1);
  }
  auto hp = net::ParseHostPort(session);
  if (!hp.ok()) return InvalidArgument("provider endpoint '" + std::string(endpoint) + "': " + hp.error().message);
  e.session = std::string(session);
  if (!http.empty()) {
    // A base URL: http://HOST:PORT, nothing after (the router appends /ping).
    auto live = net::ParseBaseUrl(http);
    if (!live.ok()) {
      return InvalidArgument("provider endpoint '" + std::string(endpoint) + "': liveness URL must be http://HOST:PORT (" +
                             live.error().message + ")");
    }
    e.http = live->url;
  } else {
    if (hp->second <= 0 || hp->second >= 65535) {
      return InvalidArgument("provider endpoint '" + std::string(endpoint) + "': no liveness port after " +
                             std::to_string(hp->second));
    }
    e.http = "http://" + hp->first + ":" + std::to_string(hp->second + 1);
  }
  return e;
}

Status ProviderBook::Load(const std::vector<ledger::ProviderInfo>& providers) {
  std::map<crypto::Address, ProviderRow> rows;
  std::map<Hash32, std::string> models;
  for (const auto& p : providers) {
    ProviderRow row;
    row.endpoint = p.endpoint;
    for (const auto& o : p.offers) {
      if (o.slots == 0) continue;  // withdrawn
      OfferInfo info;
      info.provider = p.address;
      info.endpoint = row.endpoint;
      info.manifest = o.manifest;
      info.price_per_second = o.price_per_second;
      info.min_seconds = o.min_seconds;
      info.tps = o.tps;
      info.slots = o.slots;
      if (!o.model.empty()) models[o.manifest] = o.model;
      row.offers.push_back(info);
    }
    rows[p.address] = std::move(row);
  }
  std::lock_guard<std::mutex> l(mu_);
  providers_ = std::move(rows);
  for (auto& [k, v] : models) models_[k] = v;
  loaded_ = true;
  loaded_at_ms_ = clock_->MonotonicMillis();
  last_error_.clear();
  return OkStatus();
}

Status ProviderBook::EnsureFresh(ledger::Ledger& ledger) {
  uint64_t now = clock_->MonotonicMillis();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (loaded_ && now - loaded_at_ms_ < options_.refresh_ms) return OkStatus();
  }
  // One refresher at a time; the others keep using the cache when there is a usable one.
  std::unique_lock<std::mutex> rl(refresh_mu_, std::try_to_lock);
  if (!rl.owns_lock()) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (loaded_ && now - loaded_at_ms_ < options_.max_stale_ms) return OkStatus();
    }
    rl.lock();  // no usable cache: wait for the refresh in progress, then check again
    std::lock_guard<std::mutex> l(mu_);
    if (loaded_ && clock_->MonotonicMillis() - loaded_at_ms_ < options_.refresh_ms) return OkStatus();
  }
  auto r = ledger.GetProviders();
  if (r.ok()) return Load(*r);
  std::lock_guard<std::mutex> l(mu_);
  last_error_ = r.error().message;
  LT_WARN("router: refreshing offers from the ledger failed: " << last_error_);
  if (loaded_ && now - loaded_at_ms_ < options_.max_stale_ms) return OkStatus();
  return MakeError(ErrorCode::kUnavailable, "ledger unavailable (provider offers): " + r.error().message);
}

OfferInfo ProviderBook::WithState(const OfferInfo& o) const {
  OfferInfo out = o;
  auto it = state_.find(o.provider);
  if (it == state_.end()) return out;
  const State& s = it->second;
  uint64_t now = clock_->MonotonicMillis();
  out.rtt_ms = s.rtt_ms;
  out.reliability = Reliability(s.ok, s.failed);
  out.banned = now < s.ban_until_ms;
  out.free_slots = (s.free_slots >= 0 && now - s.free_at_ms < options_.free_slots_ttl_ms) ? s.free_slots : -1;
  if (auto t = s.observed_tps.find(o.manifest); t != s.observed_tps.end()) out.observed_tps = t->second;
  return out;
}

std::vector<OfferInfo> ProviderBook::Offers(const Hash32& manifest) const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<OfferInfo> out;
  for (const auto& [addr, row] : providers_) {
    for (const auto& o : row.offers) {
      if (o.manifest == manifest) out.push_back(WithState(o));
    }
  }
  return out;
}

std::string ProviderBook::ModelOf(const Hash32& manifest) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = models_.find(manifest);
  return it == models_.end() ? "" : it->second;
}

void ProviderBook::RecordLiveness(const crypto::Address& p, bool ok, double rtt_ms, int64_t free_slots) {
  std::lock_guard<std::mutex> l(mu_);
  State& s = state_[p];
  uint64_t now = clock_->MonotonicMillis();
  if (ok) {
    ++s.ok;
    s.consecutive_failures = 0;
    s.rtt_ms = s.rtt_ms < 0 ? rtt_ms : options_.rtt_alpha * rtt_ms + (1 - options_.rtt_alpha) * s.rtt_ms;
    s.free_slots = free_slots;
    s.free_at_ms = now;
    return;
  }
  ++s.failed;
  uint64_t ban = options_.ban_base_ms;
  for (uint32_t i = 0; i < s.consecutive_failures && ban < options_.ban_max_ms; ++i) ban *= 2;
  ban = std::min(ban, options_.ban_max_ms);
  ++s.consecutive_failures;
  s.ban_until_ms = now + ban;
  s.free_slots = -1;
}

void ProviderBook::TookSlot(const crypto::Address& p) {
  std::lock_guard<std::mutex> l(mu_);
  State& s = state_[p];
  if (s.free_slots > 0) --s.free_slots;
}

void ProviderBook::RecordObservedTps(const crypto::Address& p, const Hash32& manifest, double tps) {
  std::lock_guard<std::mutex> l(mu_);
  State& s = state_[p];
  auto it = s.observed_tps.find(manifest);
  if (it == s.observed_tps.end()) {
    s.observed_tps[manifest] = tps;
  } else {
    it->second = options_.tps_alpha * tps + (1 - options_.tps_alpha) * it->second;
  }
}

bool ProviderBook::IsBanned(const crypto::Address& p) const { return BanRemainingMs(p) > 0; }

uint64_t ProviderBook::BanRemainingMs(const crypto::Address& p) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = state_.find(p);
  uint64_t now = clock_->MonotonicMillis();
  if (it == state_.end() || now >= it->second.ban_until_ms) return 0;
  return it->second.ban_until_ms - now;
}

Result<std::string> ProviderBook::LivenessUrl(const crypto::Address& p) const {
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = state_.find(p);
      it != state_.end() && !it->second.announced_http.empty() && it->second.announced_until >= clock_->NowSeconds()) {
    return it->second.announced_http;
  }
  auto row = providers_.find(p);
  if (row == providers_.end()) return NotFound("provider " + p.ToChecksumHex() + " is not registered on the ledger");
  LT_TRY(auto e, ParseProviderEndpoint(row->second.endpoint));
  return e.http;
}

void ProviderBook::Announce(const crypto::Address& p, const std::string& http_url, const std::vector<std::string>& roots,
                            uint64_t expires_at, size_t max_roots) {
  std::lock_guard<std::mutex> l(mu_);
  ++announce_generation_;
  State& s = state_[p];
  if (!http_url.empty()) s.announced_http = http_url;
  s.announced_until = std::max(s.announced_until, expires_at);
  for (const auto& cid : roots) {
    uint64_t& e = s.roots[cid];
    e = std::max(e, expires_at);
  }
  if (s.roots.size() > max_roots) {
    // Keep the max_roots that expire last (ties: the smaller CIDs, like RouterStore::PutAnnounce).
    std::vector<std::pair<uint64_t, std::string>> by_expiry;
    by_expiry.reserve(s.roots.size());
    for (const auto& [cid, e] : s.roots) by_expiry.emplace_back(e, cid);
    std::nth_element(by_expiry.begin(), by_expiry.begin() + static_cast<std::ptrdiff_t>(by_expiry.size() - max_roots),
                     by_expiry.end(), [](const auto& a, const auto& b) {
                       return a.first != b.first ? a.first < b.first : a.second > b.second;
                     });
    for (size_t i = 0; i < by_expiry.size() - max_roots; ++i) s.roots.erase(by_expiry[i].second);
  }
}

std::vector<wire::Holder> ProviderBook::Holders(const std::string& cid) const {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t now = clock_->NowSeconds();
  std::vector<std::pair<std::pair<bool, uint64_t>, wire::Holder>> found;  // (unregistered, -expiry) order
  for (const auto& [addr, s] : state_) {
    auto r = s.roots.find(cid);
    if (r == s.roots.end() || r->second < now) continue;
    wire::Holder h;
    h.provider = addr;
    h.http = s.announced_until >= now ? s.announced_http : std::string();
    h.expires_at = r->second;
    auto row = providers_.find(addr);
    if (row != providers_.end()) h.endpoint = row->second.endpoint;
    found.push_back({{row == providers_.end(), UINT64_MAX - r->second}, std::move(h)});
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<wire::Holder> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

std::vector<std::pair<std::string, std::string>> ProviderBook::AnnouncedRoots() const {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t now = clock_->NowSeconds();
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [addr, s] : state_) {
    if (s.announced_http.empty() || s.announced_until < now) continue;
    for (const auto& [cid, expires] : s.roots) {
      if (expires >= now) out.emplace_back(cid, s.announced_http);
    }
  }
  return out;
}

uint64_t ProviderBook::AnnounceGeneration() const {
  std::lock_guard<std::mutex> l(mu_);
  return announce_generation_;
}

bool ProviderBook::HasAnnounced(const crypto::Address& p) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = state_.find(p);
  return it != state_.end() && it->second.announced_until >= clock_->NowSeconds();
}

std::pair<size_t, size_t> ProviderBook::RootCounts(const crypto::Address& p, const std::vector<std::string>& roots) const {
  std::lock_guard<std::mutex> l(mu_);
  size_t held = 0;
  for (const auto& [addr, s] : state_) held += s.roots.size();
  auto it = state_.find(p);
  size_t fresh = 0;
  for (const auto& cid : roots) fresh += it == state_.end() || it->second.roots.count(cid) == 0 ? 1 : 0;
  return {held, fresh};
}

size_t ProviderBook::Announcers() const {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t now = clock_->NowSeconds();
  size_t n = 0;
  for (const auto& [addr, s] : state_) n += s.announced_until >= now ? 1 : 0;
  return n;
}

void ProviderBook::PruneAnnounces() {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t now = clock_->NowSeconds();
  for (auto it = state_.begin(); it != state_.end();) {
    State& s = it->second;
    std::erase_if(s.roots, [now](const auto& e) { return e.second < now; });
    if (s.announced_until < now) s.announced_http.clear();
    // Forget announcers that are neither registered nor announcing any more.
    if (s.announced_http.empty() && s.roots.empty() && !providers_.count(it->first) && s.ok == 0 && s.failed == 0) {
      it = state_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<wire::ProviderStatus> ProviderBook::View() const {
  std::lock_guard<std::mutex> l(mu_);
  uint64_t now = clock_->MonotonicMillis();
  std::vector<wire::ProviderStatus> out;
  for (const auto& [addr, row] : providers_) {
    wire::ProviderStatus p;
    p.address = addr;
    p.endpoint = row.endpoint;
    for (const auto& o : row.offers) {
      OfferInfo w = WithState(o);
      auto m = models_.find(o.manifest);
      wire::OfferStatus v;
      v.manifest = HexEncode0x(o.manifest);
      v.model = m == models_.end() ? "" : m->second;
      v.price_per_second = o.price_per_second.ToDecimal();
      v.min_seconds = o.min_seconds;
      v.tps = o.tps;
      if (w.observed_tps >= 0) v.observed_tps = w.observed_tps;
      v.slots = o.slots;
      p.offers.push_back(std::move(v));
    }
    p.reliability = Reliability(0, 0);
    auto it = state_.find(addr);
    if (it != state_.end()) {
      const State& s = it->second;
      if (s.rtt_ms >= 0) p.rtt_ewma_ms = s.rtt_ms;
      if (s.free_slots >= 0 && now - s.free_at_ms < options_.free_slots_ttl_ms) p.free_slots = s.free_slots;
      p.liveness_ok = s.ok;
      p.liveness_failed = s.failed;
      p.reliability = Reliability(s.ok, s.failed);
      p.banned_ms = now < s.ban_until_ms ? s.ban_until_ms - now : 0;
      p.consecutive_failures = s.consecutive_failures;
      p.announced_http = s.announced_until >= clock_->NowSeconds() ? s.announced_http : std::string();
      for (const auto& [cid, e] : s.roots) {
        if (e >= clock_->NowSeconds()) p.roots.push_back(cid);
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace lt::router
