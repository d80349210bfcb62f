// A fuzzer's input handed out in pieces of `step` bytes, the way a socket's reads may cut it.
#ifndef LT_FUZZ_PIECEWISE_SOURCE_H_
#define LT_FUZZ_PIECEWISE_SOURCE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

class PiecewiseSource {
 public:
  PiecewiseSource(const uint8_t* data, size_t size, size_t step) : data_(data), size_(size), step_(step) {}
  // The next piece; empty at the end.
  std::string_view Next() {
    size_t n = std::min(size_ - at_, step_);
    std::string_view piece(reinterpret_cast<const char*>(data_) + at_, n);
    at_ += n;
    return piece;
  }

 private:
  const uint8_t* data_;
  size_t size_, step_, at_ = 0;
};

#endif  // LT_FUZZ_PIECEWISE_SOURCE_H_
