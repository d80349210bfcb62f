#include "registry/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <unordered_set>

#include "registry/dagpb.h"
#include "registry/manifest.h"
#include "util/fs.h"
#include "util/random.h"
#include "util/sqlite.h"

namespace lt::registry {
namespace {

using Stmt = SqliteStmt;

Error DbError(sqlite3* db, const std::string& what) {
  return IoError("store index: " + what + ": " + sqlite3_errmsg(db));
}

Status MakeDir(const std::string& p) {
  if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoError(p, errno);
  return OkStatus();
}

Status WriteAll(int fd, ByteSpan data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(path, errno);
    }
    done += static_cast<size_t>(w);
  }
  return OkStatus();
}

Status PWriteAll(int fd, ByteSpan data, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(path, errno);
    }
    done += static_cast<size_t>(w);
  }
  return OkStatus();
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? OkStatus() : ErrnoError(dir, err);
}

uint64_t NowSeconds() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
  }
  return out;
}

// Copies each imported file into tmp/import-*, then renames it to files/<cid> and indexes it.
class StoreSink final : public ImportSink {
 public:
  explicit StoreSink(Store* store) : store_(store) {}
  ~StoreSink() override { Abort(); }
  Status BeginFile(const std::string&) override {
    Bytes r(8);
    SecureRandom::Default()->Fill(r);
    tmp_ = store_->dir() + "/tmp/import-" + HexEncode(r);
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) return ErrnoError(tmp_, errno);
    leaves_.clear();
    return OkStatus();
  }
  Status Leaf(const Cid& cid, ByteSpan chunk, uint64_t offset) override {
    if (fd_ < 0) return InternalError("leaf outside a file");
    LT_TRY_STATUS(WriteAll(fd_, chunk, tmp_));
    leaves_.push_back({cid, offset, chunk.size()});
    return OkStatus();
  }
  Status Node(const Cid& cid, ByteSpan block) override { return store_->PutInline(cid, block); }
  Status EndFile(const ImportEntry& file) override {
    ::close(fd_);  // made durable by the batch's syncfs
    fd_ = -1;
    LT_TRY(auto writer, store_->OpenFileWriter(file.cid, file.size));
    if (writer->complete()) {  // already stored
      ::unlink(tmp_.c_str());
      tmp_.clear();
      return OkStatus();
    }
    // Replace the (empty or partial) part file by the complete copy, then index every leaf.
    std::string part = store_->dir() + "/tmp/" + file.cid.ToV1().ToString() + ".part";
    if (::rename(tmp_.c_str(), part.c_str()) != 0) return ErrnoError(part, errno);
    tmp_.clear();
    writer.reset();
    LT_TRY(writer, store_->OpenFileWriter(file.cid, file.size));
    for (const auto& l : leaves_) {
      if (!writer->HasLeafAt(l.offset)) LT_TRY_STATUS(writer->RecordLeaf(l.cid, l.offset, l.length));
    }
    return batch_.Add(std::move(writer));
  }
  Status Flush() { return batch_.Flush(); }

 private:
  struct L {
    Cid cid;
    uint64_t offset, length;
  };
  void Abort() {
    if (fd_ >= 0) ::close(fd_);
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
  }
  Store* store_;
  FinishBatch batch_{store_};
  std::string tmp_;
  int fd_ = -1;
  std::vector<L> leaves_;
};

}  // namespace

// ---- FileWriter ----

FileWriter::~FileWriter() {
  if (fd_ >= 0) {
    (void)Commit();
    ::close(fd_);
  }
}

bool FileWriter::HasLeafAt(uint64_t offset) {
  std::lock_guard<std::mutex> l(mu_);
  return complete_ || done_.count(offset) > 0;
}

Status FileWriter::RecordLeaf(const Cid& cid, uint64_t offset, uint64_t length) {
  std::lock_guard<std::mutex> l(mu_);
  if (offset + length > size_) return InvalidArgument("leaf past the end of file " + file_.ToString());
  done_.insert(offset);
  pending_.push_back({cid, offset, length, {}, {}});
  return OkStatus();
}

Status FileWriter::WriteWrappedLeaf(const Cid& cid, ByteSpan block, size_t data_at, size_t data_len,
                                    uint64_t offset) {
  if (complete_) return OkStatus();
  if (data_at > block.size() || data_len > block.size() - data_at) {
    return InternalError("wrapped leaf " + cid.ToString() + ": data span outside the block");
  }
  if (offset + data_len > size_ || offset + data_len < offset) {
    return InvalidArgument("leaf " + cid.ToString() + " at " + std::to_string(offset) + " runs past the end of file " +
                           file_.ToString());
  }
  LT_TRY_STATUS(PWriteAll(fd_, block.subspan(data_at, data_len), offset, tmp_path_));
  bool flush;
  {
    std::lock_guard<std::mutex> l(mu_);
    done_.insert(offset);
    pending_.push_back({cid, offset, data_len, Bytes(block.begin(), block.begin() + data_at),
                        Bytes(block.begin() + data_at + data_len, block.end())});
    flush = pending_.size() >= 64;
  }
  return flush ? Commit() : OkStatus();
}

Status FileWriter::WriteLeaf(const Cid& cid, ByteSpan bytes, uint64_t offset, bool already_verified) {
  if (complete_) return OkStatus();
  if (!cid.IsRaw()) return InvalidArgument("leaf " + cid.ToString() + " is not a raw block");
  if (!already_verified && !cid.Matches(bytes)) {
    return Corrupt("block " + cid.ToString() + " does not match its hash");
  }
  if (offset + bytes.size() > size_ || offset + bytes.size() < offset) {
    return InvalidArgument("leaf " + cid.ToString() + " at " + std::to_string(offset) + " runs past the end of file " +
                           file_.ToString());
  }
  LT_TRY_STATUS(PWriteAll(fd_, bytes, offset, tmp_path_));
  bool flush;
  {
    std::lock_guard<std::mutex> l(mu_);
    done_.insert(offset);
    pending_.push_back({cid, offset, bytes.size(), {}, {}});
    flush = pending_.size() >= 64;
  }
  return flush ? Commit() : OkStatus();
}

Status FileWriter::Commit() {
  std::vector<Row> rows;
  {
    std::lock_guard<std::mutex> l(mu_);
    rows.swap(pending_);
  }
  if (rows.empty() || fd_ < 0) return OkStatus();
  if (::fdatasync(fd_) != 0) return ErrnoError(tmp_path_, errno);
  return store_->InsertLeaves(file_, rows);
}

Status FileWriter::Finish() {
  if (complete_) return OkStatus();
  LT_TRY_STATUS(Commit());
  if (::fsync(fd_) != 0) return ErrnoError(tmp_path_, errno);
  ::close(fd_);
  fd_ = -1;
  std::string final_path = store_->FinalPath(file_);
  if (::rename(tmp_path_.c_str(), final_path.c_str()) != 0) return ErrnoError(final_path, errno);
  LT_TRY_STATUS(FsyncDir(store_->dir() + "/files"));
  LT_TRY_STATUS(store_->MarkComplete(file_, size_));
  complete_ = true;
  return OkStatus();
}

// ---- FinishBatch ----

FinishBatch::~FinishBatch() { (void)Flush(); }

Status FinishBatch::Add(std::unique_ptr<FileWriter> writer) {
  if (writer->complete()) return OkStatus();
  bool flush;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& p : pending_) {
      if (p->file_.ToV1() == writer->file_.ToV1()) return OkStatus();  // the same file twice: one rename
    }
    pending_.push_back(std::move(writer));
    flush = pending_.size() >= 256;
  }
  return flush ? Flush() : OkStatus();
}

Status FinishBatch::Flush() {
  std::vector<std::unique_ptr<FileWriter>> batch;
  {
    std::lock_guard<std::mutex> l(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return OkStatus();
  // 1. Every part file's data on disk, in one call for the whole file system.
  int dfd = ::open((store_->dir() + "/tmp").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return ErrnoError(store_->dir() + "/tmp", errno);
  int rc = ::syncfs(dfd);
  int err = errno;
  ::close(dfd);
  if (rc != 0) return ErrnoError("syncfs " + store_->dir(), err);
  // 2. Leaf rows, then the renames into files/.
  for (auto& w : batch) {
    std::vector<FileWriter::Row> rows;
    {
      std::lock_guard<std::mutex> l(w->mu_);
      rows.swap(w->pending_);
    }
    if (!rows.empty()) LT_TRY_STATUS(store_->InsertLeaves(w->file_, rows));
    if (w->fd_ >= 0) {
      ::close(w->fd_);
      w->fd_ = -1;
    }
    std::string final_path = store_->FinalPath(w->file_);
    if (::rename(w->tmp_path_.c_str(), final_path.c_str()) != 0) return ErrnoError(final_path, errno);
  }
  // 3. The renames durable, then the files complete.
  LT_TRY_STATUS(FsyncDir(store_->dir() + "/files"));
  for (auto& w : batch) {
    LT_TRY_STATUS(store_->MarkComplete(w->file_, w->size_));
    w->complete_ = true;
  }
  return OkStatus();
}

// ---- Store ----

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir) {
  std::unique_ptr<Store> s(new Store(dir));
  LT_TRY_STATUS(s->Init());
  return s;
}

Store::~Store() {
  if (db_) sqlite3_close(db_);
}

Status Store::Exec(const std::string& sql) { return SqliteExec(db_, sql, "store index"); }

Status Store::Init() {
  std::string parent = dir_.substr(0, dir_.find_last_of('/'));
  if (!parent.empty() && parent != dir_) LT_TRY_STATUS(RealFileSystem::Default()->CreateDirs(parent));
  LT_TRY_STATUS(MakeDir(dir_));
  LT_TRY_STATUS(MakeDir(dir_ + "/files"));
  LT_TRY_STATUS(MakeDir(dir_ + "/tmp"));
  std::string db_path = dir_ + "/index.sqlite";
  if (sqlite3_open_v2(db_path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return DbError(db_, "open " + db_path);
  }
  sqlite3_busy_timeout(db_, 10000);
  LT_TRY_STATUS(Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
      "CREATE TABLE IF NOT EXISTS inline_blocks(cid TEXT PRIMARY KEY, data BLOB NOT NULL);"
      "CREATE TABLE IF NOT EXISTS files(cid TEXT PRIMARY KEY, size INTEGER NOT NULL, complete INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS leaves(cid TEXT NOT NULL, file TEXT NOT NULL, offset INTEGER NOT NULL,"
      "  length INTEGER NOT NULL, PRIMARY KEY(file, offset));"
      "CREATE INDEX IF NOT EXISTS leaves_by_cid ON leaves(cid);"
      "CREATE TABLE IF NOT EXISTS store_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS refs(name TEXT PRIMARY KEY, cid TEXT NOT NULL, updated INTEGER NOT NULL);"));
  // Stores made before dag-pb leaves were kept get the prefix and suffix columns (NULL: raw).
  {
    Stmt cols(db_, "SELECT 1 FROM pragma_table_info('leaves') WHERE name = 'prefix'");
    if (cols.Step() != SQLITE_ROW) {
      LT_TRY_STATUS(Exec("ALTER TABLE leaves ADD COLUMN prefix BLOB; ALTER TABLE leaves ADD COLUMN suffix BLOB;"));
    }
  }
  // Crash recovery: unfinished imports go; a file renamed but not yet marked complete is marked.
  for (const std::string& n : ListDir(dir_ + "/tmp")) {
    if (n.rfind("import-", 0) == 0) ::unlink((dir_ + "/tmp/" + n).c_str());
  }
  Stmt q(db_, "SELECT cid, size FROM files WHERE complete = 0");
  std::vector<std::pair<std::string, int64_t>> incomplete;
  while (q.Step() == SQLITE_ROW) incomplete.emplace_back(q.Text(0), q.Int(1));
  for (auto& [cid_s, size] : incomplete) {
    auto cid = Cid::Parse(cid_s);
    if (!cid.ok()) continue;
    struct stat st;
    if (::stat(FinalPath(*cid).c_str(), &st) == 0 && ::access(PartPath(*cid).c_str(), F_OK) != 0) {
      LT_TRY_STATUS(MarkComplete(*cid, static_cast<uint64_t>(size)));
    }
  }
  return OkStatus();
}

Result<ImportEntry> Store::AddPath(const std::string& path, const ImportOptions& options) {
  StoreSink sink(this);
  LT_TRY(ImportEntry e, ImportPath(path, &sink, options));
  LT_TRY_STATUS(sink.Flush());
  return e;
}

bool Store::Has(const Cid& cid) {
  std::string k = Key(cid);
  std::lock_guard<std::mutex> l(mu_);
  Stmt a(db_, "SELECT 1 FROM inline_blocks WHERE cid = ?1");
  if (a.Bind(1, k).Step() == SQLITE_ROW) return true;
  Stmt b(db_, "SELECT 1 FROM leaves WHERE cid = ?1 LIMIT 1");
  return b.Bind(1, k).Step() == SQLITE_ROW;
}

Result<Bytes> Store::Get(const Cid& cid) {
  std::string k = Key(cid), file;
  int64_t offset = 0, length = 0, complete = 0;
  Bytes prefix, suffix;
  {
    std::lock_guard<std::mutex> l(mu_);
    Stmt a(db_, "SELECT data FROM inline_blocks WHERE cid = ?1");
    if (a.Bind(1, k).Step() == SQLITE_ROW) {
      Bytes data = a.Blob(0);
      if (!cid.Matches(data)) return Corrupt("stored block " + k + " does not match its hash");
      return data;
    }
    Stmt b(db_,
           "SELECT l.file, l.offset, l.length, f.complete, l.prefix, l.suffix FROM leaves l JOIN files f ON f.cid = l.file "
           "WHERE l.cid = ?1 ORDER BY f.complete DESC LIMIT 1");
    if (b.Bind(1, k).Step() != SQLITE_ROW) return NotFound("block " + k + " is not in the store");
    file = b.Text(0);
    offset = b.Int(1);
    length = b.Int(2);
    complete = b.Int(3);
    prefix = b.Blob(4);
    suffix = b.Blob(5);
  }
  if (length < 0 || static_cast<uint64_t>(length) > kMaxBlockSize) return Corrupt("bad length for block " + k);
  LT_TRY(Cid file_cid, Cid::Parse(file));
  std::string path = complete ? FinalPath(file_cid) : PartPath(file_cid);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, errno);
  Bytes data(static_cast<size_t>(length));
  size_t got = 0;
  while (got < data.size()) {
    ssize_t r = ::pread(fd, data.data() + got, data.size() - got, offset + static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  if (got != data.size()) return Corrupt("file " + path + " is shorter than its index says");
  if (!prefix.empty() || !suffix.empty()) {
    data.insert(data.begin(), prefix.begin(), prefix.end());
    data.insert(data.end(), suffix.begin(), suffix.end());
  }
  if (!cid.Matches(data)) return Corrupt("stored block " + k + " in " + path + " does not match its hash");
  return data;
}

Status Store::PutInline(const Cid& cid, ByteSpan bytes) {
  if (bytes.size() > kMaxBlockSize) return InvalidArgument("block " + cid.ToString() + " is too large");
  if (!cid.Matches(bytes)) return Corrupt("block " + cid.ToString() + " does not match its hash");
  std::lock_guard<std::mutex> l(mu_);
  Stmt s(db_, "INSERT OR IGNORE INTO inline_blocks(cid, data) VALUES(?1, ?2)");
  if (s.Bind(1, Key(cid)).BindBlob(2, bytes).Step() != SQLITE_DONE) return DbError(db_, "put block");
  return OkStatus();
}

Result<std::unique_ptr<FileWriter>> Store::OpenFileWriter(const Cid& file, uint64_t size) {
  std::unique_ptr<FileWriter> w(new FileWriter(this, file, size));
  std::string k = Key(file);
  {
    std::lock_guard<std::mutex> l(mu_);
    Stmt q(db_, "SELECT size, complete FROM files WHERE cid = ?1");
    if (q.Bind(1, k).Step() == SQLITE_ROW) {
      if (static_cast<uint64_t>(q.Int(0)) != size) {
        return InvalidArgument("file " + k + " is known with size " + std::to_string(q.Int(0)) + ", not " +
                               std::to_string(size));
      }
      if (q.Int(1) != 0 && ::access(FinalPath(file).c_str(), F_OK) == 0) {
        w->complete_ = true;
        return w;
      }
    } else {
      Stmt ins(db_, "INSERT INTO files(cid, size, complete) VALUES(?1, ?2, 0)");
      if (ins.Bind(1, k).Bind(2, static_cast<int64_t>(size)).Step() != SQLITE_DONE) return DbError(db_, "add file");
    }
    Stmt done(db_, "SELECT offset FROM leaves WHERE file = ?1");
    done.Bind(1, k);
    while (done.Step() == SQLITE_ROW) w->done_.insert(static_cast<uint64_t>(done.Int(0)));
  }
  w->tmp_path_ = PartPath(file);
  w->fd_ = ::open(w->tmp_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (w->fd_ < 0) return ErrnoError(w->tmp_path_, errno);
  struct stat st;
  if (::fstat(w->fd_, &st) != 0) return ErrnoError(w->tmp_path_, errno);
  if (static_cast<uint64_t>(st.st_size) != size) {
    if (st.st_size != 0) w->done_.clear();  // a part file of another size: start over
    if (::ftruncate(w->fd_, static_cast<off_t>(size)) != 0) return ErrnoError(w->tmp_path_, errno);
  }
  return w;
}

Status Store::InsertLeaves(const Cid& file, const std::vector<FileWriter::Row>& rows) {
  std::lock_guard<std::mutex> l(mu_);
  LT_TRY_STATUS(Exec("BEGIN IMMEDIATE"));
  Stmt s(db_, "INSERT OR REPLACE INTO leaves(cid, file, offset, length, prefix, suffix) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  std::string f = Key(file);
  for (const auto& r : rows) {
    s.Bind(1, Key(r.cid)).Bind(2, f).Bind(3, static_cast<int64_t>(r.offset)).Bind(4, static_cast<int64_t>(r.length));
    if (!r.prefix.empty() || !r.suffix.empty()) s.BindBlob(5, r.prefix).BindBlob(6, r.suffix);  // else NULL
    if (s.Step() != SQLITE_DONE) {
      Error e = DbError(db_, "index leaves");
      (void)Exec("ROLLBACK");
      return e;
    }
    s.Reset();
  }
  return Exec("COMMIT");
}

Status Store::MarkComplete(const Cid& file, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt s(db_, "INSERT OR REPLACE INTO files(cid, size, complete) VALUES(?1, ?2, 1)");
  if (s.Bind(1, Key(file)).Bind(2, static_cast<int64_t>(size)).Step() != SQLITE_DONE) {
    return DbError(db_, "mark file complete");
  }
  return OkStatus();
}

Result<std::string> Store::FilePath(const Cid& file) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt q(db_, "SELECT complete FROM files WHERE cid = ?1");
  if (q.Bind(1, Key(file)).Step() != SQLITE_ROW || q.Int(0) == 0) {
    return NotFound("file " + file.ToString() + " is not complete in the store");
  }
  return FinalPath(file);
}

Status Store::SetRef(const std::string& name, const Cid& cid) {
  if (name.empty() || name.size() > 512) return InvalidArgument("bad ref name");
  std::lock_guard<std::mutex> l(mu_);
  Stmt s(db_, "INSERT OR REPLACE INTO refs(name, cid, updated) VALUES(?1, ?2, ?3)");
  if (s.Bind(1, name).Bind(2, cid.ToString()).Bind(3, static_cast<int64_t>(NowSeconds())).Step() != SQLITE_DONE) {
    return DbError(db_, "set ref");
  }
  return OkStatus();
}

Status Store::RemoveRef(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  Stmt s(db_, "DELETE FROM refs WHERE name = ?1");
  if (s.Bind(1, name).Step() != SQLITE_DONE) return DbError(db_, "remove ref");
  if (sqlite3_changes(db_) == 0) return NotFound("no ref named '" + name + "'");
  return OkStatus();
}

Result<std::vector<Ref>> Store::ListRefs() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<Ref> out;
  Stmt q(db_, "SELECT name, cid, updated FROM refs ORDER BY name");
  while (q.Step() == SQLITE_ROW) {
    auto cid = Cid::Parse(q.Text(1));
    if (!cid.ok()) return Corrupt("ref '" + q.Text(0) + "' holds a bad CID");
    out.push_back({q.Text(0), *cid, static_cast<uint64_t>(q.Int(2))});
  }
  return out;
}

Result<GcStats> Store::Gc() {
  LT_TRY(std::vector<Ref> refs, ListRefs());
  // Mark: walk every DAG from the refs through the dag-pb nodes we hold.
  std::unordered_set<std::string> live;
  std::vector<Cid> stack;
  for (const Ref& r : refs) {
    stack.push_back(r.cid);
    // A tag ref names a manifest (a small raw block): keep the root it names as well.
    if (r.cid.IsRaw()) {
      auto block = Get(r.cid);
      if (block.ok() && block->size() <= 65536) {
        auto m = Manifest::Decode(std::string_view(reinterpret_cast<const char*>(block->data()), block->size()));
        if (m.ok()) stack.push_back(m->root);
      }
    }
  }
  while (!stack.empty()) {
    Cid c = stack.back();
    stack.pop_back();
    if (!live.insert(Key(c)).second || !c.IsDagPb()) continue;
    auto block = Get(c);
    if (!block.ok()) continue;  // not held (partial): nothing below it to keep
    auto node = DecodePBNode(*block);
    if (!node.ok()) continue;
    for (const PBLink& link : node->links) stack.push_back(link.hash);
  }
  GcStats stats;
  std::vector<std::pair<std::string, bool>> dead_files;
  {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<std::string> dead_blocks;
    Stmt a(db_, "SELECT cid, length(data) FROM inline_blocks");
    while (a.Step() == SQLITE_ROW) {
      if (!live.count(a.Text(0))) {
        dead_blocks.push_back(a.Text(0));
        stats.bytes_freed += static_cast<uint64_t>(a.Int(1));
      }
    }
    Stmt f(db_, "SELECT cid, complete, size FROM files");
    while (f.Step() == SQLITE_ROW) {
      if (!live.count(f.Text(0))) {
        dead_files.emplace_back(f.Text(0), f.Int(1) != 0);
        stats.bytes_freed += static_cast<uint64_t>(f.Int(2));
      }
    }
    LT_TRY_STATUS(Exec("BEGIN IMMEDIATE"));
    Stmt db(db_, "DELETE FROM inline_blocks WHERE cid = ?1");
    for (const auto& k : dead_blocks) {
      db.Bind(1, k).Step();
      db.Reset();
    }
    Stmt dl(db_, "DELETE FROM leaves WHERE file = ?1");
    Stmt df(db_, "DELETE FROM files WHERE cid = ?1");
    for (const auto& [k, complete] : dead_files) {
      dl.Bind(1, k).Step();
      stats.blocks_removed += static_cast<uint64_t>(sqlite3_changes(db_));
      dl.Reset();
      df.Bind(1, k).Step();
      df.Reset();
    }
    LT_TRY_STATUS(Exec("COMMIT"));
    stats.blocks_removed += dead_blocks.size();
    stats.files_removed = dead_files.size();
  }
  // Sweep the files after the index no longer points at them.
  for (const auto& [k, complete] : dead_files) {
    ::unlink((dir_ + "/files/" + k).c_str());
    ::unlink((dir_ + "/tmp/" + k + ".part").c_str());
  }
  // Files on disk the index does not know (a crash between rename and index) go too.
  for (const std::string& n : ListDir(dir_ + "/files")) {
    auto cid = Cid::Parse(n);
    std::lock_guard<std::mutex> l(mu_);
    Stmt q(db_, "SELECT 1 FROM files WHERE cid = ?1");
    if (!cid.ok() || q.Bind(1, n).Step() != SQLITE_ROW) ::unlink((dir_ + "/files/" + n).c_str());
  }
  return stats;
}

}  // namespace lt::registry
