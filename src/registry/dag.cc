#include "registry/dag.h"

#include <unordered_set>

namespace lt::registry {

Result<UnixFSNode> DecodeUnixFSNode(ByteSpan block) {
  UnixFSNode n;
  LT_TRY(n.pb, DecodePBNode(block));
  if (!n.pb.data) return InvalidArgument("dag-pb node has no UnixFS data");
  LT_TRY(n.fs, DecodeUnixFSData(*n.pb.data));
  return n;
}

Status WalkDag(BlockSource& source, const Cid& root, const std::function<Status(const Cid&, ByteSpan)>& visit) {
  std::unordered_set<Cid, CidHash> seen;
  std::vector<Cid> stack{root};
  while (!stack.empty()) {
    Cid c = stack.back();
    stack.pop_back();
    if (!seen.insert(c).second) continue;
    auto bytes = source.Get(c);
    if (!bytes.ok()) return bytes.error();
    LT_TRY_STATUS(visit(c, *bytes));
    if (c.IsDagPb()) {
      LT_TRY(PBNode node, DecodePBNode(*bytes));
      for (auto it = node.links.rbegin(); it != node.links.rend(); ++it) stack.push_back(it->hash);
    } else if (!c.IsRaw()) {
      return InvalidArgument("block " + c.ToString() + " has an unsupported codec");
    }
  }
  return OkStatus();
}

Result<std::vector<Cid>> ListDag(BlockSource& source, const Cid& root) {
  std::vector<Cid> out;
  std::unordered_set<Cid, CidHash> seen;
  std::vector<Cid> stack{root};
  while (!stack.empty()) {
    Cid c = stack.back();
    stack.pop_back();
    if (!seen.insert(c).second) continue;
    out.push_back(c);
    if (c.IsDagPb()) {
      LT_TRY(Bytes bytes, source.Get(c));
      LT_TRY(PBNode node, DecodePBNode(bytes));
      for (auto it = node.links.rbegin(); it != node.links.rend(); ++it) stack.push_back(it->hash);
    } else if (!c.IsRaw()) {
      return InvalidArgument("block " + c.ToString() + " has an unsupported codec");
    }
  }
  return out;
}

namespace {

// Writes the file tree under `cid` (bytes already read) at `offset`; returns the bytes covered.
Result<uint64_t> StoreFileNode(Store& store, BlockSource& source, FileWriter& w, const Cid& cid, ByteSpan bytes,
                               uint64_t offset, int depth) {
  if (depth > 16) return InvalidArgument("file DAG deeper than 16 levels");
  if (cid.IsRaw()) {
    LT_TRY_STATUS(w.WriteLeaf(cid, bytes, offset, /*already_verified=*/true));
    return static_cast<uint64_t>(bytes.size());
  }
  LT_TRY(UnixFSNode n, DecodeUnixFSNode(bytes));
  if (n.fs.type != UnixFSType::kFile && n.fs.type != UnixFSType::kRaw) {
    return InvalidArgument("node " + cid.ToString() + " inside a file is not a file node");
  }
  if (n.fs.data && !n.fs.data->empty()) {
    return InvalidArgument("file node " + cid.ToString() + " carries inline data (only raw leaves are supported)");
  }
  if (n.fs.blocksizes.size() != n.pb.links.size()) {
    return Corrupt("file node " + cid.ToString() + " has " + std::to_string(n.pb.links.size()) + " links but " +
                   std::to_string(n.fs.blocksizes.size()) + " blocksizes");
  }
  LT_TRY_STATUS(store.PutInline(cid, bytes));
  uint64_t covered = 0;
  for (size_t i = 0; i < n.pb.links.size(); ++i) {
    const Cid& child = n.pb.links[i].hash;
    uint64_t at = offset + covered;
    if (child.IsRaw() && w.HasLeafAt(at)) {
      covered += n.fs.blocksizes[i];
      continue;
    }
    auto cb = source.Get(child);
    if (!cb.ok()) return cb.error().Wrap("below " + cid.ToString());
    LT_TRY(uint64_t got, StoreFileNode(store, source, w, child, *cb, at, depth + 1));
    if (got != n.fs.blocksizes[i]) {
      return Corrupt("file node " + cid.ToString() + " says link " + std::to_string(i) + " holds " +
                     std::to_string(n.fs.blocksizes[i]) + " bytes, found " + std::to_string(got));
    }
    covered += got;
  }
  return covered;
}

Status StoreEntry(Store& store, BlockSource& source, const Cid& cid, int depth) {
  if (depth > 64) return InvalidArgument("directory tree deeper than 64 levels");
  LT_TRY(Bytes bytes, source.Get(cid));
  if (cid.IsRaw()) {
    LT_TRY(auto w, store.OpenFileWriter(cid, bytes.size()));
    if (w->complete()) return OkStatus();
    LT_TRY_STATUS(w->WriteLeaf(cid, bytes, 0, true));
    return w->Finish();
  }
  if (!cid.IsDagPb()) return InvalidArgument("block " + cid.ToString() + " has an unsupported codec");
  LT_TRY(UnixFSNode n, DecodeUnixFSNode(bytes));
  if (n.fs.type == UnixFSType::kDirectory) {
    LT_TRY_STATUS(store.PutInline(cid, bytes));
    for (const PBLink& l : n.pb.links) LT_TRY_STATUS(StoreEntry(store, source, l.hash, depth + 1));
    return OkStatus();
  }
  if (n.fs.type == UnixFSType::kHamtShard) return InvalidArgument("HAMT-sharded directories are not supported");
  if (n.fs.type != UnixFSType::kFile) return InvalidArgument("unsupported UnixFS node type in " + cid.ToString());
  uint64_t size = n.fs.filesize.value_or(0);
  LT_TRY(auto w, store.OpenFileWriter(cid, size));
  if (w->complete()) return OkStatus();
  LT_TRY(uint64_t got, StoreFileNode(store, source, *w, cid, bytes, 0, 0));
  if (got != size) return Corrupt("file " + cid.ToString() + " says " + std::to_string(size) + " bytes, holds " +
                                  std::to_string(got));
  return w->Finish();
}

}  // namespace

Status StoreDag(Store& store, BlockSource& source, const Cid& root) { return StoreEntry(store, source, root, 0); }

}  // namespace lt::registry
