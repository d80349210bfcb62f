// ComputeContractClient: transactions (encode, send, decode events) and views (eth_call, decode).
#include "evm/compute_client.h"

#include "crypto/eip712.h"
#include "crypto/keccak.h"

namespace lt::evm {

using nlohmann::json;

namespace {

using V = AbiValue;

V Sig(const crypto::Signature& s) {
  Hash32 r, ss;
  std::copy(s.begin(), s.begin() + 32, r.begin());
  std::copy(s.begin() + 32, s.begin() + 64, ss.begin());
  return V::List({V::Bytes32(r), V::Bytes32(ss), V::Uint(U256(s[64]))});
}

V TicketValue(const ChainTicket& t) {
  return V::List({V::Bytes32(t.session_id), V::Addr(t.user), V::Addr(t.provider), V::Addr(t.router),
                  V::Bytes32(t.manifest), V::Uint(t.price_per_second), V::Uint(U256(t.min_seconds)),
                  V::Uint(U256(t.max_seconds)), V::Uint(U256(t.issued_at)), V::Uint(U256(t.expires_at))});
}

V VoucherValue(const ChainVoucher& v) {
  return V::List({V::Bytes32(v.session_id), V::Uint(U256(v.seconds)), V::Uint(U256(v.tokens_out)),
                  V::Uint(U256(v.ttft_ms)), V::Bool(v.is_final)});
}

V ReceiptsValue(const std::vector<SessionReceipt>& rs) {
  std::vector<V> items;
  items.reserve(rs.size());
  for (const auto& r : rs) items.push_back(ComputeContractClient::ReceiptValue(r));
  return V::List(std::move(items));
}

// Field i of a decoded struct (bounds-checked: a short tuple reads as zero).
const V& F(const V& v, size_t i) {
  static const V kZero;
  return i < v.items.size() ? v.items[i] : kZero;
}

U256 Low128(const U256& w) { return U256::FromLimbs({w.limbs()[0], w.limbs()[1], 0, 0}); }
U256 High128(const U256& w) { return U256::FromLimbs({w.limbs()[2], w.limbs()[3], 0, 0}); }

ChainModel ModelFrom(const V& v) {
  ChainModel m;
  m.name = F(v, 0).AsString();
  m.owner = F(v, 1).AsAddress();
  m.kind = static_cast<uint8_t>(F(v, 2).AsU64());
  m.builder_fee_bps = static_cast<uint16_t>(F(v, 3).AsU64());
  for (const auto& t : F(v, 4).items) m.tags.emplace_back(F(t, 0).AsString(), F(t, 1).AsBytes32());
  return m;
}

}  // namespace

AbiValue ComputeContractClient::ReceiptValue(const SessionReceipt& r) {
  return V::List({TicketValue(r.ticket), Sig(r.ticket_sig), VoucherValue(r.voucher), Sig(r.voucher_sig)});
}

Result<ComputeContractClient> ComputeContractClient::Create(EthRpc* rpc, const crypto::Address& contract,
                                                            TxSender* sender) {
  LT_TRY(const Artifact* compute, GetArtifact("ComputeContract"));
  LT_TRY(const Artifact* token, GetArtifact("MorToken"));
  return ComputeContractClient(rpc, contract, sender, compute, token);
}

Error ComputeContractClient::RevertError(const Bytes& data, const std::string& node_message,
                                         const std::vector<SessionReceipt>* receipts) {
  DecodedRevert d = compute_->abi.DecodeRevert(data);
  if (d.name.empty() && data.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition, "the Compute Contract refused: " + node_message);
  }
  U256 min_stake;
  if (d.name == "NoReceiptSettled") {
    if (!min_router_stake_) {
      if (auto p = Params(); p.ok()) min_router_stake_ = p->min_router_stake;
    }
    min_stake = min_router_stake_.value_or(U256());
  }
  return ComputeRevertError(d, token_abi_->abi, min_stake, receipts);
}

Result<ChainEvent> ComputeContractClient::DecodeEvent(const Log& log) const {
  if (log.address != contract_) return InvalidArgument("the log is not the Compute Contract's");
  LT_TRY(auto d, compute_->abi.DecodeLog(log.topics, log.data));
  const AbiEvent& ev = *d.event;
  ChainEvent ce;
  ce.name = ev.name;
  ce.args = json::object();
  for (size_t i = 0; i < ev.inputs.size() && i < d.args.size(); ++i) {
    ce.args[ev.inputs[i].name] = AbiValueToJson(ev.inputs[i].type, d.args[i]);
  }
  return ce;
}

namespace {
U256 ArgWord(const ChainEvent& e, const char* key) {
  const json& v = e.args.value(key, json());
  if (!v.is_string()) return U256();
  auto w = U256::FromDecimal(v.get<std::string>());
  return w.ok() ? *w : U256();
}
Hash32 ArgHash(const ChainEvent& e, const char* key) {
  const json& v = e.args.value(key, json());
  Hash32 h{};
  if (!v.is_string()) return h;
  auto b = HexDecode(v.get<std::string>());
  if (b.ok() && b->size() == 32) std::copy(b->begin(), b->end(), h.begin());
  return h;
}
}  // namespace

std::optional<ReceiptOutcome> ReceiptOutcomeFromEvent(const ChainEvent& e) {
  ReceiptOutcome o;
  if (e.name == "SessionSettled") {
    o.ok = true;
    o.session_id = ArgHash(e, "sessionId");
    o.manifest = ArgHash(e, "manifest");
    U256 record = ArgWord(e, "record");
    FixedBytes<32> be = record.ToBigEndian();
    std::copy(be.begin(), be.begin() + 20, o.provider.bytes.begin());
    o.issued_at = ((record.limbs()[1] & 0xffffffffu) << 32) | (record.limbs()[0] >> 32);
    o.billed_seconds = static_cast<uint32_t>(record.limbs()[0] & 0xffffffffu);
    U256 payment = ArgWord(e, "payment"), stake_fee = ArgWord(e, "stakeAndFee");
    o.from_allowance = High128(payment);
    o.from_vault = Low128(payment);
    o.from_router_stake = High128(stake_fee);
    o.builder_fee = Low128(stake_fee);
    return o;
  }
  if (e.name == "ReceiptRefused") {
    o.session_id = ArgHash(e, "sessionId");
    o.refusal = static_cast<Refusal>(ArgWord(e, "reason").Low64() & 0xff);
    return o;
  }
  return std::nullopt;
}

Result<ChainTxResult> ComputeContractClient::Transact(std::string_view function, const std::vector<AbiValue>& args,
                                                      const std::vector<SessionReceipt>* receipts) {
  if (sender_ == nullptr) return MakeError(ErrorCode::kFailedPrecondition, "read-only Compute Contract client");
  LT_TRY(Bytes data, compute_->abi.EncodeCall(function, args));
  LT_TRY(SendOutcome sent, sender_->Send(contract_, data, U256(), send_options_));
  if (sent.reverted) return RevertError(sent.revert_data, sent.revert_message, receipts);
  const TxReceipt& rec = *sent.receipt;
  ChainTxResult out;
  out.tx_hash = rec.tx_hash;
  out.block = rec.block_number;
  out.gas_used = rec.gas_used;
  for (const auto& log : rec.logs) {
    auto ce = DecodeEvent(log);
    if (!ce.ok()) continue;  // not one of ours
    if (auto o = ReceiptOutcomeFromEvent(*ce)) {
      (o->ok ? out.settled : out.refused) += 1;
      out.receipts.push_back(std::move(*o));
    }
    out.events.push_back(std::move(*ce));
  }
  return out;
}

Result<std::vector<AbiValue>> ComputeContractClient::View(std::string_view function, const std::vector<AbiValue>& args) {
  LT_TRY(Bytes data, compute_->abi.EncodeCall(function, args));
  CallRequest c;
  c.to = contract_;
  c.data = std::move(data);
  LT_TRY(CallOutcome r, rpc_->Call(c));
  if (r.reverted) return RevertError(r.data, r.message, nullptr);
  return compute_->abi.DecodeResult(function, r.data);
}

Result<std::vector<AbiValue>> ComputeContractClient::TokenView(std::string_view function,
                                                               const std::vector<AbiValue>& args) {
  LT_TRY(crypto::Address token, Token());
  LT_TRY(Bytes data, token_abi_->abi.EncodeCall(function, args));
  CallRequest c;
  c.to = token;
  c.data = std::move(data);
  LT_TRY(CallOutcome r, rpc_->Call(c));
  if (r.reverted) return MakeError(ErrorCode::kFailedPrecondition, "token call " + std::string(function) + " reverted");
  return token_abi_->abi.DecodeResult(function, r.data);
}

// ---- Signed ledger transactions -------------------------------------------------------------

Result<ChainTxResult> ComputeContractClient::Transfer(const crypto::Address& from, const crypto::Address& to,
                                                      const U256& amount, uint64_t nonce, const crypto::Signature& sig) {
  return Transact("transfer", {V::Addr(from), V::Addr(to), V::Uint(amount), V::Uint(U256(nonce)), Sig(sig)});
}

Result<ChainTxResult> ComputeContractClient::Deposit(const crypto::Address& owner, const U256& amount, uint64_t nonce,
                                                     const crypto::Signature& sig) {
  return Transact("deposit", {V::Addr(owner), V::Uint(amount), V::Uint(U256(nonce)), Sig(sig)});
}

Result<ChainTxResult> ComputeContractClient::Withdraw(const crypto::Address& owner, const U256& amount, uint64_t nonce,
                                                      const crypto::Signature& sig) {
  return Transact("withdraw", {V::Addr(owner), V::Uint(amount), V::Uint(U256(nonce)), Sig(sig)});
}

Result<ChainTxResult> ComputeContractClient::RegisterModel(const crypto::Address& owner, const std::string& name,
                                                           const std::string& kind, uint32_t builder_fee_bps,
                                                           uint64_t nonce, const crypto::Signature& sig) {
  return Transact("registerModel", {V::Addr(owner), V::Str(name), V::Str(kind), V::Uint(U256(builder_fee_bps)),
                                    V::Uint(U256(nonce)), Sig(sig)});
}

Result<ChainTxResult> ComputeContractClient::SetTag(const crypto::Address& owner, const std::string& name,
                                                    const std::string& tag, const Hash32& manifest, uint64_t nonce,
                                                    const crypto::Signature& sig) {
  return Transact("setTag",
                  {V::Addr(owner), V::Str(name), V::Str(tag), V::Bytes32(manifest), V::Uint(U256(nonce)), Sig(sig)});
}

Result<ChainTxResult> ComputeContractClient::RegisterProvider(const crypto::Address& provider,
                                                              const std::string& endpoint, const U256& stake,
                                                              uint64_t nonce, const crypto::Signature& sig) {
  return Transact("registerProvider", {V::Addr(provider), V::Str(endpoint), V::Uint(stake), V::Uint(U256(nonce)), Sig(sig)});
}

Result<ChainTxResult> ComputeContractClient::SetOffer(const crypto::Address& provider, const Hash32& manifest,
                                                      const U256& price_per_second, uint32_t min_seconds, uint32_t tps,
                                                      uint32_t slots, uint64_t nonce, const crypto::Signature& sig) {
  return Transact("setOffer", {V::Addr(provider), V::Bytes32(manifest), V::Uint(price_per_second),
                               V::Uint(U256(min_seconds)), V::Uint(U256(tps)), V::Uint(U256(slots)),
                               V::Uint(U256(nonce)), Sig(sig)});
}

Result<ChainTxResult> ComputeContractClient::StakeRouter(const crypto::Address& router, const U256& amount,
                                                         uint64_t nonce, const crypto::Signature& sig) {
  return Transact("stakeRouter", {V::Addr(router), V::Uint(amount), V::Uint(U256(nonce)), Sig(sig)});
}

Result<ChainTxResult> ComputeContractClient::SetRouterEndpoint(const crypto::Address& router,
                                                               const std::string& endpoint, uint64_t nonce,
                                                               const crypto::Signature& sig) {
  return Transact("setRouterEndpoint", {V::Addr(router), V::Str(endpoint), V::Uint(U256(nonce)), Sig(sig)});
}

Result<ChainTxResult> ComputeContractClient::Unstake(const crypto::Address& owner, const std::string& role,
                                                     const U256& amount, uint64_t nonce, const crypto::Signature& sig) {
  return Transact("unstake", {V::Addr(owner), V::Str(role), V::Uint(amount), V::Uint(U256(nonce)), Sig(sig)});
}

Result<ChainTxResult> ComputeContractClient::SettleBatchSigned(const crypto::Address& sender,
                                                               const Hash32& receipts_hash, uint32_t count,
                                                               uint64_t nonce, const crypto::Signature& sig,
                                                               const std::vector<SessionReceipt>& receipts) {
  return Transact("settleBatchSigned",
                  {V::Addr(sender), V::Bytes32(receipts_hash), V::Uint(U256(count)), V::Uint(U256(nonce)), Sig(sig),
                   ReceiptsValue(receipts)},
                  &receipts);
}

Result<ChainTxResult> ComputeContractClient::Claim(const crypto::Address& owner, uint64_t nonce,
                                                   const crypto::Signature& sig) {
  return Transact("claim", {V::Addr(owner), V::Uint(U256(nonce)), Sig(sig)});
}

Result<ChainTxResult> ComputeContractClient::CloseDay(const crypto::Address& sender, uint64_t day, uint64_t nonce,
                                                      const crypto::Signature& sig) {
  return Transact("closeDay", {V::Addr(sender), V::Uint(U256(day)), V::Uint(U256(nonce)), Sig(sig)});
}

Result<ChainTxResult> ComputeContractClient::Mint(const crypto::Address& minter, const crypto::Address& to,
                                                  const U256& amount, uint64_t nonce, const crypto::Signature& sig) {
  return Transact("mint", {V::Addr(minter), V::Addr(to), V::Uint(amount), V::Uint(U256(nonce)), Sig(sig)});
}

// ---- Direct calls -----------------------------------------------------------------------------

Result<ChainTxResult> ComputeContractClient::SettleBatch(const std::vector<SessionReceipt>& receipts) {
  return Transact("settleBatch", {ReceiptsValue(receipts)}, &receipts);
}

Result<ChainTxResult> ComputeContractClient::DepositWithPermit(const U256& amount, uint64_t deadline) {
  if (sender_ == nullptr) return MakeError(ErrorCode::kFailedPrecondition, "read-only Compute Contract client");
  const crypto::Address& owner = sender_->address();
  LT_TRY(auto nonce, TokenView("nonces", {V::Addr(owner)}));
  LT_TRY(auto sep, TokenView("DOMAIN_SEPARATOR", {}));
  static const Hash32 kPermit = crypto::Keccak(
      std::string_view("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"));
  Hash32 sh = crypto::StructHasher(kPermit)
                  .Add(crypto::WordAddress(owner))
                  .Add(crypto::WordAddress(contract_))
                  .Add(crypto::WordUint(amount))
                  .Add(crypto::WordUint(nonce[0].word))
                  .Add(crypto::WordUint(deadline))
                  .Finish();
  crypto::Signature sig = sender_->SignDigest(crypto::Eip712Digest(sep[0].AsBytes32(), sh));
  Hash32 r, ss;
  std::copy(sig.begin(), sig.begin() + 32, r.begin());
  std::copy(sig.begin() + 32, sig.begin() + 64, ss.begin());
  return Transact("depositWithPermit", {V::Uint(amount), V::Uint(U256(deadline)), V::Uint(U256(sig[64])),
                                        V::Bytes32(r), V::Bytes32(ss)});
}

Result<ChainTxResult> ComputeContractClient::CloseDays() { return Transact("closeDays", {}); }

Result<ChainTxResult> ComputeContractClient::Release(const crypto::Address& owner) {
  return Transact("release", {V::Addr(owner)});
}

Result<ChainTxResult> ComputeContractClient::GenesisAllocate(const std::vector<Allocation>& allocations) {
  std::vector<V> who, wallets, vaults;
  for (const auto& a : allocations) {
    who.push_back(V::Addr(a.address));
    wallets.push_back(V::Uint(a.wallet));
    vaults.push_back(V::Uint(a.vault));
  }
  return Transact("genesisAllocate", {V::List(who), V::List(wallets), V::List(vaults)});
}

Result<ChainTxResult> ComputeContractClient::GenesisSeal(const U256& compute_pool, const U256& community_pool) {
  return Transact("genesisSeal", {V::Uint(compute_pool), V::Uint(community_pool)});
}

// ---- Views ----------------------------------------------------------------------------------

Result<ChainAccount> ComputeContractClient::Account(const crypto::Address& a) {
  LT_TRY(auto r, View("account", {V::Addr(a)}));
  const V& v = r[0];
  ChainAccount o;
  o.wallet = F(v, 0).word;
  o.vault = F(v, 1).word;
  o.claimable = F(v, 2).word;
  o.pending_withdrawal = F(v, 3).word;
  o.pending_available_day = F(v, 4).AsU64();
  o.allowance_total = F(v, 5).word;
  o.allowance_left = F(v, 6).word;
  o.router_stake = F(v, 7).word;
  o.provider_stake = F(v, 8).word;
  o.nonce = F(v, 9).AsU64();
  o.day = F(v, 10).AsU64();
  return o;
}

Result<ChainDay> ComputeContractClient::Day() {
  LT_TRY(auto r, View("dayInfo", {}));
  const V& v = r[0];
  ChainDay d;
  d.day = F(v, 0).AsU64();
  d.clock_day = F(v, 1).AsU64();
  d.day_seconds = F(v, 2).AsU64();
  d.budget = F(v, 3).word;
  d.builders_share = F(v, 4).word;
  d.users_share = F(v, 5).word;
  d.allowance_spent = F(v, 6).word;
  d.circulating = F(v, 7).word;
  d.session_seconds = F(v, 8).word;
  d.sessions = F(v, 9).word;
  d.compute_pool = F(v, 10).word;
  d.community_pool = F(v, 11).word;
  d.total_supply = F(v, 12).word;
  d.emission_compute = F(v, 13).word;
  d.emission_community = F(v, 14).word;
  d.builder_escrow = F(v, 15).word;
  d.live = F(v, 16).AsBool();
  return d;
}

Result<ChainStats> ComputeContractClient::Stats() {
  LT_TRY(auto r, View("statsInfo", {}));
  const V& v = r[0];
  ChainStats s;
  s.txs = F(v, 0).AsU64();
  s.sessions_settled = F(v, 1).AsU64();
  s.receipts_refused = F(v, 2).AsU64();
  s.settle_batches = F(v, 3).AsU64();
  s.models = F(v, 4).AsU64();
  s.providers = F(v, 5).AsU64();
  s.routers = F(v, 6).AsU64();
  return s;
}

Result<ChainParams> ComputeContractClient::Params() {
  LT_TRY(auto r, View("params", {}));
  const V& v = r[0];
  ChainParams p;
  p.token = F(v, 0).AsAddress();
  if (!F(v, 1).word.IsZero()) p.minter = F(v, 1).AsAddress();
  p.mintable = F(v, 2).AsBool();
  p.day_seconds = F(v, 3).AsU64();
  p.first_day = F(v, 4).AsU64();
  p.compute_initial = F(v, 5).word;
  p.compute_decrease = F(v, 6).word;
  p.community_initial = F(v, 7).word;
  p.community_decrease = F(v, 8).word;
  p.beta_bps = static_cast<uint16_t>(F(v, 9).AsU64());
  p.budget_bps = static_cast<uint16_t>(F(v, 10).AsU64());
  p.max_builder_fee_bps = static_cast<uint16_t>(F(v, 11).AsU64());
  p.agent_share_bps = static_cast<uint16_t>(F(v, 12).AsU64());
  p.min_provider_stake = F(v, 13).word;
  p.min_router_stake = F(v, 14).word;
  p.max_min_seconds = static_cast<uint32_t>(F(v, 15).AsU64());
  token_ = p.token;
  min_router_stake_ = p.min_router_stake;
  return p;
}

Result<ChainModel> ComputeContractClient::Model(const std::string& name) {
  LT_TRY(auto r, View("model", {V::Str(name)}));
  return ModelFrom(r[0]);
}

Result<std::vector<ChainModel>> ComputeContractClient::Models(uint64_t offset, uint64_t limit) {
  LT_TRY(auto r, View("modelsPage", {V::Uint(U256(offset)), V::Uint(U256(limit))}));
  std::vector<ChainModel> out;
  for (const auto& m : r[0].items) out.push_back(ModelFrom(m));
  return out;
}

Result<std::vector<ChainProvider>> ComputeContractClient::Providers(uint64_t offset, uint64_t limit) {
  LT_TRY(auto r, View("providersPage", {V::Uint(U256(offset)), V::Uint(U256(limit))}));
  std::vector<ChainProvider> out;
  for (const auto& p : r[0].items) {
    ChainProvider cp;
    cp.provider = F(p, 0).AsAddress();
    cp.endpoint = F(p, 1).AsString();
    cp.stake = F(p, 2).word;
    for (const auto& o : F(p, 3).items) {
      ChainOffer co;
      co.manifest = F(o, 0).AsBytes32();
      co.model = F(o, 1).AsString();
      co.price_per_second = F(o, 2).word;
      co.min_seconds = static_cast<uint32_t>(F(o, 3).AsU64());
      co.tps = static_cast<uint32_t>(F(o, 4).AsU64());
      co.slots = static_cast<uint32_t>(F(o, 5).AsU64());
      co.nonce = F(o, 6).AsU64();
      cp.offers.push_back(std::move(co));
    }
    out.push_back(std::move(cp));
  }
  return out;
}

Result<std::vector<ChainRouter>> ComputeContractClient::Routers(uint64_t offset, uint64_t limit) {
  LT_TRY(auto r, View("routersPage", {V::Uint(U256(offset)), V::Uint(U256(limit))}));
  std::vector<ChainRouter> out;
  for (const auto& v : r[0].items) out.push_back({F(v, 0).AsAddress(), F(v, 1).AsString(), F(v, 2).word});
  return out;
}

Result<bool> ComputeContractClient::IsSettled(const Hash32& session_id) {
  LT_TRY(auto r, View("isSettled", {V::Bytes32(session_id)}));
  return r[0].AsBool();
}

Result<Hash32> ComputeContractClient::Resolve(const std::string& name, const std::string& tag) {
  LT_TRY(auto r, View("resolve", {V::Str(name), V::Str(tag)}));
  return r[0].AsBytes32();
}

Result<Hash32> ComputeContractClient::DomainSeparator() {
  LT_TRY(auto r, View("domainSeparator", {}));
  return r[0].AsBytes32();
}

Result<crypto::Address> ComputeContractClient::Token() {
  if (token_) return *token_;
  LT_TRY(ChainParams p, Params());
  return p.token;
}

Result<U256> ComputeContractClient::TokenBalance(const crypto::Address& a) {
  LT_TRY(auto r, TokenView("balanceOf", {V::Addr(a)}));
  return r[0].word;
}

}  // namespace lt::evm
