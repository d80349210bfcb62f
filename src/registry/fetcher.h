// The Fetcher: pulls a DAG into the Store from several peers at once over the trustless gateway.
//
// Who holds a root comes from a PeerDiscovery (StaticPeers for --peer URLs; the router-backed
// discovery plugs in behind the same interface). Each block is asked for with
// GET /ipfs/<cid>?format=raw by a pool of workers (workers_per_peer per peer), spread over the
// peers by least in-flight requests. Every block is hashed and compared with its CID before
// anything is written; a peer that sends a wrong block (or an oversized one) is banned for the
// rest of the pull and the block is asked from another peer. A transport failure, 429 or 5xx is
// taken as passing: the block is asked again (that worker backs off 0.2-0.8 s) and the peer is
// dropped after `max_peer_failures` of them in a row. A 404 (any other status) means "not here":
// another peer is tried; when no usable peer remains the pull fails with an error naming the
// block and what each peer answered for it (or why it was dropped). Endgame: when
// nothing is left to hand out, an idle worker re-asks the oldest request (older than
// endgame_after_ms) from a different peer; the first verified answer wins.
// Resume: blocks already in the store (file nodes, leaves committed to a partial file) are not
// fetched again; partial files live under tmp/ until complete (see store.h).
// Thread-safety: one Pull at a time per Fetcher; the progress callback runs on a reporter thread.
#ifndef LT_REGISTRY_FETCHER_H_
#define LT_REGISTRY_FETCHER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "registry/cid.h"
#include "registry/store.h"
#include "util/result.h"

namespace lt::registry {

// "Who holds this root": base URLs like "http://127.0.0.1:7070".
class PeerDiscovery {
 public:
  virtual ~PeerDiscovery() = default;
  virtual Result<std::vector<std::string>> FindPeers(const Cid& root) = 0;
};

class StaticPeers final : public PeerDiscovery {
 public:
  explicit StaticPeers(std::vector<std::string> urls) : urls_(std::move(urls)) {}
  Result<std::vector<std::string>> FindPeers(const Cid&) override { return urls_; }

 private:
  std::vector<std::string> urls_;
};

struct FetchProgress {
  uint64_t bytes_done = 0;     // file bytes present (fetched or already local)
  uint64_t bytes_total = 0;    // file bytes known so far (grows as nodes arrive)
  uint64_t blocks_fetched = 0;
  uint64_t blocks_local = 0;
  int peers_usable = 0;
  int peers_banned = 0;
  bool done = false;
};

struct FetchOptions {
  int workers_per_peer = 4;
  int max_workers = 32;
  int request_timeout_ms = 30000;
  int endgame_after_ms = 300;
  int max_peer_failures = 3;
  int progress_interval_ms = 200;
  std::function<void(const FetchProgress&)> on_progress;
};

struct FetchResult {
  FetchProgress progress;
  std::vector<std::string> banned;  // "url: reason"
  std::map<std::string, uint64_t> blocks_by_peer;  // url -> verified blocks it delivered
};

class Fetcher {
 public:
  Fetcher(Store& store, PeerDiscovery& discovery, FetchOptions options = {})
      : store_(store), discovery_(discovery), options_(std::move(options)) {}
  Result<FetchResult> Pull(const Cid& root);

 private:
  Store& store_;
  PeerDiscovery& discovery_;
  FetchOptions options_;
};

}  // namespace lt::registry

#endif  // LT_REGISTRY_FETCHER_H_
