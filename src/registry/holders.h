// Finding and advertising holders of content through routers (doc/registry.md "Holders").
//
// RouterHolders is the PeerDiscovery behind `lt model pull NAME[:TAG]` and provider pulls: for a
// CID it asks every router GET /holders/<cid> and keeps the announced gateway base URLs, then
// adds the configured peers (--peer / `peers`). Routers that fail are skipped (logged); no holder
// at all is a NotFound error naming the CID and the routers asked.
// AnnounceHeld signs the EIP-712 Announce(provider, http, roots, at) of doc/router.md with the
// holder's key and POSTs it to every router; roots are everything the store keeps (HeldRoots).
// A router replaces a holder's roots on each announce, so the whole set is always sent.
// Thread-safety: RouterHolders may be used from several threads; the functions are reentrant.
#ifndef LT_REGISTRY_HOLDERS_H_
#define LT_REGISTRY_HOLDERS_H_

#include <string>
#include <vector>

#include "crypto/keys.h"
#include "registry/fetcher.h"
#include "registry/store.h"
#include "wire/typed.h"

namespace lt::registry {

class RouterHolders final : public PeerDiscovery {
 public:
  RouterHolders(std::vector<std::string> routers, std::vector<std::string> peers)
      : routers_(std::move(routers)), peers_(std::move(peers)) {}
  Result<std::vector<std::string>> FindPeers(const Cid& cid) override;

 private:
  std::vector<std::string> routers_, peers_;
};

// The CIDs the store keeps (refs) plus the root each manifest names, deduplicated, at most 10000.
Result<std::vector<Cid>> HeldRoots(Store& store);

struct AnnounceOutcome {
  std::vector<std::string> ok;      // router URLs that accepted
  std::vector<std::string> failed;  // "url: reason"
};
// Announces `roots` with gateway base URL `http` ("http://host:port") to every router.
AnnounceOutcome AnnounceHeld(const std::vector<std::string>& routers, const crypto::PrivateKey& key,
                             const wire::Domain& domain, const std::string& http,
                             const std::vector<Cid>& roots);

}  // namespace lt::registry

#endif  // LT_REGISTRY_HOLDERS_H_
