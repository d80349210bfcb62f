// Crypto benchmarks, each against a peer measured in the same run (STYLE.md, practice 14):
//   keccak-256 over 1 MiB      vs OpenSSL SHA3-256 (the same permutation, another padding)
//   PrivateKey::Sign           vs raw secp256k1_ecdsa_sign_recoverable
//   Recover (parse+recover+keccak) vs raw secp256k1_ecdsa_recover
//   our scrypt (keystore KDF)  vs OpenSSL EVP_PBE_scrypt, at the light keystore cost n=4096 r=8 p=1
// After the run it prints one "ratio" line per pair (ours / peer; 1.0 = as fast as the peer),
// computed from thread CPU time.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <string>

#include "crypto/keccak.h"
#include "crypto/keys.h"
#include "crypto/scrypt.h"
#include "util/random.h"
#include "rate_timer.h"

namespace {

using lt::crypto::PrivateKey;

using lt::bench::RateTimer;
using lt::bench::Rates;

const lt::Bytes& MiB() {
  static const lt::Bytes data = [] {
    lt::Bytes d(1 << 20);
    lt::SeededRandom(1).Fill(d);
    return d;
  }();
  return data;
}

const PrivateKey& Key() {
  static const PrivateKey k = PrivateKey::Generate(*lt::SecureRandom::Default());
  return k;
}

lt::Hash32 Digest(uint64_t i) { return lt::crypto::Keccak(std::to_string(i)); }

secp256k1_context* RawCtx() {
  static secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
  return ctx;
}

void BM_Keccak256_1MiB(benchmark::State& state) {
  const auto& data = MiB();
  RateTimer t("keccak", state, static_cast<double>(data.size()));
  for (auto _ : state) benchmark::DoNotOptimize(lt::crypto::Keccak(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Keccak256_1MiB)->Unit(benchmark::kMillisecond);

void BM_OpenSslSha3_256_1MiB(benchmark::State& state) {
  const auto& data = MiB();
  RateTimer t("sha3", state, static_cast<double>(data.size()));
  unsigned char out[32];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_Digest(data.data(), data.size(), out, &len, EVP_sha3_256(), nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_OpenSslSha3_256_1MiB)->Unit(benchmark::kMillisecond);

void BM_Sign(benchmark::State& state) {
  const auto& key = Key();
  uint64_t i = 0;
  RateTimer t("sign", state);
  for (auto _ : state) benchmark::DoNotOptimize(key.Sign(Digest(i++)));
  state.counters["sign/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Sign);

void BM_RawSecp256k1Sign(benchmark::State& state) {
  const auto& key = Key();
  uint64_t i = 0;
  RateTimer t("raw_sign", state);
  for (auto _ : state) {
    lt::Hash32 d = Digest(i++);
    secp256k1_ecdsa_recoverable_signature sig;
    secp256k1_ecdsa_sign_recoverable(RawCtx(), &sig, d.data(), key.secret().data(), nullptr, nullptr);
    uint8_t out[64];
    int recid = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(RawCtx(), out, &recid, &sig);
    benchmark::DoNotOptimize(out);
  }
  state.counters["sign/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RawSecp256k1Sign);

struct SignedDigests {
  std::vector<lt::Hash32> digests;
  std::vector<lt::crypto::Signature> sigs;
};

const SignedDigests& Signed() {
  static const SignedDigests s = [] {
    SignedDigests out;
    for (uint64_t i = 0; i < 256; ++i) {
      out.digests.push_back(Digest(i));
      out.sigs.push_back(Key().Sign(out.digests.back()));
    }
    return out;
  }();
  return s;
}

void BM_Recover(benchmark::State& state) {
  const auto& s = Signed();
  size_t i = 0;
  RateTimer t("recover", state);
  for (auto _ : state) {
    auto a = lt::crypto::Recover(s.digests[i % 256], s.sigs[i % 256]);
    benchmark::DoNotOptimize(a);
    ++i;
  }
  state.counters["recover/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Recover);

void BM_RawSecp256k1Recover(benchmark::State& state) {
  const auto& s = Signed();
  std::vector<secp256k1_ecdsa_recoverable_signature> parsed(256);
  for (size_t k = 0; k < 256; ++k) {
    secp256k1_ecdsa_recoverable_signature_parse_compact(RawCtx(), &parsed[k], s.sigs[k].data(),
                                                        s.sigs[k][64] - 27);
  }
  size_t i = 0;
  RateTimer t("raw_recover", state);
  for (auto _ : state) {
    secp256k1_pubkey pk;
    int ok = secp256k1_ecdsa_recover(RawCtx(), &pk, &parsed[i % 256], s.digests[i % 256].data());
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(pk);
    ++i;
  }
  state.counters["recover/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RawSecp256k1Recover);

void BM_ScryptLight(benchmark::State& state) {
  uint8_t out[32];
  RateTimer t("scrypt", state);
  for (auto _ : state) {
    auto s = lt::crypto::Scrypt(lt::AsBytes("password"), lt::AsBytes("salt"), 4096, 8, 1, out);
    benchmark::DoNotOptimize(s);
  }
  state.counters["kdf/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScryptLight)->Unit(benchmark::kMillisecond);

void BM_OpenSslScryptLight(benchmark::State& state) {
  uint8_t out[32];
  RateTimer t("openssl_scrypt", state);
  for (auto _ : state) {
    int ok = EVP_PBE_scrypt("password", 8, reinterpret_cast<const uint8_t*>("salt"), 4, 4096, 8, 1,
                            64ULL << 20, out, sizeof out);
    benchmark::DoNotOptimize(ok);
  }
  state.counters["kdf/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_OpenSslScryptLight)->Unit(benchmark::kMillisecond);

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
  if (r.count("keccak")) std::printf("keccak-256: %.0f MB/s\n", r["keccak"] / 1e6);
  PrintRatio("keccak-256", "keccak", "sha3", "OpenSSL SHA3-256");
  if (r.count("sign")) std::printf("sign: %.0f /s\n", r["sign"]);
  PrintRatio("sign", "sign", "raw_sign", "raw libsecp256k1");
  if (r.count("recover")) std::printf("recover: %.0f /s\n", r["recover"]);
  PrintRatio("recover", "recover", "raw_recover", "raw libsecp256k1");
  PrintRatio("scrypt (n=4096 r=8 p=1)", "scrypt", "openssl_scrypt", "OpenSSL EVP_PBE_scrypt");
  return 0;
}
