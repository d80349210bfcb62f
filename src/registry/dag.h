// Walking UnixFS DAGs: export order, directories, and materializing a DAG from any block source
// into the store.
//
// WalkDag visits every block under a root once, depth-first pre-order with links in order (the
// order IPFS tools write CARs in). StoreDag copies a DAG from a BlockSource into a Store: files
// (a raw root, or a dag-pb UnixFS File tree) become whole files under files/, directory, HAMT
// shard and file nodes go to the index. Leaves may be raw (unixfs-v1-2025) or dag-pb nodes with
// the data inline and no links (kubo's default, CIDv0): their data goes into the file and the
// block is kept as the index's prefix + data + suffix (store.h). It checks the shape as it goes:
// blocksizes must match what is below, a node with both inline data and links is refused, sizes
// and depth are bounded, HAMT shards must decode (hamt.h). A missing block is a NotFound error
// naming it.
// ListDirectory / LookupDirectory read a flat or HAMT-sharded directory the same way.
// Thread-safety: as the Store and source used.
#ifndef LT_REGISTRY_DAG_H_
#define LT_REGISTRY_DAG_H_

#include <functional>
#include <optional>
#include <string_view>
#include <utility>

#include "registry/cid.h"
#include "registry/dagpb.h"
#include "registry/store.h"
#include "util/result.h"

namespace lt::registry {

class BlockSource {
 public:
  virtual ~BlockSource() = default;
  // The verified bytes of `cid`, or NotFound.
  virtual Result<Bytes> Get(const Cid& cid) = 0;
};

class StoreBlockSource final : public BlockSource {
 public:
  explicit StoreBlockSource(Store* store) : store_(store) {}
  Result<Bytes> Get(const Cid& cid) override { return store_->Get(cid); }

 private:
  Store* store_;
};

// Calls visit(cid, bytes) for each distinct block, pre-order. Stops at the first error.
Status WalkDag(BlockSource& source, const Cid& root, const std::function<Status(const Cid&, ByteSpan)>& visit);

// Same order, but only the CIDs (leaf bytes are not read): dag-pb nodes are read to find links.
Result<std::vector<Cid>> ListDag(BlockSource& source, const Cid& root);

// Copies the DAG under `root` from `source` into `store`.
Status StoreDag(Store& store, BlockSource& source, const Cid& root);

// Decodes a dag-pb block as a UnixFS node (PBNode + its Data).
struct UnixFSNode {
  PBNode pb;
  UnixFSData fs;
};
Result<UnixFSNode> DecodeUnixFSNode(ByteSpan block);

// Where a dag-pb leaf's file data lies in its block: (offset, length). The node must be a UnixFS
// File or Raw node without links.
Result<std::pair<size_t, size_t>> LeafDataSpan(ByteSpan block, const UnixFSNode& node);

bool IsDirectory(const UnixFSNode& n);  // Type 1 or 5

struct DirEntry {
  std::string name;
  Cid cid;
  uint64_t tsize = 0;
};
inline constexpr size_t kMaxDirEntries = 1 << 20;
// The entries of directory `cid` whose block is `block` (flat: its links; HAMT: every entry of
// every shard, child shards read from `source`). Names are checked to be path segments.
// `shards` (may be null) receives the child shard CIDs read, in walk order.
Result<std::vector<DirEntry>> ListDirectory(BlockSource& source, const Cid& cid, ByteSpan block,
                                            std::vector<Cid>* shards = nullptr);
// The entry `name` of that directory, or nullopt. For a HAMT only the shards on the name's path
// are read; their CIDs go to `shards` (may be null): what a CAR needs to prove the lookup.
Result<std::optional<DirEntry>> LookupDirectory(BlockSource& source, const Cid& cid, ByteSpan block,
                                                std::string_view name, std::vector<Cid>* shards = nullptr);

}  // namespace lt::registry

#endif  // LT_REGISTRY_DAG_H_
