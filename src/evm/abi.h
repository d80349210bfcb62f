// The Solidity contract ABI (docs.soliditylang.org, "Contract ABI Specification"): types, values,
// and the head/tail encoding of calls, return data, revert data and event data.
//
// AbiType is one type (elementary, T[], T[k] or a tuple); ParseAbiType reads the canonical
// spelling ("uint256", "(address,bytes32)[]", "string[2]") and AbiTypeFromJson a parameter of a
// solc ABI JSON ({"type":"tuple[]","components":[...]}). AbiValue holds a value of any type: a
// 256-bit word for uintN/intN (two's complement)/bool/address, bytes for bytes/bytesN/string,
// items for arrays and tuples.
//
// AbiEncode(types, values) encodes the tuple (types...) as a call's arguments are encoded, and
// checks every value against its type (range of uintN/intN, length of bytesN and T[k], shape of
// tuples); errors name the path ("arg 2[1].0: ..."). AbiDecode is strict, since its input comes
// from the network: every word must be the canonical encoding of its type (zero high bits of
// uintN and address, sign extension of intN, 0/1 for bool, zero low bytes of bytesN), offsets
// and lengths must stay inside the data, and one decode produces at most kMaxAbiDecodeValues
// values (a tail shared by many offsets cannot blow up), with types at most kMaxAbiTypeDepth deep.
// fuzz/abi_fuzz.cc holds it to these rules.
// Thread-safety: pure functions and plain values.
#ifndef LT_EVM_ABI_H_
#define LT_EVM_ABI_H_

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::evm {

inline constexpr size_t kMaxAbiTypeDepth = 16;
inline constexpr size_t kMaxAbiTupleFields = 256;
inline constexpr size_t kMaxAbiDecodeValues = 1 << 20;

class AbiType {
 public:
  enum class Kind { kUint, kInt, kAddress, kBool, kFixedBytes, kBytes, kString, kArray, kFixedArray, kTuple };

  static AbiType Uint(size_t bits = 256) { return AbiType(Kind::kUint, bits); }
  static AbiType Int(size_t bits = 256) { return AbiType(Kind::kInt, bits); }
  static AbiType Address() { return AbiType(Kind::kAddress, 160); }
  static AbiType Bool() { return AbiType(Kind::kBool, 0); }
  static AbiType FixedBytes(size_t n) { return AbiType(Kind::kFixedBytes, n); }
  static AbiType Bytes() { return AbiType(Kind::kBytes, 0); }
  static AbiType String() { return AbiType(Kind::kString, 0); }
  static AbiType Array(AbiType element);
  static AbiType FixedArray(AbiType element, size_t length);
  static AbiType Tuple(std::vector<AbiType> components);

  Kind kind() const { return kind_; }
  // Bits of uintN/intN, N of bytesN, k of T[k].
  size_t size() const { return n_; }
  const AbiType& element() const { return sub_[0]; }
  const std::vector<AbiType>& components() const { return sub_; }
  bool IsDynamic() const;
  // Bytes the type takes in its enclosing head (32 for a dynamic type: its offset).
  size_t HeadSize() const;
  // "uint256", "(address,uint32)[]", ...: the spelling of function signatures.
  std::string Canonical() const;
  bool operator==(const AbiType& o) const = default;

 private:
  AbiType(Kind k, size_t n) : kind_(k), n_(n) {}
  Kind kind_ = Kind::kUint;
  size_t n_ = 256;
  std::vector<AbiType> sub_;
};

// Types are at most kMaxAbiTypeDepth deep, tuples at most kMaxAbiTupleFields wide, and a
// static type at most 1 MiB long.
Result<AbiType> ParseAbiType(std::string_view s);
Result<AbiType> AbiTypeFromJson(const nlohmann::json& param);

struct AbiValue {
  U256 word;
  lt::Bytes bytes;
  std::vector<AbiValue> items;

  static AbiValue Uint(const U256& v);
  static AbiValue Int(int64_t v);  // two's complement in 256 bits
  static AbiValue Bool(bool b);
  static AbiValue Addr(const crypto::Address& a);
  static AbiValue Bytes32(const Hash32& h);
  static AbiValue Blob(ByteSpan b);  // bytes or bytesN
  static AbiValue Str(std::string_view s);
  static AbiValue List(std::vector<AbiValue> items);  // arrays and tuples

  crypto::Address AsAddress() const;
  bool AsBool() const { return !word.IsZero(); }
  Hash32 AsBytes32() const;  // bytes32 (a shorter bytesN is right-padded with zeros)
  std::string AsString() const { return std::string(AsString(bytes)); }
  uint64_t AsU64() const { return word.FitsU64() ? word.Low64() : UINT64_MAX; }
  bool operator==(const AbiValue& o) const = default;

 private:
  static std::string_view AsString(const lt::Bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
};

Result<lt::Bytes> AbiEncode(const std::vector<AbiType>& types, const std::vector<AbiValue>& values);
Result<std::vector<AbiValue>> AbiDecode(const std::vector<AbiType>& types, ByteSpan data);
// One value of a static type from a 32-byte word (an indexed event topic).
Result<AbiValue> AbiDecodeWord(const AbiType& type, const Hash32& word);

// keccak256(signature)[0..4], e.g. Selector("transfer(address,uint256)") = a9059cbb.
FixedBytes<4> Selector(std::string_view signature);
// "name(type1,type2)"
std::string Signature(std::string_view name, const std::vector<AbiType>& types);

// A value as JSON (uint/int as decimal strings, address checksummed, bytes 0x-hex, string as is,
// arrays and tuples as arrays) and as one line of text for error messages.
nlohmann::json AbiValueToJson(const AbiType& type, const AbiValue& v);
std::string AbiValueToString(const AbiType& type, const AbiValue& v);

}  // namespace lt::evm

#endif  // LT_EVM_ABI_H_
