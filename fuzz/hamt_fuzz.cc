// Fuzz target: HAMT shard nodes as peers and CARs hand them to us (registry/hamt.h): the dag-pb +
// UnixFS decoding, the shard checks, and a lookup and a listing through shards the input also
// provides (the input is split into blocks; the first is the root, the others answer by CID).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "registry/dag.h"
#include "registry/hamt.h"

namespace {
using namespace lt;
using namespace lt::registry;

class MapSource final : public BlockSource {
 public:
  std::map<Cid, Bytes> blocks;
  Result<Bytes> Get(const Cid& c) override {
    auto it = blocks.find(c.ToV1());
    if (it == blocks.end()) return NotFound("absent");
    return it->second;
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Blocks separated by the byte pair 0xff 0x00; the name to look up is the last piece.
  std::vector<Bytes> pieces(1);
  for (size_t i = 0; i < size; ++i) {
    if (i + 1 < size && data[i] == 0xff && data[i + 1] == 0x00) {
      pieces.emplace_back();
      ++i;
      continue;
    }
    pieces.back().push_back(data[i]);
  }
  MapSource src;
  for (const Bytes& b : pieces) src.blocks[Cid::Of(kCodecDagPb, b)] = b;
  const Bytes& root_block = pieces[0];
  Cid root = Cid::Of(kCodecDagPb, root_block);
  auto node = DecodeUnixFSNode(root_block);
  if (node.ok() && node->fs.type == UnixFSType::kHamtShard) {
    auto shard = DecodeHamtShard(*node);
    if (shard.ok()) {
      for (const HamtLink& l : shard->links) {
        if (l.slot >= shard->fanout) __builtin_trap();
      }
    }
  }
  std::string name(reinterpret_cast<const char*>(pieces.back().data()), pieces.back().size());
  (void)ListDirectory(src, root, root_block);
  (void)LookupDirectory(src, root, root_block, name);
  (void)HamtSlot(name, static_cast<int>(size % 40), 1 + static_cast<int>(size % 10));
  return 0;
}
