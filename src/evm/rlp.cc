#include "evm/rlp.h"

#include <string>

namespace lt::evm {

namespace {

// The header of a string (offset 0x80) or list (0xc0) of `len` bytes.
void AppendHeader(Bytes& out, size_t len, uint8_t offset) {
  if (len < 56) {
    out.push_back(static_cast<uint8_t>(offset + len));
    return;
  }
  uint8_t be[8];
  int n = 0;
  for (size_t v = len; v != 0; v >>= 8) be[n++] = static_cast<uint8_t>(v & 0xff);
  out.push_back(static_cast<uint8_t>(offset + 55 + n));
  for (int i = n - 1; i >= 0; --i) out.push_back(be[i]);
}

void AppendString(Bytes& out, ByteSpan data) {
  if (data.size() == 1 && data[0] < 0x80) {
    out.push_back(data[0]);
    return;
  }
  AppendHeader(out, data.size(), 0x80);
  out.insert(out.end(), data.begin(), data.end());
}

Bytes MinimalBigEndian(const U256& v) {
  auto be = v.ToBigEndian();
  size_t i = 0;
  while (i < be.size() && be[i] == 0) ++i;
  return Bytes(be.begin() + static_cast<std::ptrdiff_t>(i), be.end());
}

Error Bad(size_t at, const std::string& why) {
  return InvalidArgument("rlp: at byte " + std::to_string(at) + ": " + why);
}

struct Decoder {
  ByteSpan in;
  // Decodes the item at `pos`; sets `next` to the byte after it.
  Result<RlpItem> Item(size_t pos, size_t end, size_t depth, size_t* next) {
    if (depth > kMaxRlpDepth) return Bad(pos, "nested deeper than " + std::to_string(kMaxRlpDepth));
    if (pos >= end) return Bad(pos, "input ends where an item should start");
    uint8_t b = in[pos];
    RlpItem item;
    if (b < 0x80) {
      item.bytes.push_back(b);
      *next = pos + 1;
      return item;
    }
    bool list = b >= 0xc0;
    uint8_t base = list ? 0xc0 : 0x80;
    size_t len = 0;
    size_t start = pos + 1;
    if (b - base < 56) {
      len = b - base;
    } else {
      size_t n = b - base - 55;
      if (n > 8 || start + n > end) return Bad(pos, "length of length runs past the input");
      if (in[start] == 0) return Bad(pos, "length has a leading zero");
      for (size_t i = 0; i < n; ++i) len = (len << 8) | in[start + i];
      if (len < 56) return Bad(pos, "long form for a length below 56");
      start += n;
    }
    if (len > end - start) return Bad(pos, "length " + std::to_string(len) + " runs past the input");
    size_t stop = start + len;
    if (!list) {
      if (len == 1 && in[start] < 0x80) return Bad(pos, "single byte below 0x80 must encode itself");
      item.bytes.assign(in.begin() + static_cast<std::ptrdiff_t>(start), in.begin() + static_cast<std::ptrdiff_t>(stop));
    } else {
      item.is_list = true;
      for (size_t p = start; p < stop;) {
        size_t after = 0;
        LT_TRY(RlpItem child, Item(p, stop, depth + 1, &after));
        item.items.push_back(std::move(child));
        p = after;
      }
    }
    *next = stop;
    return item;
  }
};

}  // namespace

Bytes RlpString(ByteSpan data) {
  Bytes out;
  AppendString(out, data);
  return out;
}

Bytes RlpUint(const U256& v) { return RlpString(MinimalBigEndian(v)); }

Bytes RlpList(const std::vector<Bytes>& encoded_items) {
  RlpWriter w;
  for (const auto& i : encoded_items) w.Raw(i);
  return w.Finish();
}

RlpWriter& RlpWriter::String(ByteSpan data) {
  AppendString(payload_, data);
  return *this;
}

RlpWriter& RlpWriter::Uint(const U256& v) { return String(MinimalBigEndian(v)); }

RlpWriter& RlpWriter::Raw(ByteSpan encoded) {
  payload_.insert(payload_.end(), encoded.begin(), encoded.end());
  return *this;
}

Bytes RlpWriter::Finish() const {
  Bytes out;
  AppendHeader(out, payload_.size(), 0xc0);
  out.insert(out.end(), payload_.begin(), payload_.end());
  return out;
}

Result<RlpItem> RlpDecode(ByteSpan data) {
  Decoder d{data};
  size_t next = 0;
  LT_TRY(RlpItem item, d.Item(0, data.size(), 0, &next));
  if (next != data.size()) return Bad(next, std::to_string(data.size() - next) + " bytes after the item");
  return item;
}

Result<U256> RlpToUint(const RlpItem& item) {
  if (item.is_list) return InvalidArgument("rlp: expected an integer, got a list");
  if (item.bytes.size() > 32) return InvalidArgument("rlp: integer longer than 32 bytes");
  if (!item.bytes.empty() && item.bytes[0] == 0) return InvalidArgument("rlp: integer has a leading zero");
  FixedBytes<32> be{};
  std::copy(item.bytes.begin(), item.bytes.end(), be.begin() + static_cast<std::ptrdiff_t>(32 - item.bytes.size()));
  return U256::FromBigEndian(be);
}

}  // namespace lt::evm
