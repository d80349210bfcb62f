// EIP-712 value encoding (encodeData / hashStruct), typed-data documents, signing and recovery.
#include "crypto/eip712.h"

#include <cstring>

#include "crypto/eip712_internal.h"
#include "util/json.h"

namespace lt::crypto {

using eip712_internal::BaseKind;
using eip712_internal::Describe;
using eip712_internal::ParsedType;
using nlohmann::json;

Word WordUint(uint64_t v) {
  Word w{};
  for (int i = 0; i < 8; ++i) w[31 - i] = static_cast<uint8_t>(v >> (8 * i));
  return w;
}

Word WordUint(const U256& v) { return v.ToBigEndian(); }

Word WordBool(bool v) { return WordUint(v ? 1 : 0); }

Word WordAddress(const Address& a) {
  Word w{};
  std::memcpy(w.data() + 12, a.bytes.data(), 20);
  return w;
}

Hash32 HashStructWords(std::string_view encoded_type, std::span<const Word> words) {
  StructHasher h(Keccak(encoded_type));
  for (const Word& w : words) h.Add(w);
  return h.Finish();
}

Hash32 Eip712Digest(const Hash32& domain_separator, const Hash32& struct_hash) {
  uint8_t buf[66];
  buf[0] = 0x19;
  buf[1] = 0x01;
  std::memcpy(buf + 2, domain_separator.data(), 32);
  std::memcpy(buf + 34, struct_hash.data(), 32);
  return Keccak(ByteSpan(buf, sizeof buf));
}

namespace {

U256 Pow2(int n) {  // n < 256
  U256::Limbs l{};
  l[n / 64] = 1ULL << (n % 64);
  return U256::FromLimbs(l);
}

// An integer from JSON: a JSON integer, or a string holding an optional '-' and a decimal or
// 0x-hex magnitude. Returns the magnitude and sign.
Status ReadInteger(const json& v, const std::string& path, const std::string& type, U256* mag, bool* neg) {
  *neg = false;
  if (v.is_number_unsigned()) {
    *mag = U256(v.get<uint64_t>());
    return OkStatus();
  }
  if (v.is_number_integer()) {
    int64_t x = v.get<int64_t>();
    *neg = x < 0;
    *mag = x < 0 ? U256(static_cast<uint64_t>(-(x + 1)) + 1) : U256(static_cast<uint64_t>(x));
    return OkStatus();
  }
  if (v.is_number_float()) {
    return InvalidArgument(path + ": expected an integer for " + type + ", got the non-integer number " +
                           Describe(v) + " (write large integers as decimal strings)");
  }
  if (!v.is_string()) {
    return InvalidArgument(path + ": expected an integer for " + type + ", got " + Describe(v));
  }
  std::string_view s = v.get_ref<const std::string&>();
  if (!s.empty() && s[0] == '-') {
    *neg = true;
    s.remove_prefix(1);
  }
  auto parsed = U256::Parse(s);
  if (!parsed.ok()) {
    return InvalidArgument(path + ": expected an integer for " + type + ", got " + Describe(v) + " (" +
                           parsed.error().message + ")");
  }
  *mag = *parsed;
  if (mag->IsZero()) *neg = false;
  return OkStatus();
}

Result<Word> EncodeInteger(const ParsedType& t, const json& v, const std::string& path) {
  U256 mag;
  bool neg = false;
  LT_TRY_STATUS(ReadInteger(v, path, t.base, &mag, &neg));
  auto shown = [&] { return (neg ? "-" : "") + mag.ToDecimal(); };
  if (t.kind == BaseKind::kUint) {
    if (neg) return InvalidArgument(path + ": negative value " + shown() + " for " + t.base);
    if (t.size < 256 && mag >= Pow2(t.size)) {
      return InvalidArgument(path + ": " + shown() + " is out of range for " + t.base + " (0 to 2^" +
                             std::to_string(t.size) + "-1)");
    }
    return mag.ToBigEndian();
  }
  // intN: -2^(N-1) <= v < 2^(N-1), encoded as 256-bit two's complement.
  U256 half = Pow2(t.size - 1);
  if ((!neg && mag >= half) || (neg && mag > half)) {
    return InvalidArgument(path + ": " + shown() + " is out of range for " + t.base + " (-2^" +
                           std::to_string(t.size - 1) + " to 2^" + std::to_string(t.size - 1) + "-1)");
  }
  if (!neg) return mag.ToBigEndian();
  return U256::Max().CheckedSub(*mag.CheckedSub(1))->ToBigEndian();  // 2^256 - mag
}

Result<Bytes> ReadHexBytes(const json& v, const std::string& path, const std::string& type) {
  if (!v.is_string()) {
    return InvalidArgument(path + ": expected 0x-prefixed hex for " + type + ", got " + Describe(v));
  }
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
    return InvalidArgument(path + ": expected 0x-prefixed hex for " + type + ", got " + Describe(v));
  }
  auto b = HexDecode(s);
  if (!b.ok()) return InvalidArgument(path + ": bad hex for " + type + ": " + b.error().message);
  return b;
}

Result<Word> EncodeAtomic(const ParsedType& t, const json& v, const std::string& path) {
  switch (t.kind) {
    case BaseKind::kAddress: {
      if (!v.is_string()) return InvalidArgument(path + ": expected an address, got " + Describe(v));
      auto a = ParseAddress(v.get_ref<const std::string&>());
      if (!a.ok()) {
        return InvalidArgument(path + ": expected an address, got " + Describe(v) + " (" + a.error().message + ")");
      }
      return WordAddress(*a);
    }
    case BaseKind::kBool:
      if (!v.is_boolean()) return InvalidArgument(path + ": expected true or false, got " + Describe(v));
      return WordBool(v.get<bool>());
    case BaseKind::kString:
      if (!v.is_string()) return InvalidArgument(path + ": expected a string, got " + Describe(v));
      return WordString(v.get_ref<const std::string&>());
    case BaseKind::kBytes: {
      LT_TRY(Bytes b, ReadHexBytes(v, path, t.base));
      return WordBytes(b);
    }
    case BaseKind::kFixedBytes: {
      LT_TRY(Bytes b, ReadHexBytes(v, path, t.base));
      if (b.size() != static_cast<size_t>(t.size)) {
        return InvalidArgument(path + ": expected " + std::to_string(t.size) + " bytes for " + t.base + ", got " +
                               std::to_string(b.size()));
      }
      Word w{};
      std::memcpy(w.data(), b.data(), b.size());  // left-aligned, zero-padded on the right
      return w;
    }
    case BaseKind::kUint:
    case BaseKind::kInt:
      return EncodeInteger(t, v, path);
    case BaseKind::kStruct:
      break;
  }
  return InternalError(path + ": not an atomic type");
}

Result<Hash32> HashStructAt(const Eip712Types& types, const std::string& type, const json& v,
                            const std::string& path, size_t depth);

// Encodes `v` as type t restricted to its first `ndims` array dimensions.
Result<Word> EncodeAt(const Eip712Types& types, const ParsedType& t, size_t ndims, const json& v,
                      const std::string& path, size_t depth) {
  if (depth > kMaxEip712Depth) {
    return InvalidArgument(path + ": nested more than " + std::to_string(kMaxEip712Depth) + " levels deep");
  }
  if (ndims > 0) {
    uint32_t want = t.dims[ndims - 1];
    if (!v.is_array()) {
      return InvalidArgument(path + ": expected an array, got " + Describe(v));
    }
    if (v.size() > kMaxEip712ArrayLength) {
      return InvalidArgument(path + ": array of " + std::to_string(v.size()) + " elements, more than the limit of " +
                             std::to_string(kMaxEip712ArrayLength));
    }
    if (want != 0 && v.size() != want) {
      return InvalidArgument(path + ": expected exactly " + std::to_string(want) + " elements, got " +
                             std::to_string(v.size()));
    }
    Keccak256 h;
    for (size_t i = 0; i < v.size(); ++i) {
      LT_TRY(Word w, EncodeAt(types, t, ndims - 1, v[i], path + "[" + std::to_string(i) + "]", depth + 1));
      h.Update(w);
    }
    return h.Finalize();
  }
  if (t.kind == BaseKind::kStruct) return HashStructAt(types, t.base, v, path, depth + 1);
  return EncodeAtomic(t, v, path);
}

// Writes typeHash || one word per field to `sink` (a Keccak256 or a byte vector).
template <typename Sink>
Status EncodeFields(const Eip712Types& types, const std::string& type, const json& v, const std::string& path,
                    size_t depth, Sink&& sink) {
  const std::vector<TypedField>* fields = types.Fields(type);
  if (fields == nullptr) return InvalidArgument(path + ": unknown struct type \"" + type + "\"");
  if (!v.is_object()) {
    return InvalidArgument(path + ": expected an object for " + type + ", got " + Describe(v));
  }
  for (const auto& [key, unused] : v.items()) {
    bool known = false;
    for (const auto& f : *fields) known = known || f.name == key;
    if (!known) return InvalidArgument(path + "." + key + ": not a field of " + type);
  }
  LT_TRY(Hash32 type_hash, types.TypeHash(type));
  sink(type_hash);
  for (const auto& f : *fields) {
    const std::string fpath = path + "." + f.name;
    auto it = v.find(f.name);
    if (it == v.end()) return InvalidArgument(fpath + ": missing (a field of " + type + " " + f.type + ")");
    LT_TRY(ParsedType pt, eip712_internal::ParseFieldType(f.type));
    LT_TRY(Word w, EncodeAt(types, pt, pt.dims.size(), *it, fpath, depth));
    sink(w);
  }
  return OkStatus();
}

Result<Hash32> HashStructAt(const Eip712Types& types, const std::string& type, const json& v,
                            const std::string& path, size_t depth) {
  Keccak256 h;
  LT_TRY_STATUS(EncodeFields(types, type, v, path, depth, [&h](const Word& w) { h.Update(w); }));
  return h.Finalize();
}

}  // namespace

Result<Word> EncodeValue(const Eip712Types& types, std::string_view type, const json& value,
                         std::string_view path) {
  auto pt = eip712_internal::ParseFieldType(type);
  if (!pt.ok()) return pt.error().Wrap(path);
  if (pt->kind == BaseKind::kStruct && !types.Has(pt->base)) {
    return InvalidArgument(std::string(path) + ": unknown type \"" + pt->base + "\"");
  }
  return EncodeAt(types, *pt, pt->dims.size(), value, std::string(path), 0);
}

Result<Hash32> Eip712Types::HashStruct(std::string_view type, const json& value, std::string_view path) const {
  return HashStructAt(*this, std::string(type), value, std::string(path), 0);
}

Result<Bytes> Eip712Types::EncodeData(std::string_view type, const json& value, std::string_view path) const {
  Bytes out;
  LT_TRY_STATUS(EncodeFields(*this, std::string(type), value, std::string(path), 0,
                             [&out](const Word& w) { out.insert(out.end(), w.begin(), w.end()); }));
  return out;
}

Result<TypedData> ParseTypedData(const json& j) {
  if (!j.is_object()) return InvalidArgument("typed data: expected a JSON object, got " + Describe(j));
  for (const auto& [key, unused] : j.items()) {
    if (key != "types" && key != "primaryType" && key != "domain" && key != "message") {
      return InvalidArgument(key + ": unexpected key (typed data has types, primaryType, domain and message)");
    }
  }
  for (const char* key : {"types", "primaryType", "domain", "message"}) {
    if (!j.contains(key)) return InvalidArgument(std::string(key) + ": missing");
  }
  TypedData out;
  LT_TRY(out.types, Eip712Types::FromJson(j["types"], "types"));
  if (!out.types.Has("EIP712Domain")) {
    return InvalidArgument("types.EIP712Domain: missing (eth_signTypedData_v4 requires the domain's type)");
  }
  const json& primary = j["primaryType"];
  if (!primary.is_string()) return InvalidArgument("primaryType: expected a string, got " + Describe(primary));
  out.primary_type = primary.get<std::string>();
  if (out.primary_type == "EIP712Domain") {
    return InvalidArgument("primaryType: EIP712Domain cannot be the primary type (nothing would be signed)");
  }
  if (!out.types.Has(out.primary_type)) {
    return InvalidArgument("primaryType: unknown type \"" + out.primary_type + "\" (not defined in types)");
  }
  LT_TRY(out.domain_separator, out.types.HashStruct("EIP712Domain", j["domain"], "domain"));
  LT_TRY(out.struct_hash, out.types.HashStruct(out.primary_type, j["message"], "message"));
  out.digest = Eip712Digest(out.domain_separator, out.struct_hash);
  // Copied only now: validation bounded their nesting depth.
  out.domain = j["domain"];
  out.message = j["message"];
  return out;
}

Result<TypedData> ParseTypedDataText(std::string_view text) {
  constexpr size_t kMaxText = 4u << 20;
  if (text.size() > kMaxText) {
    return InvalidArgument("typed data: " + std::to_string(text.size()) + " bytes, more than the limit of 4 MiB");
  }
  if (JsonNestsDeeperThan(text, kMaxJsonDepth)) {
    return InvalidArgument("typed data: nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  json j = ParseJson(text);
  if (j.is_discarded()) {
    // Parse again through the SAX interface to find where it went wrong (no exceptions).
    struct Finder : json::json_sax_t {
      size_t pos = 0;
      std::string msg;
      bool null() override { return true; }
      bool boolean(bool) override { return true; }
      bool number_integer(number_integer_t) override { return true; }
      bool number_unsigned(number_unsigned_t) override { return true; }
      bool number_float(number_float_t, const string_t&) override { return true; }
      bool string(string_t&) override { return true; }
      bool binary(binary_t&) override { return true; }
      bool start_object(std::size_t) override { return true; }
      bool key(string_t&) override { return true; }
      bool end_object() override { return true; }
      bool start_array(std::size_t) override { return true; }
      bool end_array() override { return true; }
      bool parse_error(std::size_t p, const std::string&, const nlohmann::detail::exception& e) override {
        pos = p;
        msg = e.what();
        return false;
      }
    } finder;
    json::sax_parse(text, &finder, json::input_format_t::json, /*strict=*/true, /*ignore_comments=*/false);
    std::string why = finder.msg;
    size_t cut = why.find("] ");
    if (cut != std::string::npos) why = why.substr(cut + 2);
    return InvalidArgument("typed data: malformed JSON: " + why);
  }
  return ParseTypedData(j);
}

Signature SignTypedData(const PrivateKey& key, const TypedData& data) { return key.Sign(data.digest); }

Result<Address> RecoverTypedData(const TypedData& data, const Signature& sig) { return Recover(data.digest, sig); }

}  // namespace lt::crypto
