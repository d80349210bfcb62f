// Fuzz target: RLP decoding and raw EIP-1559 transaction decoding on arbitrary bytes (what a node
// or peer may hand us). Invariants: no crash; a decoded item re-encodes to exactly the input
// (the decoder accepts canonical encodings only); a decoded transaction re-serializes to the
// input and recovers a sender or fails cleanly.
#include <cstddef>
#include <cstdint>

#include "evm/rlp.h"
#include "evm/transaction.h"

namespace {

lt::Bytes Encode(const lt::evm::RlpItem& item) {
  if (!item.is_list) return lt::evm::RlpString(item.bytes);
  std::vector<lt::Bytes> parts;
  for (const auto& i : item.items) parts.push_back(Encode(i));
  return lt::evm::RlpList(parts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lt::ByteSpan in(data, size);
  auto item = lt::evm::RlpDecode(in);
  if (item.ok()) {
    lt::Bytes again = Encode(*item);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) __builtin_trap();
    (void)lt::evm::RlpToUint(*item);
  }
  auto tx = lt::evm::DecodeRawTransaction(in);
  if (tx.ok()) {
    lt::Bytes raw = tx->Raw();
    if (raw.size() != size || !std::equal(raw.begin(), raw.end(), data)) __builtin_trap();
    (void)lt::evm::TransactionSender(*tx);
  }
  return 0;
}
