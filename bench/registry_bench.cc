// Registry benchmarks.
// Import: `lt cid` of a 1 GiB file from the page cache, reported as a ratio to the single-core
// sha2-256 speed of this machine measured in the same run (the ceiling of a sequential importer;
// the importer hashes leaves on all cores, so it can exceed 1.0). Wall-clock (ratio_to_sha256)
// and CPU-time (cpu_ratio: SHA-256 CPU seconds / import CPU seconds, all threads; the importer's
// overhead, which a loaded machine does not distort) are both reported.
// Pull: the same file pulled by the Fetcher from 1 and from 3 in-process gateways on 127.0.0.1,
// each limited to LT_BENCH_PEER_MBPS MB/s (default 40; 0 = unlimited) so that loopback measures
// what several peers buy; reported as MB/s and the 3-vs-1 speedup, next to a single-stream CAR
// download from one unlimited peer (what curl would do). Size: LT_BENCH_PULL_MIB (default 256).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <time.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/http.h"
#include "registry/cid.h"
#include "registry/fetcher.h"
#include "registry/gateway.h"
#include "registry/store.h"
#include "registry/unixfs.h"
#include "util/clock.h"

namespace {

constexpr size_t kFileBytes = size_t{1} << 30;
double g_sha_bytes_per_sec = 0;
double g_sha_cpu_bytes_per_sec = 0;

int EnvInt(const char* name, int def) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : def;
}

const std::string& BigFile() {
  static std::string path = [] {
    std::string p = "/tmp/lt-bench-registry-1g.bin";
    int fd = ::open(p.c_str(), O_RDONLY);
    off_t size = fd >= 0 ? ::lseek(fd, 0, SEEK_END) : -1;
    if (fd >= 0) ::close(fd);
    if (size != static_cast<off_t>(kFileBytes)) {
      fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      std::string buf(1 << 20, '\0');
      uint64_t x = 88172645463325252ULL;
      for (size_t off = 0; off < kFileBytes; off += buf.size()) {
        for (size_t i = 0; i < buf.size(); i += 8) {
          x ^= x << 13, x ^= x >> 7, x ^= x << 17;
          std::memcpy(&buf[i], &x, 8);
        }
        if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) break;
      }
      ::close(fd);
    }
    return p;
  }();
  return path;
}

void BM_Sha256(benchmark::State& state) {
  lt::Bytes buf(1 << 20, 0x5a);
  size_t bytes = 0;
  auto t0 = std::chrono::steady_clock::now();
  double c0 = lt::ProcessCpuSeconds();
  for (auto _ : state) {
    benchmark::DoNotOptimize(lt::registry::Sha256(buf));
    bytes += buf.size();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  g_sha_bytes_per_sec = bytes / secs;
  g_sha_cpu_bytes_per_sec = bytes / (lt::ProcessCpuSeconds() - c0);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Sha256)->MinTime(1.0);

void BM_ImportOneGiB(benchmark::State& state) {
  const std::string& path = BigFile();
  size_t bytes = 0;
  auto t0 = std::chrono::steady_clock::now();
  double c0 = lt::ProcessCpuSeconds();
  for (auto _ : state) {
    auto r = lt::registry::ImportPath(path, nullptr);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
    bytes += kFileBytes;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = lt::ProcessCpuSeconds() - c0;
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  if (g_sha_bytes_per_sec > 0) state.counters["ratio_to_sha256"] = (bytes / secs) / g_sha_bytes_per_sec;
  if (g_sha_cpu_bytes_per_sec > 0) state.counters["cpu_ratio"] = (bytes / cpu) / g_sha_cpu_bytes_per_sec;
}
BENCHMARK(BM_ImportOneGiB)->Unit(benchmark::kMillisecond)->Iterations(3);

// A gateway peer serving raw blocks from a store at a limited rate (a token bucket per peer).
class ThrottledPeer {
 public:
  ThrottledPeer(lt::registry::Store& store, double bytes_per_sec) : store_(store), rate_(bytes_per_sec) {
    lt::net::HttpServerOptions o;
    o.keep_alive_max_requests = 1000;
    server_ = std::make_unique<lt::net::HttpServer>(o);
    if (rate_ <= 0) {
      lt::registry::MountGateway(*server_, store_);
    } else {
      server_->Get(R"(/ipfs/([^/?]*))", [this](const lt::net::HttpRequest& req) {
        auto cid = lt::registry::Cid::Parse(req.matches[1]);
        if (!cid.ok()) return lt::net::HttpResponse::FromError(cid.error());
        auto b = store_.Get(*cid);
        if (!b.ok()) return lt::net::HttpResponse::FromError(b.error());
        std::chrono::steady_clock::time_point until;
        {
          std::lock_guard<std::mutex> l(mu_);
          auto now = std::chrono::steady_clock::now();
          if (next_ < now) next_ = now;
          next_ += std::chrono::microseconds(static_cast<int64_t>(b->size() / rate_ * 1e6));
          until = next_;
        }
        std::this_thread::sleep_until(until);
        lt::net::HttpResponse r;
        r.content_type = "application/vnd.ipld.raw";
        r.body.assign(reinterpret_cast<const char*>(b->data()), b->size());
        return r;
      });
    }
    port_ = *server_->Listen("127.0.0.1", 0);
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~ThrottledPeer() {
    server_->Stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  lt::registry::Store& store_;
  double rate_;
  std::unique_ptr<lt::net::HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::chrono::steady_clock::time_point next_{};
};

struct PullFixture {
  std::string dir = "/tmp/lt-bench-registry-pull";
  std::unique_ptr<lt::registry::Store> source;
  lt::registry::Cid root;
  uint64_t bytes = 0;
  PullFixture() {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    bytes = static_cast<uint64_t>(EnvInt("LT_BENCH_PULL_MIB", 256)) << 20;
    std::string file = dir + "/model.bin";
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::string buf(1 << 20, '\0');
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (uint64_t off = 0; off < bytes; off += buf.size()) {
      for (size_t i = 0; i < buf.size(); i += 8) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        std::memcpy(&buf[i], &x, 8);
      }
      if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size())) break;
    }
    ::close(fd);
    source = std::move(lt::registry::Store::Open(dir + "/source")).value();
    root = source->AddPath(file)->cid;
  }
};

PullFixture& Fixture() {
  static PullFixture f;
  return f;
}

void PullFrom(benchmark::State& state, int peers, double rate) {
  PullFixture& f = Fixture();
  std::vector<std::unique_ptr<ThrottledPeer>> servers;
  std::vector<std::string> urls;
  for (int i = 0; i < peers; ++i) {
    servers.push_back(std::make_unique<ThrottledPeer>(*f.source, rate));
    urls.push_back(servers.back()->url());
  }
  uint64_t bytes = 0;
  double secs = 0;
  int round = 0;
  for (auto _ : state) {
    std::string d = f.dir + "/dest-" + std::to_string(peers) + "-" + std::to_string(round++);
    std::filesystem::remove_all(d);
    auto dest = lt::registry::Store::Open(d);
    lt::registry::StaticPeers discovery(urls);
    lt::registry::Fetcher fetcher(**dest, discovery);
    auto t0 = std::chrono::steady_clock::now();
    auto r = fetcher.Pull(f.root);
    secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
    bytes += f.bytes;
    dest->reset();
    std::filesystem::remove_all(d);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["MB_per_s"] = bytes / secs / 1e6;
  static double one_peer_mbps[2] = {0, 0};
  int k = rate > 0 ? 1 : 0;
  if (peers == 1) one_peer_mbps[k] = bytes / secs / 1e6;
  if (peers > 1 && one_peer_mbps[k] > 0) state.counters["speedup_vs_1_peer"] = bytes / secs / 1e6 / one_peer_mbps[k];
}

double PeerRate() { return EnvInt("LT_BENCH_PEER_MBPS", 40) * 1e6; }
void BM_Pull1PeerLimited(benchmark::State& state) { PullFrom(state, 1, PeerRate()); }
void BM_Pull3PeersLimited(benchmark::State& state) { PullFrom(state, 3, PeerRate()); }
void BM_Pull1PeerUnlimited(benchmark::State& state) { PullFrom(state, 1, 0); }
void BM_Pull3PeersUnlimited(benchmark::State& state) { PullFrom(state, 3, 0); }
BENCHMARK(BM_Pull1PeerLimited)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_Pull3PeersLimited)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_Pull1PeerUnlimited)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();
BENCHMARK(BM_Pull3PeersUnlimited)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

// What curl does: one CAR stream of the whole DAG from one unlimited peer, bytes counted.
void BM_CarStream1Peer(benchmark::State& state) {
  PullFixture& f = Fixture();
  ThrottledPeer peer(*f.source, 0);
  uint64_t bytes = 0;
  double secs = 0;
  for (auto _ : state) {
    auto client = lt::net::HttpClient::Create(peer.url());
    auto t0 = std::chrono::steady_clock::now();
    uint64_t got = 0;
    auto r = client->GetStream("/ipfs/" + f.root.ToString() + "?format=car", [&](std::string_view d) {
      got += d.size();
      return true;
    });
    secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.ok() || r->status != 200) state.SkipWithError("CAR download failed");
    bytes += got;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["MB_per_s"] = bytes / secs / 1e6;
}
BENCHMARK(BM_CarStream1Peer)->Unit(benchmark::kMillisecond)->Iterations(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
