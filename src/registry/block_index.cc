#include "registry/block_index.h"

#include <deque>
#include <set>
#include <unordered_set>

#include "net/http.h"
#include "registry/dagpb.h"
#include "registry/gateway.h"
#include "util/log.h"

namespace lt::registry {
namespace {

constexpr size_t kMaxNodeBytes = 1 << 20;

}  // namespace

std::vector<std::string> BlockIndex::RootsOf(const Cid& cid) const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> out;
  auto it = by_block_.find(cid.ToV1());
  if (it == by_block_.end()) return out;
  for (uint32_t id : it->second) {
    auto n = root_names_.find(id);
    if (n != root_names_.end()) out.push_back(n->second);
  }
  return out;
}

size_t BlockIndex::blocks() const {
  std::lock_guard<std::mutex> l(mu_);
  return total_;
}

size_t BlockIndex::roots() const {
  std::lock_guard<std::mutex> l(mu_);
  size_t n = 0;
  for (const auto& [k, r] : roots_) n += r.indexed ? 1 : 0;
  return n;
}

Result<std::vector<Cid>> BlockIndex::Walk(const Cid& root, const std::string& url) const {
  net::HttpClientOptions co;
  co.connect_timeout_ms = options_.request_timeout_ms;
  co.read_timeout_ms = options_.request_timeout_ms;
  LT_TRY(net::HttpClient client, net::HttpClient::Create(url, co));
  std::vector<Cid> out;
  std::unordered_set<Cid, CidHash> seen{root.ToV1()};
  std::deque<std::pair<Cid, int>> queue;
  if (root.IsDagPb()) queue.emplace_back(root, 0);
  size_t nodes = 0;
  while (!queue.empty()) {
    auto [cid, depth] = queue.front();
    queue.pop_front();
    if (++nodes > options_.max_nodes_per_root) {
      return MakeError(ErrorCode::kResourceExhausted, "more than " + std::to_string(options_.max_nodes_per_root) +
                                                          " dag-pb nodes under " + root.ToString());
    }
    std::string body;
    bool oversized = false;
    auto res = client.GetStream(
        RawBlockPath(cid),
        [&](std::string_view d) {
          if (body.size() + d.size() > kMaxNodeBytes) {
            oversized = true;
            return false;
          }
          body.append(d);
          return true;
        },
        {{"Accept", "application/vnd.ipld.raw"}});
    if (!res.ok()) return res.error().Wrap(url);
    if (oversized) return InvalidArgument(url + " sent more than 1 MiB for node " + cid.ToString());
    if (res->status != 200) return NotFound(url + " answered " + std::to_string(res->status) + " for " + cid.ToString());
    if (!cid.Matches(AsBytes(body))) return Corrupt(url + " sent a block that does not match " + cid.ToString());
    auto node = DecodePBNode(AsBytes(body));
    if (!node.ok()) return node.error().Wrap("node " + cid.ToString());
    for (const PBLink& l : node->links) {
      if (!seen.insert(l.hash.ToV1()).second) continue;
      out.push_back(l.hash.ToV1());
      if (l.hash.IsDagPb()) {
        if (depth + 1 > 64) return InvalidArgument("DAG under " + root.ToString() + " is deeper than 64 levels");
        queue.emplace_back(l.hash, depth + 1);
      }
    }
  }
  return out;
}

Result<size_t> BlockIndex::Learn(const Cid& root, const std::string& url) {
  LT_TRY(std::vector<Cid> blocks, Walk(root, url));
  std::string key = root.ToV1().ToString();
  std::lock_guard<std::mutex> l(mu_);
  RootState& r = roots_[key];
  if (r.indexed) return r.blocks.size();
  if (total_ + blocks.size() > options_.max_blocks) {
    r.failed_at = std::chrono::steady_clock::now();
    return MakeError(ErrorCode::kResourceExhausted, "the block index is full (" + std::to_string(total_) + " CIDs)");
  }
  r.id = next_id_++;
  r.indexed = true;
  root_names_[r.id] = key;
  for (const Cid& c : blocks) by_block_[c].push_back(r.id);
  total_ += blocks.size();
  r.blocks = std::move(blocks);
  return r.blocks.size();
}

void BlockIndex::Forget(const std::string& root) {
  auto it = roots_.find(root);
  if (it == roots_.end()) return;
  if (it->second.indexed) {
    for (const Cid& c : it->second.blocks) {
      auto b = by_block_.find(c);
      if (b == by_block_.end()) continue;
      std::erase(b->second, it->second.id);
      if (b->second.empty()) by_block_.erase(b);
    }
    total_ -= it->second.blocks.size();
    root_names_.erase(it->second.id);
  }
  roots_.erase(it);
}

bool BlockIndex::RefreshDue(uint64_t generation) const {
  std::lock_guard<std::mutex> l(mu_);
  return refreshing_ || generation != generation_ ||
         std::chrono::steady_clock::now() - refreshed_ >= std::chrono::milliseconds(options_.min_refresh_interval_ms);
}

void BlockIndex::Refresh(const std::vector<std::pair<std::string, std::string>>& announced, uint64_t generation) {
  auto budget = std::chrono::milliseconds(options_.refresh_budget_ms);
  std::unique_lock<std::timed_mutex> single(refresh_mu_, std::defer_lock);
  if (!single.try_lock_for(budget)) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (generation == generation_ &&
        std::chrono::steady_clock::now() - refreshed_ < std::chrono::milliseconds(options_.min_refresh_interval_ms)) {
      return;  // another caller refreshed the same announces while this one waited
    }
    refreshing_ = true;
  }
  struct Done {
    BlockIndex* self;
    uint64_t generation;
    ~Done() {
      std::lock_guard<std::mutex> l(self->mu_);
      self->refreshing_ = false;
      self->generation_ = generation;
      self->refreshed_ = std::chrono::steady_clock::now();
    }
  } finish{this, generation};
  auto deadline = std::chrono::steady_clock::now() + budget;
  std::map<std::string, std::vector<std::string>> wanted;  // root -> gateways
  for (const auto& [root, url] : announced) {
    auto c = Cid::Parse(root);
    if (!c.ok() || url.empty()) continue;
    wanted[c->ToV1().ToString()].push_back(url);
  }
  std::vector<std::pair<Cid, std::vector<std::string>>> todo;
  {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<std::string> gone;
    for (const auto& [k, r] : roots_) {
      if (!wanted.count(k)) gone.push_back(k);
    }
    for (const auto& k : gone) Forget(k);
    auto now = std::chrono::steady_clock::now();
    for (const auto& [k, urls] : wanted) {
      auto it = roots_.find(k);
      if (it != roots_.end() &&
          (it->second.indexed || now - it->second.failed_at < std::chrono::milliseconds(options_.retry_after_ms))) {
        continue;
      }
      todo.emplace_back(Cid::Parse(k).value(), urls);
    }
  }
  for (const auto& [root, urls] : todo) {
    if (std::chrono::steady_clock::now() >= deadline) break;
    bool done = false;
    for (const std::string& url : urls) {
      auto n = Learn(root, url);
      if (n.ok()) {
        LT_DEBUG("block index: " << root.ToString() << " has " << *n << " blocks (from " << url << ")");
        done = true;
        break;
      }
      LT_WARN("block index: " << root.ToString() << " from " << url << ": " << n.error().message);
    }
    if (!done) {
      std::lock_guard<std::mutex> l(mu_);
      roots_[root.ToString()].failed_at = std::chrono::steady_clock::now();
    }
  }
}

}  // namespace lt::registry
