#include "registry/unixfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <thread>

#include "registry/dagpb.h"
#include "registry/hamt.h"
#include "util/fs.h"

namespace lt::registry {

Status FileBuilder::AddLeaf(const Cid& cid, ByteSpan chunk) {
  if (finished_) return InternalError("FileBuilder used after Finish");
  LT_TRY_STATUS(sink_ ? sink_->Leaf(cid, chunk, offset_) : OkStatus());
  offset_ += chunk.size();
  if (levels_.empty()) {
    levels_.emplace_back();
    level_totals_.push_back(0);
  }
  levels_[0].push_back({cid, chunk.size(), chunk.size()});
  level_totals_[0]++;
  if (levels_[0].size() == options_.max_links) return Reduce(0);
  return OkStatus();
}

// Turns the pending items of `level` into one file node on level + 1.
Status FileBuilder::Reduce(size_t level) {
  std::vector<Item>& items = levels_[level];
  UnixFSData d;
  d.type = UnixFSType::kFile;
  PBNode node;
  uint64_t filesize = 0, tsize = 0;
  for (const Item& it : items) {
    // The importer drops empty leaves from file nodes (only an empty file has one).
    if (level == 0 && it.filesize == 0) continue;
    d.blocksizes.push_back(it.filesize);
    filesize += it.filesize;
    tsize += it.tsize;
    node.links.push_back(PBLink{it.cid, std::string(), it.tsize});
  }
  d.filesize = filesize;
  node.data = EncodeUnixFSData(d);
  Bytes block = EncodePBNode(node);
  Cid cid = Cid::Of(kCodecDagPb, block);
  if (sink_) LT_TRY_STATUS(sink_->Node(cid, block));
  items.clear();
  if (levels_.size() <= level + 1) {
    levels_.emplace_back();
    level_totals_.push_back(0);
  }
  levels_[level + 1].push_back({cid, filesize, tsize + block.size()});
  level_totals_[level + 1]++;
  if (levels_[level + 1].size() == options_.max_links) return Reduce(level + 1);
  return OkStatus();
}

Result<ImportEntry> FileBuilder::Finish() {
  if (finished_) return InternalError("FileBuilder finished twice");
  finished_ = true;
  if (levels_.empty()) return InternalError("FileBuilder finished without any chunk");
  // A file of exactly one chunk is its raw leaf.
  if (level_totals_[0] == 1) {
    const Item& leaf = levels_[0][0];
    return ImportEntry{leaf.cid, leaf.filesize, leaf.tsize};
  }
  for (size_t level = 0;; ++level) {
    bool top = level + 1 >= levels_.size();
    if (level > 0 && top && level_totals_[level] == 1) {
      const Item& root = levels_[level][0];
      return ImportEntry{root.cid, root.filesize, root.tsize};
    }
    if (!levels_[level].empty()) LT_TRY_STATUS(Reduce(level));
  }
}

namespace {

Status ReadFull(int fd, uint8_t* buf, size_t n, size_t* got) {
  *got = 0;
  while (*got < n) {
    ssize_t r = ::read(fd, buf + *got, n - *got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", errno);
    }
    if (r == 0) break;
    *got += static_cast<size_t>(r);
  }
  return OkStatus();
}

Result<ImportEntry> ImportTree(const std::string& path, const std::string& rel, ImportSink* sink,
                               const ImportOptions& options);

// A regular file of known size, in windows of 8 chunks per thread. The file is mapped, so the
// hashing threads read the page cache directly (no copy; the copy was a third of the CPU time);
// where mmap is refused, every thread preads its own chunks into its buffers instead. The
// builder then takes each window in order. A file that shrinks while read is an error (or, when
// mapped, SIGBUS: do not truncate a file while it is being imported).
Result<ImportEntry> ImportSized(int fd, uint64_t size, ImportSink* sink, const ImportOptions& options, int threads) {
  const size_t cs = options.chunk_size;
  FileBuilder builder(sink, options);
  if (size == 0) {
    LT_TRY_STATUS(builder.AddChunk(ByteSpan()));
    return builder.Finish();
  }
  const uint64_t chunks = (size + cs - 1) / cs;
  const size_t window = static_cast<size_t>(std::min<uint64_t>(chunks, static_cast<uint64_t>(threads) * 8));
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  const uint8_t* base = map == MAP_FAILED ? nullptr : static_cast<const uint8_t*>(map);
  if (base) ::madvise(map, size, MADV_SEQUENTIAL);
  std::vector<Bytes> bufs(base ? 0 : window, Bytes(base ? 0 : std::min<uint64_t>(cs, size)));
  std::vector<Cid> cids(window);
  std::vector<size_t> lens(window);
  Status status = OkStatus();
  for (uint64_t first = 0; first < chunks && status.ok(); first += window) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(window, chunks - first));
    std::atomic<size_t> next{0};
    std::atomic<int> failed_errno{0};
    auto work = [&] {
      for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) {
        uint64_t off = (first + i) * cs;
        size_t want = static_cast<size_t>(std::min<uint64_t>(cs, size - off));
        if (base) {
          lens[i] = want;
          cids[i] = Cid::Of(kCodecRaw, ByteSpan(base + off, want));
          continue;
        }
        size_t got = 0;
        while (got < want) {
          ssize_t r = ::pread(fd, bufs[i].data() + got, want - got, static_cast<off_t>(off + got));
          if (r < 0 && errno == EINTR) continue;
          if (r <= 0) {
            failed_errno = r < 0 ? errno : -1;
            break;
          }
          got += static_cast<size_t>(r);
        }
        lens[i] = got;
        cids[i] = Cid::Of(kCodecRaw, ByteSpan(bufs[i].data(), got));
      }
    };
    int spawn = static_cast<int>(std::min<size_t>(n, static_cast<size_t>(threads))) - 1;
    std::vector<std::thread> pool;
    for (int t = 0; t < spawn; ++t) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
    if (failed_errno == -1) {
      status = IoError("the file shrank while it was being imported");
    } else if (failed_errno != 0) {
      status = ErrnoError("read", failed_errno);
    }
    for (size_t i = 0; i < n && status.ok(); ++i) {
      const uint8_t* data = base ? base + (first + i) * cs : bufs[i].data();
      status = builder.AddLeaf(cids[i], ByteSpan(data, lens[i]));
    }
    // Done with this window: let the kernel drop our mapping of it (the page cache keeps it).
    if (base) {
      uint64_t from = first * cs, to = std::min<uint64_t>(size, (first + n) * cs);
      uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
      uint64_t end = to == size ? to : to / page * page;
      if (end > from) ::madvise(const_cast<uint8_t*>(base) + from, end - from, MADV_DONTNEED);
    }
  }
  if (base) ::munmap(map, size);
  if (!status.ok()) return status.error();
  return builder.Finish();
}

}  // namespace

Result<ImportEntry> ImportFd(int fd, ImportSink* sink, const ImportOptions& options) {
  if (options.chunk_size == 0 || options.max_links < 2) return InvalidArgument("bad import options");
  int threads = options.hash_threads > 0 ? options.hash_threads
                                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  struct stat st;
  // A size of 0 may not mean empty (/proc and /sys files, some FUSE files): those are read to EOF.
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && ::lseek(fd, 0, SEEK_CUR) == 0) {
    return ImportSized(fd, static_cast<uint64_t>(st.st_size), sink, options, threads);
  }
  const size_t batch = static_cast<size_t>(threads) * 4;
  std::vector<Bytes> bufs(batch, Bytes(options.chunk_size));
  std::vector<size_t> lens(batch);
  std::vector<Cid> cids(batch);
  FileBuilder builder(sink, options);
  bool eof = false, any = false;
  while (!eof) {
    size_t n = 0;
    while (n < batch) {
      LT_TRY_STATUS(ReadFull(fd, bufs[n].data(), options.chunk_size, &lens[n]));
      if (lens[n] < options.chunk_size) eof = true;
      if (lens[n] > 0 || (!any && n == 0)) ++n;  // an empty file is one empty chunk
      if (eof) break;
    }
    any = true;
    auto hash_range = [&](size_t from, size_t step) {
      for (size_t i = from; i < n; i += step) cids[i] = Cid::Of(kCodecRaw, ByteSpan(bufs[i].data(), lens[i]));
    };
    if (n > 1 && threads > 1) {
      std::vector<std::thread> pool;
      for (int t = 1; t < threads; ++t) pool.emplace_back(hash_range, t, threads);
      hash_range(0, threads);
      for (auto& th : pool) th.join();
    } else {
      hash_range(0, 1);
    }
    for (size_t i = 0; i < n; ++i) LT_TRY_STATUS(builder.AddLeaf(cids[i], ByteSpan(bufs[i].data(), lens[i])));
  }
  return builder.Finish();
}

Result<Bytes> EncodeDirectory(std::vector<DirChild> children) {
  std::sort(children.begin(), children.end(), [](const DirChild& a, const DirChild& b) { return a.name < b.name; });
  PBNode node;
  for (size_t i = 0; i < children.size(); ++i) {
    const std::string& name = children[i].name;
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      return InvalidArgument("invalid directory entry name '" + name + "'");
    }
    if (i > 0 && children[i - 1].name == name) return InvalidArgument("duplicate directory entry '" + name + "'");
    node.links.push_back(PBLink{children[i].entry.cid, name, children[i].entry.tsize});
  }
  UnixFSData d;
  d.type = UnixFSType::kDirectory;
  node.data = EncodeUnixFSData(d);
  return EncodePBNode(node);
}

namespace {

// Bytes a link adds to a flat directory block: the PBLink (Hash, Name, Tsize) and its field header.
uint64_t FlatLinkSize(uint64_t name_len, uint64_t cid_len, uint64_t tsize) {
  uint64_t link = 1 + VarintSize(cid_len) + cid_len + 1 + VarintSize(name_len) + name_len + 1 + VarintSize(tsize);
  return 1 + VarintSize(link) + link;
}

Result<ImportEntry> ImportTree(const std::string& path, const std::string& rel, ImportSink* sink,
                               const ImportOptions& options) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoError(path, errno);
  // A pipe is accepted at the top (`lt cid /dev/stdin`), never inside a tree.
  if (S_ISREG(st.st_mode) || (rel.empty() && S_ISFIFO(st.st_mode))) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError(path, errno);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    Status s = sink ? sink->BeginFile(rel) : OkStatus();
    Result<ImportEntry> r = s.ok() ? ImportFd(fd, sink, options) : Result<ImportEntry>(s.error());
    ::close(fd);
    if (!r.ok()) return r.error().Wrap(path);
    if (sink) LT_TRY_STATUS(sink->EndFile(*r));
    return r;
  }
  if (!S_ISDIR(st.st_mode)) return InvalidArgument(path + ": not a regular file or directory");
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return ErrnoError(path, errno);
  while (dirent* e = ::readdir(dir)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  std::vector<DirChild> children;
  uint64_t size = 0, tsize = 0;
  // The importer decides on sharding from the exact size of the flat block, counting only the
  // links it knows while adding entries: files and empty directories (a directory with entries
  // has no CID yet at that point, so its link counts 0).
  uint64_t estimate = 4;  // the Data field 0a 02 08 01
  for (const std::string& n : names) {
    std::string child_path = path + "/" + n;
    LT_TRY(ImportEntry child, ImportTree(child_path, rel.empty() ? n : rel + "/" + n, sink, options));
    size += child.size;
    tsize += child.tsize;
    struct stat cst;
    bool is_dir = ::stat(child_path.c_str(), &cst) == 0 && S_ISDIR(cst.st_mode);
    if (!is_dir || child.tsize == 4) estimate += FlatLinkSize(n.size(), child.cid.ToBytes().size(), child.tsize);
    children.push_back({n, child});
  }
  if (estimate > options.shard_threshold) {
    for (const DirChild& c : children) {
      if (c.name.find('/') != std::string::npos) return InvalidArgument("invalid directory entry name '" + c.name + "'");
    }
    return BuildHamt(children, sink);
  }
  LT_TRY(Bytes block, EncodeDirectory(std::move(children)));
  Cid cid = Cid::Of(kCodecDagPb, block);
  if (sink) LT_TRY_STATUS(sink->Node(cid, block));
  return ImportEntry{cid, size, tsize + block.size()};
}

}  // namespace

Result<ImportEntry> ImportPath(const std::string& path, ImportSink* sink, const ImportOptions& options) {
  return ImportTree(path, "", sink, options);
}

}  // namespace lt::registry
