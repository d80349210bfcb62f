// The UnixFS importer of the `unixfs-v1-2025` profile (IPIP-499), streaming.
//
// Files are cut into fixed 1 MiB chunks; each chunk is a raw leaf (CIDv1, codec raw, sha2-256).
// A file of one chunk (including the empty file: one empty chunk) is just that raw leaf. Larger
// files get a balanced tree of dag-pb UnixFS File nodes with at most 1024 links each; a link
// carries Name "" and Tsize (the cumulative DAG size below it), the node's blocksizes are the file
// bytes under each link. Directories are dag-pb UnixFS Directory nodes whose links are sorted by
// name bytes and carry Tsize. A directory whose flat block would pass 256 KiB (counting, as the
// importer does, the links of its files and empty directories) becomes a HAMT (hamt.h), about
// 5,000 entries and up. This equals ipfs-unixfs-importer 17 with {profile: 'unixfs-v1-2025'}
// (tests/interop, and tests/ipfs for a 10,000-entry HAMT).
//
// Blocks are handed to an ImportSink as they are made (leaves in file order with their offsets),
// so a 1 GiB file never sits in memory. Leaves are hashed on a small thread pool.
// Thread-safety: a FileBuilder or an import call is used by one thread; sinks are called from that
// thread only.
#ifndef LT_REGISTRY_UNIXFS_H_
#define LT_REGISTRY_UNIXFS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "registry/cid.h"
#include "util/result.h"

namespace lt::registry {

struct ImportOptions {
  size_t chunk_size = 1 << 20;         // profile: 1 MiB (tests may shrink it)
  size_t max_links = 1024;             // profile: 1024 links per file node
  uint64_t shard_threshold = 262144;   // directory block bytes above which the profile shards (HAMT)
  int hash_threads = 0;                // 0: one per CPU core
};

// The result of importing a file or a directory.
struct ImportEntry {
  Cid cid;
  uint64_t size = 0;   // file bytes (for a directory: the bytes of all files below it)
  uint64_t tsize = 0;  // cumulative DAG bytes (the Tsize a parent link would carry)
};

// Receives the blocks of an import. Errors returned stop the import.
class ImportSink {
 public:
  virtual ~ImportSink() = default;
  // Before the leaves of each regular file; rel_path is relative to the import root ("" for a
  // single file).
  virtual Status BeginFile(const std::string& rel_path) {
    (void)rel_path;
    return OkStatus();
  }
  // A raw leaf: `chunk` lies at `offset` in the current file.
  virtual Status Leaf(const Cid& cid, ByteSpan chunk, uint64_t offset) = 0;
  // A dag-pb block (a file node or a directory node).
  virtual Status Node(const Cid& cid, ByteSpan block) = 0;
  virtual Status EndFile(const ImportEntry& file) {
    (void)file;
    return OkStatus();
  }
};

// Builds one file's DAG from chunks given in order. Add exactly chunk_size bytes per call except
// for the last call (which may be shorter, or empty for an empty file).
class FileBuilder {
 public:
  FileBuilder(ImportSink* sink, const ImportOptions& options) : sink_(sink), options_(options) {}
  // A chunk whose leaf CID is already known (hashed elsewhere).
  Status AddLeaf(const Cid& cid, ByteSpan chunk);
  Status AddChunk(ByteSpan chunk) { return AddLeaf(Cid::Of(kCodecRaw, chunk), chunk); }
  Result<ImportEntry> Finish();

 private:
  struct Item {
    Cid cid;
    uint64_t filesize;
    uint64_t tsize;
  };
  Status Reduce(size_t level);
  ImportSink* sink_;
  ImportOptions options_;
  std::vector<std::vector<Item>> levels_;
  std::vector<uint64_t> level_totals_;
  uint64_t offset_ = 0;
  bool finished_ = false;
};

// Imports a regular file read from `fd` (streamed in chunk_size reads).
Result<ImportEntry> ImportFd(int fd, ImportSink* sink, const ImportOptions& options = {});
// Imports a file or a directory tree (symlinks are followed; other special files are refused).
// `sink` may be null (just compute the CID).
Result<ImportEntry> ImportPath(const std::string& path, ImportSink* sink, const ImportOptions& options = {});

// The dag-pb block of a UnixFS directory with these (name -> entry) children; names are sorted
// by bytes here. Refuses duplicate or empty names and names with '/'.
struct DirChild {
  std::string name;
  ImportEntry entry;
};
Result<Bytes> EncodeDirectory(std::vector<DirChild> children);

}  // namespace lt::registry

#endif  // LT_REGISTRY_UNIXFS_H_
