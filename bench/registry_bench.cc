// Registry benchmarks. Import: `lt cid` of a 1 GiB file from the page cache, reported as a ratio
// to the single-core sha2-256 speed of this machine measured in the same run (the ceiling of a
// sequential importer; the importer hashes leaves on all cores, so it can exceed 1.0).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "registry/cid.h"
#include "registry/unixfs.h"

namespace {

constexpr size_t kFileBytes = size_t{1} << 30;
double g_sha_bytes_per_sec = 0;

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
  for (auto _ : state) {
    benchmark::DoNotOptimize(lt::registry::Sha256(buf));
    bytes += buf.size();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  g_sha_bytes_per_sec = bytes / secs;
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Sha256)->MinTime(1.0);

void BM_ImportOneGiB(benchmark::State& state) {
  const std::string& path = BigFile();
  size_t bytes = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto r = lt::registry::ImportPath(path, nullptr);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
    bytes += kFileBytes;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  if (g_sha_bytes_per_sec > 0) state.counters["ratio_to_sha256"] = (bytes / secs) / g_sha_bytes_per_sec;
}
BENCHMARK(BM_ImportOneGiB)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
