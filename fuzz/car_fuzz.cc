// Fuzz target: the CAR v1 reader (header dag-cbor subset, section bounds, block verification).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "registry/car.h"

namespace {
class SpanReader final : public lt::registry::ByteReader {
 public:
  SpanReader(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  lt::Result<size_t> Read(uint8_t* buf, size_t n) override {
    size_t k = n < n_ - pos_ ? n : n_ - pos_;
    std::memcpy(buf, d_ + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  const uint8_t* d_;
  size_t n_, pos_ = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  SpanReader r(data, size);
  (void)lt::registry::ReadCar(
      r, [](const std::vector<lt::registry::Cid>&) { return lt::OkStatus(); },
      [](const lt::registry::Cid& cid, lt::ByteSpan block, uint64_t) {
        if (!cid.Matches(block)) __builtin_trap();  // the reader must only hand out verified blocks
        return lt::OkStatus();
      });
  (void)lt::registry::DecodeCarHeader(lt::ByteSpan(data, size));
  return 0;
}
