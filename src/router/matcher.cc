#include "router/matcher.h"

#include <algorithm>
#include <cmath>

namespace lt::router {

std::string_view UnmetName(Unmet u) {
  switch (u) {
    case Unmet::kNone: return "none";
    case Unmet::kUnknownModel: return "unknown_model";
    case Unmet::kNoProvider: return "no_provider";
    case Unmet::kTooExpensive: return "too_expensive";
    case Unmet::kTooSlow: return "too_slow";
    case Unmet::kAllBanned: return "all_banned";
    case Unmet::kAllBusy: return "all_busy";
    case Unmet::kLivenessFailed: return "liveness_failed";
    case Unmet::kInsufficientFunds: return "insufficient_funds";
    case Unmet::kAllExcluded: return "all_excluded";
    case Unmet::kMinSecondsTooLong: return "min_seconds_too_long";
  }
  return "unknown";
}

namespace {

double EffectiveTps(const OfferInfo& o) { return o.observed_tps >= 0 ? o.observed_tps : static_cast<double>(o.tps); }

bool MeetsLatency(const OfferInfo& o, uint32_t max_latency_ms) {
  return max_latency_ms == 0 || o.rtt_ms < 0 || o.rtt_ms <= static_cast<double>(max_latency_ms);
}

int ReliabilityBucket(double r) { return static_cast<int>(std::floor(std::clamp(r, 0.0, 1.0) * 20.0 + 1e-9)); }

// Orders one latency group: cheapest first, near-ties (within 2%) by reliability then random.
void OrderGroup(std::vector<size_t>& idx, const std::vector<OfferInfo>& offers, Random& rng, std::vector<size_t>& out) {
  std::sort(idx.begin(), idx.end(),
            [&](size_t a, size_t b) { return offers[a].price_per_second < offers[b].price_per_second; });
  size_t i = 0;
  while (i < idx.size()) {
    // Tier: every offer with price * 100 <= cheapest * 102.
    const U256& cheapest = offers[idx[i]].price_per_second;
    U256 bound = cheapest.CheckedMul(U256(102)).value_or(U256::Max());
    size_t j = i;
    while (j < idx.size()) {
      auto p100 = offers[idx[j]].price_per_second.CheckedMul(U256(100));
      if (!p100 || *p100 > bound) break;
      ++j;
    }
    std::vector<size_t> tier(idx.begin() + i, idx.begin() + j);
    // Random order first (Fisher-Yates), then a stable sort by reliability bucket.
    for (size_t k = tier.size(); k > 1; --k) std::swap(tier[k - 1], tier[rng.Uniform(k)]);
    std::stable_sort(tier.begin(), tier.end(), [&](size_t a, size_t b) {
      return ReliabilityBucket(offers[a].reliability) > ReliabilityBucket(offers[b].reliability);
    });
    out.insert(out.end(), tier.begin(), tier.end());
    i = j;
  }
}

}  // namespace

Ranking RankOffers(const std::vector<OfferInfo>& offers, const MatchCriteria& c, Random& rng) {
  Ranking r;
  if (offers.empty()) {
    r.reason = Unmet::kNoProvider;
    return r;
  }
  std::vector<size_t> ok;
  for (size_t i = 0; i < offers.size(); ++i) {
    if (std::find(c.exclude.begin(), c.exclude.end(), offers[i].provider) == c.exclude.end()) ok.push_back(i);
  }
  if (ok.empty()) {
    r.reason = Unmet::kAllExcluded;
    return r;
  }
  std::erase_if(ok, [&](size_t i) { return offers[i].price_per_second > c.max_price_per_second; });
  if (ok.empty()) {
    r.reason = Unmet::kTooExpensive;
    return r;
  }
  std::erase_if(ok, [&](size_t i) { return offers[i].min_seconds > c.want_seconds; });
  if (ok.empty()) {
    r.reason = Unmet::kMinSecondsTooLong;
    return r;
  }
  std::erase_if(ok, [&](size_t i) { return EffectiveTps(offers[i]) < static_cast<double>(c.min_tps); });
  if (ok.empty()) {
    r.reason = Unmet::kTooSlow;
    return r;
  }
  std::erase_if(ok, [&](size_t i) { return offers[i].banned; });
  if (ok.empty()) {
    r.reason = Unmet::kAllBanned;
    return r;
  }
  std::erase_if(ok, [&](size_t i) { return offers[i].slots == 0 || offers[i].free_slots == 0; });
  if (ok.empty()) {
    r.reason = Unmet::kAllBusy;
    return r;
  }
  std::vector<size_t> fast, slow;
  for (size_t i : ok) (MeetsLatency(offers[i], c.max_latency_ms) ? fast : slow).push_back(i);
  OrderGroup(fast, offers, rng, r.order);
  OrderGroup(slow, offers, rng, r.order);
  return r;
}

}  // namespace lt::router
