// ABI head/tail encoding and strict decoding (see abi.h).
#include "evm/abi.h"

#include <algorithm>
#include <functional>

namespace lt::evm {

namespace {

using Kind = AbiType::Kind;

Hash32 Word(const U256& v) { return v.ToBigEndian(); }

// 2^bits - 1 as the largest uintN, for bits < 256.
bool FitsBits(const U256& v, size_t bits) {
  if (bits >= 256) return true;
  const auto& l = v.limbs();
  for (size_t i = 0; i < 4; ++i) {
    size_t lo = i * 64;
    if (lo >= bits) {
      if (l[i] != 0) return false;
    } else if (bits < lo + 64 && (l[i] >> (bits - lo)) != 0) {
      return false;
    }
  }
  return true;
}

// Bit `i` of v.
bool Bit(const U256& v, size_t i) { return (v.limbs()[i / 64] >> (i % 64)) & 1; }

// v is the 256-bit sign extension of an N-bit two's complement value.
bool SignExtended(const U256& v, size_t bits) {
  if (bits >= 256) return true;
  bool sign = Bit(v, bits - 1);
  for (size_t i = bits; i < 256; ++i) {
    if (Bit(v, i) != sign) return false;
  }
  return true;
}

Error At(const std::string& path, const std::string& why) {
  return InvalidArgument("ABI " + (path.empty() ? std::string("value") : path) + ": " + why);
}

size_t Padded(size_t n) { return (n + 31) / 32 * 32; }

// ---- Encoding ----------------------------------------------------------------------------------

Status EncodeTuple(const std::function<const AbiType&(size_t)>& type_of, const std::vector<AbiValue>& values,
                   const std::string& path, Bytes& out);

// Appends the encoding of one value: its head for a static type, its tail for a dynamic one.
Status EncodeValue(const AbiType& t, const AbiValue& v, const std::string& path, Bytes& out) {
  auto word = [&](const U256& w) {
    Hash32 h = Word(w);
    out.insert(out.end(), h.begin(), h.end());
  };
  switch (t.kind()) {
    case Kind::kUint:
      if (!FitsBits(v.word, t.size())) return At(path, v.word.ToDecimal() + " does not fit in " + t.Canonical());
      word(v.word);
      return OkStatus();
    case Kind::kInt:
      if (!SignExtended(v.word, t.size())) return At(path, "value does not fit in " + t.Canonical());
      word(v.word);
      return OkStatus();
    case Kind::kAddress:
      if (!FitsBits(v.word, 160)) return At(path, "address wider than 160 bits");
      word(v.word);
      return OkStatus();
    case Kind::kBool:
      if (v.word > U256(1)) return At(path, "bool must be 0 or 1");
      word(v.word);
      return OkStatus();
    case Kind::kFixedBytes: {
      if (v.bytes.size() != t.size()) {
        return At(path, t.Canonical() + " needs " + std::to_string(t.size()) + " bytes, got " +
                            std::to_string(v.bytes.size()));
      }
      Hash32 h{};
      std::copy(v.bytes.begin(), v.bytes.end(), h.begin());
      out.insert(out.end(), h.begin(), h.end());
      return OkStatus();
    }
    case Kind::kBytes:
    case Kind::kString:
      word(U256(v.bytes.size()));
      out.insert(out.end(), v.bytes.begin(), v.bytes.end());
      out.resize(out.size() + Padded(v.bytes.size()) - v.bytes.size(), 0);
      return OkStatus();
    case Kind::kArray:
      word(U256(v.items.size()));
      return EncodeTuple([&](size_t) -> const AbiType& { return t.element(); }, v.items, path, out);
    case Kind::kFixedArray:
      if (v.items.size() != t.size()) {
        return At(path, t.Canonical() + " needs " + std::to_string(t.size()) + " items, got " +
                            std::to_string(v.items.size()));
      }
      return EncodeTuple([&](size_t) -> const AbiType& { return t.element(); }, v.items, path, out);
    case Kind::kTuple:
      if (v.items.size() != t.components().size()) {
        return At(path, t.Canonical() + " needs " + std::to_string(t.components().size()) + " fields, got " +
                            std::to_string(v.items.size()));
      }
      return EncodeTuple([&](size_t i) -> const AbiType& { return t.components()[i]; }, v.items, path, out);
  }
  return At(path, "unknown type");
}

Status EncodeTuple(const std::function<const AbiType&(size_t)>& type_of, const std::vector<AbiValue>& values,
                   const std::string& path, Bytes& out) {
  size_t head_size = 0;
  for (size_t i = 0; i < values.size(); ++i) head_size += type_of(i).HeadSize();
  size_t start = out.size();
  out.resize(start + head_size, 0);
  size_t head = start;
  for (size_t i = 0; i < values.size(); ++i) {
    const AbiType& t = type_of(i);
    std::string p = path + "[" + std::to_string(i) + "]";
    if (t.IsDynamic()) {
      Hash32 off = Word(U256(out.size() - start));
      std::copy(off.begin(), off.end(), out.begin() + static_cast<std::ptrdiff_t>(head));
      LT_TRY_STATUS(EncodeValue(t, values[i], p, out));
      head += 32;
    } else {
      Bytes tmp;
      LT_TRY_STATUS(EncodeValue(t, values[i], p, tmp));
      std::copy(tmp.begin(), tmp.end(), out.begin() + static_cast<std::ptrdiff_t>(head));
      head += tmp.size();
    }
  }
  return OkStatus();
}

// ---- Decoding ----------------------------------------------------------------------------------

struct Decoder {
  ByteSpan data;
  size_t values = 0;

  Result<U256> ReadWord(size_t pos, const std::string& path) {
    if (pos > data.size() || data.size() - pos < 32) {
      return At(path, "data ends at byte " + std::to_string(data.size()) + ", word at " + std::to_string(pos));
    }
    FixedBytes<32> w;
    std::copy(data.begin() + static_cast<std::ptrdiff_t>(pos), data.begin() + static_cast<std::ptrdiff_t>(pos + 32),
              w.begin());
    return U256::FromBigEndian(w);
  }

  Result<size_t> ReadSize(size_t pos, const std::string& path, const char* what) {
    LT_TRY(U256 v, ReadWord(pos, path));
    if (!v.FitsU64() || v.Low64() > data.size()) return At(path, std::string(what) + " beyond the data");
    return static_cast<size_t>(v.Low64());
  }

  Status Count(const std::string& path) {
    if (++values > kMaxAbiDecodeValues) return At(path, "more than " + std::to_string(kMaxAbiDecodeValues) + " values");
    return OkStatus();
  }

  // A value whose head is at `pos` in a tuple that starts at `base`.
  Result<AbiValue> Value(const AbiType& t, size_t base, size_t pos, const std::string& path) {
    LT_TRY_STATUS(Count(path));
    if (t.IsDynamic()) {
      LT_TRY(size_t off, ReadSize(pos, path, "offset"));
      if (off > data.size() - base) return At(path, "offset beyond the data");
      return Tail(t, base + off, path);
    }
    return Static(t, pos, path);
  }

  Result<AbiValue> Static(const AbiType& t, size_t pos, const std::string& path) {
    switch (t.kind()) {
      case Kind::kFixedArray:
        return Seq([&](size_t) -> const AbiType& { return t.element(); }, t.size(), pos, path);
      case Kind::kTuple:
        return Seq([&](size_t i) -> const AbiType& { return t.components()[i]; }, t.components().size(), pos, path);
      default:
        break;
    }
    LT_TRY(U256 w, ReadWord(pos, path));
    AbiValue v;
    switch (t.kind()) {
      case Kind::kUint:
        if (!FitsBits(w, t.size())) return At(path, "value does not fit in " + t.Canonical());
        v.word = w;
        return v;
      case Kind::kInt:
        if (!SignExtended(w, t.size())) return At(path, "value is not a sign-extended " + t.Canonical());
        v.word = w;
        return v;
      case Kind::kAddress:
        if (!FitsBits(w, 160)) return At(path, "address has non-zero high bytes");
        v.word = w;
        return v;
      case Kind::kBool:
        if (w > U256(1)) return At(path, "bool is neither 0 nor 1");
        v.word = w;
        return v;
      case Kind::kFixedBytes: {
        Hash32 b = w.ToBigEndian();
        for (size_t i = t.size(); i < 32; ++i) {
          if (b[i] != 0) return At(path, t.Canonical() + " has non-zero padding");
        }
        v.bytes.assign(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(t.size()));
        return v;
      }
      default:
        return At(path, "not a static type");
    }
  }

  Result<AbiValue> Tail(const AbiType& t, size_t pos, const std::string& path) {
    switch (t.kind()) {
      case Kind::kBytes:
      case Kind::kString: {
        LT_TRY(size_t len, ReadSize(pos, path, "length"));
        size_t start = pos + 32;
        if (start > data.size() || Padded(len) > data.size() - start) return At(path, "bytes run past the data");
        AbiValue v;
        v.bytes.assign(data.begin() + static_cast<std::ptrdiff_t>(start),
                       data.begin() + static_cast<std::ptrdiff_t>(start + len));
        return v;
      }
      case Kind::kArray: {
        LT_TRY(size_t n, ReadSize(pos, path, "array length"));
        size_t start = pos + 32;
        size_t head = std::max<size_t>(1, t.element().HeadSize());
        if (start > data.size() || (n != 0 && (data.size() - start) / head < n)) {
          return At(path, "array of " + std::to_string(n) + " runs past the data");
        }
        return Seq([&](size_t) -> const AbiType& { return t.element(); }, n, start, path);
      }
      case Kind::kFixedArray:
        return Seq([&](size_t) -> const AbiType& { return t.element(); }, t.size(), pos, path);
      case Kind::kTuple:
        return Seq([&](size_t i) -> const AbiType& { return t.components()[i]; }, t.components().size(), pos, path);
      default:
        return At(path, "not a dynamic type");
    }
  }

  // n values of types type_of(i), whose heads start at `base`.
  Result<AbiValue> Seq(const std::function<const AbiType&(size_t)>& type_of, size_t n, size_t base,
                       const std::string& path) {
    AbiValue out;
    size_t head = base;
    for (size_t i = 0; i < n; ++i) {
      const AbiType& t = type_of(i);
      LT_TRY(AbiValue v, Value(t, base, head, path + "[" + std::to_string(i) + "]"));
      out.items.push_back(std::move(v));
      head += t.HeadSize();
    }
    return out;
  }
};

}  // namespace

Result<Bytes> AbiEncode(const std::vector<AbiType>& types, const std::vector<AbiValue>& values) {
  if (types.size() != values.size()) {
    return InvalidArgument("ABI: " + std::to_string(types.size()) + " types but " + std::to_string(values.size()) +
                           " values");
  }
  Bytes out;
  LT_TRY_STATUS(EncodeTuple([&](size_t i) -> const AbiType& { return types[i]; }, values, "arg ", out));
  return out;
}

Result<std::vector<AbiValue>> AbiDecode(const std::vector<AbiType>& types, ByteSpan data) {
  Decoder d{data};
  LT_TRY(AbiValue v, d.Seq([&](size_t i) -> const AbiType& { return types[i]; }, types.size(), 0, "arg "));
  return std::move(v.items);
}

Result<AbiValue> AbiDecodeWord(const AbiType& type, const Hash32& word) {
  if (type.IsDynamic() || type.kind() == Kind::kTuple || type.kind() == Kind::kFixedArray) {
    return AbiValue::Bytes32(word);  // indexed dynamic values are topics of their hash
  }
  Decoder d{ByteSpan(word)};
  return d.Static(type, 0, "topic");
}

}  // namespace lt::evm
