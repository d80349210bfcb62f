#include "util/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace lt {

uint64_t Random::NextU64() {
  uint8_t b[8];
  Fill(b);
  uint64_t v;
  std::memcpy(&v, b, 8);
  return v;
}

uint64_t Random::Uniform(uint64_t n) {
  if (n == 0) return 0;
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
  for (;;) {
    uint64_t v = NextU64();
    if (v < limit) return v % n;
  }
}

void SecureRandom::Fill(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // No entropy source means no safe keys: stopping is the only safe answer.
      std::abort();
    }
    done += static_cast<size_t>(n);
  }
}

SecureRandom* SecureRandom::Default() {
  static SecureRandom r;
  return &r;
}

void SeededRandom::Fill(std::span<uint8_t> out) {
  size_t i = 0;
  while (i < out.size()) {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    for (int k = 0; k < 8 && i < out.size(); ++k, ++i) out[i] = static_cast<uint8_t>(z >> (8 * k));
  }
}

}  // namespace lt
