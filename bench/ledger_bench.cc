// Ledger throughput against the signature-recovery ceiling measured in the same run.
//
//   BM_RecoverCeiling     raw secp256k1 public-key recoveries per second, one core: the ceiling.
//   BM_Transfers          signed transfers applied and durably committed (SQLite WAL, FULL sync,
//                         group commit of 256) per second; ratio = transfers/s / recovers/s.
//   BM_SettleReceipts     receipts settled through settle_batch (1000 receipts per batch, two
//                         signatures each) per second; ratio = receipts/s / (recovers/s / 2).
// Signatures are recovered on all cores before the single-threaded apply, so ratios above 1 are
// possible on a multi-core machine. Counters also report transactions per settled session.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "ledger/embedded.h"
#include "ledger/test_fixture.h"

namespace lt::ledger {
namespace {

using testing::MakeReceipt;
using testing::Mor;

double g_recovers_per_second = 0;

crypto::PrivateKey Key(uint32_t i) {
  Bytes b(32, 0);
  b[0] = 0x22;
  b[28] = static_cast<uint8_t>(i >> 24);
  b[29] = static_cast<uint8_t>(i >> 16);
  b[30] = static_cast<uint8_t>(i >> 8);
  b[31] = static_cast<uint8_t>(i);
  return *crypto::PrivateKey::FromBytes(b);
}

std::string TempDb(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("lt-ledger-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / (name + ".db");
  std::filesystem::remove(p);
  return p.string();
}

void BM_RecoverCeiling(benchmark::State& state) {
  crypto::PrivateKey k = Key(1);
  Hash32 digest{};
  digest[0] = 1;
  crypto::Signature sig = k.Sign(digest);
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto a = crypto::Recover(digest, sig);
    benchmark::DoNotOptimize(a);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (s > 0) g_recovers_per_second = static_cast<double>(state.iterations()) / s;
  state.SetItemsProcessed(state.iterations());
  state.counters["recovers_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

double Ceiling() {
  if (g_recovers_per_second > 0) return g_recovers_per_second;
  crypto::PrivateKey k = Key(1);
  Hash32 digest{};
  crypto::Signature sig = k.Sign(digest);
  auto start = std::chrono::steady_clock::now();
  int n = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(300)) {
    benchmark::DoNotOptimize(crypto::Recover(digest, sig));
    ++n;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  g_recovers_per_second = n / s;
  return g_recovers_per_second;
}

void BM_Transfers(benchmark::State& state) {
  const uint32_t kSenders = 256;
  std::vector<crypto::PrivateKey> keys;
  std::vector<Allocation> alloc;
  for (uint32_t i = 0; i < kSenders; ++i) {
    keys.push_back(Key(100 + i));
    alloc.push_back({keys.back().GetAddress(), Mor("1000000"), U256()});
  }
  EmbeddedOptions o;
  o.db_path = TempDb("transfers");
  auto l = EmbeddedLedger::Create(o, DevGenesis(86400, SystemClock::Default()->NowSeconds(), alloc));
  if (!l.ok()) {
    state.SkipWithError(l.error().message.c_str());
    return;
  }
  std::vector<uint64_t> nonces(kSenders, 0);
  uint64_t done = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<SignedTx> group;
    for (uint32_t i = 0; i < kSenders; ++i) {
      Tx t;
      t.type = TxType::kTransfer;
      t.to = keys[(i + 1) % kSenders].GetAddress();
      t.amount = U256(1000 + done);
      t.nonce = nonces[i]++;
      group.push_back(SignTx(t, keys[i], (*l)->domain()));
    }
    state.ResumeTiming();
    auto rs = (*l)->SubmitMany(group);
    for (const auto& r : rs) {
      if (!r.ok()) {
        state.SkipWithError(r.error().message.c_str());
        return;
      }
    }
    done += group.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(done));
  state.counters["transfers_per_s"] =
      benchmark::Counter(static_cast<double>(done), benchmark::Counter::kIsRate);
  state.counters["ceiling_recovers_per_s"] = Ceiling();
  // The ratio is computed from the rate by the reporter: transfers_per_s / ceiling.
  state.counters["ratio_to_ceiling"] =
      benchmark::Counter(static_cast<double>(done) / Ceiling(), benchmark::Counter::kIsRate);
  std::filesystem::remove_all(std::filesystem::path(o.db_path).parent_path());
}

void BM_SettleReceipts(benchmark::State& state) {
  const uint32_t kReceipts = static_cast<uint32_t>(state.range(0));
  crypto::PrivateKey router = Key(1), provider = Key(2), builder = Key(3);
  std::vector<crypto::PrivateKey> users;
  std::vector<Allocation> alloc = {{router.GetAddress(), Mor("1000000"), U256()}};
  for (uint32_t i = 0; i < 64; ++i) {
    users.push_back(Key(1000 + i));
    alloc.push_back({users.back().GetAddress(), U256(), Mor("100000")});
  }
  EmbeddedOptions o;
  o.db_path = TempDb("settle");
  auto created = EmbeddedLedger::Create(o, DevGenesis(86400, SystemClock::Default()->NowSeconds(), alloc));
  if (!created.ok()) {
    state.SkipWithError(created.error().message.c_str());
    return;
  }
  EmbeddedLedger& l = **created;
  Hash32 manifest{};
  manifest[0] = 7;
  {
    Tx reg;
    reg.type = TxType::kRegisterModel;
    reg.name = "bench/model";
    reg.kind = "model";
    reg.builder_fee_bps = 1000;
    Tx tag;
    tag.type = TxType::kSetTag;
    tag.name = "bench/model";
    tag.tag = "latest";
    tag.manifest = manifest;
    tag.nonce = 1;
    Tx stake;
    stake.type = TxType::kStakeRouter;
    stake.amount = Mor("1000");
    for (auto r : l.SubmitMany({SignTx(reg, builder, l.domain()), SignTx(tag, builder, l.domain()),
                                SignTx(stake, router, l.domain())})) {
      if (!r.ok()) {
        state.SkipWithError(r.error().message.c_str());
        return;
      }
    }
  }
  uint64_t router_nonce = 1, settled = 0, session = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Tx batch;
    batch.type = TxType::kSettleBatch;
    batch.nonce = router_nonce++;
    for (uint32_t i = 0; i < kReceipts; ++i, ++session) {
      Receipt r = MakeReceipt(l.domain(), router, users[session % users.size()], provider.GetAddress(),
                              manifest, Mor("0.001"), 10, 3600, 60 + static_cast<uint32_t>(session % 600), 0);
      for (int b = 0; b < 8; ++b) r.ticket.ticket.session_id[24 + b] = static_cast<uint8_t>(session >> (8 * b));
      r.ticket.router_sig = router.Sign(wire::Digest(r.ticket.ticket, l.domain().separator));
      r.voucher.voucher.session_id = r.ticket.ticket.session_id;
      r.voucher.user_sig = users[session % users.size()].Sign(wire::Digest(r.voucher.voucher, l.domain().separator));
      batch.receipts.push_back(std::move(r));
    }
    SignedTx stx = SignTx(std::move(batch), router, l.domain());
    state.ResumeTiming();
    auto res = l.Submit(stx);
    if (!res.ok() || res->outcome.settled != kReceipts) {
      state.SkipWithError(res.ok() ? res->outcome.ToJson().dump().substr(0, 200).c_str()
                                   : res.error().message.c_str());
      return;
    }
    settled += kReceipts;
  }
  auto stats = *l.GetStats();
  state.SetItemsProcessed(static_cast<int64_t>(settled));
  state.counters["receipts_per_s"] =
      benchmark::Counter(static_cast<double>(settled), benchmark::Counter::kIsRate);
  state.counters["ceiling_receipts_per_s"] = Ceiling() / 2;
  state.counters["ratio_to_ceiling"] =
      benchmark::Counter(static_cast<double>(settled) / (Ceiling() / 2), benchmark::Counter::kIsRate);
  state.counters["txs_per_session"] = stats.transactions_per_settled_session.value_or(0);
  std::filesystem::remove_all(std::filesystem::path(o.db_path).parent_path());
}

BENCHMARK(BM_RecoverCeiling)->MinTime(0.5);
BENCHMARK(BM_Transfers)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_SettleReceipts)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(10)->UseRealTime();

}  // namespace
}  // namespace lt::ledger

BENCHMARK_MAIN();
