// Session protocol benchmarks (issue 6). Each prints a ratio against a ceiling measured in the
// same run:
//   BM_Handshake          full handshake (both sides, 4 ECDSA ops + 2 ECDH + HKDF) per second,
//                         against BM_SignRecover (one sign + one recover: the floor of the cost)
//   BM_SealOpen           one 64-byte chunk sealed and opened, against a plain memcpy of it
//   BM_ChunkLatency       loopback: a chunk from the backend to the client through a real session
//                         server, p50/p99 added latency vs a backend callback (counter p50_us)
//   BM_IdleConnections    RSS delta of 1000 idle TCP connections to the server (counter
//                         bytes_per_conn)
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <thread>

#include "client/session.h"
#include "provider/server.h"

namespace lt {
namespace {

struct Keys {
  SeededRandom rng{1};
  crypto::PrivateKey user = crypto::PrivateKey::Generate(rng);
  crypto::PrivateKey provider = crypto::PrivateKey::Generate(rng);
  crypto::PrivateKey router = crypto::PrivateKey::Generate(rng);
  wire::Domain domain{U256(31337), crypto::ParseAddress("0x00000000000000000000000000000000000000aa").value()};
  wire::SignedTicket Ticket() {
    wire::Ticket t;
    SecureRandom::Default()->Fill(t.session_id);
    t.user = user.GetAddress();
    t.provider = provider.GetAddress();
    t.router = router.GetAddress();
    t.manifest[0] = 1;
    t.price_per_second = U256(1);
    t.max_seconds = 3600;
    t.issued_at = SystemClock::Default()->NowSeconds();
    t.expires_at = t.issued_at + 3600;
    return {t, t.Sign(router, domain)};
  }
};

void BM_SignRecover(benchmark::State& state) {
  Keys k;
  Hash32 h{};
  for (auto _ : state) {
    h[0]++;
    auto sig = k.user.Sign(h);
    benchmark::DoNotOptimize(crypto::Recover(h, sig));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignRecover);

void BM_Handshake(benchmark::State& state) {
  Keys k;
  auto st = k.Ticket();
  for (auto _ : state) {
    wire::UserHandshake u(k.domain, st, k.user, *SecureRandom::Default());
    auto init = wire::DecodeHandshakeInit(u.init_body()).value();
    benchmark::DoNotOptimize(wire::TicketSigner(k.domain, init.ticket));
    benchmark::DoNotOptimize(wire::VerifyInitSignature(k.domain, init));
    auto p = wire::ProviderRespond(k.domain, init, k.provider, *SecureRandom::Default()).value();
    benchmark::DoNotOptimize(u.Finish(p.reply_body));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("handshakes/s in items_per_second (one core, both sides)");
}
BENCHMARK(BM_Handshake)->Unit(benchmark::kMicrosecond);

void BM_SealOpen(benchmark::State& state) {
  SecretBytes a(Bytes(32, 1)), b(Bytes(32, 2));
  wire::SecureChannel tx(a, b), rx(b, a);
  Bytes chunk(64, 'x');
  Bytes out;
  for (auto _ : state) {
    out.clear();
    (void)tx.Seal(wire::FrameType::kChunk, chunk, out);
    benchmark::DoNotOptimize(rx.Open(ByteSpan(out).subspan(wire::kFrameHeaderSize)));
  }
  state.SetBytesProcessed(state.iterations() * 64);
}
BENCHMARK(BM_SealOpen);

void BM_MemcpyCeiling(benchmark::State& state) {
  Bytes chunk(64, 'x'), out(64);
  for (auto _ : state) {
    std::memcpy(out.data(), chunk.data(), 64);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 64);
}
BENCHMARK(BM_MemcpyCeiling);

// A backend whose chunks are triggered by the benchmark; it records when each was emitted.
class PacedBackend final : public provider::Backend {
 public:
  struct Gen final : provider::Generation {
    void Cancel() override {}
  };
  std::string_view kind() const override { return "paced"; }
  Result<std::shared_ptr<provider::Generation>> Start(const nlohmann::json& req, provider::GenerationCallbacks cb) override {
    int n = req.value("max_tokens", 100);
    std::thread([this, cb, n] {
      for (int i = 0; i < n; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
        auto t = std::chrono::steady_clock::now();
        {
          std::lock_guard<std::mutex> l(mu);
          emitted.push_back(t);
        }
        cb.on_chunk("tok ");
      }
      cb.on_done(provider::GenerationResult{});
    }).detach();
    return std::shared_ptr<provider::Generation>(std::make_shared<Gen>());
  }
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> emitted;
};

struct Server {
  Keys k;
  provider::MemoryReceiptSink sink;
  provider::SessionRegistry registry;
  std::shared_ptr<PacedBackend> backend = std::make_shared<PacedBackend>();
  std::unique_ptr<provider::SessionServer> server;
  int port = 0;
  Server() {
    auto m = std::make_shared<provider::ServedModel>();
    m->name = "paced";
    m->manifest[0] = 1;
    m->price_per_second = U256(1);
    m->slots = 1000;
    m->backend = backend;
    provider::SessionServices svc;
    svc.policy.domain = k.domain;
    svc.policy.router_accepted = [](const crypto::Address&) { return true; };
    svc.policy.handshake_timeout_ms = 600000;
    svc.identity = &k.provider;
    svc.provider = k.provider.GetAddress();
    svc.models[m->manifest] = m;
    svc.receipts = &sink;
    svc.registry = &registry;
    svc.clock = SystemClock::Default();
    svc.rng = SecureRandom::Default();
    provider::ServerOptions so;
    so.max_connections = 5000;
    server = std::make_unique<provider::SessionServer>(std::move(svc), so);
    port = server->Listen().value();
    server->Start();
  }
  ~Server() { server->Stop(); }
};

void BM_ChunkLatency(benchmark::State& state) {
  Server s;
  auto c = client::SessionClient::Connect("127.0.0.1", s.port, s.k.domain, s.k.Ticket(), s.k.user).value();
  std::vector<double> lat;
  for (auto _ : state) {
    std::vector<std::chrono::steady_clock::time_point> got;
    {
      std::lock_guard<std::mutex> l(s.backend->mu);
      s.backend->emitted.clear();
    }
    auto r = c->Chat({{"messages", {{{"role", "user"}, {"content", "x"}}}}, {"max_tokens", 200}},
                     [&](std::string_view) {
                       got.push_back(std::chrono::steady_clock::now());
                       return true;
                     });
    if (!r.ok()) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    std::lock_guard<std::mutex> l(s.backend->mu);
    for (size_t i = 0; i < got.size() && i < s.backend->emitted.size(); ++i) {
      lat.push_back(std::chrono::duration<double, std::micro>(got[i] - s.backend->emitted[i]).count());
    }
  }
  std::sort(lat.begin(), lat.end());
  if (!lat.empty()) {
    state.counters["p50_us"] = lat[lat.size() / 2];
    state.counters["p99_us"] = lat[lat.size() * 99 / 100];
    state.counters["ceiling_us"] = 1000;  // the aim: < 1 ms added at p50
    state.counters["p50_vs_ceiling"] = lat[lat.size() / 2] / 1000.0;
  }
  (void)c->Close();
}
BENCHMARK(BM_ChunkLatency)->Iterations(20)->Unit(benchmark::kMillisecond);

long RssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

void BM_IdleConnections(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Server s;
    // Warm up the server's allocator with one connection.
    std::vector<int> fds;
    long before = RssKb();
    for (int i = 0; i < n; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(s.port));
      if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        state.SkipWithError("connect failed (ulimit -n?)");
        break;
      }
      fds.push_back(fd);
    }
    for (int i = 0; i < 200 && s.server->connections() < static_cast<size_t>(n); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    long after = RssKb();
    // The client sockets live in this process too, but their user-space cost is nil.
    state.counters["connections"] = static_cast<double>(s.server->connections());
    state.counters["bytes_per_conn"] = (after - before) * 1024.0 / n;
    state.counters["ceiling_bytes"] = 16384;  // our budget per idle connection
    for (int fd : fds) ::close(fd);
  }
}
BENCHMARK(BM_IdleConnections)->Arg(1000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lt

BENCHMARK_MAIN();
