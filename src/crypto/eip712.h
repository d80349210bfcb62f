// EIP-712 typed structured data: hashing and signing as the EIP and eth_signTypedData_v4
// (MetaMask) define it, so our signatures verify in any web3 wallet and, later, on chain.
//
// Two layers:
//  * Encoder primitives (Word*, StructHasher, Eip712Digest): allocation-free building blocks for
//    native message types whose layout is known at compile time (src/wire): the hot path.
//  * The generic encoder (Eip712Types, TypedData): parses the eth_signTypedData_v4 JSON
//    {types, primaryType, domain, message}, validates the type definitions and every value, and
//    computes encodeType, typeHash, hashStruct, the domain separator and the final digest
//    keccak256(0x19 0x01 || domainSeparator || hashStruct(message)).
//
// Strictness (see doc/eip712.md): types.EIP712Domain is required; struct and field names are
// ASCII identifiers; cyclic struct references, unknown types, duplicate fields, struct names
// that shadow atomic types, extra or missing value fields, and out-of-range integers are errors.
// Sizes are bounded (kMax*) so hostile input cannot exhaust the stack or memory. Every error
// names the JSON path ("message.to.wallet: expected an address, got ...") and the reason.
//
// Ownership: TypedData owns copies of everything it was parsed from; a successfully parsed
// TypedData is fully validated, with its hashes computed, so signing it cannot fail.
// Thread-safety: all types are immutable values after construction; functions are pure.
#ifndef LT_CRYPTO_EIP712_H_
#define LT_CRYPTO_EIP712_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keccak.h"
#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::crypto {

// ---- Bounds on hostile input -------------------------------------------------------------------
inline constexpr size_t kMaxEip712Types = 128;          // struct definitions in one document
inline constexpr size_t kMaxEip712Fields = 256;         // fields in one struct
inline constexpr size_t kMaxEip712ArrayDims = 8;        // "T[][2][]" dimensions in one field type
inline constexpr size_t kMaxEip712ArrayLength = 65536;  // elements of one array (and k of T[k])
inline constexpr size_t kMaxEip712Depth = 32;           // nesting of structs and arrays in a value
inline constexpr size_t kMaxEip712NameLength = 256;     // type and field names

// ---- Encoder primitives ------------------------------------------------------------------------
// One 32-byte slot of encodeData.
using Word = Hash32;

Word WordUint(uint64_t v);
Word WordUint(const U256& v);
Word WordBool(bool v);
Word WordAddress(const Address& a);
inline Word WordBytes32(const Hash32& b) { return b; }
// Dynamic types are encoded as the keccak-256 of their contents.
inline Word WordString(std::string_view s) { return Keccak(s); }
inline Word WordBytes(ByteSpan b) { return Keccak(b); }

// keccak256(typeHash || word_1 || ... || word_n) without building the buffer.
class StructHasher {
 public:
  explicit StructHasher(const Hash32& type_hash) { h_.Update(type_hash); }
  StructHasher& Add(const Word& w) {
    h_.Update(w);
    return *this;
  }
  Hash32 Finish() { return h_.Finalize(); }

 private:
  Keccak256 h_;
};

// hashStruct from a type string (as encodeType gives it) and the encoded words of its fields.
Hash32 HashStructWords(std::string_view encoded_type, std::span<const Word> words);

// keccak256(0x19 0x01 || domain_separator || struct_hash).
Hash32 Eip712Digest(const Hash32& domain_separator, const Hash32& struct_hash);

// ---- Generic encoder ---------------------------------------------------------------------------
struct TypedField {
  std::string name;
  std::string type;  // as written: "uint256", "Person", "bytes32[2][]"
};

// A validated set of struct type definitions.
class Eip712Types {
 public:
  Eip712Types() = default;
  // Validates names, field types, duplicates and cycles. `path` prefixes errors ("types").
  static Result<Eip712Types> Create(std::map<std::string, std::vector<TypedField>> defs,
                                    std::string_view path = "types");
  // From the "types" object of eth_signTypedData_v4: {"Mail": [{"name":..,"type":..}], ...}.
  static Result<Eip712Types> FromJson(const nlohmann::json& types, std::string_view path = "types");

  bool Has(std::string_view type) const { return defs_.count(std::string(type)) != 0; }
  const std::vector<TypedField>* Fields(std::string_view type) const;
  // encodeType: "Mail(Person from,Person to,string contents)Person(string name,address wallet)".
  Result<std::string> EncodeType(std::string_view type) const;
  Result<Hash32> TypeHash(std::string_view type) const;
  // hashStruct(value) of struct `type`; `path` names the value in errors ("message").
  Result<Hash32> HashStruct(std::string_view type, const nlohmann::json& value,
                            std::string_view path) const;
  // encodeData(value): the typeHash followed by one word per field.
  Result<Bytes> EncodeData(std::string_view type, const nlohmann::json& value, std::string_view path) const;

 private:
  std::map<std::string, std::vector<TypedField>> defs_;
  std::map<std::string, std::string> encoded_;  // encodeType per struct, computed by Create
  std::map<std::string, Hash32> type_hash_;     // keccak256(encodeType) per struct
};

// Encodes one value of any EIP-712 type (atomic, dynamic, array or struct) to its 32-byte word.
Result<Word> EncodeValue(const Eip712Types& types, std::string_view type, const nlohmann::json& value,
                         std::string_view path);

// A parsed and validated eth_signTypedData_v4 document with its hashes.
struct TypedData {
  Eip712Types types;
  std::string primary_type;
  nlohmann::json domain;
  nlohmann::json message;
  Hash32 domain_separator{};
  Hash32 struct_hash{};
  Hash32 digest{};
};

// Parses {types, primaryType, domain, message}; unknown top-level keys are errors.
Result<TypedData> ParseTypedData(const nlohmann::json& j);
// Parses JSON text first (at most 4 MiB); malformed JSON is an error naming the position.
Result<TypedData> ParseTypedDataText(std::string_view text);

Signature SignTypedData(const PrivateKey& key, const TypedData& data);
Result<Address> RecoverTypedData(const TypedData& data, const Signature& sig);

}  // namespace lt::crypto

#endif  // LT_CRYPTO_EIP712_H_
