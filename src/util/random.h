// Random: the seam for randomness. SecureRandom reads the kernel CSPRNG (getrandom) and is the
// only source used for keys, nonces and challenges. SeededRandom is deterministic (splitmix64),
// for tests and simulations only. Thread-safety: SecureRandom is thread-safe; SeededRandom is not.
#ifndef LT_UTIL_RANDOM_H_
#define LT_UTIL_RANDOM_H_

#include <cstdint>
#include <span>

namespace lt {

class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(std::span<uint8_t> out) = 0;
  uint64_t NextU64();
  // Uniform in [0, n) without modulo bias; n must be > 0 (returns 0 otherwise).
  uint64_t Uniform(uint64_t n);
};

class SecureRandom final : public Random {
 public:
  void Fill(std::span<uint8_t> out) override;
  static SecureRandom* Default();
};

class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  void Fill(std::span<uint8_t> out) override;

 private:
  uint64_t state_;
};

}  // namespace lt

#endif  // LT_UTIL_RANDOM_H_
