// Native EIP-712 messages: the machinery behind wire/messages.h, reusable for any fixed struct
// (the ledger's transactions, for example).
//
// A message type is a plain struct that names its EIP-712 type and lists its fields in order:
//
//   struct Pong {
//     static constexpr std::string_view kTypeName = "Pong";
//     Hash32 challenge{};  crypto::Address provider;  uint32_t free_slots = 0;  uint64_t at = 0;
//     template <typename S, typename V> static void Fields(S& s, V&& v) {
//       v("challenge", s.challenge); v("provider", s.provider); v("freeSlots", s.free_slots); v("at", s.at);
//     }
//     LT_WIRE_MESSAGE(Pong)
//   };
//
// From that list the templates below derive the type string ("Pong(bytes32 challenge,...)"),
// the type hash, a native hashStruct (words written straight into keccak: no JSON, no
// allocation), strict JSON (de)serialisation, the digest under a Domain, signing, recovery and
// the eth_signTypedData_v4 document a wallet can sign. Field order is part of the type hash.
//
// Field C++ types and their EIP-712 types and JSON forms:
//   crypto::Address -> address  (EIP-55 string)      Hash32      -> bytes32 (0x + 64 hex)
//   U256            -> uint256  (decimal string; reads decimal, 0x-hex or a JSON integer)
//   uint32_t/uint64_t -> uint32/uint64 (JSON number; uint64 also reads a decimal string)
//   bool -> bool   std::string -> string (at most 64 KiB)
//   Bytes           -> bytes    (0x-hex)
//   AddressList     -> address[] (array of EIP-55 strings, at most kMaxAddressList)
// FromJson refuses missing fields, unknown fields, wrong JSON types and out-of-range numbers;
// errors name the path ("Ticket.pricePerSecond: ...").
// Thread-safety: pure functions; the cached type strings and hashes are initialised thread-safely.
#ifndef LT_WIRE_TYPED_H_
#define LT_WIRE_TYPED_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/eip712.h"
#include "crypto/keccak.h"
#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::wire {

// The EIP-712 domain of every Lake Travis message: {name "LakeTravis", version "1", chainId,
// verifyingContract}, with its separator computed once at construction.
class Domain {
 public:
  static constexpr std::string_view kName = "LakeTravis";
  static constexpr std::string_view kVersion = "1";
  static constexpr std::string_view kTypeString =
      "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";

  Domain() : Domain(U256(), crypto::Address()) {}
  Domain(const U256& chain_id, const crypto::Address& verifying_contract);

  const U256& chain_id() const { return chain_id_; }
  const crypto::Address& verifying_contract() const { return verifying_contract_; }
  const Hash32& separator() const { return separator_; }

  // {"name":"LakeTravis","version":"1","chainId":<number, or decimal string above 2^53>,
  //  "verifyingContract":"0x..."}
  nlohmann::json ToJson() const;
  // Requires exactly those four keys, name "LakeTravis" and version "1".
  static Result<Domain> FromJson(const nlohmann::json& j, std::string_view path = "domain");
  // The EIP712Domain entry of a typed-data "types" object.
  static nlohmann::json TypesJson();

  bool operator==(const Domain& o) const { return separator_ == o.separator_; }

 private:
  U256 chain_id_;
  crypto::Address verifying_contract_;
  Hash32 separator_{};
};

// address[]: a short list of addresses (an RFC's excluded providers).
using AddressList = std::vector<crypto::Address>;
inline constexpr size_t kMaxAddressList = 16;

namespace field {
// One overload set per supported field type: EIP-712 type name, word, JSON out, JSON in.
inline const char* TypeName(const crypto::Address&) { return "address"; }
inline const char* TypeName(const Hash32&) { return "bytes32"; }
inline const char* TypeName(const U256&) { return "uint256"; }
inline const char* TypeName(const uint32_t&) { return "uint32"; }
inline const char* TypeName(const uint64_t&) { return "uint64"; }
inline const char* TypeName(const bool&) { return "bool"; }
inline const char* TypeName(const std::string&) { return "string"; }
inline const char* TypeName(const Bytes&) { return "bytes"; }
inline const char* TypeName(const AddressList&) { return "address[]"; }

inline crypto::Word Encode(const crypto::Address& v) { return crypto::WordAddress(v); }
inline crypto::Word Encode(const Hash32& v) { return v; }
inline crypto::Word Encode(const U256& v) { return v.ToBigEndian(); }
inline crypto::Word Encode(const uint32_t& v) { return crypto::WordUint(uint64_t{v}); }
inline crypto::Word Encode(const uint64_t& v) { return crypto::WordUint(v); }
inline crypto::Word Encode(const bool& v) { return crypto::WordBool(v); }
inline crypto::Word Encode(const std::string& v) { return crypto::WordString(v); }
inline crypto::Word Encode(const Bytes& v) { return crypto::WordBytes(v); }
crypto::Word Encode(const AddressList& v);  // keccak256 of the elements' words, concatenated

nlohmann::json ToJson(const crypto::Address& v);
nlohmann::json ToJson(const Hash32& v);
nlohmann::json ToJson(const U256& v);
nlohmann::json ToJson(const uint32_t& v);
nlohmann::json ToJson(const uint64_t& v);
nlohmann::json ToJson(const bool& v);
nlohmann::json ToJson(const std::string& v);
nlohmann::json ToJson(const Bytes& v);
nlohmann::json ToJson(const AddressList& v);

Status FromJson(const nlohmann::json& j, const std::string& path, crypto::Address* out);
Status FromJson(const nlohmann::json& j, const std::string& path, Hash32* out);
Status FromJson(const nlohmann::json& j, const std::string& path, U256* out);
Status FromJson(const nlohmann::json& j, const std::string& path, uint32_t* out);
Status FromJson(const nlohmann::json& j, const std::string& path, uint64_t* out);
Status FromJson(const nlohmann::json& j, const std::string& path, bool* out);
Status FromJson(const nlohmann::json& j, const std::string& path, std::string* out);  // <= 64 KiB
Status FromJson(const nlohmann::json& j, const std::string& path, Bytes* out);        // <= 1 MiB
Status FromJson(const nlohmann::json& j, const std::string& path, AddressList* out);  // <= kMaxAddressList

// The first key of `j` not in `names` (for the "unknown field" error), or "" if none.
std::string UnknownKey(const nlohmann::json& j, const std::vector<std::string_view>& names);
}  // namespace field

// "Pong(bytes32 challenge,address provider,uint32 freeSlots,uint64 at)"
template <typename M>
const std::string& TypeStringOf() {
  static const std::string s = [] {
    std::string out = std::string(M::kTypeName) + "(";
    bool first = true;
    M m{};
    M::Fields(m, [&](const char* name, const auto& f) {
      if (!first) out += ",";
      first = false;
      out += field::TypeName(f);
      out += " ";
      out += name;
    });
    return out + ")";
  }();
  return s;
}

template <typename M>
const Hash32& TypeHashOf() {
  static const Hash32 h = crypto::Keccak(TypeStringOf<M>());
  return h;
}

// hashStruct(m) = keccak256(typeHash || word(field_1) || ...), written straight into keccak.
template <typename M>
Hash32 HashStruct(const M& m) {
  crypto::StructHasher h(TypeHashOf<M>());
  M::Fields(m, [&h](const char*, const auto& f) { h.Add(field::Encode(f)); });
  return h.Finish();
}

template <typename M>
Hash32 Digest(const M& m, const Hash32& domain_separator) {
  return crypto::Eip712Digest(domain_separator, HashStruct(m));
}
template <typename M>
Hash32 Digest(const M& m, const Domain& domain) {
  return Digest(m, domain.separator());
}
template <typename M>
crypto::Signature Sign(const M& m, const crypto::PrivateKey& key, const Domain& domain) {
  return key.Sign(Digest(m, domain));
}
template <typename M>
Result<crypto::Address> Recover(const M& m, const Domain& domain, const crypto::Signature& sig) {
  return crypto::Recover(Digest(m, domain), sig);
}

template <typename M>
nlohmann::json ToJson(const M& m) {
  nlohmann::json j = nlohmann::json::object();
  M::Fields(m, [&j](const char* name, const auto& f) { j[name] = field::ToJson(f); });
  return j;
}

template <typename M>
Result<M> FromJson(const nlohmann::json& j, std::string_view path = M::kTypeName) {
  const std::string p(path);
  if (!j.is_object()) return InvalidArgument(p + ": expected a JSON object");
  M m{};
  Status st;
  std::vector<std::string_view> names;
  M::Fields(m, [&](const char* name, auto& f) {
    names.push_back(name);
    if (!st.ok()) return;
    auto it = j.find(name);
    if (it == j.end()) {
      st = InvalidArgument(p + "." + name + ": missing (" + field::TypeName(f) + ")");
      return;
    }
    st = field::FromJson(*it, p + "." + name, &f);
  });
  if (!st.ok()) return st.error();
  std::string extra = field::UnknownKey(j, names);
  if (!extra.empty()) return InvalidArgument(p + "." + extra + ": unknown field of " + std::string(M::kTypeName));
  return m;
}

// The "types" entry of M: [{"name":..,"type":..}, ...].
template <typename M>
nlohmann::json TypeFieldsJson() {
  nlohmann::json arr = nlohmann::json::array();
  M m{};
  M::Fields(m, [&arr](const char* name, const auto& f) { arr.push_back({{"name", name}, {"type", field::TypeName(f)}}); });
  return arr;
}

// The eth_signTypedData_v4 document for m: any wallet signing it produces the same signature
// as Sign(m, key, domain). uint64 values above 2^53 are written as decimal strings there, so
// JavaScript wallets do not round them.
template <typename M>
nlohmann::json ToTypedDataJson(const M& m, const Domain& domain) {
  nlohmann::json message = ToJson(m);
  M::Fields(m, [&message](const char* name, const auto& f) {
    if constexpr (std::is_same_v<std::decay_t<decltype(f)>, uint64_t>) {
      if (f > (uint64_t{1} << 53) - 1) message[name] = std::to_string(f);
    }
  });
  return {{"types", {{"EIP712Domain", Domain::TypesJson()}, {std::string(M::kTypeName), TypeFieldsJson<M>()}}},
          {"primaryType", std::string(M::kTypeName)},
          {"domain", domain.ToJson()},
          {"message", std::move(message)}};
}

}  // namespace lt::wire

// Member-function spellings of the templates above, for a message struct (keeps it an aggregate).
#define LT_WIRE_MESSAGE(T)                                                                              \
  static const std::string& TypeString() { return ::lt::wire::TypeStringOf<T>(); }                     \
  static const ::lt::Hash32& TypeHash() { return ::lt::wire::TypeHashOf<T>(); }                        \
  ::lt::Hash32 HashStruct() const { return ::lt::wire::HashStruct(*this); }                            \
  ::lt::Hash32 Digest(const ::lt::wire::Domain& d) const { return ::lt::wire::Digest(*this, d); }      \
  ::lt::crypto::Signature Sign(const ::lt::crypto::PrivateKey& k, const ::lt::wire::Domain& d) const { \
    return ::lt::wire::Sign(*this, k, d);                                                              \
  }                                                                                                    \
  ::lt::Result<::lt::crypto::Address> Recover(const ::lt::wire::Domain& d,                             \
                                              const ::lt::crypto::Signature& s) const {                \
    return ::lt::wire::Recover(*this, d, s);                                                           \
  }                                                                                                    \
  nlohmann::json ToJson() const { return ::lt::wire::ToJson(*this); }                                  \
  static ::lt::Result<T> FromJson(const nlohmann::json& j) { return ::lt::wire::FromJson<T>(j); }      \
  nlohmann::json ToTypedDataJson(const ::lt::wire::Domain& d) const {                                  \
    return ::lt::wire::ToTypedDataJson(*this, d);                                                      \
  }                                                                                                    \
  bool operator==(const T&) const = default;

#endif  // LT_WIRE_TYPED_H_
