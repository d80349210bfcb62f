#include "router/model_facts.h"

#include <vector>

#include "registry/fetcher.h"
#include "registry/manifest.h"
#include "registry/resolve.h"
#include "util/log.h"

namespace lt::router {
namespace {

constexpr uint64_t kNamesTtlMs = 30000;
constexpr uint64_t kRetryMs = 60000;

// The manifest's requirements.ram_bytes, from a holder the book knows.
Result<uint64_t> ManifestSize(const ProviderBook& book, const Hash32& digest) {
  registry::Cid cid = registry::ManifestCid(digest);
  std::vector<std::string> urls;
  for (const auto& h : book.Holders(cid.ToString())) {
    if (!h.http.empty()) urls.push_back(h.http);
  }
  if (urls.empty()) return NotFound("no holder of " + cid.ToString() + " announced");
  registry::StaticPeers peers(urls);
  LT_TRY(Bytes block, registry::FetchBlock(peers, cid));
  LT_TRY(registry::Manifest m,
         registry::Manifest::Decode(std::string_view(reinterpret_cast<const char*>(block.data()), block.size())));
  return m.requirements.ram_bytes;
}

}  // namespace

void ModelFacts::Refresh(ledger::Ledger& ledger, const ProviderBook& book, const std::set<std::string>& models) {
  uint64_t now = clock_->MonotonicMillis();
  bool stale;
  {
    std::lock_guard<std::mutex> l(mu_);
    stale = !read_once_ || now - read_at_ms_ >= kNamesTtlMs;
  }
  if (stale) {
    auto all = ledger.GetModels();
    std::lock_guard<std::mutex> l(mu_);
    read_once_ = true;
    read_at_ms_ = now;
    if (all.ok()) {
      std::set<std::string> names;
      manifests_.clear();
      for (const auto& m : *all) {
        for (const auto& entry : m.tags) {
          names.insert(m.name + ":" + entry.first);
          manifests_[m.name + ":" + entry.first] = entry.second;
        }
      }
      registered_ = std::move(names);
    } else {
      LT_DEBUG("router: model facts: ledger: " << all.error().message);
      registered_.reset();
    }
  }
  std::vector<Hash32> wanted;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& model : models) {
      auto it = manifests_.find(model);
      if (it == manifests_.end() || sizes_.count(it->second)) continue;
      auto f = failed_at_ms_.find(it->second);
      if (f != failed_at_ms_.end() && now - f->second < kRetryMs) continue;
      wanted.push_back(it->second);
    }
  }
  for (const Hash32& digest : wanted) {
    auto size = ManifestSize(book, digest);
    std::lock_guard<std::mutex> l(mu_);
    if (size.ok()) {
      sizes_[digest] = *size;
    } else {
      failed_at_ms_[digest] = now;
      LT_DEBUG("router: model facts: size of " << HexEncode0x(digest) << ": " << size.error().message);
    }
  }
}

std::optional<std::set<std::string>> ModelFacts::Registered() const {
  std::lock_guard<std::mutex> l(mu_);
  return registered_;
}

std::map<std::string, uint64_t> ModelFacts::Sizes() const {
  std::lock_guard<std::mutex> l(mu_);
  std::map<std::string, uint64_t> out;
  for (const auto& [model, digest] : manifests_) {
    auto it = sizes_.find(digest);
    if (it != sizes_.end()) out[model] = it->second;
  }
  return out;
}

}  // namespace lt::router
