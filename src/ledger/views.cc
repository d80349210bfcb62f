#include "ledger/views.h"

#include "ledger/names.h"

namespace lt::ledger {

using nlohmann::json;

namespace {

U256 Bps(const U256& a, uint32_t bps) { return U256::MulDiv(a, U256(bps), U256(10000)).value_or(U256()); }

json ModelJson(const LedgerState& s, const std::string& name, const Model& m) {
  json tags = json::object();
  std::string prefix = name + ":";
  for (auto it = s.tags_.rows().lower_bound(prefix); it != s.tags_.rows().end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    tags[it->first.substr(prefix.size())] = HexEncode0x(it->second);
  }
  return {{"name", name},
          {"owner", m.owner.ToChecksumHex()},
          {"kind", ModelKindName(m.kind)},
          {"builder_fee_bps", m.builder_fee_bps},
          {"tags", tags}};
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

json ModelsView(const LedgerState& s) {
  json out = json::array();
  for (const auto& [name, m] : s.models_.rows()) out.push_back(ModelJson(s, name, m));
  return out;
}

Result<json> ModelView(const LedgerState& s, const std::string& name) {
  LT_TRY_STATUS(ValidateModelName(name));
  const Model* m = s.models_.Find(name);
  if (m == nullptr) return NotFound("model '" + name + "' is not registered");
  return ModelJson(s, name, *m);
}

json ProvidersView(const LedgerState& s) {
  json out = json::array();
  for (const auto& [addr, p] : s.providers_.rows()) {
    json offers = json::array();
    for (auto it = s.offers_.rows().lower_bound({addr, Hash32{}}); it != s.offers_.rows().end(); ++it) {
      if (it->first.first != addr) break;
      const OfferRow& o = it->second;
      json offer = {{"manifest", HexEncode0x(it->first.second)},
                    {"price_per_second", o.price_per_second},
                    {"min_seconds", o.min_seconds},
                    {"tps", o.tps},
                    {"slots", o.slots},
                    {"nonce", o.nonce}};
      if (const std::string* model = s.manifests_.Find(it->first.second)) offer["model"] = *model;
      offers.push_back(offer);
    }
    out.push_back({{"address", addr.ToChecksumHex()},
                   {"endpoint", p.endpoint},
                   {"stake", p.stake},
                   {"offers", offers}});
  }
  return out;
}

json DayView(const LedgerState& s, uint64_t now) {
  const Globals& g = s.globals();
  const Genesis& gen = s.genesis();
  U256 builders = Bps(g.today.budget, gen.params.beta_bps);
  U256 users = g.today.budget.CheckedSub(builders).value_or(U256());
  uint64_t k = g.day >= gen.FirstDay() ? g.day - gen.FirstDay() : 0;
  json history = json::array();
  // The last few closed days (most recent first).
  int n = 0;
  for (auto it = s.days_.rows().rbegin(); it != s.days_.rows().rend() && n < 7; ++it, ++n) {
    json d = DayRecordToJson(it->second);
    d["day"] = it->first;
    history.push_back(d);
  }
  return {{"day", g.day},
          {"clock_day", gen.DayOf(now)},
          {"day_seconds", gen.day_seconds},
          {"day_start", g.day * gen.day_seconds},
          {"day_end", (g.day + 1) * gen.day_seconds},
          {"budget", g.today.budget},
          {"builders_share", builders},
          {"users_share", users},
          {"allowance_spent", g.today.allowance_spent},
          {"circulating", g.today.circulating},
          {"session_seconds", g.today.session_seconds},
          {"sessions", g.today.sessions},
          {"compute_pool", g.compute_pool},
          {"community_pool", g.community_pool},
          {"total_minted", g.total_minted},
          {"emission_compute", gen.compute_emission.At(k)},
          {"emission_community", gen.community_emission.At(k)},
          {"closed", history}};
}

json StatsView(const LedgerState& s, uint64_t tx_log_size) {
  const Globals& g = s.globals();
  json per = nullptr;
  if (g.sessions_settled > 0) per = static_cast<double>(g.txs) / static_cast<double>(g.sessions_settled);
  json settle_per = nullptr;
  if (g.sessions_settled > 0) {
    settle_per = static_cast<double>(g.settle_batches) / static_cast<double>(g.sessions_settled);
  }
  return {{"transactions", g.txs},
          {"tx_log_entries", tx_log_size},
          {"sessions_settled", g.sessions_settled},
          {"receipts_refused", g.receipts_refused},
          {"settle_batches", g.settle_batches},
          {"transactions_per_settled_session", per},
          {"settle_transactions_per_session", settle_per},
          {"accounts", s.accounts_.size()},
          {"models", s.models_.size()},
          {"providers", s.providers_.size()}};
}

}  // namespace lt::ledger
