#include "registry/fetcher.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "net/http.h"
#include "registry/dag.h"
#include "registry/gateway.h"
#include "registry/hamt.h"
#include "util/log.h"

namespace lt::registry {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A file being assembled: finished when its last outstanding block is processed.
struct FileJob {
  std::unique_ptr<FileWriter> writer;
  int pending = 0;  // tasks of this file not yet processed (guarded by Pull's mutex)
};

enum class Kind { kEntry, kFileNode, kLeaf };

struct Task {
  Cid cid;
  Kind kind = Kind::kEntry;
  std::shared_ptr<FileJob> file;
  uint64_t offset = 0;
  uint64_t expected = 0;  // leaf length from the parent's blocksizes
  std::set<size_t> tried;  // peers that answered 404 (or were dropped) for this task
  std::map<size_t, std::string> why;  // peer -> its last failure on this task, for the error
};

// A source with no blocks: flat directories need none to be listed.
class StaticBlocks final : public BlockSource {
 public:
  Result<Bytes> Get(const Cid& cid) override { return NotFound("block " + cid.ToString() + " is not at hand"); }
};

Task EntryTask(const Cid& cid) {
  Task t;
  t.cid = cid;
  return t;
}

struct Request {
  Task task;
  SteadyClock::time_point start;
  std::set<size_t> peers;  // peers currently asked
  bool done = false;
};

struct Peer {
  std::string url;
  bool banned = false;
  std::string reason;
  int failures = 0;
  int inflight = 0;
  uint64_t blocks = 0;  // verified blocks this peer delivered first
};

class PullRun {
 public:
  PullRun(Store& store, const FetchOptions& options, std::vector<std::string> urls)
      : store_(store), options_(options), batch_(&store) {
    for (auto& u : urls) {
      Peer p;
      p.url = std::move(u);
      peers_.push_back(std::move(p));
    }
  }

  Result<FetchResult> Run(const Cid& root) {
    queue_.push_back(EntryTask(root));
    size_t n = std::min<size_t>(options_.max_workers, std::max<size_t>(1, peers_.size() * options_.workers_per_peer));
    std::vector<std::thread> workers;
    for (size_t i = 0; i < n; ++i) workers.emplace_back([this] { Worker(); });
    std::thread reporter([this] { Reporter(); });
    for (auto& t : workers) t.join();
    if (fatal_.message.empty()) {
      Status flushed = batch_.Flush();  // the small files finished together (store.h FinishBatch)
      if (!flushed.ok()) fatal_ = flushed.error();
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_reporter_ = true;
      progress_.done = fatal_.message.empty();
    }
    cv_.notify_all();
    reporter.join();
    if (options_.on_progress) options_.on_progress(Snapshot());
    if (!fatal_.message.empty()) return fatal_;
    FetchResult r;
    r.progress = Snapshot();
    for (const Peer& p : peers_) {
      if (p.banned) r.banned.push_back(p.url + ": " + p.reason);
      if (p.blocks > 0) r.blocks_by_peer[p.url] = p.blocks;
    }
    return r;
  }

 private:
  FetchProgress Snapshot() {
    std::lock_guard<std::mutex> l(mu_);
    FetchProgress p = progress_;
    p.peers_usable = 0;
    p.peers_banned = 0;
    for (const Peer& peer : peers_) (peer.banned ? p.peers_banned : p.peers_usable)++;
    return p;
  }

  void Reporter() {
    std::unique_lock<std::mutex> l(mu_);
    while (!stop_reporter_) {
      cv_.wait_for(l, std::chrono::milliseconds(options_.progress_interval_ms));
      if (stop_reporter_ || !options_.on_progress) continue;
      l.unlock();
      options_.on_progress(Snapshot());
      l.lock();
    }
  }

  void Fail(Error e) {  // mu_ held
    if (fatal_.message.empty()) fatal_ = std::move(e);
    cv_.notify_all();
  }

  // Picks the usable peer with the fewest requests in flight that is not in `avoid`.
  std::optional<size_t> PickPeer(const std::set<size_t>& avoid) {  // mu_ held
    std::optional<size_t> best;
    for (size_t i = 0; i < peers_.size(); ++i) {
      if (peers_[i].banned || avoid.count(i)) continue;
      if (!best || peers_[i].inflight < peers_[*best].inflight) best = i;
    }
    return best;
  }

  void Worker() {
    std::map<size_t, net::HttpClient> clients;
    std::unique_lock<std::mutex> l(mu_);
    while (fatal_.message.empty()) {
      std::shared_ptr<Request> req;
      size_t peer = 0;
      if (!queue_.empty()) {
        Task t = std::move(queue_.front());
        queue_.pop_front();
        // Resume and dedup: a block the store already holds is processed locally.
        if (t.kind != Kind::kLeaf) {
          processing_++;
          l.unlock();
          auto local = store_.Get(t.cid);
          if (local.ok()) {
            Status s = Process(t, *local, /*fetched=*/false);
            l.lock();
            processing_--;
            if (!s.ok()) Fail(s.error());
            cv_.notify_all();
            continue;
          }
          l.lock();
          processing_--;
        }
        auto p = PickPeer(t.tried);
        if (!p) {
          Fail(NotFound("no peer could provide block " + t.cid.ToString() + WhyNote(t)));
          break;
        }
        req = std::make_shared<Request>(Request{std::move(t), SteadyClock::now(), {}, false});
        inflight_.insert(req);
        peer = *p;
      } else if (inflight_.empty() && processing_ == 0) {
        cv_.notify_all();
        break;  // all done
      } else if (inflight_.empty()) {
        cv_.wait_for(l, std::chrono::milliseconds(50));
        continue;
      } else {
        // Endgame: duplicate the oldest request that is slow and has a peer left to ask.
        auto now = SteadyClock::now();
        std::shared_ptr<Request> oldest;
        for (const auto& r : inflight_) {
          if (r->done || r->peers.size() >= 2) continue;
          if (now - r->start < std::chrono::milliseconds(options_.endgame_after_ms)) continue;
          std::set<size_t> avoid = r->task.tried;
          avoid.insert(r->peers.begin(), r->peers.end());
          if (!PickPeer(avoid)) continue;
          if (!oldest || r->start < oldest->start) oldest = r;
        }
        if (!oldest) {
          cv_.wait_for(l, std::chrono::milliseconds(50));
          continue;
        }
        std::set<size_t> avoid = oldest->task.tried;
        avoid.insert(oldest->peers.begin(), oldest->peers.end());
        req = oldest;
        peer = *PickPeer(avoid);
        LT_DEBUG("endgame: asking " << peers_[peer].url << " for " << req->task.cid.ToString());
      }
      req->peers.insert(peer);
      peers_[peer].inflight++;
      std::string url = peers_[peer].url;
      l.unlock();

      auto it = clients.find(peer);
      if (it == clients.end()) {
        net::HttpClientOptions co;
        co.read_timeout_ms = options_.request_timeout_ms;
        auto c = net::HttpClient::Create(url, co);
        if (!c.ok()) {
          l.lock();
          peers_[peer].inflight--;
          peers_[peer].banned = true;
          peers_[peer].reason = c.error().message;
          Requeue(req, peer, false);
          continue;
        }
        it = clients.emplace(peer, std::move(*c)).first;
      }
      Bytes body;
      bool oversized = false;
      auto resp = it->second.GetStream(
          RawBlockPath(req->task.cid),
          [&](std::string_view d) {
            if (body.size() + d.size() > kMaxBlockSize) {
              oversized = true;
              return false;
            }
            body.insert(body.end(), d.begin(), d.end());
            return true;
          },
          {{"Accept", "application/vnd.ipld.raw"}});
      bool good = !oversized && resp.ok() && resp->status == 200 && req->task.cid.Matches(body);

      l.lock();
      peers_[peer].inflight--;
      req->peers.erase(peer);
      if (oversized || (resp.ok() && resp->status == 200 && !good)) {
        Ban(peer, oversized ? "sent an oversized block" : "sent a block that does not match " + req->task.cid.ToString());
        Requeue(req, peer, false);
        continue;
      }
      if (!resp.ok() || resp->status != 200) {
        // A transport failure, 429 or 5xx may pass: the peer is asked again, and dropped after
        // max_peer_failures in a row. Any other status (404: not here) is its answer for this block.
        int status = resp.ok() ? resp->status : 0;
        bool transient = status == 0 || status == 429 || status >= 500;
        std::string why = status == 0 ? "unreachable: " + resp.error().message
                                      : "answered HTTP " + std::to_string(status) + (status == 404 ? " (not held)" : "");
        req->task.why[peer] = why;
        int failures = peers_[peer].failures = transient ? peers_[peer].failures + 1 : 0;
        if (transient && failures >= options_.max_peer_failures) Ban(peer, why);
        Requeue(req, peer, !transient);
        if (transient && !peers_[peer].banned) {  // back off before asking it again
          l.unlock();
          std::this_thread::sleep_for(std::chrono::milliseconds(100 << std::min(failures, 3)));
          l.lock();
        }
        continue;
      }
      peers_[peer].failures = 0;
      if (req->done) continue;  // another peer answered first (endgame)
      req->done = true;
      inflight_.erase(req);
      progress_.blocks_fetched++;
      peers_[peer].blocks++;
      processing_++;
      l.unlock();
      Status s = Process(req->task, body, true);
      l.lock();
      processing_--;
      if (!s.ok()) Fail(s.error());
      cv_.notify_all();
    }
    cv_.notify_all();
  }

  // Why no peer gave `t`: each peer's last answer for it, and the peers dropped for the pull.
  std::string WhyNote(const Task& t) {  // mu_ held
    std::string note;
    for (size_t i = 0; i < peers_.size(); ++i) {
      std::string why = peers_[i].banned ? "banned (" + peers_[i].reason + ")"
                        : t.why.count(i)  ? t.why.at(i)
                                          : "";
      if (!why.empty()) note += (note.empty() ? ": " : "; ") + peers_[i].url + " " + why;
    }
    return note;
  }

  void Ban(size_t peer, const std::string& reason) {  // mu_ held
    if (peers_[peer].banned) return;
    peers_[peer].banned = true;
    peers_[peer].reason = reason;
    LT_WARN("banned peer " << peers_[peer].url << ": " << reason);
  }

  // Puts a request back in the queue once no other peer is working on it.
  void Requeue(const std::shared_ptr<Request>& req, size_t peer, bool mark_tried) {  // mu_ held
    if (mark_tried) req->task.tried.insert(peer);
    if (req->done || !req->peers.empty()) return;
    req->done = true;
    inflight_.erase(req);
    queue_.push_front(std::move(req->task));
    cv_.notify_all();
  }

  void Enqueue(Task t) {  // mu_ held
    if (t.file) t.file->pending++;
    queue_.push_back(std::move(t));
    cv_.notify_all();
  }

  // One task of a file is processed; the last one finishes the file.
  Status FileTaskDone(const std::shared_ptr<FileJob>& job) {
    bool finish;
    {
      std::lock_guard<std::mutex> l(mu_);
      finish = --job->pending == 0;
    }
    return finish ? batch_.Add(std::move(job->writer)) : OkStatus();
  }

  void AddBytes(uint64_t done, uint64_t total, bool local) {
    std::lock_guard<std::mutex> l(mu_);
    progress_.bytes_done += done;
    progress_.bytes_total += total;
    if (local) progress_.blocks_local++;
  }

  // Handles a verified block (called without mu_).
  Status Process(const Task& t, ByteSpan bytes, bool fetched) {
    if (t.kind == Kind::kLeaf) {
      if (bytes.size() != t.expected) {
        return Corrupt("leaf " + t.cid.ToString() + " has " + std::to_string(bytes.size()) + " bytes, its parent says " +
                       std::to_string(t.expected));
      }
      LT_TRY_STATUS(t.file->writer->WriteLeaf(t.cid, bytes, t.offset, true));
      AddBytes(bytes.size(), 0, !fetched);
      return FileTaskDone(t.file);
    }
    if (t.kind == Kind::kEntry && t.cid.IsRaw()) {  // a single-chunk file
      LT_TRY(auto w, store_.OpenFileWriter(t.cid, bytes.size()));
      AddBytes(bytes.size(), bytes.size(), !fetched);
      if (w->complete()) return OkStatus();
      LT_TRY_STATUS(w->WriteLeaf(t.cid, bytes, 0, true));
      return batch_.Add(std::move(w));
    }
    if (!t.cid.IsDagPb()) return InvalidArgument("block " + t.cid.ToString() + " has an unsupported codec");
    auto decoded = DecodeUnixFSNode(bytes);
    if (!decoded.ok()) return decoded.error().Wrap("block " + t.cid.ToString());
    UnixFSNode& n = *decoded;
    if (t.kind == Kind::kEntry && IsDirectory(n)) {
      std::vector<Cid> children;
      if (n.fs.type == UnixFSType::kHamtShard) {
        auto shard = DecodeHamtShard(n);
        if (!shard.ok()) return shard.error().Wrap("HAMT shard " + t.cid.ToString());
        for (const HamtLink& l : shard->links) children.push_back(l.cid);  // entries and child shards
      } else {
        StaticBlocks none;
        LT_TRY(std::vector<DirEntry> entries, ListDirectory(none, t.cid, bytes));
        for (const DirEntry& e : entries) children.push_back(e.cid);
      }
      LT_TRY_STATUS(store_.PutInline(t.cid, bytes));
      if (!fetched) AddBytes(0, 0, true);
      std::lock_guard<std::mutex> l(mu_);
      for (const Cid& c : children) Enqueue(EntryTask(c));
      return OkStatus();
    }
    if (n.fs.type != UnixFSType::kFile && n.fs.type != UnixFSType::kRaw) {
      return InvalidArgument("unsupported UnixFS node " + t.cid.ToString());
    }
    if (n.pb.links.empty()) return ProcessDagPbLeaf(t, bytes, n, fetched);
    if (n.fs.data && !n.fs.data->empty()) {
      return InvalidArgument("file node " + t.cid.ToString() + " carries inline data and links (not supported)");
    }
    if (n.fs.blocksizes.size() != n.pb.links.size()) {
      return Corrupt("file node " + t.cid.ToString() + " has mismatched links and blocksizes");
    }
    LT_TRY_STATUS(store_.PutInline(t.cid, bytes));
    if (!fetched) AddBytes(0, 0, true);
    std::shared_ptr<FileJob> job = t.file;
    if (t.kind == Kind::kEntry) {
      uint64_t size = n.fs.filesize.value_or(0);
      job = std::make_shared<FileJob>();
      LT_TRY(job->writer, store_.OpenFileWriter(t.cid, size));
      if (job->writer->complete()) {
        AddBytes(size, size, true);
        return OkStatus();
      }
      AddBytes(0, size, false);
      std::lock_guard<std::mutex> l(mu_);
      job->pending = 1;  // this node
    }
    uint64_t offset = t.offset, local_bytes = 0;
    {
      std::lock_guard<std::mutex> l(mu_);
      for (size_t i = 0; i < n.pb.links.size(); ++i) {
        const Cid& child = n.pb.links[i].hash;
        uint64_t len = n.fs.blocksizes[i];
        if (offset + len < offset || offset + len > job->writer->size()) {
          return Corrupt("file node " + t.cid.ToString() + " covers more bytes than the file has");
        }
        if (child.IsRaw() && job->writer->HasLeafAt(offset)) {
          local_bytes += len;
        } else {
          Task c;
          c.cid = child;
          c.kind = child.IsRaw() ? Kind::kLeaf : Kind::kFileNode;
          c.file = job;
          c.offset = offset;
          c.expected = len;
          Enqueue(std::move(c));
        }
        offset += len;
      }
    }
    if (local_bytes) AddBytes(local_bytes, 0, false);
    return FileTaskDone(job);
  }

  // A dag-pb node with its data inline and no links (kubo's leaves, or a whole small file).
  Status ProcessDagPbLeaf(const Task& t, ByteSpan bytes, const UnixFSNode& n, bool fetched) {
    LT_TRY(auto span, LeafDataSpan(bytes, n));
    if (t.kind == Kind::kEntry) {
      uint64_t size = n.fs.filesize.value_or(span.second);
      if (size != span.second) {
        return Corrupt("file " + t.cid.ToString() + " says " + std::to_string(size) + " bytes, holds " +
                       std::to_string(span.second));
      }
      LT_TRY(auto w, store_.OpenFileWriter(t.cid, size));
      AddBytes(size, size, !fetched);
      if (w->complete()) return OkStatus();
      LT_TRY_STATUS(w->WriteWrappedLeaf(t.cid, bytes, span.first, span.second, 0));
      return batch_.Add(std::move(w));
    }
    if (span.second != t.expected) {
      return Corrupt("leaf " + t.cid.ToString() + " has " + std::to_string(span.second) + " bytes, its parent says " +
                     std::to_string(t.expected));
    }
    LT_TRY_STATUS(t.file->writer->WriteWrappedLeaf(t.cid, bytes, span.first, span.second, t.offset));
    AddBytes(span.second, 0, !fetched);
    return FileTaskDone(t.file);
  }

  Store& store_;
  const FetchOptions& options_;
  FinishBatch batch_;
  std::vector<Peer> peers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  std::set<std::shared_ptr<Request>> inflight_;
  FetchProgress progress_;
  Error fatal_{ErrorCode::kInternal, ""};
  bool stop_reporter_ = false;
  int processing_ = 0;  // blocks being processed outside mu_ (may still enqueue children)
};

}  // namespace

Result<FetchResult> Fetcher::Pull(const Cid& root) {
  LT_TRY(std::vector<std::string> urls, discovery_.FindPeers(root));
  if (urls.empty()) return NotFound("no peer holds " + root.ToString());
  PullRun run(store_, options_, std::move(urls));
  return run.Run(root);
}

}  // namespace lt::registry
