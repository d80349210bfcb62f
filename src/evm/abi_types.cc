// AbiType: construction, canonical spelling, parsing (text and solc JSON); AbiValue helpers;
// selectors and value formatting. Encoding and decoding are in abi.cc.
#include <nlohmann/json.hpp>

#include "crypto/keccak.h"
#include "evm/abi.h"

namespace lt::evm {

using nlohmann::json;

AbiType AbiType::Array(AbiType element) {
  AbiType t(Kind::kArray, 0);
  t.sub_.push_back(std::move(element));
  return t;
}

AbiType AbiType::FixedArray(AbiType element, size_t length) {
  AbiType t(Kind::kFixedArray, length);
  t.sub_.push_back(std::move(element));
  return t;
}

AbiType AbiType::Tuple(std::vector<AbiType> components) {
  AbiType t(Kind::kTuple, components.size());
  t.sub_ = std::move(components);
  return t;
}

bool AbiType::IsDynamic() const {
  switch (kind_) {
    case Kind::kBytes:
    case Kind::kString:
    case Kind::kArray:
      return true;
    case Kind::kFixedArray:
      return n_ > 0 && sub_[0].IsDynamic();
    case Kind::kTuple:
      for (const auto& c : sub_) {
        if (c.IsDynamic()) return true;
      }
      return false;
    default:
      return false;
  }
}

size_t AbiType::HeadSize() const {
  if (IsDynamic()) return 32;
  if (kind_ == Kind::kFixedArray) return n_ * sub_[0].HeadSize();
  if (kind_ == Kind::kTuple) {
    size_t s = 0;
    for (const auto& c : sub_) s += c.HeadSize();
    return s;
  }
  return 32;
}

std::string AbiType::Canonical() const {
  switch (kind_) {
    case Kind::kUint:
      return "uint" + std::to_string(n_);
    case Kind::kInt:
      return "int" + std::to_string(n_);
    case Kind::kAddress:
      return "address";
    case Kind::kBool:
      return "bool";
    case Kind::kFixedBytes:
      return "bytes" + std::to_string(n_);
    case Kind::kBytes:
      return "bytes";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return sub_[0].Canonical() + "[]";
    case Kind::kFixedArray:
      return sub_[0].Canonical() + "[" + std::to_string(n_) + "]";
    case Kind::kTuple: {
      std::string s = "(";
      for (size_t i = 0; i < sub_.size(); ++i) s += (i ? "," : "") + sub_[i].Canonical();
      return s + ")";
    }
  }
  return "?";
}

namespace {

Result<size_t> Number(std::string_view s, size_t max) {
  if (s.empty() || s.size() > 6 || s[0] == '0') return InvalidArgument("bad number '" + std::string(s) + "'");
  size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return InvalidArgument("bad number '" + std::string(s) + "'");
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  if (v > max) return InvalidArgument("number " + std::to_string(v) + " above " + std::to_string(max));
  return v;
}

Result<AbiType> Elementary(std::string_view s) {
  auto sized = [&](std::string_view prefix, size_t step, size_t max) -> Result<size_t> {
    std::string_view rest = s.substr(prefix.size());
    LT_TRY(size_t n, Number(rest, max));
    if (n == 0 || n % step != 0) return InvalidArgument("bad size in '" + std::string(s) + "'");
    return n;
  };
  if (s == "address") return AbiType::Address();
  if (s == "bool") return AbiType::Bool();
  if (s == "string") return AbiType::String();
  if (s == "bytes") return AbiType::Bytes();
  if (s.starts_with("uint")) {
    LT_TRY(size_t n, sized("uint", 8, 256));
    return AbiType::Uint(n);
  }
  if (s.starts_with("int")) {
    LT_TRY(size_t n, sized("int", 8, 256));
    return AbiType::Int(n);
  }
  if (s.starts_with("bytes")) {
    LT_TRY(size_t n, sized("bytes", 1, 32));
    return AbiType::FixedBytes(n);
  }
  return InvalidArgument("unknown ABI type '" + std::string(s.substr(0, 64)) + "'");
}

// Applies the array suffixes of `s` (after position `from`) to `base`.
Result<AbiType> Suffixes(AbiType base, std::string_view s, size_t depth) {
  while (!s.empty()) {
    if (s[0] != '[') return InvalidArgument("unexpected '" + std::string(s.substr(0, 16)) + "'");
    size_t close = s.find(']');
    if (close == std::string_view::npos) return InvalidArgument("unclosed '['");
    if (++depth > kMaxAbiTypeDepth) return InvalidArgument("type nested too deep");
    if (close == 1) {
      base = AbiType::Array(std::move(base));
    } else {
      LT_TRY(size_t k, Number(s.substr(1, close - 1), 1 << 16));
      if (base.HeadSize() > (size_t{1} << 20) / k) return InvalidArgument("fixed array larger than 1 MiB");
      base = AbiType::FixedArray(std::move(base), k);
    }
    s.remove_prefix(close + 1);
  }
  return base;
}

Result<AbiType> Parse(std::string_view s, size_t depth) {
  if (depth > kMaxAbiTypeDepth) return InvalidArgument("type nested too deep");
  if (!s.empty() && s[0] == '(') {
    // Find the matching ')'.
    size_t level = 0, close = std::string_view::npos;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '(') ++level;
      if (s[i] == ')' && --level == 0) {
        close = i;
        break;
      }
    }
    if (close == std::string_view::npos) return InvalidArgument("unclosed '('");
    std::vector<AbiType> comps;
    std::string_view inner = s.substr(1, close - 1);
    size_t start = 0;
    level = 0;
    for (size_t i = 0; i <= inner.size(); ++i) {
      if (i < inner.size() && inner[i] == '(') ++level;
      if (i < inner.size() && inner[i] == ')') --level;
      if (i == inner.size() || (inner[i] == ',' && level == 0)) {
        if (i == inner.size() && start == 0 && inner.empty()) break;  // "()"
        LT_TRY(AbiType c, Parse(inner.substr(start, i - start), depth + 1));
        comps.push_back(std::move(c));
        if (comps.size() > kMaxAbiTupleFields) return InvalidArgument("tuple has too many fields");
        start = i + 1;
      }
    }
    return Suffixes(AbiType::Tuple(std::move(comps)), s.substr(close + 1), depth);
  }
  size_t bracket = s.find('[');
  LT_TRY(AbiType base, Elementary(s.substr(0, bracket)));
  if (bracket == std::string_view::npos) return base;
  return Suffixes(std::move(base), s.substr(bracket), depth);
}

Result<AbiType> FromJson(const json& p, size_t depth) {
  if (depth > kMaxAbiTypeDepth) return InvalidArgument("type nested too deep");
  if (!p.is_object() || !p.contains("type") || !p["type"].is_string()) {
    return InvalidArgument("ABI parameter lacks a \"type\" string");
  }
  std::string t = p["type"].get<std::string>();
  if (!t.starts_with("tuple")) return Parse(t, depth);
  if (!p.contains("components") || !p["components"].is_array()) {
    return InvalidArgument("tuple parameter lacks \"components\"");
  }
  std::vector<AbiType> comps;
  for (const auto& c : p["components"]) {
    LT_TRY(AbiType ct, FromJson(c, depth + 1));
    comps.push_back(std::move(ct));
    if (comps.size() > kMaxAbiTupleFields) return InvalidArgument("tuple has too many fields");
  }
  return Suffixes(AbiType::Tuple(std::move(comps)), std::string_view(t).substr(5), depth);
}

}  // namespace

Result<AbiType> ParseAbiType(std::string_view s) {
  auto r = Parse(s, 0);
  if (!r.ok()) return r.error().Wrap("ABI type '" + std::string(s.substr(0, 80)) + "'");
  return r;
}

Result<AbiType> AbiTypeFromJson(const json& param) { return FromJson(param, 0); }

AbiValue AbiValue::Uint(const U256& v) {
  AbiValue a;
  a.word = v;
  return a;
}

AbiValue AbiValue::Int(int64_t v) {
  AbiValue a;
  if (v >= 0) {
    a.word = U256(static_cast<uint64_t>(v));
  } else {
    // Two's complement: 2^256 - |v|.
    U256 mag(static_cast<uint64_t>(-(v + 1)) + 1);
    a.word = *U256::Max().CheckedSub(mag).value().CheckedAdd(U256(1));
  }
  return a;
}

AbiValue AbiValue::Bool(bool b) { return Uint(U256(b ? 1 : 0)); }

AbiValue AbiValue::Addr(const crypto::Address& addr) {
  FixedBytes<32> w{};
  std::copy(addr.bytes.begin(), addr.bytes.end(), w.begin() + 12);
  return Uint(U256::FromBigEndian(w));
}

AbiValue AbiValue::Bytes32(const Hash32& h) { return Blob(h); }

AbiValue AbiValue::Blob(ByteSpan b) {
  AbiValue a;
  a.bytes.assign(b.begin(), b.end());
  return a;
}

AbiValue AbiValue::Str(std::string_view s) { return Blob(AsBytes(s)); }

AbiValue AbiValue::List(std::vector<AbiValue> items) {
  AbiValue a;
  a.items = std::move(items);
  return a;
}

crypto::Address AbiValue::AsAddress() const {
  crypto::Address a;
  auto be = word.ToBigEndian();
  std::copy(be.begin() + 12, be.end(), a.bytes.begin());
  return a;
}

Hash32 AbiValue::AsBytes32() const {
  Hash32 h{};
  std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(32, bytes.size())), h.begin());
  return h;
}

FixedBytes<4> Selector(std::string_view signature) {
  Hash32 h = crypto::Keccak(signature);
  return {h[0], h[1], h[2], h[3]};
}

std::string Signature(std::string_view name, const std::vector<AbiType>& types) {
  std::string s(name);
  s += "(";
  for (size_t i = 0; i < types.size(); ++i) s += (i ? "," : "") + types[i].Canonical();
  return s + ")";
}

namespace {

std::string IntToString(const AbiType& t, const U256& w) {
  if (t.kind() == AbiType::Kind::kInt && (w.limbs()[3] >> 63) != 0) {
    U256 mag = *U256::Max().CheckedSub(w).value().CheckedAdd(U256(1));
    return "-" + mag.ToDecimal();
  }
  return w.ToDecimal();
}

}  // namespace

json AbiValueToJson(const AbiType& t, const AbiValue& v) {
  switch (t.kind()) {
    case AbiType::Kind::kUint:
    case AbiType::Kind::kInt:
      return IntToString(t, v.word);
    case AbiType::Kind::kAddress:
      return v.AsAddress().ToChecksumHex();
    case AbiType::Kind::kBool:
      return v.AsBool();
    case AbiType::Kind::kFixedBytes:
    case AbiType::Kind::kBytes:
      return HexEncode0x(v.bytes);
    case AbiType::Kind::kString:
      return v.AsString();
    case AbiType::Kind::kArray:
    case AbiType::Kind::kFixedArray: {
      json a = json::array();
      for (const auto& i : v.items) a.push_back(AbiValueToJson(t.element(), i));
      return a;
    }
    case AbiType::Kind::kTuple: {
      json a = json::array();
      for (size_t i = 0; i < v.items.size() && i < t.components().size(); ++i) {
        a.push_back(AbiValueToJson(t.components()[i], v.items[i]));
      }
      return a;
    }
  }
  return nullptr;
}

std::string AbiValueToString(const AbiType& t, const AbiValue& v) {
  json j = AbiValueToJson(t, v);
  if (j.is_string() && t.kind() != AbiType::Kind::kString) return j.get<std::string>();
  std::string s = j.dump(-1, ' ', true, json::error_handler_t::replace);
  return s.size() > 300 ? s.substr(0, 300) + "..." : s;
}

}  // namespace lt::evm
