// EIP-712 benchmarks: what a router pays to check one signed RFC, against the ceiling measured in
// the same run (STYLE.md, practice 14):
//   native RFC hash + recover (wire::Rfc)   vs raw secp256k1_ecdsa_recover (the ceiling)
//   native RFC digest only                  (hashStruct + 0x1901 digest: keccak cost)
//   generic JSON path: ParseTypedData of the RFC's eth_signTypedData_v4 JSON + recover
// After the run it prints rates and one "ratio" line per pair, computed from thread CPU time.
#include <benchmark/benchmark.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <string>

#include "crypto/eip712.h"
#include "crypto/keys.h"
#include "util/random.h"
#include "rate_timer.h"
#include "wire/messages.h"

namespace {

using lt::wire::Rfc;

using lt::bench::RateTimer;
using lt::bench::Rates;

struct Fixture {
  lt::wire::Domain domain{lt::U256(31337), *lt::crypto::ParseAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3")};
  lt::crypto::PrivateKey key = lt::crypto::PrivateKey::Generate(*lt::SecureRandom::Default());
  Rfc rfc;
  lt::crypto::Signature sig{};
  nlohmann::json typed;
  Fixture() {
    rfc.user = key.GetAddress();
    rfc.model = "meta/llama3:8b-q8_0";
    rfc.max_price_per_second = lt::U256(1'500'000'000'000'000ULL);
    rfc.min_tps = 20;
    rfc.max_latency_ms = 1500;
    rfc.want_seconds = 600;
    rfc.nonce = 42;
    rfc.expires_at = 1'700'000'600;
    sig = rfc.Sign(key, domain);
    typed = rfc.ToTypedDataJson(domain);
  }
};

const Fixture& F() {
  static const Fixture f;
  return f;
}

secp256k1_context* RawCtx() {
  static secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  return ctx;
}

void BM_RawSecp256k1Recover(benchmark::State& state) {
  const Fixture& f = F();
  lt::Hash32 digest = f.rfc.Digest(f.domain);
  secp256k1_ecdsa_recoverable_signature rs;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(RawCtx(), &rs, f.sig.data(), f.sig[64] - 27)) {
    state.SkipWithError("parse failed");
    return;
  }
  RateTimer t("raw_recover", state);
  for (auto _ : state) {
    secp256k1_pubkey pub;
    int ok = secp256k1_ecdsa_recover(RawCtx(), &pub, &rs, digest.data());
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(pub);
  }
  state.counters["recover/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RawSecp256k1Recover);

void BM_RfcHashAndRecoverNative(benchmark::State& state) {
  const Fixture& f = F();
  RateTimer t("native", state);
  for (auto _ : state) {
    auto who = f.rfc.Recover(f.domain, f.sig);
    if (!who.ok() || *who != f.rfc.user) state.SkipWithError("wrong signer");
    benchmark::DoNotOptimize(who);
  }
  state.counters["rfc/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RfcHashAndRecoverNative);

void BM_RfcDigestOnlyNative(benchmark::State& state) {
  const Fixture& f = F();
  RateTimer t("hash_only", state);
  for (auto _ : state) {
    lt::Hash32 d = f.rfc.Digest(f.domain);
    benchmark::DoNotOptimize(d);
  }
  state.counters["rfc/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RfcDigestOnlyNative);

void BM_RfcGenericJsonAndRecover(benchmark::State& state) {
  const Fixture& f = F();
  RateTimer t("generic", state);
  for (auto _ : state) {
    auto td = lt::crypto::ParseTypedData(f.typed);
    if (!td.ok()) {
      state.SkipWithError("parse failed");
      break;
    }
    auto who = lt::crypto::RecoverTypedData(*td, f.sig);
    benchmark::DoNotOptimize(who);
  }
  state.counters["rfc/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RfcGenericJsonAndRecover);

void BM_RfcGenericJsonHashOnly(benchmark::State& state) {
  const Fixture& f = F();
  RateTimer t("generic_hash", state);
  for (auto _ : state) {
    auto td = lt::crypto::ParseTypedData(f.typed);
    benchmark::DoNotOptimize(td);
  }
  state.counters["rfc/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RfcGenericJsonHashOnly);

void PrintRatio(const char* what, const char* ours, const char* peer, const char* peer_name) {
  auto& r = Rates();
  if (!r.count(ours) || !r.count(peer) || r[peer] <= 0) return;
  std::printf("%s ratio: %.2f of %s\n", what, r[ours] / r[peer], peer_name);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  auto& r = Rates();
  for (const char* k : {"raw_recover", "native", "hash_only", "generic", "generic_hash"}) {
    if (r.count(k)) std::printf("%-13s %10.0f /s\n", k, r[k]);
  }
  PrintRatio("RFC hash+recover (native)", "native", "raw_recover", "raw libsecp256k1 recover");
  PrintRatio("RFC hash+recover (generic JSON)", "generic", "raw_recover", "raw libsecp256k1 recover");
  PrintRatio("RFC hash only: native", "hash_only", "generic_hash", "the generic JSON encoder");
  return 0;
}
