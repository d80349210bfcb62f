// EvmLedger's transaction log (GetTxs): the contract's logs grouped by transaction, each with its
// signed ledger transaction decoded from the calldata (see evm_ledger.h).
#include <algorithm>
#include <map>

#include "ledger/evm_events.h"
#include "ledger/evm_ledger.h"

namespace lt::ledger {

using namespace evm_events;  // NOLINT

namespace {

crypto::Signature SigOf(const evm::AbiValue& v) {
  crypto::Signature s{};
  if (v.items.size() != 3) return s;
  Hash32 r = v.items[0].AsBytes32(), ss = v.items[1].AsBytes32();
  std::copy(r.begin(), r.end(), s.begin());
  std::copy(ss.begin(), ss.end(), s.begin() + 32);
  s[64] = static_cast<uint8_t>(v.items[2].AsU64());
  return s;
}

const evm::AbiValue& At(const std::vector<evm::AbiValue>& a, size_t i) {
  static const evm::AbiValue kZero;
  return i < a.size() ? a[i] : kZero;
}

wire::Receipt ReceiptOf(const evm::AbiValue& v) {
  static const evm::AbiValue kZero;
  auto f = [&](const evm::AbiValue& t, size_t i) -> const evm::AbiValue& {
    return i < t.items.size() ? t.items[i] : kZero;
  };
  wire::Receipt r;
  const evm::AbiValue& t = f(v, 0);
  wire::Ticket& tk = r.ticket.ticket;
  tk.session_id = f(t, 0).AsBytes32();
  tk.user = f(t, 1).AsAddress();
  tk.provider = f(t, 2).AsAddress();
  tk.router = f(t, 3).AsAddress();
  tk.manifest = f(t, 4).AsBytes32();
  tk.price_per_second = f(t, 5).word;
  tk.min_seconds = static_cast<uint32_t>(f(t, 6).AsU64());
  tk.max_seconds = static_cast<uint32_t>(f(t, 7).AsU64());
  tk.issued_at = f(t, 8).AsU64();
  tk.expires_at = f(t, 9).AsU64();
  r.ticket.router_sig = SigOf(f(v, 1));
  const evm::AbiValue& vo = f(v, 2);
  wire::Voucher& w = r.voucher.voucher;
  w.session_id = f(vo, 0).AsBytes32();
  w.seconds = static_cast<uint32_t>(f(vo, 1).AsU64());
  w.tokens_out = static_cast<uint32_t>(f(vo, 2).AsU64());
  w.ttft_ms = static_cast<uint32_t>(f(vo, 3).AsU64());
  w.is_final = f(vo, 4).AsBool();
  r.voucher.user_sig = SigOf(f(v, 3));
  return r;
}

}  // namespace

// The inverse of RelayToContract: the signed ledger transaction a contract call carries.
Result<SignedTx> SignedTxFromCall(const std::string& fn, const std::vector<evm::AbiValue>& a) {
  SignedTx st;
  Tx& t = st.tx;
  auto addr = [&](size_t i) { return At(a, i).AsAddress(); };
  auto u64 = [&](size_t i) { return At(a, i).AsU64(); };
  auto u32 = [&](size_t i) { return static_cast<uint32_t>(At(a, i).AsU64()); };
  t.sender = addr(0);
  size_t n = 0;  // index of the nonce; the signature follows it
  if (fn == "transfer" || fn == "mint") {
    t.type = fn == "transfer" ? TxType::kTransfer : TxType::kMint;
    t.to = addr(1);
    t.amount = At(a, 2).word;
    n = 3;
  } else if (fn == "deposit" || fn == "withdraw" || fn == "stakeRouter") {
    t.type = fn == "deposit" ? TxType::kDeposit : fn == "withdraw" ? TxType::kWithdraw : TxType::kStakeRouter;
    t.amount = At(a, 1).word;
    n = 2;
  } else if (fn == "registerModel") {
    t.type = TxType::kRegisterModel;
    t.name = At(a, 1).AsString();
    t.kind = At(a, 2).AsString();
    t.builder_fee_bps = u32(3);
    n = 4;
  } else if (fn == "setTag") {
    t.type = TxType::kSetTag;
    t.name = At(a, 1).AsString();
    t.tag = At(a, 2).AsString();
    t.manifest = At(a, 3).AsBytes32();
    n = 4;
  } else if (fn == "registerProvider") {
    t.type = TxType::kRegisterProvider;
    t.endpoint = At(a, 1).AsString();
    t.amount = At(a, 2).word;
    n = 3;
  } else if (fn == "setOffer") {
    t.type = TxType::kSetOffer;
    t.manifest = At(a, 1).AsBytes32();
    t.price_per_second = At(a, 2).word;
    t.min_seconds = u32(3);
    t.tps = u32(4);
    t.slots = u32(5);
    n = 6;
  } else if (fn == "setRouterEndpoint") {
    t.type = TxType::kSetRouterEndpoint;
    t.endpoint = At(a, 1).AsString();
    n = 2;
  } else if (fn == "unstake") {
    t.type = TxType::kUnstake;
    t.role = At(a, 1).AsString();
    t.amount = At(a, 2).word;
    n = 3;
  } else if (fn == "settleBatchSigned") {
    t.type = TxType::kSettleBatch;
    t.receipts_hash = At(a, 1).AsBytes32();
    t.count = u32(2);
    n = 3;
    for (const auto& r : At(a, 5).items) t.receipts.push_back(ReceiptOf(r));
  } else if (fn == "claim") {
    t.type = TxType::kClaim;
    n = 1;
  } else if (fn == "closeDay") {
    t.type = TxType::kCloseDay;
    t.day = u64(1);
    n = 2;
  } else {
    return NotFound(fn + " is not a signed ledger transaction");
  }
  t.nonce = u64(n);
  st.signature = SigOf(At(a, n + 1));
  return st;
}

Result<SignedTx> EvmLedger::SignedTxOf(const Hash32& tx_hash) {
  LT_TRY(json tx, rpc_->Request("eth_getTransactionByHash", json::array({HexEncode0x(tx_hash)})));
  if (!tx.is_object() || !tx.value("input", json()).is_string()) return NotFound("no such transaction");
  LT_TRY(Bytes input, HexDecode(tx["input"].get<std::string>()));
  if (input.size() < 4) return NotFound("no call");
  const evm::Artifact* art = &client_->artifact();
  for (const auto& f : art->abi.functions()) {
    if (!std::equal(f.selector.begin(), f.selector.end(), input.begin())) continue;
    LT_TRY(auto args, evm::AbiDecode(f.InputTypes(), ByteSpan(input.data() + 4, input.size() - 4)));
    return SignedTxFromCall(f.name, args);
  }
  return NotFound("not a Compute Contract function");
}

std::string EvmLedger::RefusalMessageOf(wire::SettleCode code, const wire::Ticket& tk) {
  auto p = client_->Params();
  return RefusalMessage(code, tk, p.ok() ? p->min_router_stake : U256(), p.ok() ? p->max_min_seconds : 0);
}

Result<std::vector<TxLogEntry>> EvmLedger::GetTxs(uint64_t from, uint64_t limit) {
  LT_TRY(auto logs, ContractLogs(std::nullopt));
  // Group the logs by transaction, in chain order.
  struct Group {
    uint64_t block = 0;
    Hash32 tx_hash{};
    std::vector<evm::ChainEvent> events;
  };
  std::vector<Group> groups;
  Hash32 last{};
  for (const auto& log : logs) {
    auto e = client_->DecodeEvent(log);
    if (!e.ok()) continue;
    if (groups.empty() || log.tx_hash != last) {
      groups.push_back({log.block_number, log.tx_hash, {}});
      last = log.tx_hash;
    }
    groups.back().events.push_back(std::move(*e));
  }
  std::vector<TxLogEntry> out;
  std::map<uint64_t, uint64_t> block_time;
  uint64_t index = 0;
  for (const auto& g : groups) {
    std::string type = TypeOfEvents(g.events);
    if (type.empty()) continue;  // genesis, release(): not ledger transactions
    if (index++ < from) continue;
    if (out.size() >= limit) break;
    TxLogEntry e;
    e.index = index - 1;
    e.type = type;
    e.tx = nullptr;
    // The signed ledger transaction, from the calldata (null for direct calls).
    std::optional<SignedTx> signed_tx;
    if (auto stx = SignedTxOf(g.tx_hash); stx.ok()) signed_tx = std::move(*stx);
    if (signed_tx) e.tx = SignedTxToJson(*signed_tx);
    if (!block_time.count(g.block)) {
      LT_TRY(evm::BlockHeader h, rpc_->Block(U256(g.block).ToHex()));
      block_time[g.block] = h.timestamp;
    }
    e.time = block_time[g.block];
    for (const auto& ev : g.events) {
      const json& a = ev.args;
      if (ev.name == "Transferred" || ev.name == "Minted") e.outcome.amount = Word(a, "amount");
      if (ev.name == "Deposited") e.outcome.vault = Word(a, "vault");
      if (ev.name == "Withdrawn") {
        e.outcome.vault = Word(a, "vault");
        e.outcome.pending_withdrawal = Word(a, "pending");
        e.outcome.available_day = Num(a, "availableDay");
      }
      if (ev.name == "ModelRegistered") {
        e.outcome.name = Text(a, "name");
        e.outcome.created = a.value("created", false);
      }
      if (ev.name == "TagSet") e.outcome.name = Text(a, "name") + ":" + Text(a, "tag");
      if (ev.name == "ProviderRegistered") e.outcome.stake = Word(a, "stake");
      if (ev.name == "OfferSet") e.outcome.withdrawn = Num(a, "slots") == 0;
      if (ev.name == "RouterStaked") e.outcome.router_stake = Word(a, "stake");
      if (ev.name == "Unstaked") {
        e.outcome.pending_withdrawal = Word(a, "pending");
        e.outcome.available_day = Num(a, "availableDay");
      }
      if (ev.name == "Claimed") e.outcome.claimed = Word(a, "amount");
      if (ev.name == "CloseDayChecked") {
        e.outcome.open_day = Num(a, "openDay");
        e.outcome.closed_through = Num(a, "openDay") - 1;
      }
      if (ev.name == "BatchSettled") {
        e.outcome.settled = Num(a, "settled");
        e.outcome.refused = Num(a, "refused");
      }
      if (auto ro = evm::ReceiptOutcomeFromEvent(ev)) {
        wire::SettleOutcome so;
        so.session_id = ro->session_id;
        so.code = ro->ok ? wire::SettleCode::kSettled : static_cast<wire::SettleCode>(ro->refusal);
        if (!ro->ok) so.message = evm::RefusalText(ro->refusal);
        so.seconds = ro->billed_seconds;
        so.from_allowance = ro->from_allowance;
        so.from_vault = ro->from_vault;
        so.from_router_stake = ro->from_router_stake;
        so.builder_fee = ro->builder_fee;
        U256 paid = *so.from_allowance.CheckedAdd(so.from_vault).value().CheckedAdd(so.from_router_stake);
        so.cost = paid;  // without the ticket (a direct call): what was paid
        size_t k = e.outcome.receipts.size();
        if (signed_tx && k < signed_tx->tx.receipts.size()) {
          const wire::Ticket& tk = signed_tx->tx.receipts[k].ticket.ticket;
          if (!ro->ok) so.message = RefusalMessageOf(so.code, tk);
          if (ro->ok) {
            so.cost = tk.price_per_second.CheckedMul(U256(ro->billed_seconds)).value_or(paid);
            so.shortfall = so.cost.CheckedSub(paid).value_or(U256());
          }
        }
        e.outcome.receipts.push_back(std::move(so));
      }
    }
    if (type == "tick") {
      auto closed = DaysClosed(g.events);
      if (closed.second) {
        e.outcome.closed_from = closed.second->first;
        e.outcome.closed_through = closed.second->second;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace lt::ledger
