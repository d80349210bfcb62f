// A ByteReader source (net/http_parse.h) over a fuzzer's input, handing it out in pieces of
// `step` bytes, the way a socket's reads may cut it; 0 at the end.
#ifndef LT_FUZZ_PIECEWISE_SOURCE_H_
#define LT_FUZZ_PIECEWISE_SOURCE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "net/http_parse.h"

inline lt::net::ByteReader::Source PiecewiseSource(const uint8_t* data, size_t size, size_t step) {
  return [data, size, step, at = size_t{0}](char* b, size_t cap) mutable -> ssize_t {
    size_t n = std::min({cap, size - at, step});
    std::memcpy(b, data + at, n);
    at += n;
    return static_cast<ssize_t>(n);
  };
}

#endif  // LT_FUZZ_PIECEWISE_SOURCE_H_
