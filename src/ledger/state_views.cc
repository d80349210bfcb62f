#include "ledger/state_views.h"

#include "ledger/names.h"

namespace lt::ledger {

using nlohmann::json;

namespace {

U256 Bps(const U256& a, uint32_t bps) { return U256::MulDiv(a, U256(bps), U256(10000)).value_or(U256()); }

ModelInfo ModelOf(const LedgerState& s, const std::string& name, const Model& m) {
  ModelInfo info;
  info.name = name;
  info.owner = m.owner;
  info.kind = std::string(ModelKindName(m.kind));
  info.builder_fee_bps = m.builder_fee_bps;
  std::string prefix = name + ":";
  for (auto it = s.tags_.rows().lower_bound(prefix); it != s.tags_.rows().end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    info.tags[it->first.substr(prefix.size())] = it->second;
  }
  return info;
}

}  // namespace

AccountInfo AccountView(const LedgerState& s, const crypto::Address& a) {
  AccountInfo info;
  Account acct = s.GetAccount(a);
  info.address = a;
  info.wallet = acct.wallet;
  info.vault = acct.vault;
  info.claimable = acct.claimable;
  info.router_stake = acct.router_stake;
  info.nonce = acct.nonce;
  info.pending_withdrawal = s.PendingWithdrawal(a);
  info.pending_available_day = info.pending_withdrawal.IsZero() ? 0 : s.globals().day + 1;
  info.allowance_total = s.AllowanceTotal(a);
  info.allowance_left = s.AllowanceLeft(a);
  if (const Provider* p = s.providers_.Find(a)) info.provider_stake = p->stake;
  info.day = s.globals().day;
  return info;
}

std::vector<ModelInfo> ModelsView(const LedgerState& s) {
  std::vector<ModelInfo> out;
  for (const auto& [name, m] : s.models_.rows()) out.push_back(ModelOf(s, name, m));
  return out;
}

Result<ModelInfo> ModelView(const LedgerState& s, const std::string& name) {
  LT_TRY_STATUS(ValidateModelName(name));
  const Model* m = s.models_.Find(name);
  if (m == nullptr) return NotFound("model '" + name + "' is not registered");
  return ModelOf(s, name, *m);
}

std::vector<ProviderInfo> ProvidersView(const LedgerState& s) {
  std::vector<ProviderInfo> out;
  for (const auto& [addr, p] : s.providers_.rows()) {
    ProviderInfo info;
    info.address = addr;
    info.endpoint = p.endpoint;
    info.stake = p.stake;
    for (auto it = s.offers_.rows().lower_bound({addr, Hash32{}}); it != s.offers_.rows().end(); ++it) {
      if (it->first.first != addr) break;
      const OfferRow& o = it->second;
      OfferInfo offer;
      offer.manifest = it->first.second;
      offer.price_per_second = o.price_per_second;
      offer.min_seconds = o.min_seconds;
      offer.tps = o.tps;
      offer.slots = o.slots;
      offer.nonce = o.nonce;
      if (const std::string* model = s.manifests_.Find(it->first.second)) offer.model = *model;
      info.offers.push_back(std::move(offer));
    }
    out.push_back(std::move(info));
  }
  return out;
}

DayInfo DayView(const LedgerState& s, uint64_t now) {
  const Globals& g = s.globals();
  const Genesis& gen = s.genesis();
  DayInfo d;
  d.day = g.day;
  d.clock_day = gen.DayOf(now);
  d.day_seconds = gen.day_seconds;
  d.day_start = g.day * gen.day_seconds;
  d.day_end = (g.day + 1) * gen.day_seconds;
  d.budget = g.today.budget;
  d.builders_share = Bps(g.today.budget, gen.params.beta_bps);
  d.users_share = g.today.budget.CheckedSub(d.builders_share).value_or(U256());
  d.allowance_spent = g.today.allowance_spent;
  d.circulating = g.today.circulating;
  d.session_seconds = g.today.session_seconds;
  d.sessions = g.today.sessions;
  d.compute_pool = g.compute_pool;
  d.community_pool = g.community_pool;
  d.total_minted = g.total_minted;
  uint64_t k = g.day >= gen.FirstDay() ? g.day - gen.FirstDay() : 0;
  d.emission_compute = gen.compute_emission.At(k);
  d.emission_community = gen.community_emission.At(k);
  // The last few closed days (most recent first).
  int n = 0;
  for (auto it = s.days_.rows().rbegin(); it != s.days_.rows().rend() && n < 7; ++it, ++n) {
    d.closed.emplace_back(it->first, it->second);
  }
  return d;
}

StatsInfo StatsView(const LedgerState& s, uint64_t tx_log_size) {
  const Globals& g = s.globals();
  StatsInfo st;
  st.transactions = g.txs;
  st.tx_log_entries = tx_log_size;
  st.sessions_settled = g.sessions_settled;
  st.receipts_refused = g.receipts_refused;
  st.settle_batches = g.settle_batches;
  st.DeriveRatios();
  st.accounts = s.accounts_.size();
  st.models = s.models_.size();
  st.providers = s.providers_.size();
  return st;
}

}  // namespace lt::ledger
