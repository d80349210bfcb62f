// lt bench router: signed RFCs per second end to end over HTTP on 127.0.0.1 (doc/router.md
// "Benchmark"). This process runs an embedded ledger behind its HTTP server (the router and the
// providers reach it over HTTP), the router's HTTP server, and a one-thread epoll load generator
// (testkit/http_load.h) posting pre-signed RFCs over C keep-alive connections. The providers are real
// `lt provider serve` child processes (the shipped tiny model, tps configured so nothing is
// measured) that register and publish their offers on the ledger themselves; the router pings
// each over HTTP before a ticket. The ceiling is the signature work one RFC needs (recover the
// RFC signature, sign a Pong, recover it, sign the Ticket), measured in the same run on all
// cores; the CPU-time ratio counts this process and the provider children.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "testkit/http_load.h"
#include "crypto/keystore.h"
#include "devnet/plan.h"
#include "devnet/supervisor.h"
#include "ledger/client.h"
#include "ledger/embedded.h"
#include "ledger/server.h"
#include "router/router.h"
#include "router/server.h"
#include "rpc/router_client.h"
#include "util/clock.h"
#include "testkit/router_world.h"
#include "util/log.h"
#include "util/random.h"
#include "util/json.h"

namespace lt::cli {
namespace {

using nlohmann::json;
using Steady = std::chrono::steady_clock;

constexpr const char* kModelName = "bench/stories";
constexpr const char* kModelRef = "bench/stories:260k";

struct BenchFlags {
  int rfcs = 5000;  // per round
  int runs = 3;
  int clients = 16;
  int providers = 4;
  int users = 64;
  int start_timeout_seconds = 60;
  double ceiling_seconds = 1.0;
  std::string models_dir;
};

// CPU seconds of a child: the sum of its threads' on-CPU nanoseconds (/proc/<pid>/task/*/schedstat,
// first field), exact where utime + stime count 10 ms ticks (a short round of 4 providers would
// read 0); those (/proc/<pid>/stat fields 14 and 15) when schedstat is missing; 0 if unreadable.
double ChildCpuSeconds(pid_t pid) {
  std::error_code ec;
  unsigned long long ns = 0;
  bool any = false;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream st(task.path() / "schedstat");
    unsigned long long v = 0;
    if (st >> v) {
      ns += v;
      any = true;
    }
  }
  if (any) return static_cast<double>(ns) / 1e9;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t p = s.rfind(')');  // the command name may hold spaces and parentheses
  if (p == std::string::npos) return 0;
  std::istringstream in(s.substr(p + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {  // field 3 is the state
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
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
      auto user = testkit::Key(static_cast<uint8_t>(t + 1), 0x77);
      auto prov = testkit::Key(static_cast<uint8_t>(t + 1), 0x78);
      auto rk = testkit::Key(static_cast<uint8_t>(t + 1), 0x79);
      wire::Rfc rfc;
      rfc.user = user.GetAddress();
      rfc.model = kModelRef;
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

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
  f.close();
  if (!f) return IoError("cannot write " + path);
  return OkStatus();
}

// One `lt provider serve` child: its files, ports and key.
struct ProviderChild {
  std::string name, datadir, config, log;
  int session_port = 0, http_port = 0;
  crypto::Address address;
};

// Writes the provider's keystore (light scrypt), password file and provider.toml (doc/provider.md).
Result<ProviderChild> PrepareProvider(int i, const crypto::PrivateKey& key, const std::string& dir,
                                      const std::string& ledger_url, const std::string& router_address,
                                      const std::string& models_dir, std::set<int>* used_ports) {
  ProviderChild p;
  p.name = "provider" + std::to_string(i + 1);
  p.datadir = dir + "/" + p.name;
  p.config = p.datadir + "/provider.toml";
  p.log = p.datadir + "/provider.log";
  p.address = key.GetAddress();
  std::filesystem::create_directories(p.datadir);
  for (int* port : {&p.session_port, &p.http_port}) {
    do {
      LT_TRY(*port, devnet::PickFreePort());
    } while (!used_ports->insert(*port).second);
  }
  const std::string password = "bench";
  SecureRandom rng;
  LT_TRY(std::string ks, crypto::EncryptKeystore(key, AsBytes(password), crypto::LightKdfParams(), rng));
  LT_TRY_STATUS(WriteText(p.datadir + "/key.json", ks));
  LT_TRY_STATUS(WriteText(p.datadir + "/key.pw", password + "\n"));
  // Prices 1000, 1005, 1010, ... base units: within 2 %, so matching spreads the near-tie.
  std::string price = U256(static_cast<uint64_t>(1000 + 5 * i)).ToMor();
  std::string hp = "127.0.0.1:" + std::to_string(p.http_port);
  std::string sp = "127.0.0.1:" + std::to_string(p.session_port);
  std::ostringstream t;
  t << "# Written by lt bench router (doc/router.md \"Benchmark\").\n"
    << "keystore = \"key.json\"\npassword_file = \"key.pw\"\n"
    << "listen = \"" << sp << "\"\nhttp_listen = \"" << hp << "\"\nendpoint = \"" << sp << "\"\n"
    << "stake = \"10\"\nledger = \"" << ledger_url << "\"\n"
    << "accepted_routers = [\"" << router_address << "\"]\n\n"
    << "[[model]]\nname = \"" << kModelRef << "\"\nbackend = \"builtin\"\n"
    << "path = \"" << models_dir << "/stories260K.bin\"\ntokenizer = \"" << models_dir << "/tok512.bin\"\n"
    << "price = \"" << price << "\"\nmin_seconds = 1\nslots = 1000\nthreads = 1\ntps = 100\n";
  LT_TRY_STATUS(WriteText(p.config, t.str()));
  return p;
}

// Waits until the router's GET /providers lists every provider with an offer (the router reads
// offers from the ledger every 5 s), while the children are alive.
Status WaitForOffers(devnet::Supervisor& sup, const std::vector<ProviderChild>& ps, int rport,
                     int timeout_s) {
  rpc::RouterClient router({"http://127.0.0.1:" + std::to_string(rport)});
  auto deadline = Steady::now() + std::chrono::seconds(timeout_s);
  std::set<std::string> missing;
  while (true) {
    for (const auto& [name, code] : sup.Exited()) {
      return MakeError(ErrorCode::kUnavailable, name + " exited with code " + std::to_string(code) +
                                                    "; last lines of " + sup.LogPath(name) + ":\n" +
                                                    devnet::Supervisor::Tail(sup.LogPath(name)));
    }
    missing.clear();
    for (const auto& p : ps) missing.insert(p.address.ToChecksumHex());
    auto views = router.Providers();
    if (!views.empty() && views[0].answer.ok()) {
      for (const auto& p : *views[0].answer) {
        if (!p.offers.empty()) missing.erase(p.address.ToChecksumHex());
      }
    }
    if (missing.empty()) return OkStatus();
    if (Steady::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  std::string msg = "within " + std::to_string(timeout_s) + " s the router did not see the offer of";
  for (const auto& p : ps) {
    if (!missing.count(p.address.ToChecksumHex())) continue;
    msg += "\n" + p.name + " (" + p.address.ToChecksumHex() + "); last lines of " + p.log + ":\n" +
           devnet::Supervisor::Tail(p.log);
  }
  return MakeError(ErrorCode::kTimeout, msg);
}

struct TempDirGuard {
  std::string path;
  ~TempDirGuard() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

Status RunBench(CommandContext& ctx, const BenchFlags& f) {
  SetLogLevel(LogLevel::kWarn);
  namespace fs = std::filesystem;
  std::string models = fs::absolute(f.models_dir).lexically_normal().string();
  for (const char* file : {"stories260K.bin", "tok512.bin"}) {
    if (!fs::exists(models + "/" + file)) {
      return NotFound("the shipped model file " + models + "/" + file +
                      " is missing (set LT_MODELS_DIR or --models)");
    }
  }
  TempDirGuard dir{(fs::temp_directory_path() / ("lt-bench-router-" + std::to_string(getpid()))).string()};
  fs::remove_all(dir.path);
  fs::create_directories(dir.path);
  auto builder = testkit::Key(1);
  auto rkey = testkit::Key(2);
  std::string router_address = rkey.GetAddress().ToChecksumHex();
  std::vector<crypto::PrivateKey> users, provs;
  std::vector<ledger::Allocation> alloc = {{builder.GetAddress(), U256::FromMor("100").value(), U256()},
                                           {rkey.GetAddress(), U256::FromMor("100").value(), U256()}};
  for (int i = 0; i < f.users; ++i) {
    users.push_back(testkit::Key(static_cast<uint8_t>(i), 0x51));
    alloc.push_back({users.back().GetAddress(), U256(), U256::FromMor(std::to_string(1 + i * 37)).value()});
  }
  for (int i = 0; i < f.providers; ++i) {
    provs.push_back(testkit::Key(static_cast<uint8_t>(i), 0x61));
    alloc.push_back({provs.back().GetAddress(), U256::FromMor("100").value(), U256()});
  }
  auto g = ledger::DevGenesis(86400, SystemClock::Default()->NowSeconds(), alloc);
  ledger::EmbeddedOptions eo;
  eo.db_path = dir.path + "/ledger.db";
  LT_TRY(auto embedded, ledger::EmbeddedLedger::Create(eo, g));
  ledger::LedgerServerOptions lso;
  lso.tick_ms = 0;
  ledger::LedgerServer lserver(*embedded, lso);
  LT_TRY(int lport, lserver.Listen("127.0.0.1", 0));
  lserver.Start();
  std::string ledger_url = "http://127.0.0.1:" + std::to_string(lport);
  LT_TRY(auto remote, ledger::RemoteLedger::Connect(ledger_url));
  wire::Domain domain(U256(embedded->domain().chain_id), embedded->domain().verifying_contract);
  // The builder tags the model; the providers take the manifest from this tag (doc/provider.md).
  Hash32 manifest{};
  manifest[0] = 0x5a;
  LT_TRY_STATUS(testkit::PublishModel(*embedded, builder, kModelName, "260k", manifest));
  LT_TRY_STATUS(testkit::StakeRouter(*embedded, rkey, U256::FromMor("10").value()));
  // The providers are children of this process (SIGTERM if it dies). `sup` is declared before
  // the router so that on every return the router and its prober's keep-alive connections go
  // first: a provider then stops at once instead of waiting for those connections to idle out.
  devnet::Supervisor sup("/proc/self/exe", nullptr);
  router::RouterOptions ro;
  ro.db_path = dir.path + "/router.db";
  ro.settle_every_ms = 3600000;
  auto prober = std::make_unique<router::HttpProber>();
  LT_TRY(auto r, router::Router::Create(ro, *remote, std::move(rkey), SystemClock::Default(),
                                        SecureRandom::Default(), prober.get()));
  auto rserver = std::make_unique<router::RouterServer>(*r, ro.queue);
  LT_TRY(int rport, rserver->Listen("127.0.0.1", 0));
  rserver->Start();

  auto t_start = Steady::now();
  std::vector<ProviderChild> children;
  std::set<int> used_ports{lport, rport};
  for (int i = 0; i < f.providers; ++i) {
    LT_TRY(auto p, PrepareProvider(i, provs[i], dir.path, ledger_url, router_address, models, &used_ports));
    LT_TRY(auto pid,
           sup.Start(p.name, {"--datadir", p.datadir, "provider", "serve", "--config", p.config}, p.log));
    (void)pid;
    children.push_back(p);
  }
  for (const auto& p : children) {
    LT_TRY_STATUS(sup.WaitReady(p.name, "http://127.0.0.1:" + std::to_string(p.http_port), "/health",
                                f.start_timeout_seconds * 1000));
  }
  LT_TRY_STATUS(WaitForOffers(sup, children, rport, f.start_timeout_seconds));
  double start_seconds = std::chrono::duration<double>(Steady::now() - t_start).count();
  auto children_cpu = [&] {
    double s = 0;
    for (const auto& p : children) s += ChildCpuSeconds(sup.Pid(p.name));
    return s;
  };

  // Pre-built requests of pre-signed RFCs (the users' work is not the router's): a warm-up,
  // then `runs` rounds.
  uint64_t exp = SystemClock::Default()->NowSeconds() + 250;
  size_t warm = std::min<size_t>(f.rfcs / 10, 500);
  size_t total = warm + static_cast<size_t>(f.rfcs) * static_cast<size_t>(f.runs);
  std::vector<std::string> requests;
  requests.reserve(total);
  for (size_t i = 0; i < total; ++i) {
    wire::Rfc rfc;
    const auto& u = users[i % users.size()];
    rfc.user = u.GetAddress();
    rfc.model = kModelRef;
    rfc.max_price_per_second = U256(2000);
    rfc.want_seconds = 60;
    rfc.nonce = static_cast<uint64_t>(i);
    rfc.expires_at = exp;
    requests.push_back(
        testkit::BuildPostRequest(rport, "/rfc", wire::RfcRequest::Make(rfc, u, domain).ToJson().dump()));
  }
  testkit::HttpLoadOptions lo;
  lo.port = rport;
  lo.connections = f.clients;
  // Failures by kind ("transport: ...", "HTTP 503 liveness_failed", ...): every one is reported.
  std::map<std::string, int> failures;
  for (const auto& [k, n] : testkit::RunHttpLoad(lo, requests, 0, warm).failures)
    failures[k] += n;  // caches, connections
  // Each round is followed by its own ceiling measurement, so both see the same machine load.
  struct Round {
    size_t ok;
    double seconds, rate, p50, p99, ceiling, ratio, cpu_ratio, cpu_self, cpu_providers, cpu_client;
  };
  std::vector<Round> rounds;
  for (int k = 0; k < f.runs; ++k) {
    size_t from = warm + static_cast<size_t>(k) * f.rfcs;
    double cpu0 = ProcessCpuSeconds(), child0 = children_cpu();
    testkit::HttpLoadResult res = testkit::RunHttpLoad(lo, requests, from, from + f.rfcs);
    double cpu_self = ProcessCpuSeconds() - cpu0, cpu_providers = children_cpu() - child0;
    for (const auto& [kind, n] : res.failures) failures[kind] += n;
    Ceiling ceiling = SignatureCeiling(domain, f.ceiling_seconds);
    double cpu = cpu_self + cpu_providers;
    Round rd{res.ok,
             res.seconds,
             res.ok / res.seconds,
             Percentile(res.latencies_ms, 0.5),
             Percentile(res.latencies_ms, 0.99),
             ceiling.wall_rate,
             0,
             0,
             cpu_self,
             cpu_providers,
             res.cpu_seconds};
    rd.ratio = ceiling.wall_rate > 0 ? rd.rate / ceiling.wall_rate : 0;
    rd.cpu_ratio = cpu > 0 && ceiling.cpu_rate > 0 ? (res.ok / cpu) / ceiling.cpu_rate : 0;
    rounds.push_back(rd);
    std::cerr << "round " << k + 1 << "/" << f.runs << ": " << static_cast<int>(rd.rate) << " RFC/s, p50 "
              << rd.p50 << " ms, p99 " << rd.p99 << " ms, ceiling " << static_cast<int>(rd.ceiling)
              << " RFC/s, ratio " << 100 * rd.ratio << "% (CPU-time ratio " << 100 * rd.cpu_ratio
              << "%; CPU s: bench process " << cpu_self << " of which load generator " << res.cpu_seconds
              << ", providers " << cpu_providers << ")\n";
  }
  uint64_t ping_requests = prober->requests(), ping_challenges = prober->challenges();
  double per_ping = ping_requests > 0 ? static_cast<double>(ping_challenges) / static_cast<double>(ping_requests) : 0;
  rserver.reset();
  r.reset();
  prober.reset();
  for (const auto& p : children) ::kill(sup.Pid(p.name), SIGTERM);  // all at once; StopAll waits
  sup.StopAll();
  lserver.Stop();
  std::vector<Round> by_ratio = rounds;
  std::sort(by_ratio.begin(), by_ratio.end(),
            [](const Round& x, const Round& y) { return x.ratio < y.ratio; });
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
    per_round.push_back({{"rfcs", rd.ok},
                         {"seconds", rd.seconds},
                         {"rfcs_per_second", rd.rate},
                         {"p50_ms", rd.p50},
                         {"p99_ms", rd.p99},
                         {"ceiling_rfcs_per_second", rd.ceiling},
                         {"ratio", rd.ratio},
                         {"cpu_ratio", rd.cpu_ratio},
                         {"cpu_seconds_bench_process", rd.cpu_self},
                         {"cpu_seconds_providers", rd.cpu_providers},
                         {"cpu_seconds_load_generator", rd.cpu_client}});
  }
  json j = {{"rfcs_per_round", f.rfcs},
            {"runs", f.runs},
            {"failed", failed},
            {"failures", fails},
            {"clients", f.clients},
            {"client_kind", "one-thread epoll HTTP/1.1 load generator, keep-alive connections"},
            {"providers", f.providers},
            {"provider_kind", "lt provider serve processes"},
            {"providers_start_seconds", start_seconds},
            {"liveness_challenges", ping_challenges},
            {"liveness_requests", ping_requests},
            {"liveness_challenges_per_request", per_ping},
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
  std::snprintf(
      line, sizeof line,
      "router: %d rounds of %d signed RFCs, %d connections, %d lt provider serve processes, %d failed\n"
      "median round: %.0f RFC/s (p50 %.2f ms, p99 %.2f ms), ceiling %.0f RFC/s "
      "(RFC sig recover + Pong sign + Pong recover + Ticket sign on %u cores)\n"
      "ratio: best %.1f%%, median %.1f%% of the signature ceiling (median CPU-time ratio %.1f%%)\n"
      "liveness: %llu challenges in %llu requests to the providers (%.1f per request)",
      f.runs, f.rfcs, f.clients, f.providers, failed, median.rate, median.p50, median.p99, median.ceiling,
      std::thread::hardware_concurrency(), 100 * best.ratio, 100 * median.ratio,
      100 * Percentile(cpu_ratios, 0.5), static_cast<unsigned long long>(ping_challenges),
      static_cast<unsigned long long>(ping_requests), per_ping);
  std::string human = line;
  for (const auto& [k, n] : failures) human += "\nfailed: " + std::to_string(n) + " x " + k;
  PrintResult(ctx, j, human);
  if (failed > 0) return InternalError(std::to_string(failed) + " RFCs failed (see above)");
  return OkStatus();
}

}  // namespace

void RegisterRouterBenchCommand(CLI::App& app, CommandContext& ctx) {
  static BenchFlags f;
  f.models_dir = DefaultModelsDir();
  auto* cmd = BenchGroup(app)->add_subcommand("router",
                                              "Signed RFCs per second end to end over HTTP against lt "
                                              "provider serve processes, vs the signature ceiling");
  cmd->add_option("--rfcs", f.rfcs, "RFCs to send per round")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--runs", f.runs,
                  "Rounds (each with its own ceiling measurement); best and median are reported")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--clients", f.clients, "Concurrent keep-alive connections of the load generator")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--providers", f.providers, "lt provider serve child processes")
      ->capture_default_str()
      ->check(CLI::Range(1, 32));
  cmd->add_option("--users", f.users, "Distinct users")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--models", f.models_dir,
                  "Folder with stories260K.bin and tok512.bin (default: $LT_MODELS_DIR)")
      ->capture_default_str();
  cmd->add_option("--start-timeout", f.start_timeout_seconds,
                  "Seconds to wait for the providers to answer and for the router to see their offers")
      ->capture_default_str()
      ->check(CLI::Range(1, 600));
  cmd->callback([&ctx] { RunCommand(ctx, [&] { return RunBench(ctx, f); }); });
}

}  // namespace lt::cli
