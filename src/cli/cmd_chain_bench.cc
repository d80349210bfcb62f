// lt bench chain: gas of the Compute Contract on a fresh anvil this command starts
// (doc/contracts.md "Gas"). Prints the gas per settled session at batch sizes 1, 10, 100 and
// 1000 next to the Morpheus marketplace's 783,825 gas per repeat session (measured on the same
// anvil by issue 17: approve 46,642 + openSession 434,041 + closeSession 303,142), the gas of
// every one-time transaction, the ledger transactions per session, and where a settled
// session's gas goes (an opcode trace of a 100-receipt batch).
#include <iostream>
#include <map>

#include "cli/commands.h"
#include "crypto/eip712.h"
#include "crypto/keccak.h"
#include "evm/anvil.h"
#include "evm/deploy.h"
#include "ledger/evm_ledger.h"
#include "util/clock.h"
#include "util/random.h"

namespace lt::cli {

namespace {

using nlohmann::json;

constexpr uint64_t kMorpheusRepeatSession = 783825;
constexpr uint64_t kMorpheusEarlyEnd = 975644;

struct BenchOptions {
  std::string batches = "1,10,100,1000";
};

U256 Mor(std::string_view s) { return *U256::FromMor(s); }

crypto::PrivateKey Key(SeededRandom& rng) { return crypto::PrivateKey::Generate(rng); }

// A session id in the proposed layout: the router's address, then a 96-bit sequence number.
Hash32 SessionId(const crypto::Address& router, uint64_t seq) {
  Hash32 id{};
  std::copy(router.bytes.begin(), router.bytes.end(), id.begin());
  for (int i = 0; i < 8; ++i) id[31 - i] = static_cast<uint8_t>(seq >> (8 * i));
  return id;
}

class Bench {
 public:
  Bench(const BenchOptions& o, bool tracing) : o_(o), rng_(17), tracing_(tracing) {}
  Status Run(CommandContext& ctx);
  // On a node that records opcode steps (slow, so a node of its own): one batch of 100, traced.
  Result<nlohmann::json> TracedBreakdown() {
    LT_TRY_STATUS(Setup(110));
    LT_TRY(auto warm, SettleDirect(Receipts(10, 100, false)));  // first writes of shared slots
    (void)warm;
    LT_TRY(auto r, SettleDirect(Receipts(100, 1, false)));
    return Breakdown(r, 100);
  }

 private:
  Status Setup(size_t users);
  Result<evm::ChainTxResult> Relay(const crypto::PrivateKey& key, ledger::Tx tx) {
    LT_TRY(auto a, client_->Account(key.GetAddress()));
    tx.nonce = a.nonce;
    LT_TRY_STATUS(Tick());
    return ledger::RelayToContract(*client_, ledger::SignTx(std::move(tx), key, domain_));
  }
  Status OneTime(const std::string& what, Result<evm::ChainTxResult> r) {
    if (!r.ok()) return r.error().Wrap(what);
    one_time_.emplace_back(what, r->gas_used);
    return OkStatus();
  }
  Status Tick() { return anvil_->SetNextBlockTimestamp(++now_); }
  // `n` receipts of distinct users (from user index `first`, wrapping), session ids from `seq`.
  std::vector<evm::SessionReceipt> Receipts(size_t n, size_t first, bool random_ids, size_t users = 0);
  Result<evm::ChainTxResult> SettleDirect(const std::vector<evm::SessionReceipt>& rs) {
    LT_TRY_STATUS(Tick());
    LT_TRY(auto r, router_client_->SettleBatch(rs));
    if (r.settled != rs.size()) return InternalError("bench: a receipt was refused");
    return r;
  }
  Result<json> Breakdown(const evm::ChainTxResult& r, size_t n);

  BenchOptions o_;
  SeededRandom rng_;
  bool tracing_ = false;
  std::unique_ptr<evm::AnvilNode> anvil_;
  std::unique_ptr<evm::TxSender> deployer_, router_sender_, user_sender_;
  std::unique_ptr<evm::ComputeContractClient> client_, router_client_, user_client_;
  ledger::LedgerDomain domain_;
  std::vector<crypto::PrivateKey> users_;
  std::optional<crypto::PrivateKey> router_, provider_, builder_;
  Hash32 manifest_{};
  uint64_t now_ = 0;
  uint64_t seq_ = 1;
  uint64_t day_seconds_ = 86400;
  std::vector<std::pair<std::string, uint64_t>> one_time_;
};

std::vector<evm::SessionReceipt> Bench::Receipts(size_t n, size_t first, bool random_ids, size_t users) {
  std::vector<evm::SessionReceipt> out;
  out.reserve(n);
  size_t pool = users == 0 ? users_.size() : users;
  for (size_t i = 0; i < n; ++i) {
    const crypto::PrivateKey& user = users_[(first + i) % pool];
    wire::Ticket t;
    t.session_id = SessionId(router_->GetAddress(), seq_++);
    if (random_ids) {
      // The router's address, then 12 random bytes: no two ids share a bitmap word.
      Hash32 r;
      rng_.Fill(r);
      std::copy(r.begin() + 20, r.end(), t.session_id.begin() + 20);
    }
    t.user = user.GetAddress();
    t.provider = provider_->GetAddress();
    t.router = router_->GetAddress();
    t.manifest = manifest_;
    t.price_per_second = Mor("0.001");
    t.min_seconds = 30;
    t.max_seconds = 3600;
    t.issued_at = now_;
    t.expires_at = now_ + 600;
    wire::Voucher v;
    v.session_id = t.session_id;
    v.seconds = static_cast<uint32_t>(60 + rng_.Uniform(540));
    v.tokens_out = static_cast<uint32_t>(100 + rng_.Uniform(2000));
    v.ttft_ms = static_cast<uint32_t>(100 + rng_.Uniform(900));
    v.is_final = true;
    evm::SessionReceipt r;
    r.ticket = ledger::ToChain(t);
    r.ticket_sig = router_->Sign(wire::Digest(t, domain_.separator));
    r.voucher = ledger::ToChain(v);
    r.voucher_sig = user.Sign(wire::Digest(v, domain_.separator));
    out.push_back(r);
  }
  return out;
}

Status Bench::Setup(size_t users) {
  evm::AnvilOptions ao;
  ao.gas_limit = 200'000'000;  // a 1000-receipt batch is ~25 M gas
  ao.steps_tracing = tracing_;  // for the opcode breakdown
  LT_TRY(anvil_, evm::AnvilNode::Start(ao));
  LT_TRY(auto head, anvil_->rpc().Block("latest"));
  now_ = (head.timestamp / day_seconds_ + 1) * day_seconds_;
  LT_TRY(auto dev, crypto::PrivateKey::FromHex(evm::AnvilNode::kDevKeyHex));
  deployer_ = std::make_unique<evm::TxSender>(&anvil_->rpc(), dev, 31337);
  router_ = Key(rng_);
  provider_ = Key(rng_);
  builder_ = Key(rng_);
  for (size_t i = 0; i < users; ++i) users_.push_back(Key(rng_));
  std::vector<ledger::Allocation> alloc = {{router_->GetAddress(), Mor("20000"), U256()},
                                           {provider_->GetAddress(), Mor("100"), U256()}};
  for (size_t i = 0; i < users_.size(); ++i) {
    alloc.push_back({users_[i].GetAddress(), i == 0 ? Mor("100") : U256(), Mor("100")});
  }
  ledger::Genesis g = ledger::DevGenesis(day_seconds_, now_, alloc);
  g.params.min_router_stake = Mor("100");
  evm::DeployConfig config = ledger::DeployConfigFromGenesis(g);
  LT_TRY_STATUS(Tick());
  evm::GasReport gas;
  LT_TRY(evm::Deployment d, evm::DeployComputeContract(*deployer_, config, &gas));
  for (auto& [what, used] : gas) one_time_.emplace_back(what, used);
  LT_TRY(auto latest, anvil_->rpc().Block("latest"));
  now_ = latest.timestamp;
  LT_TRY(auto c, evm::ComputeContractClient::Create(&anvil_->rpc(), d.contract, deployer_.get()));
  client_ = std::make_unique<evm::ComputeContractClient>(std::move(c));
  domain_ = ledger::LedgerDomain::Make(31337, d.contract);
  // The router and one user send their own transactions (ETH for gas).
  LT_TRY_STATUS(anvil_->SetBalance(router_->GetAddress(), OneMor().CheckedMul(U256(1000)).value()));
  LT_TRY_STATUS(anvil_->SetBalance(users_[0].GetAddress(), OneMor()));
  router_sender_ = std::make_unique<evm::TxSender>(&anvil_->rpc(), *router_, 31337);
  user_sender_ = std::make_unique<evm::TxSender>(&anvil_->rpc(), users_[0], 31337);
  LT_TRY(auto rc, evm::ComputeContractClient::Create(&anvil_->rpc(), d.contract, router_sender_.get()));
  router_client_ = std::make_unique<evm::ComputeContractClient>(std::move(rc));
  LT_TRY(auto uc, evm::ComputeContractClient::Create(&anvil_->rpc(), d.contract, user_sender_.get()));
  user_client_ = std::make_unique<evm::ComputeContractClient>(std::move(uc));

  // The market: a model, a staked router with an endpoint, a provider with an offer.
  manifest_[0] = 0x5a;
  ledger::Tx reg;
  reg.type = ledger::TxType::kRegisterModel;
  reg.name = "bench/stories";
  reg.kind = "model";
  reg.builder_fee_bps = 1000;
  LT_TRY_STATUS(OneTime("registerModel (new namespace)", Relay(*builder_, reg)));
  ledger::Tx tag;
  tag.type = ledger::TxType::kSetTag;
  tag.name = "bench/stories";
  tag.tag = "latest";
  tag.manifest = manifest_;
  LT_TRY_STATUS(OneTime("setTag", Relay(*builder_, tag)));
  ledger::Tx stake;
  stake.type = ledger::TxType::kStakeRouter;
  stake.amount = Mor("10000");
  LT_TRY_STATUS(OneTime("stakeRouter", Relay(*router_, stake)));
  {
    LT_TRY(auto a, client_->Account(router_->GetAddress()));
    static const Hash32 th =
        crypto::Keccak(std::string_view("RouterEndpoint(address router,string endpoint,uint64 nonce)"));
    Hash32 sh = crypto::StructHasher(th)
                    .Add(crypto::WordAddress(router_->GetAddress()))
                    .Add(crypto::WordString("127.0.0.1:7600"))
                    .Add(crypto::WordUint(a.nonce))
                    .Finish();
    LT_TRY_STATUS(Tick());
    LT_TRY_STATUS(OneTime("setRouterEndpoint",
                          client_->SetRouterEndpoint(router_->GetAddress(), "127.0.0.1:7600", a.nonce,
                                                     router_->Sign(crypto::Eip712Digest(domain_.separator, sh)))));
  }
  ledger::Tx prov;
  prov.type = ledger::TxType::kRegisterProvider;
  prov.endpoint = "127.0.0.1:7000";
  prov.amount = Mor("10");
  LT_TRY_STATUS(OneTime("registerProvider", Relay(*provider_, prov)));
  ledger::Tx offer;
  offer.type = ledger::TxType::kSetOffer;
  offer.manifest = manifest_;
  offer.price_per_second = Mor("0.001");
  offer.min_seconds = 30;
  offer.tps = 100;
  offer.slots = 8;
  LT_TRY_STATUS(OneTime("setOffer", Relay(*provider_, offer)));
  ledger::Tx dep;
  dep.type = ledger::TxType::kDeposit;
  dep.amount = Mor("10");
  LT_TRY_STATUS(OneTime("deposit (signed, relayed)", Relay(users_[0], dep)));
  LT_TRY_STATUS(Tick());
  LT_TRY_STATUS(OneTime("depositWithPermit (the user's own tx)", user_client_->DepositWithPermit(Mor("10"), now_ + 600)));
  ledger::Tx wd;
  wd.type = ledger::TxType::kWithdraw;
  wd.amount = Mor("5");
  LT_TRY_STATUS(OneTime("withdraw", Relay(users_[0], wd)));
  return OkStatus();
}

// Where the gas of a settlement goes, per receipt, from an opcode trace.
Result<json> Bench::Breakdown(const evm::ChainTxResult& r, size_t n) {
  LT_TRY(json trace, anvil_->rpc().Request(
                         "debug_traceTransaction",
                         json::array({HexEncode0x(r.tx_hash),
                                      {{"disableStack", true}, {"disableMemory", true}, {"disableStorage", true}}})));
  if (!trace.contains("structLogs") || !trace["structLogs"].is_array()) {
    return InvalidArgument("debug_traceTransaction: no structLogs");
  }
  std::map<std::string, uint64_t> by;
  uint64_t precompile_calls = 0;
  for (const auto& s : trace["structLogs"]) {
    std::string op = s.value("op", "");
    uint64_t cost = s.value("gasCost", uint64_t{0});
    if (op == "STATICCALL") {
      ++precompile_calls;  // only ecrecover is called statically
      continue;
    }
    std::string cat = op == "SSTORE"                 ? "storage writes (SSTORE)"
                      : op == "SLOAD"                ? "storage reads (SLOAD)"
                      : op.starts_with("LOG")        ? "events (LOG)"
                      : op == "KECCAK256"            ? "hashing (KECCAK256)"
                                                     : "other execution (decoding, arithmetic, memory)";
    by[cat] += cost;
  }
  // Calldata: 4 gas per zero byte, 16 per non-zero byte, plus the 21,000 of any transaction.
  LT_TRY(json tx, anvil_->rpc().Request("eth_getTransactionByHash", json::array({HexEncode0x(r.tx_hash)})));
  LT_TRY(Bytes input, evm::ParseData(tx["input"], "input"));
  uint64_t calldata = 0;
  for (uint8_t b : input) calldata += b == 0 ? 4 : 16;
  uint64_t ecrecover = precompile_calls * 3000 + precompile_calls * 100;  // precompile + warm call
  uint64_t accounted = 21000 + calldata + ecrecover;
  for (const auto& [k, v] : by) accounted += v;
  json per = json::object();
  auto put = [&](const std::string& k, uint64_t v) { per[k] = static_cast<double>(v) / static_cast<double>(n); };
  put("signature recovery (2 x ecrecover)", ecrecover);
  put("calldata", calldata);
  for (const auto& [k, v] : by) put(k, v);
  put("transaction base (21,000 per batch)", 21000);
  json out = {{"batch", n}, {"gas_used", r.gas_used}, {"per_settled_session", per},
              {"calldata_bytes_per_receipt", static_cast<double>(input.size()) / static_cast<double>(n)},
              {"unattributed", static_cast<int64_t>(r.gas_used) - static_cast<int64_t>(accounted)}};
  return out;
}

Status Bench::Run(CommandContext& ctx) {
  std::vector<size_t> batches;
  for (size_t pos = 0; pos < o_.batches.size();) {
    size_t comma = o_.batches.find(',', pos);
    std::string part = o_.batches.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t b = static_cast<size_t>(std::strtoull(part.c_str(), nullptr, 10));
    if (b == 0 || b > 1000) return InvalidArgument("--batches: each size must be 1 to 1000, got '" + part + "'");
    batches.push_back(b);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  // Users with a vault: each batch has distinct users (the dearest case for storage).
  size_t max_batch = 100;
  for (size_t b : batches) max_batch = std::max(max_batch, b);
  LT_TRY_STATUS(Setup(max_batch + 10));
  json per_session = json::object(), per_tx = json::object(), txs_per_session = json::object();
  size_t next_user = 1;
  for (size_t b : batches) {
    LT_TRY(auto r, SettleDirect(Receipts(b, next_user, false)));
    next_user += b;
    per_session[std::to_string(b)] = r.gas_used / b;
    per_tx[std::to_string(b)] = r.gas_used;
    txs_per_session[std::to_string(b)] = 1.0 / static_cast<double>(b);
  }
  // Variants at batch 100.
  json variants = json::object();
  {
    LT_TRY(auto r, SettleDirect(Receipts(100, next_user, true)));
    variants["random session sequences (a storage slot each)"] = r.gas_used / 100;
  }
  {
    LT_TRY(auto r, SettleDirect(Receipts(100, 0, false, 10)));
    variants["10 users, 10 sessions each"] = r.gas_used / 100;
  }
  {
    // The relayed form: the router signs SettleBatch, anyone pays the gas.
    auto rs = Receipts(100, next_user + 5, false);
    ledger::Tx t;
    t.type = ledger::TxType::kSettleBatch;
    std::vector<ledger::Receipt> lr;
    for (const auto& r : rs) {
      ledger::Receipt x;
      x.ticket.ticket = {r.ticket.session_id, r.ticket.user,        r.ticket.provider,    r.ticket.router,
                         r.ticket.manifest,   r.ticket.price_per_second, r.ticket.min_seconds, r.ticket.max_seconds,
                         r.ticket.issued_at,  r.ticket.expires_at};
      x.ticket.router_sig = r.ticket_sig;
      x.voucher.voucher = {r.voucher.session_id, r.voucher.seconds, r.voucher.tokens_out, r.voucher.ttft_ms,
                           r.voucher.is_final};
      x.voucher.user_sig = r.voucher_sig;
      lr.push_back(x);
    }
    t.receipts = lr;
    LT_TRY(auto r, Relay(*router_, t));
    variants["settleBatchSigned (relayed, EIP-712 SettleBatch)"] = r.gas_used / 100;
  }
  json breakdown;
  {
    Bench traced(o_, /*tracing=*/true);
    auto b = traced.TracedBreakdown();
    breakdown = b.ok() ? *b : json{{"error", b.error().message}};
  }
  // A day with sessions closes (lazily: whoever sends the first transaction of the next day pays
  // it, or anyone calls closeDays); then the provider and the builder claim.
  now_ = (now_ / day_seconds_ + 1) * day_seconds_;
  LT_TRY_STATUS(Tick());
  LT_TRY_STATUS(OneTime("closeDays (a day with sessions)", client_->CloseDays()));
  ledger::Tx claim;
  claim.type = ledger::TxType::kClaim;
  LT_TRY_STATUS(OneTime("claim (provider)", Relay(*provider_, claim)));
  LT_TRY_STATUS(OneTime("claim (builder: fees + builders' share, credited lazily)", Relay(*builder_, claim)));
  LT_TRY_STATUS(Tick());
  LT_TRY_STATUS(OneTime("release (a matured withdrawal)", client_->Release(users_[0].GetAddress())));

  uint64_t at100 = per_session.contains("100") ? per_session["100"].get<uint64_t>() : 0;
  json one = json::object();
  for (const auto& [k, v] : one_time_) one[k] = v;
  json j = {{"gas_per_settled_session", per_session},
            {"gas_per_settle_transaction", per_tx},
            {"ledger_transactions_per_session", txs_per_session},
            {"transactions_to_open_a_session", 0},
            {"variants_at_batch_100", variants},
            {"one_time_transactions", one},
            {"where_the_gas_goes_at_batch_100", breakdown},
            {"morpheus_gas_per_repeat_session", kMorpheusRepeatSession},
            {"morpheus_gas_per_session_ended_early", kMorpheusEarlyEnd},
            {"ratio_morpheus_over_ours_at_batch_100",
             at100 ? static_cast<double>(kMorpheusRepeatSession) / static_cast<double>(at100) : 0.0},
            {"aim_at_batch_100", 39000},
            {"anvil", anvil_->url()}};
  if (ctx.global.json) {
    std::cout << j.dump(2) << std::endl;
    return OkStatus();
  }
  std::cout << "lt bench chain: the Compute Contract on anvil (" << anvil_->url() << ")\n\n";
  std::cout << "settlement (the router's own transaction, distinct users, session ids router||sequence)\n";
  std::cout << "  batch   gas per tx    gas per settled session   ledger tx per session   Morpheus / ours\n";
  for (size_t b : batches) {
    uint64_t g = per_session[std::to_string(b)];
    char line[200];
    snprintf(line, sizeof line, "  %5zu  %11llu    %22llu   %21.4f   %14.1fx\n", b,
             static_cast<unsigned long long>(per_tx[std::to_string(b)].get<uint64_t>()),
             static_cast<unsigned long long>(g), 1.0 / static_cast<double>(b),
             static_cast<double>(kMorpheusRepeatSession) / static_cast<double>(g));
    std::cout << line;
  }
  std::cout << "  Morpheus (same anvil): " << kMorpheusRepeatSession << " gas per repeat session (approve + openSession + "
            << "closeSession), " << kMorpheusEarlyEnd << " when it ends early; 2+ transactions per session.\n"
            << "  Ours: 0 transactions to open a session; aim at batch 100: <= 39,000 gas per settled session.\n\n";
  std::cout << "variants at batch 100 (gas per settled session)\n";
  for (const auto& [k, v] : variants.items()) std::cout << "  " << k << ": " << v << "\n";
  std::cout << "\nwhere a settled session's gas goes (batch of 100, opcode trace, per session)\n";
  if (breakdown.contains("per_settled_session")) {
    for (const auto& [k, v] : breakdown["per_settled_session"].items()) {
      char line[160];
      snprintf(line, sizeof line, "  %-52s %8.0f\n", k.c_str(), v.get<double>());
      std::cout << line;
    }
    std::cout << "  (calldata bytes per receipt: " << breakdown["calldata_bytes_per_receipt"]
              << "; unattributed: " << breakdown["unattributed"] << " gas per batch)\n";
  } else {
    std::cout << "  " << breakdown.dump() << "\n";
  }
  std::cout << "\none-time transactions (gas)\n";
  for (const auto& [k, v] : one_time_) {
    char line[160];
    snprintf(line, sizeof line, "  %-58s %10llu\n", k.c_str(), static_cast<unsigned long long>(v));
    std::cout << line;
  }
  return OkStatus();
}

}  // namespace

void RegisterChainBench(CLI::App& app, CommandContext& ctx) {
  auto* bench = BenchGroup(app)->add_subcommand(
      "chain", "Gas of the Compute Contract per settled session and per transaction, on a fresh anvil");
  static BenchOptions o;
  bench->add_option("--batches", o.batches, "Comma-separated batch sizes (each 1 to 1000)")->capture_default_str();
  bench->callback([&ctx] {
    RunCommand(ctx, [&]() -> Status {
      Bench b(o, /*tracing=*/false);
      return b.Run(ctx);
    });
  });
}

}  // namespace lt::cli
