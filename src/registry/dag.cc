#include "registry/dag.h"

#include <unordered_set>

#include "registry/hamt.h"

namespace lt::registry {

Result<UnixFSNode> DecodeUnixFSNode(ByteSpan block) {
  UnixFSNode n;
  LT_TRY(n.pb, DecodePBNode(block));
  if (!n.pb.data) return InvalidArgument("dag-pb node has no UnixFS data");
  LT_TRY(n.fs, DecodeUnixFSData(*n.pb.data));
  return n;
}

Result<std::pair<size_t, size_t>> LeafDataSpan(ByteSpan block, const UnixFSNode& node) {
  if (!node.pb.links.empty() || !node.pb.data) return InvalidArgument("not a dag-pb leaf");
  if (node.fs.type != UnixFSType::kFile && node.fs.type != UnixFSType::kRaw) return InvalidArgument("not a file leaf");
  // PBNode.Data is the last field of a strictly decoded block, so its payload ends the block.
  const size_t base = block.size() - node.pb.data->size();
  ByteSpan u(block.data() + base, node.pb.data->size());
  size_t pos = 0;
  std::pair<size_t, size_t> span{block.size(), 0};
  while (pos < u.size()) {
    LT_TRY(uint64_t key, ReadVarint(u, &pos));
    uint64_t wire = key & 7;
    if (wire == 0) {
      LT_TRY(uint64_t ignored, ReadVarint(u, &pos));
      (void)ignored;
    } else if (wire == 2) {
      LT_TRY(uint64_t len, ReadVarint(u, &pos));
      if (len > u.size() - pos) return InvalidArgument("UnixFS field runs past the end");
      if ((key >> 3) == 2) span = {base + pos, static_cast<size_t>(len)};
      pos += static_cast<size_t>(len);
    } else {
      return InvalidArgument("UnixFS field with wire type " + std::to_string(wire));
    }
  }
  return span;
}

bool IsDirectory(const UnixFSNode& n) {
  return n.fs.type == UnixFSType::kDirectory || n.fs.type == UnixFSType::kHamtShard;
}

namespace {

Status CheckName(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    return Corrupt("directory entry name '" + name.substr(0, 100) + "' is not a valid path segment");
  }
  return OkStatus();
}

Status ListShard(BlockSource& source, const UnixFSNode& node, int level, std::vector<DirEntry>& out,
                 std::vector<Cid>* shards) {
  if (level > 32) return InvalidArgument("HAMT deeper than 32 levels");
  LT_TRY(HamtShard s, DecodeHamtShard(node));
  for (const HamtLink& l : s.links) {
    if (!l.is_shard) {
      if (out.size() >= kMaxDirEntries) return InvalidArgument("directory has more than " + std::to_string(kMaxDirEntries) + " entries");
      out.push_back({l.name, l.cid, l.tsize});
      continue;
    }
    LT_TRY(Bytes b, source.Get(l.cid));
    if (shards) shards->push_back(l.cid);
    auto child = DecodeUnixFSNode(b);
    if (!child.ok()) return child.error().Wrap("HAMT shard " + l.cid.ToString());
    if (child->fs.type != UnixFSType::kHamtShard) return Corrupt("HAMT child " + l.cid.ToString() + " is not a shard");
    if (child->fs.fanout != s.fanout) return Corrupt("HAMT child shard " + l.cid.ToString() + " has another fanout");
    LT_TRY_STATUS(ListShard(source, *child, level + 1, out, shards));
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<DirEntry>> ListDirectory(BlockSource& source, const Cid& cid, ByteSpan block,
                                            std::vector<Cid>* shards) {
  if (!cid.IsDagPb()) return InvalidArgument(cid.ToString() + " is not a directory");
  LT_TRY(UnixFSNode n, DecodeUnixFSNode(block));
  std::vector<DirEntry> out;
  if (n.fs.type == UnixFSType::kDirectory) {
    for (const PBLink& l : n.pb.links) {
      std::string name = l.name.value_or("");
      LT_TRY_STATUS(CheckName(name));
      out.push_back({std::move(name), l.hash, l.tsize.value_or(0)});
    }
    return out;
  }
  if (n.fs.type != UnixFSType::kHamtShard) return InvalidArgument(cid.ToString() + " is not a directory");
  auto st = ListShard(source, n, 0, out, shards);
  if (!st.ok()) return st.error().Wrap("directory " + cid.ToString());
  return out;
}

Result<std::optional<DirEntry>> LookupDirectory(BlockSource& source, const Cid& cid, ByteSpan block,
                                                std::string_view name, std::vector<Cid>* shards) {
  if (!cid.IsDagPb()) return InvalidArgument(cid.ToString() + " is not a directory");
  LT_TRY(UnixFSNode n, DecodeUnixFSNode(block));
  if (n.fs.type == UnixFSType::kDirectory) {
    for (const PBLink& l : n.pb.links) {
      if (l.name && *l.name == name) return std::optional<DirEntry>(DirEntry{*l.name, l.hash, l.tsize.value_or(0)});
    }
    return std::optional<DirEntry>();
  }
  if (n.fs.type != UnixFSType::kHamtShard) return InvalidArgument(cid.ToString() + " is not a directory");
  for (int level = 0; level <= 32; ++level) {
    LT_TRY(HamtShard s, DecodeHamtShard(n));
    uint32_t slot = HamtSlot(name, level, s.bits);
    const HamtLink* hit = nullptr;
    for (const HamtLink& l : s.links) {
      if (l.slot == slot) hit = &l;
    }
    if (hit == nullptr) return std::optional<DirEntry>();
    if (!hit->is_shard) {
      if (hit->name != name) return std::optional<DirEntry>();
      return std::optional<DirEntry>(DirEntry{hit->name, hit->cid, hit->tsize});
    }
    LT_TRY(Bytes b, source.Get(hit->cid));
    if (shards) shards->push_back(hit->cid);
    uint64_t fanout = s.fanout;
    LT_TRY(n, DecodeUnixFSNode(b));
    if (n.fs.type != UnixFSType::kHamtShard || n.fs.fanout != fanout) {
      return Corrupt("HAMT child " + hit->cid.ToString() + " is not a shard of the same fanout");
    }
  }
  return InvalidArgument("HAMT deeper than 32 levels");
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
  if (n.pb.links.empty()) {  // a dag-pb leaf: the data is inline
    LT_TRY(auto span, LeafDataSpan(bytes, n));
    LT_TRY_STATUS(w.WriteWrappedLeaf(cid, bytes, span.first, span.second, offset));
    return static_cast<uint64_t>(span.second);
  }
  if (n.fs.data && !n.fs.data->empty()) {
    return InvalidArgument("file node " + cid.ToString() + " carries inline data and links (not supported)");
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

Status StoreEntry(Store& store, BlockSource& source, FinishBatch& batch, const Cid& cid, int depth) {
  if (depth > 64) return InvalidArgument("directory tree deeper than 64 levels");
  LT_TRY(Bytes bytes, source.Get(cid));
  if (cid.IsRaw()) {
    LT_TRY(auto w, store.OpenFileWriter(cid, bytes.size()));
    if (w->complete()) return OkStatus();
    LT_TRY_STATUS(w->WriteLeaf(cid, bytes, 0, true));
    return batch.Add(std::move(w));
  }
  if (!cid.IsDagPb()) return InvalidArgument("block " + cid.ToString() + " has an unsupported codec");
  LT_TRY(UnixFSNode n, DecodeUnixFSNode(bytes));
  if (n.fs.type == UnixFSType::kDirectory) {
    for (const PBLink& l : n.pb.links) LT_TRY_STATUS(CheckName(l.name.value_or("")));
    LT_TRY_STATUS(store.PutInline(cid, bytes));
    for (const PBLink& l : n.pb.links) LT_TRY_STATUS(StoreEntry(store, source, batch, l.hash, depth + 1));
    return OkStatus();
  }
  if (n.fs.type == UnixFSType::kHamtShard) {
    auto shard = DecodeHamtShard(n);
    if (!shard.ok()) return shard.error().Wrap("HAMT shard " + cid.ToString());
    LT_TRY_STATUS(store.PutInline(cid, bytes));
    for (const HamtLink& l : shard->links) LT_TRY_STATUS(StoreEntry(store, source, batch, l.cid, depth + 1));
    return OkStatus();
  }
  if (n.fs.type != UnixFSType::kFile && n.fs.type != UnixFSType::kRaw) {
    return InvalidArgument("unsupported UnixFS node type " + std::to_string(static_cast<uint64_t>(n.fs.type)) + " in " +
                           cid.ToString());
  }
  uint64_t size = n.fs.filesize.value_or(n.pb.links.empty() && n.fs.data ? n.fs.data->size() : 0);
  LT_TRY(auto w, store.OpenFileWriter(cid, size));
  if (w->complete()) return OkStatus();
  LT_TRY(uint64_t got, StoreFileNode(store, source, *w, cid, bytes, 0, 0));
  if (got != size) return Corrupt("file " + cid.ToString() + " says " + std::to_string(size) + " bytes, holds " +
                                  std::to_string(got));
  return batch.Add(std::move(w));
}

}  // namespace

Status StoreDag(Store& store, BlockSource& source, const Cid& root) {
  FinishBatch batch(&store);
  LT_TRY_STATUS(StoreEntry(store, source, batch, root, 0));
  return batch.Flush();
}

}  // namespace lt::registry
