// Clock: the seam through which every component reads time (STYLE.md, practice 3).
//
// SystemClock reads the real clocks; FakeClock is set by tests so a day of ledger time or a
// metering interval passes in a microsecond. Wall time is unix seconds/millis (what goes on the
// wire); monotonic time is for timeouts. Thread-safety: both implementations are thread-safe.
#ifndef LT_UTIL_CLOCK_H_
#define LT_UTIL_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace lt {

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix time in seconds (what goes on the wire).
  virtual uint64_t NowSeconds() const { return NowMillis() / 1000; }
  // Unix time in milliseconds.
  virtual uint64_t NowMillis() const = 0;
  // A monotonic clock in milliseconds for timeouts and intervals.
  virtual uint64_t MonotonicMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  uint64_t NowMillis() const override;
  uint64_t MonotonicMillis() const override;
  // The process-wide instance.
  static SystemClock* Default();
};

// A clock that moves only when told to. Monotonic and wall time advance together.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(uint64_t start_millis = 1'700'000'000'000ULL) : now_(start_millis) {}
  uint64_t NowMillis() const override { return now_.load(); }
  uint64_t MonotonicMillis() const override { return now_.load(); }
  void AdvanceMillis(uint64_t ms) { now_ += ms; }
  void AdvanceSeconds(uint64_t s) { now_ += s * 1000; }
  void SetMillis(uint64_t ms) { now_ = ms; }

 private:
  std::atomic<uint64_t> now_;
};

// CPU time this process has used (all its threads), in seconds.
double ProcessCpuSeconds();

}  // namespace lt

#endif  // LT_UTIL_CLOCK_H_
