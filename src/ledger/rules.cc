// LedgerState::Apply: the rules of each transaction (DESIGN §3, doc/ledger.md "Transactions").
// Every check comes before the mutations it guards where possible; in any case a failure rolls
// back the journal, so an invalid transaction changes nothing.
#include <set>

#include "ledger/names.h"
#include "ledger/state.h"
#include "wire/session_id.h"
#include "wire/billing.h"

namespace lt::ledger {

using nlohmann::json;

namespace {

U256 Add(const U256& a, const U256& b) { return a.CheckedAdd(b).value_or(U256::Max()); }
U256 Sub(const U256& a, const U256& b) { return a.CheckedSub(b).value_or(U256()); }
U256 Min(const U256& a, const U256& b) { return a < b ? a : b; }

Error Insufficient(const std::string& what, const U256& have, const U256& need) {
  return MakeError(ErrorCode::kFailedPrecondition, "insufficient funds: " + what + " holds " + have.ToMor() +
                                                       " MOR, needs " + need.ToMor() + " MOR");
}

Status Positive(const U256& amount) {
  if (amount.IsZero()) return InvalidArgument("amount must be positive");
  return OkStatus();
}

std::string Short(const Hash32& h) { return HexEncode0x(h); }

}  // namespace

Status LedgerState::CheckNonce(const Address& sender, uint64_t nonce) const {
  const Account* acct = accounts_.Find(sender);
  uint64_t next = acct == nullptr ? 0 : acct->nonce;
  if (nonce < next) {
    return MakeError(ErrorCode::kFailedPrecondition, "stale nonce " + std::to_string(nonce) +
                                                         ": the next nonce of " + sender.ToChecksumHex() +
                                                         " is " + std::to_string(next));
  }
  if (nonce > next) {
    return MakeError(ErrorCode::kFailedPrecondition, "future nonce " + std::to_string(nonce) +
                                                         ": the next nonce of " + sender.ToChecksumHex() +
                                                         " is " + std::to_string(next));
  }
  return OkStatus();
}

Result<Outcome> LedgerState::Apply(const VerifiedTx& vtx, uint64_t t) {
  const Tx& tx = vtx.stx.tx;
  LT_TRY_STATUS(CheckNonce(tx.sender, tx.nonce));
  Begin();
  auto r = ApplyBody(vtx, t);
  if (!r.ok()) {
    RollbackAll();
    return r.error();
  }
  Acct(tx.sender).nonce = tx.nonce + 1;
  g_.txs += 1;
  CommitAll();
  return r;
}

Result<Outcome> LedgerState::ApplyBody(const VerifiedTx& vtx, uint64_t t) {
  const Tx& tx = vtx.stx.tx;
  const GenesisParams& p = genesis_.params;
  switch (tx.type) {
    case TxType::kTransfer: {
      LT_TRY_STATUS(Positive(tx.amount));
      Account& from = Acct(tx.sender);
      if (from.wallet < tx.amount) return Insufficient("wallet", from.wallet, tx.amount);
      from.wallet = Sub(from.wallet, tx.amount);
      Account& to = Acct(tx.to);
      to.wallet = Add(to.wallet, tx.amount);
      TxOutcome o;
      o.amount = tx.amount;
      return o;
    }
    case TxType::kDeposit: {
      LT_TRY_STATUS(Positive(tx.amount));
      Account& a = Acct(tx.sender);
      if (a.wallet < tx.amount) return Insufficient("wallet", a.wallet, tx.amount);
      a.wallet = Sub(a.wallet, tx.amount);
      SetVault(a, Add(a.vault, tx.amount));
      TxOutcome o;
      o.vault = a.vault;
      return o;
    }
    case TxType::kWithdraw: {
      LT_TRY_STATUS(Positive(tx.amount));
      Account& a = Acct(tx.sender);
      if (a.vault < tx.amount) return Insufficient("vault", a.vault, tx.amount);
      SetVault(a, Sub(a.vault, tx.amount));
      U256& pend = pending_.Mut(tx.sender);
      pend = Add(pend, tx.amount);
      TxOutcome o;
      o.vault = a.vault;
      o.pending_withdrawal = pend;
      o.available_day = g_.day + 1;
      return o;
    }
    case TxType::kRegisterModel: {
      LT_TRY_STATUS(ValidateModelName(tx.name));
      ModelKind kind;
      if (tx.kind == "model") {
        kind = ModelKind::kModel;
      } else if (tx.kind == "agent") {
        kind = ModelKind::kAgent;
      } else {
        return InvalidArgument("kind must be \"model\" or \"agent\", got \"" + tx.kind.substr(0, 40) + "\"");
      }
      if (tx.builder_fee_bps > p.max_builder_fee_bps) {
        return InvalidArgument("builderFeeBps " + std::to_string(tx.builder_fee_bps) +
                               " is above the maximum " + std::to_string(p.max_builder_fee_bps));
      }
      std::string ns(NamespaceOf(tx.name));
      const Address* owner = namespaces_.Find(ns);
      if (owner != nullptr && *owner != tx.sender) {
        return MakeError(ErrorCode::kPermissionDenied,
                         "namespace '" + ns + "' is owned by " + owner->ToChecksumHex());
      }
      if (owner == nullptr) namespaces_.Put(ns, tx.sender);
      bool existed = models_.Contains(tx.name);
      models_.Put(tx.name, Model{tx.sender, kind, tx.builder_fee_bps});
      TxOutcome o;
      o.name = tx.name;
      o.created = !existed;
      return o;
    }
    case TxType::kSetTag: {
      LT_TRY_STATUS(ValidateModelName(tx.name));
      LT_TRY_STATUS(ValidateTag(tx.tag));
      const Model* m = models_.Find(tx.name);
      if (m == nullptr) return NotFound("model '" + tx.name + "' is not registered");
      if (m->owner != tx.sender) {
        return MakeError(ErrorCode::kPermissionDenied,
                         "model '" + tx.name + "' is owned by " + m->owner.ToChecksumHex());
      }
      if (tx.manifest == Hash32{}) return InvalidArgument("manifest must not be zero");
      const std::string* bound = manifests_.Find(tx.manifest);
      if (bound != nullptr && *bound != tx.name) {
        return MakeError(ErrorCode::kAlreadyExists,
                         "manifest " + Short(tx.manifest) + " already belongs to model '" + *bound + "'");
      }
      if (bound == nullptr) manifests_.Put(tx.manifest, tx.name);
      tags_.Put(tx.name + ":" + tx.tag, tx.manifest);
      TxOutcome o;
      o.name = tx.name + ":" + tx.tag;
      o.manifest = tx.manifest;
      return o;
    }
    case TxType::kSetRouterEndpoint: {
      // The Compute Contract's setRouterEndpoint: a router with at least the minimum stake
      // publishes where clients reach it; the endpoint stays listed (with the stake) after.
      if (tx.endpoint.empty() || tx.endpoint.size() > 256) {
        return InvalidArgument("endpoint must be 1 to 256 characters");
      }
      for (char c : tx.endpoint) {
        if (c <= ' ' || c > '~') return InvalidArgument("endpoint must be printable ASCII without spaces");
      }
      const Account* a = accounts_.Find(tx.sender);
      U256 stake = a == nullptr ? U256() : a->router_stake;
      if (stake.IsZero() || stake < p.min_router_stake) {
        return MakeError(ErrorCode::kFailedPrecondition, "router stake " + stake.ToMor() +
                                                             " MOR is below the minimum " +
                                                             p.min_router_stake.ToMor() + " MOR");
      }
      router_endpoints_.Put(tx.sender, tx.endpoint);
      return TxOutcome{};
    }
    case TxType::kRegisterProvider: {
      if (tx.endpoint.empty() || tx.endpoint.size() > 256) {
        return InvalidArgument("endpoint must be 1 to 256 characters");
      }
      for (char c : tx.endpoint) {
        if (c <= ' ' || c > '~') return InvalidArgument("endpoint must be printable ASCII without spaces");
      }
      Account& a = Acct(tx.sender);
      if (a.wallet < tx.amount) return Insufficient("wallet", a.wallet, tx.amount);
      a.wallet = Sub(a.wallet, tx.amount);
      Provider& prov = providers_.Mut(tx.sender);
      prov.endpoint = tx.endpoint;
      prov.stake = Add(prov.stake, tx.amount);
      if (prov.stake < p.min_provider_stake) {
        return MakeError(ErrorCode::kFailedPrecondition, "provider stake " + prov.stake.ToMor() +
                                                             " MOR is below the minimum " +
                                                             p.min_provider_stake.ToMor() + " MOR");
      }
      TxOutcome o;
      o.stake = prov.stake;
      return o;
    }
    case TxType::kSetOffer: {
      if (!providers_.Contains(tx.sender)) {
        return NotFound(tx.sender.ToChecksumHex() + " is not a registered provider");
      }
      if (!manifests_.Contains(tx.manifest)) {
        return NotFound("manifest " + Short(tx.manifest) + " is not tagged by any registered model");
      }
      auto key = std::make_pair(tx.sender, tx.manifest);
      if (tx.slots == 0) {
        if (!offers_.Contains(key))
          return NotFound("no offer for manifest " + Short(tx.manifest) + " to withdraw");
        offers_.Erase(key);
        {
          TxOutcome o;
          o.withdrawn = true;
          return o;
        }
      }
      if (tx.price_per_second.IsZero()) return InvalidArgument("pricePerSecond must be positive");
      if (tx.min_seconds > p.max_min_seconds) {
        return InvalidArgument("minSeconds " + std::to_string(tx.min_seconds) + " exceeds the ledger's cap of " +
                               std::to_string(p.max_min_seconds) + " (genesis params.max_min_seconds)");
      }
      offers_.Put(key, OfferRow{tx.price_per_second, tx.min_seconds, tx.tps, tx.slots, tx.nonce});
      TxOutcome o;
      o.withdrawn = false;
      return o;
    }
    case TxType::kStakeRouter: {
      LT_TRY_STATUS(Positive(tx.amount));
      Account& a = Acct(tx.sender);
      if (a.wallet < tx.amount) return Insufficient("wallet", a.wallet, tx.amount);
      a.wallet = Sub(a.wallet, tx.amount);
      a.router_stake = Add(a.router_stake, tx.amount);
      TxOutcome o;
      o.router_stake = a.router_stake;
      return o;
    }
    case TxType::kUnstake: {
      LT_TRY_STATUS(Positive(tx.amount));
      if (tx.role == "router") {
        Account& a = Acct(tx.sender);
        if (a.router_stake < tx.amount) return Insufficient("router stake", a.router_stake, tx.amount);
        a.router_stake = Sub(a.router_stake, tx.amount);
      } else if (tx.role == "provider") {
        Provider* prov = providers_.Find(tx.sender) ? &providers_.Mut(tx.sender) : nullptr;
        if (prov == nullptr) return NotFound(tx.sender.ToChecksumHex() + " is not a registered provider");
        if (prov->stake < tx.amount) return Insufficient("provider stake", prov->stake, tx.amount);
        prov->stake = Sub(prov->stake, tx.amount);
        if (prov->stake.IsZero()) {
          providers_.Erase(tx.sender);
          std::vector<std::pair<Address, Hash32>> mine;
          for (const auto& [k, o] : offers_.rows()) {
            if (k.first == tx.sender) mine.push_back(k);
          }
          for (const auto& k : mine) offers_.Erase(k);
        } else if (prov->stake < p.min_provider_stake) {
          return MakeError(
              ErrorCode::kFailedPrecondition,
              "unstake all or keep the minimum provider stake of " + p.min_provider_stake.ToMor() + " MOR");
        }
      } else {
        return InvalidArgument("role must be \"router\" or \"provider\"");
      }
      U256& pend = pending_.Mut(tx.sender);
      pend = Add(pend, tx.amount);
      TxOutcome o;
      o.pending_withdrawal = pend;
      o.available_day = g_.day + 1;
      return o;
    }
    case TxType::kClaim: {
      Account& a = Acct(tx.sender);
      if (a.claimable.IsZero()) return MakeError(ErrorCode::kFailedPrecondition, "nothing to claim");
      U256 amount = a.claimable;
      a.wallet = Add(a.wallet, amount);
      a.claimable = U256();
      TxOutcome o;
      o.claimed = amount;
      return o;
    }
    case TxType::kCloseDay: {
      uint64_t today = genesis_.DayOf(t);
      if (tx.day >= today) {
        return MakeError(ErrorCode::kFailedPrecondition, "day " + std::to_string(tx.day) +
                                                             " has not ended yet (today is day " +
                                                             std::to_string(today) + ")");
      }
      // Days close lazily before any transaction is applied (AdvanceTo), so this is a no-op now.
      TxOutcome o;
      o.closed_through = g_.day - 1;
      o.open_day = g_.day;
      return o;
    }
    case TxType::kMint: {
      if (!genesis_.minter || *genesis_.minter != tx.sender) {
        return MakeError(ErrorCode::kPermissionDenied, "mint is allowed only to the genesis minter");
      }
      LT_TRY_STATUS(Positive(tx.amount));
      auto total = g_.total_minted.CheckedAdd(tx.amount);
      if (!total) return InvalidArgument("mint would overflow the total supply");
      g_.total_minted = *total;
      Account& to = Acct(tx.to);
      to.wallet = Add(to.wallet, tx.amount);
      TxOutcome o;
      o.amount = tx.amount;
      return o;
    }
    case TxType::kSettleBatch:
      return ApplySettle(vtx, t);
  }
  return InvalidArgument("unknown transaction type");
}

Result<Outcome> LedgerState::ApplySettle(const VerifiedTx& vtx, uint64_t /*t*/) {
  const Tx& tx = vtx.stx.tx;
  const GenesisParams& p = genesis_.params;
  if (tx.receipts.empty()) return InvalidArgument("settle_batch has no receipts");
  if (vtx.receipt_checks.size() != tx.receipts.size()) return InternalError("receipts were not verified");
  TxOutcome out;
  uint64_t settled = 0;
  bool all_already_settled = true;
  std::string first_errors;
  for (size_t i = 0; i < tx.receipts.size(); ++i) {
    const wire::Receipt& r = tx.receipts[i];
    const wire::Ticket& tk = r.ticket.ticket;
    wire::SettleOutcome o;
    o.session_id = tk.session_id;
    // The checks in the order of wire::SettleCode; the first that fails names the refusal.
    auto refuse = [&](wire::SettleCode code, std::string why) {
      if (o.code == wire::SettleCode::kSettled) {
        o.code = code;
        o.message = std::move(why);
      }
    };
    if (auto bad = vtx.receipt_checks[i]) {
      refuse(*bad, *bad == wire::SettleCode::kVoucherForAnotherSession ? "the voucher is for another session"
                   : *bad == wire::SettleCode::kBadTicketSignature    ? "the ticket is not signed by its router"
                                                                      : "the voucher is not signed by the ticket's user");
    }
    const Model* model = nullptr;
    if (tk.router != tx.sender && tk.provider != tx.sender) {
      refuse(wire::SettleCode::kSenderNotParty, "the batch sender is neither the ticket's router nor its provider");
    }
    if (sessions_.Contains(tk.session_id)) refuse(wire::SettleCode::kAlreadySettled, "session already settled");
    const Account* router = accounts_.Find(tk.router);
    if (router == nullptr || router->router_stake.IsZero() || router->router_stake < p.min_router_stake) {
      refuse(wire::SettleCode::kRouterNotStaked, "the ticket's router " + tk.router.ToChecksumHex() +
                                                     " has no stake (minimum " + p.min_router_stake.ToMor() + " MOR)");
    }
    const std::string* name = manifests_.Find(tk.manifest);
    if (name == nullptr) refuse(wire::SettleCode::kUnknownManifest, "manifest " + Short(tk.manifest) + " is not registered");
    uint32_t billed = wire::BilledSeconds(tk, r.voucher.voucher.seconds);
    std::optional<U256> cost = wire::SessionCost(tk, r.voucher.voucher.seconds);
    if (!cost) refuse(wire::SettleCode::kCostOverflow, "cost overflows uint256");
    if (name != nullptr) {
      model = models_.Find(*name);
      if (model == nullptr) refuse(wire::SettleCode::kUnknownModel, "model '" + *name + "' is not registered");
    }
    if (tk.min_seconds > tk.max_seconds) {
      refuse(wire::SettleCode::kMinAboveMax, "ticket minSeconds " + std::to_string(tk.min_seconds) +
                                                 " exceeds its maxSeconds " + std::to_string(tk.max_seconds));
    }
    if (tk.min_seconds > p.max_min_seconds) {
      refuse(wire::SettleCode::kMinAboveCap, "ticket minSeconds " + std::to_string(tk.min_seconds) +
                                                 " exceeds the ledger's cap of " + std::to_string(p.max_min_seconds));
    }
    if (!wire::SessionIdIsRouters(tk.session_id, tk.router)) {
      refuse(wire::SettleCode::kSessionIdNotRouters, "the session id does not start with its ticket's router address");
    }
    if (!o.ok()) {
      g_.receipts_refused += 1;
      all_already_settled = all_already_settled && o.code == wire::SettleCode::kAlreadySettled;
      if (first_errors.size() < 300) first_errors += "receipt " + std::to_string(i) + ": " + o.message + "; ";
      out.receipts.push_back(std::move(o));
      continue;
    }
    // Pay c from the allowance left (drawn from the compute pool), then the vault, then the
    // signing router's stake. What nobody can cover is reported as the shortfall.
    U256 c = *cost;
    Account& user = Acct(tk.user);
    U256 allowance = Min(Min(AllowanceLeft(tk.user), c), g_.compute_pool);
    U256 from_vault = Min(Sub(c, allowance), user.vault);
    if (!allowance.IsZero()) {
      if (user.spent_tag != g_.day + 1) {
        user.allowance_spent = U256();
        user.spent_tag = g_.day + 1;
      }
      user.allowance_spent = Add(user.allowance_spent, allowance);
      g_.compute_pool = Sub(g_.compute_pool, allowance);
      g_.today.allowance_spent = Add(g_.today.allowance_spent, allowance);
    }
    if (!from_vault.IsZero()) SetVault(user, Sub(user.vault, from_vault));
    Account& rt = Acct(tk.router);
    U256 from_stake = Min(Sub(Sub(c, allowance), from_vault), rt.router_stake);
    rt.router_stake = Sub(rt.router_stake, from_stake);
    U256 paid = Add(Add(allowance, from_vault), from_stake);
    U256 fee = U256::MulDiv(paid, U256(model->builder_fee_bps), U256(10000)).value_or(U256());
    Address builder = model->owner;
    ModelKind kind = model->kind;
    Account& b = Acct(builder);
    b.claimable = Add(b.claimable, fee);
    Account& prov = Acct(tk.provider);
    prov.claimable = Add(prov.claimable, Sub(paid, fee));
    BuilderSeconds& bs = builder_seconds_.Mut(builder);
    if (kind == ModelKind::kAgent) {
      bs.agent_seconds += billed;
    } else {
      bs.model_seconds += billed;
    }
    g_.today.session_seconds += billed;
    g_.today.sessions += 1;
    sessions_.Put(tk.session_id, g_.day);
    g_.sessions_settled += 1;
    ++settled;
    o.seconds = billed;
    o.cost = c;
    o.from_allowance = allowance;
    o.from_vault = from_vault;
    o.from_router_stake = from_stake;
    o.shortfall = Sub(c, paid);
    o.builder_fee = fee;
    out.receipts.push_back(std::move(o));
  }
  if (settled == 0) {
    // Nothing changes and the nonce is not spent. The code tells the two cases apart for whoever
    // settles one receipt at a time: every session was settled before (kAlreadyExists), or not.
    return MakeError(all_already_settled ? ErrorCode::kAlreadyExists : ErrorCode::kFailedPrecondition,
                     "no receipt of the batch could be settled: " + first_errors);
  }
  g_.settle_batches += 1;
  out.settled = settled;
  out.refused = tx.receipts.size() - settled;
  return out;
}

}  // namespace lt::ledger
