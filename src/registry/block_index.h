// BlockIndex: under which announced roots a block lies, so that a router's delegated routing
// (GET /routing/v1/providers/<cid>) answers for any block of a held model, not only its root: IPFS
// clients that fetch without a session (Helia's unixfs.cat) look up providers block by block.
//
// Learn(root, gateway) reads the dag-pb nodes under `root` from that holder's gateway
// (GET /ipfs/<cid>?format=raw), each verified against its CID before it is parsed, and records
// every CID the nodes link, leaves included, without fetching the leaves: a 1 GiB model in 1 MiB
// leaves is one or two requests of ~46 KB. What a holder could lie about is bounded by the
// hashes: the index holds exactly the DAG under the root it was asked about. Bounds: a node at
// most 1 MiB, at most `max_nodes_per_root` nodes and 64 levels per root, at most `max_blocks`
// CIDs in all (a root that would pass it is not indexed).
// Refresh(announced) indexes the (root, gateway) pairs not indexed yet, within a time budget,
// one refresh at a time (callers wait for the running one, up to the budget). RefreshDue(gen)
// says whether one would do anything: the caller's announce generation changed since the last
// refresh, or `min_refresh_interval_ms` passed (for retries), so a flood of lookups for unknown
// CIDs costs no re-reading of the announced roots. A root whose gateway failed is retried after
// `retry_after_ms`; roots no longer announced are forgotten.
// Thread-safety: all methods are thread-safe.
#ifndef LT_REGISTRY_BLOCK_INDEX_H_
#define LT_REGISTRY_BLOCK_INDEX_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "registry/cid.h"
#include "util/result.h"

namespace lt::registry {

struct BlockIndexOptions {
  size_t max_blocks = 1 << 20;
  size_t max_nodes_per_root = 20000;
  int request_timeout_ms = 5000;
  int refresh_budget_ms = 3000;
  int retry_after_ms = 30000;
  int min_refresh_interval_ms = 1000;
};

class BlockIndex {
 public:
  explicit BlockIndex(BlockIndexOptions options = {}) : options_(options) {}

  // Roots (CIDv1 strings) known to contain `cid` (not `cid` itself).
  std::vector<std::string> RootsOf(const Cid& cid) const;
  // Indexes `root` from the gateway at `url`; returns the number of CIDs under it.
  Result<size_t> Learn(const Cid& root, const std::string& url);
  // `announced`: (root CID string, gateway URL) pairs, as the router knows them.
  // `generation`: the caller's count of announces when it read `announced`.
  void Refresh(const std::vector<std::pair<std::string, std::string>>& announced, uint64_t generation);
  bool RefreshDue(uint64_t generation) const;
  size_t blocks() const;
  size_t roots() const;

 private:
  struct RootState {
    uint32_t id = 0;
    bool indexed = false;
    std::chrono::steady_clock::time_point failed_at{};
    std::vector<Cid> blocks;
  };
  Result<std::vector<Cid>> Walk(const Cid& root, const std::string& url) const;
  void Forget(const std::string& root);  // mu_ held

  BlockIndexOptions options_;
  mutable std::mutex mu_;
  std::timed_mutex refresh_mu_;
  std::map<std::string, RootState> roots_;
  std::unordered_map<Cid, std::vector<uint32_t>, CidHash> by_block_;
  std::map<uint32_t, std::string> root_names_;
  uint32_t next_id_ = 1;
  size_t total_ = 0;
  bool refreshing_ = false;                           // guarded by mu_
  uint64_t generation_ = UINT64_MAX;                  // of the last refresh; guarded by mu_
  std::chrono::steady_clock::time_point refreshed_{};  // end of the last refresh; guarded by mu_
};

}  // namespace lt::registry

#endif  // LT_REGISTRY_BLOCK_INDEX_H_
