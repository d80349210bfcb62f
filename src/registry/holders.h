// Finding and advertising holders of content through routers (doc/registry.md "Holders").
//
// RouterHolders is the PeerDiscovery behind `lt model pull NAME[:TAG]` and provider pulls: for a
// CID it asks every router GET /holders/<cid> and keeps the announced gateway base URLs, asks
// every IPFS Delegated Routing V1 endpoint (--routing: a router's, or any other)
// GET /routing/v1/providers/<cid> for providers of `transport-ipfs-gateway-http`, then adds the
// configured peers (--peer / `peers`: any trustless gateway, e.g. kubo's). Gateway URLs are
// normalized (a trailing "/" or "/ipfs" goes). A configured peer that is not http:// is an error
// (net's client has no TLS); https providers found by routing are skipped. Routers that fail are
// skipped (logged); no holder at all is a NotFound error naming the CID and what was asked.
// ParseRoutingAnswer reads a providers answer (JSON or NDJSON) strictly within bounds: at most
// 1 MiB, 1000 records, 16 addresses per record; records of other protocols are skipped.
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
  RouterHolders(std::vector<std::string> routers, std::vector<std::string> peers,
                std::vector<std::string> delegated = {})
      : routers_(std::move(routers)), peers_(std::move(peers)), delegated_(std::move(delegated)) {}
  Result<std::vector<std::string>> FindPeers(const Cid& cid) override;

 private:
  std::vector<std::string> routers_, peers_, delegated_;
};

// The gateway base URLs ("http://host:port", "https://...") in a Delegated Routing V1 providers
// answer; `content_type` picks JSON or NDJSON.
Result<std::vector<std::string>> ParseRoutingAnswer(std::string_view content_type, std::string_view body);

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
