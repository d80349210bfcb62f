// EvmLedger: ledger transactions relayed to the Compute Contract, outcomes from its events, views
// from eth_call and logs (see evm_ledger.h).
#include "ledger/evm_ledger.h"

#include <algorithm>
#include <map>

#include "crypto/keccak.h"
#include "ledger/evm_events.h"

namespace lt::ledger {

using nlohmann::json;

using namespace evm_events;  // NOLINT: the log readers shared with evm_txlog.cc

// The embedded ledger's sentence for a refused receipt (src/ledger/rules.cc).
std::string RefusalMessage(wire::SettleCode code, const wire::Ticket& tk, const U256& min_router_stake,
                           uint32_t max_min_seconds) {
  switch (code) {
    case wire::SettleCode::kRouterNotStaked:
      return "the ticket's router " + tk.router.ToChecksumHex() + " has no stake (minimum " + min_router_stake.ToMor() +
             " MOR)";
    case wire::SettleCode::kUnknownManifest:
      return "manifest " + HexEncode0x(tk.manifest) + " is not registered";
    case wire::SettleCode::kMinAboveMax:
      return "ticket minSeconds " + std::to_string(tk.min_seconds) + " exceeds its maxSeconds " +
             std::to_string(tk.max_seconds);
    case wire::SettleCode::kMinAboveCap:
      return "ticket minSeconds " + std::to_string(tk.min_seconds) + " exceeds the ledger's cap of " +
             std::to_string(max_min_seconds);
    default:
      return evm::RefusalText(static_cast<evm::Refusal>(code));
  }
}

evm::ChainTicket ToChain(const wire::Ticket& t) {
  return {t.session_id,       t.user,        t.provider,    t.router,    t.manifest,
          t.price_per_second, t.min_seconds, t.max_seconds, t.issued_at, t.expires_at};
}

evm::ChainVoucher ToChain(const wire::Voucher& v) {
  return {v.session_id, v.seconds, v.tokens_out, v.ttft_ms, v.is_final};
}

evm::SessionReceipt ToChain(const Receipt& r) {
  return {ToChain(r.ticket.ticket), r.ticket.router_sig, ToChain(r.voucher.voucher), r.voucher.user_sig};
}

std::vector<evm::SessionReceipt> ToChain(const std::vector<Receipt>& rs) {
  std::vector<evm::SessionReceipt> out;
  out.reserve(rs.size());
  for (const auto& r : rs) out.push_back(ToChain(r));
  return out;
}

Result<evm::ChainTxResult> RelayToContract(evm::ComputeContractClient& c, const SignedTx& stx) {
  const Tx& t = stx.tx;
  const crypto::Signature& s = stx.signature;
  switch (t.type) {
    case TxType::kTransfer:
      return c.Transfer(t.sender, t.to, t.amount, t.nonce, s);
    case TxType::kDeposit:
      return c.Deposit(t.sender, t.amount, t.nonce, s);
    case TxType::kWithdraw:
      return c.Withdraw(t.sender, t.amount, t.nonce, s);
    case TxType::kRegisterModel:
      return c.RegisterModel(t.sender, t.name, t.kind, t.builder_fee_bps, t.nonce, s);
    case TxType::kSetTag:
      return c.SetTag(t.sender, t.name, t.tag, t.manifest, t.nonce, s);
    case TxType::kRegisterProvider:
      return c.RegisterProvider(t.sender, t.endpoint, t.amount, t.nonce, s);
    case TxType::kSetOffer:
      return c.SetOffer(t.sender, t.manifest, t.price_per_second, t.min_seconds, t.tps, t.slots, t.nonce, s);
    case TxType::kStakeRouter:
      return c.StakeRouter(t.sender, t.amount, t.nonce, s);
    case TxType::kUnstake:
      return c.Unstake(t.sender, t.role, t.amount, t.nonce, s);
    case TxType::kSettleBatch:
      return c.SettleBatchSigned(t.sender, t.receipts_hash, t.count, t.nonce, s, ToChain(t.receipts));
    case TxType::kClaim:
      return c.Claim(t.sender, t.nonce, s);
    case TxType::kCloseDay:
      return c.CloseDay(t.sender, t.day, t.nonce, s);
    case TxType::kMint:
      return c.Mint(t.sender, t.to, t.amount, t.nonce, s);
    case TxType::kSetRouterEndpoint:
      return c.SetRouterEndpoint(t.sender, t.endpoint, t.nonce, s);
  }
  return InvalidArgument("unknown transaction type");
}

evm::DeployConfig DeployConfigFromGenesis(const Genesis& g) {
  evm::DeployConfig c;
  evm::ChainParams& p = c.params;
  p.minter = g.minter;
  p.day_seconds = g.day_seconds;
  p.start_time = g.start_time;
  p.compute_initial = g.compute_emission.initial;
  p.compute_decrease = g.compute_emission.decrease;
  p.community_initial = g.community_emission.initial;
  p.community_decrease = g.community_emission.decrease;
  p.beta_bps = static_cast<uint16_t>(g.params.beta_bps);
  p.budget_bps = static_cast<uint16_t>(g.params.budget_bps);
  p.max_builder_fee_bps = static_cast<uint16_t>(g.params.max_builder_fee_bps);
  p.agent_share_bps = static_cast<uint16_t>(g.params.agent_share_bps);
  p.min_provider_stake = g.params.min_provider_stake;
  p.min_router_stake = g.params.min_router_stake;
  p.max_min_seconds = g.params.max_min_seconds;
  c.compute_pool = g.compute_pool;
  c.community_pool = g.community_pool;
  for (const auto& a : g.allocations) c.allocations.push_back({a.address, a.wallet, a.vault});
  return c;
}

Result<std::unique_ptr<EvmLedger>> EvmLedger::Connect(const EvmLedgerOptions& options) {
  std::unique_ptr<EvmLedger> l(new EvmLedger(options));
  LT_TRY(l->rpc_, evm::EthRpc::Connect(options.deployment.rpc));
  LT_TRY(uint64_t chain_id, l->rpc_->ChainId());
  if (chain_id != options.deployment.chain_id) {
    return InvalidArgument("the node at " + options.deployment.rpc + " is chain " + std::to_string(chain_id) +
                           ", the deployment says " + std::to_string(options.deployment.chain_id));
  }
  LT_TRY(Bytes code, l->rpc_->Code(options.deployment.contract));
  if (code.empty()) {
    return NotFound("no contract at " + options.deployment.contract.ToChecksumHex() + " on " + options.deployment.rpc);
  }
  if (options.relayer) l->sender_ = std::make_unique<evm::TxSender>(l->rpc_.get(), *options.relayer, chain_id);
  LT_TRY(auto client, evm::ComputeContractClient::Create(l->rpc_.get(), options.deployment.contract, l->sender_.get()));
  l->client_ = std::make_unique<evm::ComputeContractClient>(std::move(client));
  l->client_->set_send_options(options.send);
  l->domain_ = LedgerDomain::Make(chain_id, options.deployment.contract);
  return l;
}

uint64_t EvmLedger::Now() const {
  return (options_.follow_clock != nullptr ? options_.follow_clock : SystemClock::Default())->NowSeconds();
}

Status EvmLedger::FollowClock() {
  if (options_.follow_clock == nullptr) return OkStatus();
  LT_TRY(evm::BlockHeader head, rpc_->Block("latest"));
  uint64_t t = std::max({options_.follow_clock->NowSeconds(), head.timestamp + 1, last_block_time_ + 1});
  LT_TRY(json ignored, rpc_->Request("evm_setNextBlockTimestamp", json::array({t})));
  (void)ignored;
  last_block_time_ = t;
  return OkStatus();
}

Result<TxOutcome> EvmLedger::OutcomeOf(const SignedTx& stx, const evm::ChainTxResult& r) {
  const Tx& t = stx.tx;
  TxOutcome o;
  auto event = [&](const char* name) -> const json* {
    for (const auto& e : r.events) {
      if (e.name == name) return &e.args;
    }
    return nullptr;
  };
  switch (t.type) {
    case TxType::kTransfer:
    case TxType::kMint:
      o.amount = t.amount;
      break;
    case TxType::kDeposit:
      if (const json* e = event("Deposited")) o.vault = Word(*e, "vault");
      break;
    case TxType::kWithdraw:
      if (const json* e = event("Withdrawn")) {
        o.vault = Word(*e, "vault");
        o.pending_withdrawal = Word(*e, "pending");
        o.available_day = Num(*e, "availableDay");
      }
      break;
    case TxType::kRegisterModel:
      o.name = t.name;
      if (const json* e = event("ModelRegistered")) o.created = e->value("created", false);
      break;
    case TxType::kSetTag:
      o.name = t.name + ":" + t.tag;
      o.manifest = t.manifest;
      break;
    case TxType::kRegisterProvider:
      if (const json* e = event("ProviderRegistered")) o.stake = Word(*e, "stake");
      break;
    case TxType::kSetOffer:
      o.withdrawn = t.slots == 0;
      break;
    case TxType::kStakeRouter:
      if (const json* e = event("RouterStaked")) o.router_stake = Word(*e, "stake");
      break;
    case TxType::kSetRouterEndpoint:
      break;
    case TxType::kUnstake:
      if (const json* e = event("Unstaked")) {
        o.pending_withdrawal = Word(*e, "pending");
        o.available_day = Num(*e, "availableDay");
      }
      break;
    case TxType::kClaim:
      if (const json* e = event("Claimed")) o.claimed = Word(*e, "amount");
      break;
    case TxType::kCloseDay:
      if (const json* e = event("CloseDayChecked")) {
        o.open_day = Num(*e, "openDay");
        o.closed_through = *o.open_day - 1;
      }
      break;
    case TxType::kSettleBatch: {
      LT_TRY(evm::ChainParams p, client_->Params());
      if (r.receipts.size() != t.receipts.size()) {
        return Corrupt("settle_batch: the contract reported " + std::to_string(r.receipts.size()) +
                       " receipt outcomes for " + std::to_string(t.receipts.size()) + " receipts");
      }
      for (size_t i = 0; i < r.receipts.size(); ++i) {
        const evm::ReceiptOutcome& ro = r.receipts[i];
        const wire::Ticket& tk = t.receipts[i].ticket.ticket;
        wire::SettleOutcome so;
        so.session_id = tk.session_id;
        if (ro.ok) {
          so.seconds = ro.billed_seconds;
          so.cost = tk.price_per_second.CheckedMul(U256(ro.billed_seconds)).value_or(U256());
          so.from_allowance = ro.from_allowance;
          so.from_vault = ro.from_vault;
          so.from_router_stake = ro.from_router_stake;
          so.builder_fee = ro.builder_fee;
          U256 paid = *ro.from_allowance.CheckedAdd(ro.from_vault).value().CheckedAdd(ro.from_router_stake);
          so.shortfall = so.cost.CheckedSub(paid).value_or(U256());
        } else {
          so.code = static_cast<wire::SettleCode>(ro.refusal);
          so.message = RefusalMessage(so.code, tk, p.min_router_stake, p.max_min_seconds);
        }
        o.receipts.push_back(std::move(so));
      }
      o.settled = r.settled;
      o.refused = r.refused;
      break;
    }
  }
  return o;
}

Result<SubmitResult> EvmLedger::Submit(const SignedTx& stx) {
  if (sender_ == nullptr) {
    return MakeError(ErrorCode::kFailedPrecondition, "this chain ledger is read-only (no relayer key to pay the gas)");
  }
  std::lock_guard<std::mutex> lock(write_mu_);
  LT_TRY_STATUS(FollowClock());
  LT_TRY(evm::ChainTxResult r, RelayToContract(*client_, stx));
  SubmitResult out;
  LT_TRY(out.outcome, OutcomeOf(stx, r));
  LT_TRY(evm::ChainStats st, client_->Stats());
  out.index = st.txs == 0 ? 0 : st.txs - 1;
  return out;
}

Result<uint64_t> EvmLedger::CloseDays() {
  std::lock_guard<std::mutex> lock(write_mu_);
  LT_TRY(evm::ChainDay d, client_->Day());
  // The latest block's time lags when no block is mined (anvil mines on demand): a day that ended
  // by this machine's clock is worth a closeDays (the contract closes only what ended by its block).
  uint64_t clock_day = std::max(d.clock_day, Now() / d.day_seconds);
  if (clock_day <= d.day) return uint64_t{0};
  if (sender_ == nullptr) return uint64_t{0};  // read-only: the next writer closes them
  LT_TRY_STATUS(FollowClock());
  LT_TRY(evm::ChainTxResult r, client_->CloseDays());
  return DaysClosed(r.events).first;
}

Result<AccountInfo> EvmLedger::GetAccount(const crypto::Address& a) {
  LT_TRY(evm::ChainAccount c, client_->Account(a));
  AccountInfo i;
  i.address = a;
  i.wallet = c.wallet;
  i.vault = c.vault;
  i.claimable = c.claimable;
  i.pending_withdrawal = c.pending_withdrawal;
  i.pending_available_day = c.pending_available_day;
  i.allowance_total = c.allowance_total;
  i.allowance_left = c.allowance_left;
  i.router_stake = c.router_stake;
  i.provider_stake = c.provider_stake;
  i.nonce = c.nonce;
  i.day = c.day;
  return i;
}

namespace {
ModelInfo ToModelInfo(const evm::ChainModel& m) {
  ModelInfo i;
  i.name = m.name;
  i.owner = m.owner;
  i.kind = m.kind == 1 ? "agent" : "model";
  i.builder_fee_bps = m.builder_fee_bps;
  for (const auto& [tag, manifest] : m.tags) i.tags[tag] = manifest;
  return i;
}
}  // namespace

Result<std::vector<ModelInfo>> EvmLedger::GetModels() {
  std::vector<ModelInfo> out;
  for (uint64_t offset = 0;; offset += 1000) {
    LT_TRY(auto page, client_->Models(offset, 1000));
    for (const auto& m : page) out.push_back(ToModelInfo(m));
    if (page.size() < 1000) break;
  }
  std::sort(out.begin(), out.end(), [](const ModelInfo& a, const ModelInfo& b) { return a.name < b.name; });
  return out;
}

Result<ModelInfo> EvmLedger::GetModel(const std::string& name) {
  LT_TRY(evm::ChainModel m, client_->Model(name));
  return ToModelInfo(m);
}

Result<std::vector<ProviderInfo>> EvmLedger::GetProviders() {
  std::vector<ProviderInfo> out;
  for (uint64_t offset = 0;; offset += 1000) {
    LT_TRY(auto page, client_->Providers(offset, 1000));
    for (const auto& p : page) {
      ProviderInfo i;
      i.address = p.provider;
      i.endpoint = p.endpoint;
      i.stake = p.stake;
      for (const auto& o : p.offers) {
        OfferInfo oi;
        oi.manifest = o.manifest;
        oi.model = o.model;
        oi.price_per_second = o.price_per_second;
        oi.min_seconds = o.min_seconds;
        oi.tps = o.tps;
        oi.slots = o.slots;
        oi.nonce = o.nonce;
        i.offers.push_back(std::move(oi));
      }
      out.push_back(std::move(i));
    }
    if (page.size() < 1000) break;
  }
  std::sort(out.begin(), out.end(),
            [](const ProviderInfo& a, const ProviderInfo& b) { return a.address.bytes < b.address.bytes; });
  return out;
}

Result<std::vector<RouterInfo>> EvmLedger::GetRouters() {
  std::vector<RouterInfo> out;
  for (uint64_t offset = 0;; offset += 1000) {
    LT_TRY(auto page, client_->Routers(offset, 1000));
    for (const auto& r : page) out.push_back({r.router, r.endpoint, r.stake});
    if (page.size() < 1000) break;
  }
  std::sort(out.begin(), out.end(),
            [](const RouterInfo& a, const RouterInfo& b) { return a.address.bytes < b.address.bytes; });
  return out;
}

Result<std::vector<evm::Log>> EvmLedger::ContractLogs(const std::optional<Hash32>& topic0) {
  evm::LogFilter f;
  f.address = options_.deployment.contract;
  if (topic0) f.topics = {topic0};
  f.from_block = U256(options_.deployment.block).ToHex();
  return rpc_->Logs(f);
}

Result<DayInfo> EvmLedger::GetDay() {
  LT_TRY(evm::ChainDay c, client_->Day());
  DayInfo d;
  d.day = c.day;
  d.clock_day = std::max(c.clock_day, Now() / c.day_seconds);
  d.day_seconds = c.day_seconds;
  d.day_start = c.day * c.day_seconds;
  d.day_end = d.day_start + c.day_seconds;
  d.budget = c.budget;
  d.builders_share = c.builders_share;
  d.users_share = c.users_share;
  d.allowance_spent = c.allowance_spent;
  d.circulating = c.circulating;
  d.session_seconds = c.session_seconds.Low64();
  d.sessions = c.sessions.Low64();
  d.compute_pool = c.compute_pool;
  d.community_pool = c.community_pool;
  d.total_minted = c.total_supply;
  d.emission_compute = c.emission_compute;
  d.emission_community = c.emission_community;
  // The last closed days with activity, from DayClosed (idle days are not listed).
  const evm::Artifact* a = *evm::GetArtifact("ComputeContract");
  if (const evm::AbiEvent* closed = a->abi.FindEvent("DayClosed")) {
    LT_TRY(auto logs, ContractLogs(closed->topic));
    for (auto it = logs.rbegin(); it != logs.rend() && d.closed.size() < 7; ++it) {
      auto e = client_->DecodeEvent(*it);
      if (!e.ok()) continue;
      DayFigures f;
      f.budget = Word(e->args, "budget");
      f.circulating = Word(e->args, "circulating");
      f.allowance_spent = Word(e->args, "allowanceSpent");
      f.builders_paid = Word(e->args, "buildersPaid");
      f.agents_paid = Word(e->args, "agentsPaid");
      f.emission_compute = Word(e->args, "emissionCompute");
      f.emission_community = Word(e->args, "emissionCommunity");
      f.session_seconds = Num(e->args, "sessionSeconds");
      f.sessions = Num(e->args, "sessions");
      d.closed.emplace_back(Num(e->args, "day"), f);
    }
  }
  return d;
}

Result<StatsInfo> EvmLedger::GetStats() {
  LT_TRY(evm::ChainStats c, client_->Stats());
  StatsInfo s;
  s.transactions = c.txs;
  s.tx_log_entries = c.txs;
  s.sessions_settled = c.sessions_settled;
  s.receipts_refused = c.receipts_refused;
  s.settle_batches = c.settle_batches;
  s.DeriveRatios();
  s.models = c.models;
  s.providers = c.providers;
  return s;
}

Result<Genesis> EvmLedger::GetGenesis() {
  LT_TRY(evm::ChainParams p, client_->Params());
  Genesis g;
  g.chain_id = options_.deployment.chain_id;
  g.verifying_contract = options_.deployment.contract;
  g.day_seconds = p.day_seconds;
  g.start_time = p.first_day * p.day_seconds;
  g.compute_emission = {p.compute_initial, p.compute_decrease};
  g.community_emission = {p.community_initial, p.community_decrease};
  g.params.beta_bps = p.beta_bps;
  g.params.budget_bps = p.budget_bps;
  g.params.max_builder_fee_bps = p.max_builder_fee_bps;
  g.params.agent_share_bps = p.agent_share_bps;
  g.params.max_min_seconds = p.max_min_seconds;
  g.params.min_provider_stake = p.min_provider_stake;
  g.params.min_router_stake = p.min_router_stake;
  g.minter = p.minter;
  const evm::Artifact* a = *evm::GetArtifact("ComputeContract");
  if (const evm::AbiEvent* sealed = a->abi.FindEvent("GenesisSealed")) {
    LT_TRY(auto logs, ContractLogs(sealed->topic));
    if (!logs.empty()) {
      auto e = client_->DecodeEvent(logs.front());
      if (e.ok()) {
        g.compute_pool = Word(e->args, "computePool");
        g.community_pool = Word(e->args, "communityPool");
      }
    }
  }
  return g;
}

Result<StateInfo> EvmLedger::GetStateInfo() {
  StateInfo s;
  // The storage roots of the contract and of its token: any change of state changes one.
  Bytes roots;
  for (const crypto::Address& a : {options_.deployment.contract, options_.deployment.token}) {
    LT_TRY(json proof, rpc_->Request("eth_getProof", json::array({a.ToLowerHex(), json::array(), "latest"})));
    if (!proof.is_object() || !proof.value("storageHash", json()).is_string()) {
      return Corrupt("eth_getProof: no storageHash in the answer");
    }
    LT_TRY(Bytes h, HexDecode(proof["storageHash"].get<std::string>()));
    roots.insert(roots.end(), h.begin(), h.end());
  }
  s.state_hash = crypto::Keccak(roots);
  // The part of the money invariant that needs no account list.
  LT_TRY(evm::ChainDay d, client_->Day());
  LT_TRY(U256 held, client_->TokenBalance(options_.deployment.contract));
  U256 floor = *d.compute_pool.CheckedAdd(d.community_pool).value().CheckedAdd(d.builder_escrow);
  s.invariant_ok = held >= floor && d.total_supply >= held;
  if (!s.invariant_ok) {
    s.invariant_error = "the contract holds " + held.ToMor() + " MOR, less than its pools and escrow (" +
                        floor.ToMor() + " MOR) or more than the supply";
  }
  LT_TRY(evm::ChainStats st, client_->Stats());
  s.tx_log_size = st.txs;
  return s;
}

}  // namespace lt::ledger
