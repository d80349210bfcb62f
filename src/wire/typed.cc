#include "wire/typed.h"

#include <limits>

namespace lt::wire {

using nlohmann::json;

namespace {

constexpr uint64_t kMaxSafeJsInteger = (uint64_t{1} << 53) - 1;
constexpr size_t kMaxStringField = 64 * 1024;
constexpr size_t kMaxBytesField = 1 << 20;

std::string Describe(const json& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    return s.size() <= 80 ? "\"" + s + "\"" : "\"" + s.substr(0, 80) + "...\"";
  }
  if (j.is_object()) return "an object";
  if (j.is_array()) return "an array";
  return j.dump();
}

Status ReadUnsigned(const json& j, const std::string& path, uint64_t max, const char* type, uint64_t* out) {
  if (j.is_number_unsigned()) {
    uint64_t v = j.get<uint64_t>();
    if (v > max) return InvalidArgument(path + ": " + std::to_string(v) + " is out of range for " + type);
    *out = v;
    return OkStatus();
  }
  if (j.is_number_integer()) return InvalidArgument(path + ": negative value " + j.dump() + " for " + type);
  return InvalidArgument(path + ": expected a JSON integer (" + type + "), got " + Describe(j));
}

}  // namespace

Domain::Domain(const U256& chain_id, const crypto::Address& verifying_contract)
    : chain_id_(chain_id), verifying_contract_(verifying_contract) {
  crypto::StructHasher h(crypto::Keccak(kTypeString));
  h.Add(crypto::WordString(kName))
      .Add(crypto::WordString(kVersion))
      .Add(crypto::WordUint(chain_id_))
      .Add(crypto::WordAddress(verifying_contract_));
  separator_ = h.Finish();
}

json Domain::ToJson() const {
  json chain = chain_id_.FitsU64() && chain_id_.Low64() <= kMaxSafeJsInteger ? json(chain_id_.Low64())
                                                                               : json(chain_id_.ToDecimal());
  return {{"name", kName},
          {"version", kVersion},
          {"chainId", std::move(chain)},
          {"verifyingContract", verifying_contract_.ToChecksumHex()}};
}

Result<Domain> Domain::FromJson(const json& j, std::string_view path_sv) {
  const std::string path(path_sv);
  if (!j.is_object()) return InvalidArgument(path + ": expected a JSON object, got " + Describe(j));
  std::string extra = field::UnknownKey(j, {"name", "version", "chainId", "verifyingContract"});
  if (!extra.empty()) return InvalidArgument(path + "." + extra + ": unknown domain field");
  for (const char* k : {"name", "version", "chainId", "verifyingContract"}) {
    if (!j.contains(k)) return InvalidArgument(path + "." + k + ": missing");
  }
  if (j["name"] != kName) {
    return InvalidArgument(path + ".name: expected \"LakeTravis\", got " + Describe(j["name"]));
  }
  if (j["version"] != kVersion) {
    return InvalidArgument(path + ".version: expected \"1\", got " + Describe(j["version"]));
  }
  U256 chain;
  LT_TRY_STATUS(field::FromJson(j["chainId"], path + ".chainId", &chain));
  crypto::Address contract;
  LT_TRY_STATUS(field::FromJson(j["verifyingContract"], path + ".verifyingContract", &contract));
  return Domain(chain, contract);
}

json Domain::TypesJson() {
  return json::array({{{"name", "name"}, {"type", "string"}},
                      {{"name", "version"}, {"type", "string"}},
                      {{"name", "chainId"}, {"type", "uint256"}},
                      {{"name", "verifyingContract"}, {"type", "address"}}});
}

namespace field {

json ToJson(const crypto::Address& v) { return v.ToChecksumHex(); }
json ToJson(const Hash32& v) { return HexEncode0x(v); }
json ToJson(const U256& v) { return v.ToDecimal(); }
json ToJson(const uint32_t& v) { return v; }
json ToJson(const uint64_t& v) { return v; }
json ToJson(const bool& v) { return v; }
json ToJson(const std::string& v) { return v; }
json ToJson(const Bytes& v) { return HexEncode0x(v); }
json ToJson(const AddressList& v) {
  json a = json::array();
  for (const auto& x : v) a.push_back(x.ToChecksumHex());
  return a;
}

crypto::Word Encode(const AddressList& v) {
  Bytes words;
  words.reserve(32 * v.size());
  for (const auto& a : v) {
    crypto::Word w = crypto::WordAddress(a);
    words.insert(words.end(), w.begin(), w.end());
  }
  return crypto::Keccak(words);
}

Status FromJson(const json& j, const std::string& path, AddressList* out) {
  if (!j.is_array()) return InvalidArgument(path + ": expected an array of addresses, got " + Describe(j));
  if (j.size() > kMaxAddressList) {
    return InvalidArgument(path + ": at most " + std::to_string(kMaxAddressList) + " addresses, got " +
                           std::to_string(j.size()));
  }
  out->clear();
  for (size_t i = 0; i < j.size(); ++i) {
    crypto::Address a;
    LT_TRY_STATUS(FromJson(j[i], path + "[" + std::to_string(i) + "]", &a));
    out->push_back(a);
  }
  return OkStatus();
}

Status FromJson(const json& j, const std::string& path, crypto::Address* out) {
  if (!j.is_string()) return InvalidArgument(path + ": expected an address string, got " + Describe(j));
  auto a = crypto::ParseAddress(j.get_ref<const std::string&>());
  if (!a.ok()) return a.error().Wrap(path);
  *out = *a;
  return OkStatus();
}

Status FromJson(const json& j, const std::string& path, Hash32* out) {
  const std::string* s = j.is_string() ? &j.get_ref<const std::string&>() : nullptr;
  if (s == nullptr || s->size() < 2 || (*s)[0] != '0' || ((*s)[1] != 'x' && (*s)[1] != 'X')) {
    return InvalidArgument(path + ": expected 0x + 64 hex digits (bytes32), got " + Describe(j));
  }
  auto h = HexDecodeFixed<32>(*s);
  if (!h.ok()) return h.error().Wrap(path);
  *out = *h;
  return OkStatus();
}

Status FromJson(const json& j, const std::string& path, U256* out) {
  auto v = U256FromJson(j);
  if (!v.ok()) return v.error().Wrap(path);
  *out = *v;
  return OkStatus();
}

Status FromJson(const json& j, const std::string& path, uint32_t* out) {
  uint64_t v = 0;
  LT_TRY_STATUS(ReadUnsigned(j, path, std::numeric_limits<uint32_t>::max(), "uint32", &v));
  *out = static_cast<uint32_t>(v);
  return OkStatus();
}

Status FromJson(const json& j, const std::string& path, uint64_t* out) {
  if (j.is_string()) {  // JavaScript peers write values above 2^53 as decimal strings
    auto v = U256::FromDecimal(j.get_ref<const std::string&>());
    if (!v.ok() || !v->FitsU64()) {
      return InvalidArgument(path + ": expected a uint64 (JSON integer or decimal string), got " + Describe(j));
    }
    *out = v->Low64();
    return OkStatus();
  }
  return ReadUnsigned(j, path, std::numeric_limits<uint64_t>::max(), "uint64", out);
}

Status FromJson(const json& j, const std::string& path, bool* out) {
  if (!j.is_boolean()) return InvalidArgument(path + ": expected true or false, got " + Describe(j));
  *out = j.get<bool>();
  return OkStatus();
}

Status FromJson(const json& j, const std::string& path, std::string* out) {
  if (!j.is_string()) return InvalidArgument(path + ": expected a string, got " + Describe(j));
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() > kMaxStringField) {
    return InvalidArgument(path + ": string of " + std::to_string(s.size()) + " bytes, more than 64 KiB");
  }
  *out = s;
  return OkStatus();
}

Status FromJson(const json& j, const std::string& path, Bytes* out) {
  const std::string* s = j.is_string() ? &j.get_ref<const std::string&>() : nullptr;
  if (s == nullptr || s->size() < 2 || (*s)[0] != '0' || ((*s)[1] != 'x' && (*s)[1] != 'X')) {
    return InvalidArgument(path + ": expected 0x-prefixed hex, got " + Describe(j));
  }
  if (s->size() > 2 + 2 * kMaxBytesField) return InvalidArgument(path + ": more than 1 MiB of bytes");
  auto b = HexDecode(*s);
  if (!b.ok()) return b.error().Wrap(path);
  *out = std::move(*b);
  return OkStatus();
}

std::string UnknownKey(const json& j, const std::vector<std::string_view>& names) {
  for (const auto& [key, unused] : j.items()) {
    bool known = false;
    for (auto n : names) known = known || key == n;
    if (!known) return key;
  }
  return "";
}

}  // namespace field

}  // namespace lt::wire
