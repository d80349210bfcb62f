// LedgerState: genesis, day closing, invariant, state hash and row encodings. The per-transaction
// rules are in rules.cc.
#include "ledger/state.h"

#include "crypto/keccak.h"

namespace lt::ledger {

using nlohmann::json;

std::string_view ModelKindName(ModelKind k) { return k == ModelKind::kAgent ? "agent" : "model"; }

LedgerState::LedgerState(Genesis genesis) : genesis_(std::move(genesis)) {}

namespace {

U256 Add(const U256& a, const U256& b) { return a.CheckedAdd(b).value_or(U256::Max()); }
U256 Sub(const U256& a, const U256& b) { return a.CheckedSub(b).value_or(U256()); }
U256 Bps(const U256& a, uint32_t bps) { return U256::MulDiv(a, U256(bps), U256(10000)).value_or(U256()); }
U256 Min(const U256& a, const U256& b) { return a < b ? a : b; }

}  // namespace

LedgerState LedgerState::FromGenesis(const Genesis& genesis) {
  LedgerState s(genesis);
  s.g_.day = genesis.FirstDay();
  s.g_.compute_pool = genesis.compute_pool;
  s.g_.community_pool = genesis.community_pool;
  U256 minted = Add(genesis.compute_pool, genesis.community_pool);
  for (const auto& a : genesis.allocations) {
    Account& acct = s.accounts_.Mut(a.address);
    acct.wallet = Add(acct.wallet, a.wallet);
    acct.vault = Add(acct.vault, a.vault);
    minted = Add(minted, Add(a.wallet, a.vault));
  }
  s.g_.total_minted = minted;
  s.g_.today.budget = Bps(s.g_.compute_pool, genesis.params.budget_bps);
  s.g_.today.circulating = Sub(minted, Add(s.g_.compute_pool, s.g_.community_pool));
  s.CommitAll();
  return s;
}

void LedgerState::Begin() { g_backup_ = g_; }

void LedgerState::CommitAll() {
  accounts_.Commit();
  pending_.Commit();
  namespaces_.Commit();
  models_.Commit();
  tags_.Commit();
  manifests_.Commit();
  providers_.Commit();
  router_endpoints_.Commit();
  offers_.Commit();
  sessions_.Commit();
  builder_seconds_.Commit();
  days_.Commit();
  globals_dirty_ = true;
}

void LedgerState::RollbackAll() {
  accounts_.Rollback();
  pending_.Rollback();
  namespaces_.Rollback();
  models_.Rollback();
  tags_.Rollback();
  manifests_.Rollback();
  providers_.Rollback();
  router_endpoints_.Rollback();
  offers_.Rollback();
  sessions_.Rollback();
  builder_seconds_.Rollback();
  days_.Rollback();
  g_ = g_backup_;
}

U256 LedgerState::VaultAtDayStart(const Account& acct) const {
  return acct.snap_tag == g_.day + 1 ? acct.vault_snap : acct.vault;
}

void LedgerState::SetVault(Account& acct, const U256& v) {
  if (acct.snap_tag != g_.day + 1) {
    acct.vault_snap = acct.vault;
    acct.snap_tag = g_.day + 1;
  }
  acct.vault = v;
}

U256 LedgerState::AllowanceTotal(const Address& a) const {
  const Account* acct = accounts_.Find(a);
  if (acct == nullptr || g_.today.circulating.IsZero()) return U256();
  U256 users = Sub(g_.today.budget, Bps(g_.today.budget, genesis_.params.beta_bps));
  return U256::MulDiv(users, VaultAtDayStart(*acct), g_.today.circulating).value_or(U256());
}

U256 LedgerState::AllowanceLeft(const Address& a) const {
  U256 total = AllowanceTotal(a);
  const Account* acct = accounts_.Find(a);
  if (acct == nullptr || acct->spent_tag != g_.day + 1) return total;
  return Sub(total, acct->allowance_spent);
}

uint64_t LedgerState::AdvanceTo(uint64_t t) {
  uint64_t target = genesis_.DayOf(t);
  uint64_t closed = 0;
  while (g_.day < target) {
    Begin();
    CloseOneDay();
    CommitAll();
    ++closed;
  }
  return closed;
}

void LedgerState::CloseOneDay() {
  const GenesisParams& p = genesis_.params;
  uint64_t d = g_.day;
  uint64_t k = d >= genesis_.FirstDay() ? d - genesis_.FirstDay() : 0;
  DayRecord rec = g_.today;

  // 1. Emissions of day d.
  rec.emission_compute = genesis_.compute_emission.At(k);
  rec.emission_community = genesis_.community_emission.At(k);
  g_.compute_pool = Add(g_.compute_pool, rec.emission_compute);
  g_.community_pool = Add(g_.community_pool, rec.emission_community);
  g_.total_minted = Add(g_.total_minted, Add(rec.emission_compute, rec.emission_community));

  // 2. Builders' share (beta of B(d)) by model session-seconds; agents' share of E_community(d)
  //    by agent session-seconds, at a per-second rate: rate = floor(share / total seconds), a
  //    builder gets rate x its seconds (the Compute Contract's rule, which it can credit lazily;
  //    doc/ledger.md "Day close"). The dust, share - rate x total, stays in the pool.
  uint64_t model_total = 0, agent_total = 0;
  for (const auto& [addr, bs] : builder_seconds_.rows()) {
    model_total += bs.model_seconds;
    agent_total += bs.agent_seconds;
  }
  U256 builders_share = Min(Bps(rec.budget, p.beta_bps), g_.compute_pool);
  U256 agents_share = Min(Bps(rec.emission_community, p.agent_share_bps), g_.community_pool);
  U256 model_rate = model_total > 0 ? *builders_share.Div(U256(model_total)) : U256();
  U256 agent_rate = agent_total > 0 ? *agents_share.Div(U256(agent_total)) : U256();
  std::vector<std::pair<Address, BuilderSeconds>> rows(builder_seconds_.rows().begin(),
                                                       builder_seconds_.rows().end());
  for (const auto& [addr, bs] : rows) {
    U256 pay;
    if (model_total > 0 && bs.model_seconds > 0) {
      U256 x = model_rate.CheckedMul(U256(bs.model_seconds)).value_or(U256());
      g_.compute_pool = Sub(g_.compute_pool, x);
      rec.builders_paid = Add(rec.builders_paid, x);
      pay = Add(pay, x);
    }
    if (agent_total > 0 && bs.agent_seconds > 0) {
      U256 x = agent_rate.CheckedMul(U256(bs.agent_seconds)).value_or(U256());
      g_.community_pool = Sub(g_.community_pool, x);
      rec.agents_paid = Add(rec.agents_paid, x);
      pay = Add(pay, x);
    }
    if (!pay.IsZero()) {
      Account& acct = Acct(addr);
      acct.claimable = Add(acct.claimable, pay);
    }
    builder_seconds_.Erase(addr);
  }

  // 3. Withdrawals requested during day d reach the wallets.
  std::vector<std::pair<Address, U256>> pend(pending_.rows().begin(), pending_.rows().end());
  for (const auto& [addr, amount] : pend) {
    Account& acct = Acct(addr);
    acct.wallet = Add(acct.wallet, amount);
    pending_.Erase(addr);
  }

  // 4. Record day d; open day d+1 with its budget and circulating snapshot.
  days_.Put(d, rec);
  g_.day = d + 1;
  g_.today = DayRecord{};
  g_.today.budget = Bps(g_.compute_pool, p.budget_bps);
  g_.today.circulating = Sub(g_.total_minted, Add(g_.compute_pool, g_.community_pool));
}

Status LedgerState::CheckInvariant() const {
  U256 sum = Add(g_.compute_pool, g_.community_pool);
  for (const auto& [a, acct] : accounts_.rows()) {
    sum = Add(sum, Add(Add(acct.wallet, acct.vault), Add(acct.claimable, acct.router_stake)));
  }
  for (const auto& [a, v] : pending_.rows()) sum = Add(sum, v);
  for (const auto& [a, p] : providers_.rows()) sum = Add(sum, p.stake);
  if (sum != g_.total_minted) {
    return MakeError(ErrorCode::kCorrupt,
                     "invariant broken: wallets + vaults + pending + claimable + pools + "
                     "stakes = " +
                         sum.ToDecimal() + " but total minted = " + g_.total_minted.ToDecimal());
  }
  U256 users = Sub(g_.today.budget, Bps(g_.today.budget, genesis_.params.beta_bps));
  if (g_.today.allowance_spent > users) {
    return MakeError(ErrorCode::kCorrupt, "invariant broken: allowances spent today " +
                                              g_.today.allowance_spent.ToDecimal() +
                                              " exceed the users' budget " + users.ToDecimal());
  }
  return OkStatus();
}

// ---- Row encodings ----------------------------------------------------------------------------

namespace {

Result<U256> U(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return Corrupt(std::string("row lacks ") + key);
  auto v = U256FromJson(j[key]);
  if (!v.ok()) return Corrupt(std::string("row field ") + key + ": " + v.error().message);
  return *v;
}

Result<uint64_t> N(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_unsigned()) {
    return Corrupt(std::string("row lacks unsigned ") + key);
  }
  return j[key].get<uint64_t>();
}

}  // namespace

json AccountToJson(const Account& a) {
  return {{"wallet", a.wallet},       {"vault", a.vault},
          {"claimable", a.claimable}, {"router_stake", a.router_stake},
          {"nonce", a.nonce},         {"vault_snap", a.vault_snap},
          {"snap_tag", a.snap_tag},   {"allowance_spent", a.allowance_spent},
          {"spent_tag", a.spent_tag}};
}

Result<Account> AccountFromJson(const json& j) {
  Account a;
  LT_TRY(a.wallet, U(j, "wallet"));
  LT_TRY(a.vault, U(j, "vault"));
  LT_TRY(a.claimable, U(j, "claimable"));
  LT_TRY(a.router_stake, U(j, "router_stake"));
  LT_TRY(a.nonce, N(j, "nonce"));
  LT_TRY(a.vault_snap, U(j, "vault_snap"));
  LT_TRY(a.snap_tag, N(j, "snap_tag"));
  LT_TRY(a.allowance_spent, U(j, "allowance_spent"));
  LT_TRY(a.spent_tag, N(j, "spent_tag"));
  return a;
}

json DayRecordToJson(const DayRecord& d) { return d.ToJson(); }

Result<DayRecord> DayRecordFromJson(const json& j) {
  auto d = DayFigures::FromJson(j);
  if (!d.ok()) return Corrupt("stored day record: " + d.error().message);
  return d;
}

json GlobalsToJson(const Globals& g) {
  return {{"day", g.day},
          {"compute_pool", g.compute_pool},
          {"community_pool", g.community_pool},
          {"total_minted", g.total_minted},
          {"today", DayRecordToJson(g.today)},
          {"txs", g.txs},
          {"sessions_settled", g.sessions_settled},
          {"receipts_refused", g.receipts_refused},
          {"settle_batches", g.settle_batches}};
}

Result<Globals> GlobalsFromJson(const json& j) {
  Globals g;
  LT_TRY(g.day, N(j, "day"));
  LT_TRY(g.compute_pool, U(j, "compute_pool"));
  LT_TRY(g.community_pool, U(j, "community_pool"));
  LT_TRY(g.total_minted, U(j, "total_minted"));
  if (!j.contains("today")) return Corrupt("globals lack today");
  LT_TRY(g.today, DayRecordFromJson(j["today"]));
  LT_TRY(g.txs, N(j, "txs"));
  LT_TRY(g.sessions_settled, N(j, "sessions_settled"));
  LT_TRY(g.receipts_refused, N(j, "receipts_refused"));
  LT_TRY(g.settle_batches, N(j, "settle_batches"));
  return g;
}

// ---- State hash -------------------------------------------------------------------------------

namespace {

void Feed(crypto::Keccak256& h, std::string_view s) {
  uint8_t len[8];
  uint64_t n = s.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (56 - 8 * i));
  h.Update(ByteSpan(len, 8));
  h.Update(s);
}

std::string Key(const Address& a) { return a.ToLowerHex(); }
std::string Key(const Hash32& h) { return HexEncode(h); }
std::string Key(const std::string& s) { return s; }
std::string Key(uint64_t d) { return std::to_string(d); }
std::string Key(const std::pair<Address, Hash32>& k) { return Key(k.first) + "/" + Key(k.second); }

template <typename K, typename V, typename F>
void FeedTable(crypto::Keccak256& h, std::string_view name, const Table<K, V>& t, F&& encode) {
  Feed(h, name);
  for (const auto& [k, v] : t.rows()) {
    Feed(h, Key(k));
    Feed(h, encode(v));
  }
}

}  // namespace

Hash32 LedgerState::StateHash() const {
  crypto::Keccak256 h;
  FeedTable(h, "accounts", accounts_, [](const Account& a) { return AccountToJson(a).dump(); });
  FeedTable(h, "pending", pending_, [](const U256& v) { return v.ToDecimal(); });
  FeedTable(h, "namespaces", namespaces_, [](const Address& a) { return a.ToLowerHex(); });
  FeedTable(h, "models", models_, [](const Model& m) {
    return m.owner.ToLowerHex() + "|" + std::string(ModelKindName(m.kind)) + "|" +
           std::to_string(m.builder_fee_bps);
  });
  FeedTable(h, "tags", tags_, [](const Hash32& m) { return HexEncode(m); });
  FeedTable(h, "manifests", manifests_, [](const std::string& n) { return n; });
  FeedTable(h, "providers", providers_,
            [](const Provider& p) { return p.endpoint + "|" + p.stake.ToDecimal(); });
  // Fed only when non-empty, so the hashes of ledgers without router endpoints are unchanged.
  if (router_endpoints_.size() > 0) {
    FeedTable(h, "router_endpoints", router_endpoints_, [](const std::string& e) { return e; });
  }
  FeedTable(h, "offers", offers_, [](const OfferRow& o) {
    return o.price_per_second.ToDecimal() + "|" + std::to_string(o.min_seconds) + "|" +
           std::to_string(o.tps) + "|" + std::to_string(o.slots) + "|" + std::to_string(o.nonce);
  });
  FeedTable(h, "sessions", sessions_, [](uint64_t d) { return std::to_string(d); });
  FeedTable(h, "builder_seconds", builder_seconds_, [](const BuilderSeconds& b) {
    return std::to_string(b.model_seconds) + "|" + std::to_string(b.agent_seconds);
  });
  FeedTable(h, "days", days_, [](const DayRecord& d) { return DayRecordToJson(d).dump(); });
  Feed(h, "globals");
  Feed(h, GlobalsToJson(g_).dump());
  return h.Finalize();
}

}  // namespace lt::ledger
