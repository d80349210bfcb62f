// Fuzz target: the EIP-712 typed-data parser and encoder (crypto/eip712.h) on arbitrary bytes,
// as `lt verify-typed` and any HTTP endpoint taking eth_signTypedData_v4 JSON would see them.
//
// Invariants checked beyond "no crash, no hang, no unbounded recursion": a document that parses
// has a digest equal to keccak(0x1901 || domainSeparator || structHash), its struct hash equals
// keccak(encodeData(message)), and parsing it again from its own canonical dump gives the same
// digest.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/eip712.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto td = lt::crypto::ParseTypedDataText(text);
  if (!td.ok()) return 0;
  if (lt::crypto::Eip712Digest(td->domain_separator, td->struct_hash) != td->digest) __builtin_trap();
  auto enc = td->types.EncodeData(td->primary_type, td->message, "message");
  if (!enc.ok() || lt::crypto::Keccak(*enc) != td->struct_hash) __builtin_trap();
  nlohmann::json again = {{"primaryType", td->primary_type}, {"domain", td->domain}, {"message", td->message}};
  auto doc = nlohmann::json::parse(text, nullptr, false);
  again["types"] = doc["types"];  // validated by the first parse: flat and bounded
  auto td2 = lt::crypto::ParseTypedDataText(again.dump());
  if (!td2.ok() || td2->digest != td->digest) __builtin_trap();
  return 0;
}
