// Fuzz target: the strict ABI decoder on arbitrary return data, for a few type lists the
// Compute Contract client decodes (nested tuples with strings and arrays, as the views return),
// chosen by the first input byte; also revert-data decoding and ABI type parsing. Invariants: no
// crash, bounded work (the value budget); whatever decodes re-encodes to bytes that decode to the
// same values.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "evm/abi.h"

namespace {

using lt::evm::AbiType;

const std::vector<std::vector<AbiType>>& TypeLists() {
  static const std::vector<std::vector<AbiType>> lists = [] {
    std::vector<std::vector<AbiType>> l;
    for (const char* spec : {"(string,address,uint8,uint16,(string,bytes32)[])[]",
                             "(address,string,uint256,(bytes32,string,uint256,uint32,uint32,uint32,uint64)[])[]",
                             "(uint256,uint256,uint256,uint256,uint64,uint256,uint256,uint256,uint256,uint64,uint64)",
                             "bytes", "string[]", "uint256[][]", "(int8,bool,bytes4,address)", "(bytes,uint256)[2]"}) {
      l.push_back({*lt::evm::ParseAbiType(spec)});
    }
    return l;
  }();
  return lists;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& lists = TypeLists();
  const auto& types = lists[data[0] % lists.size()];
  lt::ByteSpan body(data + 1, size - 1);
  auto values = lt::evm::AbiDecode(types, body);
  if (values.ok()) {
    auto enc = lt::evm::AbiEncode(types, *values);
    if (!enc.ok()) __builtin_trap();
    auto again = lt::evm::AbiDecode(types, *enc);
    if (!again.ok() || !(*again == *values)) __builtin_trap();
  }
  // The same bytes as a type spelling (bounded depth and size).
  std::string_view text(reinterpret_cast<const char*>(data), std::min<size_t>(size, 512));
  auto t = lt::evm::ParseAbiType(text);
  if (t.ok() && lt::evm::ParseAbiType(t->Canonical())->Canonical() != t->Canonical()) __builtin_trap();
  return 0;
}
