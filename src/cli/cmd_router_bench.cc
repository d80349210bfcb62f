// lt bench router: signed RFCs per second end to end over HTTP on 127.0.0.1 (doc/router.md
// "Benchmark"). Everything runs in this process on loopback sockets: an embedded ledger behind
// its HTTP server (the router reaches it over HTTP), N Pong responders speaking the provider's
// liveness route (in-process: no inference is involved in matching), the router's HTTP server,
// and C client threads posting pre-signed RFCs over keep-alive connections. The ceiling is the
// signature work one RFC needs (recover the RFC signature, sign a Pong, recover it, sign the
// Ticket), measured in the same run on all cores.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "cli/commands.h"
#include "ledger/client.h"
#include "ledger/embedded.h"
#include "ledger/server.h"
#include "router/router.h"
#include "router/server.h"
#include "router/testbed.h"
#include "util/log.h"

namespace lt::cli {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

struct BenchFlags {
  int rfcs = 5000;  // per round
  int runs = 3;
  int clients = 16;
  int providers = 4;
  int users = 64;
  double ceiling_seconds = 1.0;
};

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Ceiling {
  double wall_rate = 0;  // RFCs' signature work per wall second on all cores
  double cpu_rate = 0;   // per CPU second
};

// One RFC's worth of signature work per second, on all cores.
Ceiling SignatureCeiling(const wire::Domain& d, double seconds) {
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<uint64_t> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  for (unsigned t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      auto user = router::testbed::Key(static_cast<uint8_t>(t + 1), 0x77);
      auto prov = router::testbed::Key(static_cast<uint8_t>(t + 1), 0x78);
      auto rk = router::testbed::Key(static_cast<uint8_t>(t + 1), 0x79);
      wire::Rfc rfc;
      rfc.user = user.GetAddress();
      rfc.model = "bench/model:latest";
      rfc.max_price_per_second = U256(1000);
      auto sig = rfc.Sign(user, d);
      uint64_t n = 0;
      while (!stop) {
        auto a = rfc.Recover(d, sig);
        wire::Pong p;
        p.challenge[0] = static_cast<uint8_t>(n);
        p.provider = prov.GetAddress();
        auto ps = p.Sign(prov, d);
        auto b = p.Recover(d, ps);
        wire::Ticket tk;
        tk.session_id[0] = static_cast<uint8_t>(n);
        tk.user = a.ok() ? *a : rfc.user;
        tk.provider = b.ok() ? *b : p.provider;
        (void)tk.Sign(rk, d);
        ++n;
        ++done;
      }
    });
  }
  auto t0 = Steady::now();
  double cpu0 = ProcessCpuSeconds();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  double elapsed = std::chrono::duration<double>(Steady::now() - t0).count();
  double cpu = ProcessCpuSeconds() - cpu0;
  // Each iteration is exactly one RFC's four signature operations.
  return Ceiling{done / elapsed, cpu > 0 ? done / cpu : 0};
}

Status RunBench(CommandContext& ctx, const BenchFlags& f) {
  SetLogLevel(LogLevel::kWarn);
  std::string dir = std::filesystem::temp_directory_path() / ("lt-bench-router-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto builder = router::testbed::Key(1);
  auto rkey = router::testbed::Key(2);
  std::vector<crypto::PrivateKey> users, provs;
  std::vector<ledger::Allocation> alloc = {{builder.GetAddress(), U256::FromMor("100").value(), U256()},
                                           {rkey.GetAddress(), U256::FromMor("100").value(), U256()}};
  for (int i = 0; i < f.users; ++i) {
    users.push_back(router::testbed::Key(static_cast<uint8_t>(i), 0x51));
    alloc.push_back({users.back().GetAddress(), U256(), U256::FromMor(std::to_string(1 + i * 37)).value()});
  }
  for (int i = 0; i < f.providers; ++i) {
    provs.push_back(router::testbed::Key(static_cast<uint8_t>(i), 0x61));
    alloc.push_back({provs.back().GetAddress(), U256::FromMor("100").value(), U256()});
  }
  auto g = ledger::DevGenesis(86400, SystemClock::Default()->NowSeconds(), alloc);
  ledger::EmbeddedOptions eo;
  eo.db_path = dir + "/ledger.db";
  LT_TRY(auto embedded, ledger::EmbeddedLedger::Create(eo, g));
  ledger::LedgerServerOptions lso;
  lso.tick_ms = 0;
  ledger::LedgerServer lserver(*embedded, lso);
  LT_TRY(int lport, lserver.Listen("127.0.0.1", 0));
  lserver.Start();
  LT_TRY(auto remote, ledger::RemoteLedger::Connect("http://127.0.0.1:" + std::to_string(lport)));
  wire::Domain domain(U256(embedded->domain().chain_id), embedded->domain().verifying_contract);
  Hash32 manifest{};
  manifest[0] = 0x5a;
  LT_TRY_STATUS(router::testbed::PublishModel(*embedded, builder, "bench/model", "latest", manifest));
  LT_TRY_STATUS(router::testbed::StakeRouter(*embedded, rkey, U256::FromMor("10").value()));
  std::vector<std::unique_ptr<router::testbed::PongServer>> pongs;
  for (int i = 0; i < f.providers; ++i) {
    pongs.push_back(std::make_unique<router::testbed::PongServer>(
        *crypto::PrivateKey::FromBytes(provs[i].secret().span()), domain, 1000000));
    LT_TRY(int port, pongs.back()->Start());
    LT_TRY_STATUS(router::testbed::RegisterProvider(*embedded, provs[i],
                                                    "127.0.0.1:1;http://127.0.0.1:" + std::to_string(port),
                                                    U256::FromMor("2").value()));
    LT_TRY_STATUS(router::testbed::SetOffer(*embedded, provs[i], manifest, U256(1000 + i * 5), 0, 100, 1000000));
  }
  router::RouterOptions ro;
  ro.db_path = dir + "/router.db";
  ro.settle_every_ms = 3600000;
  router::HttpProber prober;
  LT_TRY(auto r, router::Router::Create(ro, *remote, std::move(rkey), SystemClock::Default(), SecureRandom::Default(),
                                        &prober));
  router::RouterServer rserver(*r, ro.queue);
  LT_TRY(int rport, rserver.Listen("127.0.0.1", 0));
  rserver.Start();

  // Pre-signed RFCs (the users' work is not the router's): a warm-up, then `runs` rounds.
  uint64_t exp = SystemClock::Default()->NowSeconds() + 250;
  size_t warm = std::min<size_t>(f.rfcs / 10, 500);
  size_t total = warm + static_cast<size_t>(f.rfcs) * static_cast<size_t>(f.runs);
  std::vector<std::string> bodies;
  bodies.reserve(total);
  for (size_t i = 0; i < total; ++i) {
    wire::Rfc rfc;
    const auto& u = users[i % users.size()];
    rfc.user = u.GetAddress();
    rfc.model = "bench/model:latest";
    rfc.max_price_per_second = U256(2000);
    rfc.want_seconds = 60;
    rfc.nonce = static_cast<uint64_t>(i);
    rfc.expires_at = exp;
    bodies.push_back(wire::RfcRequest::Make(rfc, u, domain).ToJson().dump());
  }
  // Failures by kind ("transport: Read", "HTTP 503 liveness_failed", ...): every one is reported.
  std::mutex fail_mu;
  std::map<std::string, int> failures;
  auto run = [&](size_t from, size_t to, std::vector<double>* lat, std::atomic<int>* ok) {
    auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(rport));
    if (!c.ok()) return;
    for (size_t i = from; i < to; i += f.clients) {
      auto t0 = Steady::now();
      auto res = c->Post("/rfc", bodies[i]);
      lat->push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
      if (res.ok() && res->status == 200) {
        ++*ok;
        continue;
      }
      std::string kind;
      if (!res.ok()) {
        kind = "transport: " + res.error().message.substr(res.error().message.rfind(": ") + 2);
      } else {
        auto j = res->Json();
        kind = "HTTP " + std::to_string(res->status) + " " +
               (j.ok() && j->contains("error") ? (*j)["error"].value("code", std::string()) : std::string());
      }
      std::lock_guard<std::mutex> l(fail_mu);
      ++failures[kind];
    }
  };
  auto round = [&](size_t from, size_t to, std::vector<double>* all) {
    std::vector<std::vector<double>> lats(f.clients);
    std::atomic<int> ok{0};
    auto t0 = Steady::now();
    std::vector<std::thread> ts;
    for (int c = 0; c < f.clients; ++c) ts.emplace_back([&, c] { run(from + c, to, &lats[c], &ok); });
    for (auto& t : ts) t.join();
    double elapsed = std::chrono::duration<double>(Steady::now() - t0).count();
    for (auto& l : lats) all->insert(all->end(), l.begin(), l.end());
    return std::make_pair(ok.load(), elapsed);
  };
  {
    std::vector<double> ignore;
    round(0, warm, &ignore);  // caches, connections
  }
  // Each round is followed by its own ceiling measurement, so both see the same machine load.
  struct Round {
    int ok;
    double seconds, rate, p50, p99, ceiling, ratio, cpu_ratio;
  };
  std::vector<Round> rounds;
  for (int k = 0; k < f.runs; ++k) {
    size_t from = warm + static_cast<size_t>(k) * f.rfcs;
    std::vector<double> all;
    double cpu0 = ProcessCpuSeconds();
    auto [ok, elapsed] = round(from, from + f.rfcs, &all);
    double cpu = ProcessCpuSeconds() - cpu0;
    Ceiling ceiling = SignatureCeiling(domain, f.ceiling_seconds);
    Round rd{ok, elapsed, ok / elapsed, Percentile(all, 0.5), Percentile(all, 0.99), ceiling.wall_rate, 0, 0};
    rd.ratio = ceiling.wall_rate > 0 ? rd.rate / ceiling.wall_rate : 0;
    rd.cpu_ratio = cpu > 0 && ceiling.cpu_rate > 0 ? (ok / cpu) / ceiling.cpu_rate : 0;
    rounds.push_back(rd);
    std::cerr << "round " << k + 1 << "/" << f.runs << ": " << static_cast<int>(rd.rate) << " RFC/s, p50 " << rd.p50
              << " ms, p99 " << rd.p99 << " ms, ceiling " << static_cast<int>(rd.ceiling) << " RFC/s, ratio "
              << 100 * rd.ratio << "% (CPU-time ratio " << 100 * rd.cpu_ratio << "%)\n";
  }
  rserver.Stop();
  r->Stop();
  for (auto& p : pongs) p->Stop();
  lserver.Stop();
  std::filesystem::remove_all(dir);
  std::vector<Round> by_ratio = rounds;
  std::sort(by_ratio.begin(), by_ratio.end(), [](const Round& x, const Round& y) { return x.ratio < y.ratio; });
  const Round& best = by_ratio.back();
  const Round& median = by_ratio[by_ratio.size() / 2];
  std::vector<double> cpu_ratios;
  for (const auto& rd : rounds) cpu_ratios.push_back(rd.cpu_ratio);
  int failed = 0;
  json fails = json::object();
  for (const auto& [k, n] : failures) {
    fails[k] = n;
    failed += n;
  }
  json per_round = json::array();
  for (const auto& rd : rounds) {
    per_round.push_back({{"rfcs", rd.ok}, {"seconds", rd.seconds}, {"rfcs_per_second", rd.rate}, {"p50_ms", rd.p50},
                         {"p99_ms", rd.p99}, {"ceiling_rfcs_per_second", rd.ceiling}, {"ratio", rd.ratio},
                         {"cpu_ratio", rd.cpu_ratio}});
  }
  json j = {{"rfcs_per_round", f.rfcs},
            {"runs", f.runs},
            {"failed", failed},
            {"failures", fails},
            {"clients", f.clients},
            {"providers", f.providers},
            {"provider_kind", "in-process Pong responders over HTTP on 127.0.0.1"},
            {"cores", std::thread::hardware_concurrency()},
            {"rounds", per_round},
            {"best_ratio", best.ratio},
            {"median_ratio", median.ratio},
            {"median_cpu_ratio", Percentile(cpu_ratios, 0.5)},
            {"rfcs_per_second", median.rate},
            {"p50_ms", median.p50},
            {"p99_ms", median.p99},
            {"ratio", median.ratio}};
  char line[768];
  std::snprintf(line, sizeof line,
                "router: %d rounds of %d signed RFCs, %d clients, %d failed\n"
                "median round: %.0f RFC/s (p50 %.2f ms, p99 %.2f ms), ceiling %.0f RFC/s "
                "(RFC sig recover + Pong sign + Pong recover + Ticket sign on %u cores)\n"
                "ratio: best %.1f%%, median %.1f%% of the signature ceiling (median CPU-time ratio %.1f%%)",
                f.runs, f.rfcs, f.clients, failed, median.rate, median.p50, median.p99, median.ceiling,
                std::thread::hardware_concurrency(), 100 * best.ratio, 100 * median.ratio,
                100 * Percentile(cpu_ratios, 0.5));
  std::string human = line;
  for (const auto& [k, n] : failures) human += "\nfailed: " + std::to_string(n) + " x " + k;
  PrintResult(ctx, j, human);
  if (failed > 0) return InternalError(std::to_string(failed) + " RFCs failed (see above)");
  return OkStatus();
}

CLI::App* BenchGroup(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* a) { return a->get_name() == "bench"; })) return sub;
  auto* bench = app.add_subcommand("bench", "Benchmarks of this machine");
  bench->require_subcommand(1);
  return bench;
}

}  // namespace

void RegisterRouterBenchCommand(CLI::App& app, CommandContext& ctx) {
  static BenchFlags f;
  auto* cmd = BenchGroup(app)->add_subcommand("router", "Signed RFCs per second end to end over HTTP, vs the signature ceiling");
  cmd->add_option("--rfcs", f.rfcs, "RFCs to send per round")->capture_default_str()->check(CLI::Range(1, 1000000));
  cmd->add_option("--runs", f.runs, "Rounds (each with its own ceiling measurement); best and median are reported")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--clients", f.clients, "Concurrent client connections")->capture_default_str();
  cmd->add_option("--providers", f.providers, "Pong responders (providers)")->capture_default_str();
  cmd->add_option("--users", f.users, "Distinct users")->capture_default_str();
  cmd->callback([&ctx] { RunCommand(ctx, [&] { return RunBench(ctx, f); }); });
}

}  // namespace lt::cli
