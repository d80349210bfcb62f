// Walking UnixFS DAGs: export order, and materializing a DAG from any block source into the store.
//
// WalkDag visits every block under a root once, depth-first pre-order with links in order (the
// order IPFS tools write CARs in). StoreDag copies a DAG from a BlockSource into a Store: files
// (a raw root, or a dag-pb UnixFS File tree with raw leaves) become whole files under files/,
// directory and file nodes go to the index. It checks the shape as it goes: blocksizes must
// match what is below, leaves must be raw, sizes bounded; HAMT shards and inline-data file nodes
// are refused (the unixfs-v1-2025 profile produces neither below the shard threshold).
// A missing block is a NotFound error naming it. Thread-safety: as the Store and source used.
#ifndef LT_REGISTRY_DAG_H_
#define LT_REGISTRY_DAG_H_

#include <functional>

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

}  // namespace lt::registry

#endif  // LT_REGISTRY_DAG_H_
