// Rates of benchmark runs in thread CPU time, shared by the benchmarks that print a ratio
// against a ceiling measured in the same run (CPU time keeps the ratios meaningful on a loaded
// machine). RateTimer lives for one benchmark run and records per-CPU-second throughput under a
// name; the last (longest) run of each benchmark wins. Thread-safety: single benchmark thread.
#ifndef LT_BENCH_RATE_TIMER_H_
#define LT_BENCH_RATE_TIMER_H_

#include <benchmark/benchmark.h>

#include <ctime>
#include <map>
#include <string>

namespace lt::bench {

inline std::map<std::string, double>& Rates() {
  static std::map<std::string, double> rates;
  return rates;
}

inline double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class RateTimer {
 public:
  // per_iteration: items (or bytes) one iteration handles.
  RateTimer(std::string name, benchmark::State& state, double per_iteration = 1.0)
      : name_(std::move(name)), state_(state), per_(per_iteration), start_(ThreadCpuSeconds()) {}
  ~RateTimer() {
    double secs = ThreadCpuSeconds() - start_;
    if (secs > 0 && state_.iterations() > 0) {
      Rates()[name_] = per_ * static_cast<double>(state_.iterations()) / secs;
    }
  }

 private:
  std::string name_;
  benchmark::State& state_;
  double per_;
  double start_;
};

}  // namespace lt::bench

#endif  // LT_BENCH_RATE_TIMER_H_
