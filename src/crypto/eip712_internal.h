// Private to lt_crypto: the parsed form of an EIP-712 field type, shared by the type validator
// (eip712_types.cc) and the value encoder (eip712.cc). Not part of the public API.
#ifndef LT_CRYPTO_EIP712_INTERNAL_H_
#define LT_CRYPTO_EIP712_INTERNAL_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace lt::crypto::eip712_internal {

enum class BaseKind { kAddress, kBool, kString, kBytes, kFixedBytes, kUint, kInt, kStruct };

struct ParsedType {
  BaseKind kind = BaseKind::kStruct;
  int size = 0;       // bits of uintN/intN, bytes of bytesN
  std::string base;   // the element type name: "uint256", "Person"
  // Array dimensions left to right as written; 0 is a dynamic "[]". "T[2][]" is {2, 0}: a
  // dynamic array whose elements are T[2]. The last entry is the outermost dimension.
  std::vector<uint32_t> dims;
};

// "address", "bool", "string", "bytes", "bytes1".."bytes32", "uint8".."uint256", "int8".."int256"
// (canonical spelling only: no "uint", no leading zeros).
bool ParseAtomic(std::string_view name, ParsedType* out);
// An ASCII identifier: [A-Za-z_$][A-Za-z0-9_$]*.
bool IsIdentifier(std::string_view name);
// Splits "Base[2][]" into base and dims and classifies an atomic base. A struct base is returned
// with kind kStruct and not checked against any definitions. The message has no path prefix.
Result<ParsedType> ParseFieldType(std::string_view type);

// A short description of a JSON value for error messages: strings quoted and truncated,
// numbers as written, containers by kind (never dumps a whole, possibly huge, value).
std::string Describe(const nlohmann::json& j);

}  // namespace lt::crypto::eip712_internal

#endif  // LT_CRYPTO_EIP712_INTERNAL_H_
