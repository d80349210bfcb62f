// The local block store under <datadir>/store, like kubo's filestore.
//
// Layout: files/<file-cid>   whole files (engines mmap them; named by the file's root CID)
//         tmp/<file-cid>.part files being assembled by a pull or a CAR import (resumable)
//         tmp/import-*        files being added from disk (deleted when found on open)
//         index.sqlite        (WAL) the index:
//           leaves(cid, file, offset, length, prefix, suffix)  leaves inside files, PK (file, offset):
//             a raw leaf is the file's bytes at [offset, offset+length); a dag-pb leaf (kubo's
//             default, UnixFS data inline) is prefix + those bytes + suffix

//           inline_blocks(cid, data)           dag-pb nodes and small raw blocks (manifests)
//           files(cid, size, complete)         every file, complete or being assembled
//           refs(name, cid, updated)           pins and tags: the roots garbage collection keeps
//
// Atomicity: every block is hashed and checked against its CID before it is written; leaf rows
// are committed only after the data is fdatasync'ed; a file reaches files/ only by rename after
// fsync, and only then is it marked complete. A crash leaves at most a tmp file, which is either
// resumed (pulls) or removed (imports). Read blocks are verified again, so a damaged file yields
// a kCorrupt error, never wrong bytes. Disk errors (ENOSPC, EIO) come back as kIo errors naming
// the path.
// Keys: a block is keyed by its CIDv1 string (Cid::ToV1), so a CIDv0 link finds the block its
// CIDv1 form stored; refs keep the CID as given.
// Thread-safety: Store is thread-safe (one SQLite connection behind a mutex; file reads happen
// outside it). A FileWriter may be shared by threads writing different leaves.
// One process at a time should run GC; GC removes partial files not referenced by a ref.
#ifndef LT_REGISTRY_STORE_H_
#define LT_REGISTRY_STORE_H_

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "registry/cid.h"
#include "registry/unixfs.h"
#include "util/result.h"

struct sqlite3;

namespace lt::registry {

// Largest block the store accepts (leaves are 1 MiB; directory nodes up to 256 KiB).
inline constexpr size_t kMaxBlockSize = 4 << 20;

class Store;
class FinishBatch;

// Assembles one file of known size from leaves written at their offsets, in any order.
class FileWriter {
 public:
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  const Cid& file() const { return file_; }
  uint64_t size() const { return size_; }
  bool complete() const { return complete_; }
  // True when a leaf was already committed at this offset (resume).
  bool HasLeafAt(uint64_t offset);
  // Verifies that `bytes` hashes to `cid` (unless already_verified), writes it at `offset`.
  Status WriteLeaf(const Cid& cid, ByteSpan bytes, uint64_t offset, bool already_verified = false);
  // A dag-pb leaf `block` (verified by the caller) whose file data is block[data_at, data_at +
  // data_len): writes the data at `offset` and records the block as prefix + data + suffix.
  Status WriteWrappedLeaf(const Cid& cid, ByteSpan block, size_t data_at, size_t data_len, uint64_t offset);
  // Records a leaf whose bytes the caller already placed at `offset` of the part file.
  Status RecordLeaf(const Cid& cid, uint64_t offset, uint64_t length);
  // Makes written leaves durable and indexes them.
  Status Commit();
  // Commit, fsync, move into files/ and mark complete. The caller has written every leaf.
  Status Finish();

 private:
  friend class Store;
  friend class FinishBatch;
  FileWriter(Store* store, Cid file, uint64_t size) : store_(store), file_(file), size_(size) {}
  struct Row {
    Cid cid;
    uint64_t offset, length;
    Bytes prefix, suffix;  // empty for a raw leaf
  };
  Store* store_;
  Cid file_;
  uint64_t size_;
  int fd_ = -1;
  bool complete_ = false;
  std::string tmp_path_;
  std::mutex mu_;
  std::set<uint64_t> done_;  // committed or pending offsets
  std::vector<Row> pending_;
};

// Finishes many files with two syncs in all instead of four per file (a directory of thousands of
// small files: a HAMT). Add takes a writer whose leaves are all written; Flush makes every pending
// file's data durable with one syncfs, then indexes its leaves, renames it into files/, syncs
// files/ once and marks the files complete, the same order as FileWriter::Finish, so a crash
// leaves what Finish would (part files without rows are fetched again; a renamed file was synced).
// Add flushes by itself every 256 files. Thread-safe. Flush before destruction (the destructor
// flushes too, dropping errors).
class FinishBatch {
 public:
  explicit FinishBatch(Store* store) : store_(store) {}
  ~FinishBatch();
  FinishBatch(const FinishBatch&) = delete;
  FinishBatch& operator=(const FinishBatch&) = delete;
  Status Add(std::unique_ptr<FileWriter> writer);
  Status Flush();

 private:
  Store* store_;
  std::mutex mu_;
  std::vector<std::unique_ptr<FileWriter>> pending_;
};

struct GcStats {
  uint64_t files_removed = 0;
  uint64_t blocks_removed = 0;
  uint64_t bytes_freed = 0;
};

struct Ref {
  std::string name;
  Cid cid;
  uint64_t updated = 0;
};

class Store {
 public:
  // Opens (creating) the store in `dir` (normally <datadir>/store).
  static Result<std::unique_ptr<Store>> Open(const std::string& dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& dir() const { return dir_; }

  // Imports a file or directory tree from disk: files are copied whole into files/, nodes indexed.
  Result<ImportEntry> AddPath(const std::string& path, const ImportOptions& options = {});

  bool Has(const Cid& cid);
  // The block's bytes, verified against the CID. NotFound when absent, Corrupt when damaged.
  Result<Bytes> Get(const Cid& cid);
  // Stores a small block (dag-pb node, manifest) in the index after checking its hash.
  Status PutInline(const Cid& cid, ByteSpan bytes);

  // A writer for the file whose root CID is `file` and whose size is `size`; resumes a partial one.
  Result<std::unique_ptr<FileWriter>> OpenFileWriter(const Cid& file, uint64_t size);
  // Path of a complete file in the store, for mmap. NotFound when not (yet) complete.
  Result<std::string> FilePath(const Cid& file);

  Status SetRef(const std::string& name, const Cid& cid);
  Status RemoveRef(const std::string& name);  // NotFound when absent
  Result<std::vector<Ref>> ListRefs();

  // Removes every file and block not reachable from a ref.
  Result<GcStats> Gc();

 private:
  friend class FileWriter;
  friend class FinishBatch;
  explicit Store(std::string dir) : dir_(std::move(dir)) {}
  Status Init();
  Status Exec(const std::string& sql);
  Status InsertLeaves(const Cid& file, const std::vector<FileWriter::Row>& rows);
  Status MarkComplete(const Cid& file, uint64_t size);
  static std::string Key(const Cid& cid) { return cid.ToV1().ToString(); }
  std::string FinalPath(const Cid& file) const { return dir_ + "/files/" + Key(file); }
  std::string PartPath(const Cid& file) const { return dir_ + "/tmp/" + Key(file) + ".part"; }

  std::string dir_;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
};

}  // namespace lt::registry

#endif  // LT_REGISTRY_STORE_H_
