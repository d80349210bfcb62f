#include "engine/bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <thread>
#include <vector>

#include "engine/forward.h"
#include "engine/thread_pool.h"
#include "util/fs.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace lt::engine {

Status WriteRandomCheckpoint(const ModelConfig& c, const std::string& path, const std::string& tokenizer_path,
                             uint64_t seed) {
  LT_TRY_STATUS(c.Validate(path));
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return ErrnoError(path, errno);
  int32_t header[7] = {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len};
  bool ok = std::fwrite(header, sizeof header, 1, f) == 1;
  std::mt19937_64 rng(seed);
  std::vector<float> buf;
  auto random = [&](uint64_t n, int fan_in) {
    const float scale = 1.0f / std::sqrt(static_cast<float>(fan_in));
    buf.resize(1 << 20);
    while (n > 0 && ok) {
      size_t k = static_cast<size_t>(std::min<uint64_t>(n, buf.size()));
      for (size_t i = 0; i < k; ++i) {
        buf[i] = (static_cast<float>(rng() >> 40) / static_cast<float>(1 << 24) - 0.5f) * scale;
      }
      ok = std::fwrite(buf.data(), 4, k, f) == k;
      n -= k;
    }
  };
  auto ones = [&](uint64_t n) {
    std::vector<float> v(static_cast<size_t>(n), 1.0f);
    ok = ok && std::fwrite(v.data(), 4, v.size(), f) == v.size();
  };
  const uint64_t dim = static_cast<uint64_t>(c.dim), hid = static_cast<uint64_t>(c.hidden_dim);
  const uint64_t L = static_cast<uint64_t>(c.n_layers), kv = static_cast<uint64_t>(c.kv_dim());
  random(static_cast<uint64_t>(c.vocab_size) * dim, c.dim);
  ones(L * dim);
  random(L * dim * dim, c.dim);
  random(L * kv * dim, c.dim);
  random(L * kv * dim, c.dim);
  random(L * dim * dim, c.dim);
  ones(L * dim);
  random(L * hid * dim, c.dim);
  random(L * dim * hid, c.hidden_dim);
  random(L * hid * dim, c.dim);
  ones(dim);
  random(static_cast<uint64_t>(c.seq_len) * static_cast<uint64_t>(c.head_size()), 1);  // legacy RoPE tables
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return IoError("writing " + path + " failed");

  // Tokenizer: the byte pieces llama2.c uses, then filler pieces.
  std::string tok;
  auto put = [&tok](const void* p, size_t n) { tok.append(static_cast<const char*>(p), n); };
  int32_t max_len = 16;
  put(&max_len, 4);
  for (int i = 0; i < c.vocab_size; ++i) {
    char piece[32];
    if (i == 0) std::snprintf(piece, sizeof piece, "<unk>");
    else if (i == 1) std::snprintf(piece, sizeof piece, "\n<s>\n");
    else if (i == 2) std::snprintf(piece, sizeof piece, "\n</s>\n");
    else if (i < 259) std::snprintf(piece, sizeof piece, "<0x%02X>", i - 3);
    else std::snprintf(piece, sizeof piece, " w%d", i);
    float score = i < 259 ? 0.0f : -static_cast<float>(i);
    int32_t len = static_cast<int32_t>(std::strlen(piece));
    put(&score, 4);
    put(&len, 4);
    put(piece, static_cast<size_t>(len));
  }
  return RealFileSystem::Default()->WriteFileAtomic(tokenizer_path, tok);
}

namespace {

#if defined(__x86_64__)
__attribute__((target("avx2"))) uint64_t SumAvx2(const uint8_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 128 <= n; i += 128) {
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  alignas(32) uint64_t out[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(out), s);
  return out[0] + out[1] + out[2] + out[3];
}
#endif

uint64_t Sum(const uint8_t* p, size_t n) {
#if defined(__x86_64__)
  if (ActiveIsa() == Isa::kAvx2) return SumAvx2(p, n);
#endif
  uint64_t s = 0;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    s += v;
  }
  return s;
}

}  // namespace

double MeasureReadBandwidth(int threads, size_t bytes, int rounds) {
  if (threads <= 0) threads = ThreadPool::DefaultThreads();
  bytes = bytes / 4096 * 4096;
  auto* buf = static_cast<uint8_t*>(::operator new[](bytes, std::align_val_t(4096)));
  ThreadPool pool(threads);
  // First touch from the pool's threads, then timed reads.
  const int parts = threads * 8;
  const size_t part = bytes / static_cast<size_t>(parts) / 128 * 128;
  pool.ParallelFor(parts, [&](int i) { std::memset(buf + static_cast<size_t>(i) * part, i + 1, part); });
  double best = 0;
  std::atomic<uint64_t> sink{0};
  for (int r = 0; r < rounds; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    pool.ParallelFor(parts, [&](int i) { sink += Sum(buf + static_cast<size_t>(i) * part, part); });
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, static_cast<double>(part) * parts / s);
  }
  ::operator delete[](buf, std::align_val_t(4096));
  return sink.load() == 42 ? best + 1e-9 : best;  // keeps the sums alive
}

DecodeSpeed MeasureDecode(std::shared_ptr<const Model> model, int threads, int tokens, int warmup) {
  ThreadPool pool(threads);
  RunState st(model);
  const int ctx = model->config().seq_len;
  tokens = std::max(1, std::min(tokens, ctx - warmup - 1));
  int token = model->tokenizer().bos_id();
  auto step = [&](int pos) {
    float* logits = st.Forward(token, pos, &pool);
    token = static_cast<int>(std::max_element(logits, logits + model->config().vocab_size) - logits);
  };
  for (int p = 0; p < warmup; ++p) step(p);
  auto t0 = std::chrono::steady_clock::now();
  for (int p = warmup; p < warmup + tokens; ++p) step(p);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  DecodeSpeed d;
  d.tokens = tokens;
  d.tokens_per_second = tokens / s;
  d.weight_bytes_per_second = d.tokens_per_second * static_cast<double>(model->WeightBytesPerToken());
  return d;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

namespace {
double ProcessCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}
}  // namespace

LlamaBenchFigures MeasureLlamaBench(std::shared_ptr<const Model> model, int threads, int pp, int tg, int reps) {
  ThreadPool pool(threads);
  const int vocab = model->config().vocab_size;
  std::vector<int> prompt(static_cast<size_t>(pp));
  for (int i = 0; i < pp; ++i) prompt[static_cast<size_t>(i)] = (i * 7919 + 13) % std::min(1000, vocab - 10) + 10;
  LlamaBenchFigures f;
  for (int r = 0; r <= reps; ++r) {  // round 0 warms up on a short prompt
    const int n = r == 0 ? std::min(pp, 32) : pp, g = r == 0 ? std::min(tg, 4) : tg;
    RunState st(model, pp + tg + 16);
    auto t0 = std::chrono::steady_clock::now();
    double c0 = ProcessCpuSeconds();
    st.Forward(prompt.data(), n, 0, &pool);
    double pp_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double pp_cpu = ProcessCpuSeconds() - c0;
    RunState gen(model, tg + 16);
    int token = prompt[1];
    gen.Forward(prompt[0], 0, &pool);
    t0 = std::chrono::steady_clock::now();
    c0 = ProcessCpuSeconds();
    for (int i = 0; i < g; ++i) {
      float* logits = gen.Forward(token, i + 1, &pool);
      token = static_cast<int>(std::max_element(logits, logits + vocab) - logits);
    }
    double tg_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double tg_cpu = ProcessCpuSeconds() - c0;
    if (r > 0) {
      f.pp.push_back(pp / pp_s);
      f.tg.push_back(tg / tg_s);
      f.pp_cpu.push_back(pp / pp_cpu);
      f.tg_cpu.push_back(tg / tg_cpu);
    }
  }
  f.pp_median = Median(f.pp);
  f.tg_median = Median(f.tg);
  return f;
}

size_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  size_t kb = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kb = std::strtoull(line + 6, nullptr, 10);
  }
  std::fclose(f);
  return kb * 1024;
}

}  // namespace lt::engine
