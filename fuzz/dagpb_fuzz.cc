// Fuzz target: the dag-pb decoder and the UnixFS Data decoder (what peers and CARs feed us).
#include <cstddef>
#include <cstdint>

#include "registry/dagpb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lt::ByteSpan in(data, size);
  auto node = lt::registry::DecodePBNode(in);
  if (node.ok()) {
    // A decoded node re-encodes to the same bytes only when canonical; it must never crash.
    lt::Bytes again = lt::registry::EncodePBNode(*node);
    auto round = lt::registry::DecodePBNode(again);
    if (!round.ok() || !(*round == *node)) __builtin_trap();
    if (node->data) (void)lt::registry::DecodeUnixFSData(*node->data);
  }
  (void)lt::registry::DecodeUnixFSData(in);
  return 0;
}
