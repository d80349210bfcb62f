// Fuzz target: JSON-RPC answers as a node may send them: the envelope, then the result read as a
// receipt, a block header, logs and quantities. Invariants: no crash, no exception escapes, and
// the bounds of rpc_types.h hold (at most 4 topics per log).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "evm/rpc_types.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto a = lt::evm::ParseRpcAnswer(body, 1);
  if (!a.ok() || a->error) return 0;
  const auto& r = a->result;
  if (auto rec = lt::evm::ParseReceipt(r); rec.ok()) {
    for (const auto& l : rec->logs) {
      if (l.topics.size() > lt::evm::kMaxRpcTopics) __builtin_trap();
    }
  }
  (void)lt::evm::ParseBlockHeader(r);
  (void)lt::evm::ParseLogs(r);
  (void)lt::evm::ParseQuantity(r, "result");
  (void)lt::evm::ParseData(r, "result");
  return 0;
}
