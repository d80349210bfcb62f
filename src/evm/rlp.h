// RLP, Ethereum's Recursive Length Prefix encoding (Yellow Paper appendix B), as transactions
// and contract-creation addresses use it.
//
// Encoding: RlpString(bytes), RlpUint(U256) (minimal big-endian; zero is the empty string) and
// RlpList(encoded items) build byte strings; RlpWriter is the same for a list built item by item.
// Decoding: RlpDecode parses exactly one item (trailing bytes are an error) into an RlpItem tree
// and refuses every non-canonical form (a single byte below 0x80 in a 0x81 prefix, a long form
// for a length below 56, leading zeros in a length), lengths beyond the input, and nesting deeper
// than kMaxRlpDepth; RlpToUint refuses leading zeros and values above 256 bits. Input from the
// network goes through these checks (fuzz/rlp_fuzz.cc). Errors name the offset and the reason.
// Thread-safety: pure functions and plain values.
#ifndef LT_EVM_RLP_H_
#define LT_EVM_RLP_H_

#include <cstdint>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::evm {

inline constexpr size_t kMaxRlpDepth = 32;

Bytes RlpString(ByteSpan data);
Bytes RlpUint(const U256& v);
inline Bytes RlpUint(uint64_t v) { return RlpUint(U256(v)); }
// A list whose items are already RLP-encoded.
Bytes RlpList(const std::vector<Bytes>& encoded_items);

// Appends encoded items, then Finish() wraps them in a list header.
class RlpWriter {
 public:
  RlpWriter& String(ByteSpan data);
  RlpWriter& Uint(const U256& v);
  RlpWriter& Raw(ByteSpan encoded);  // an item (or list) already encoded
  Bytes Finish() const;

 private:
  Bytes payload_;
};

struct RlpItem {
  bool is_list = false;
  Bytes bytes;                 // a string's contents
  std::vector<RlpItem> items;  // a list's items
};

Result<RlpItem> RlpDecode(ByteSpan data);
// A canonical unsigned integer (no leading zero byte; at most 32 bytes).
Result<U256> RlpToUint(const RlpItem& item);

}  // namespace lt::evm

#endif  // LT_EVM_RLP_H_
