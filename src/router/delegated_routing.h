// The IPFS Delegated Routing V1 HTTP API on a router, for content: GET /routing/v1/providers/<cid>
// (doc/router.md "Delegated routing"). It reads the holders the router already knows from
// announces (ProviderBook::Holders) and lists them as `peer` records with the
// `transport-ipfs-gateway-http` protocol and their gateway as a multiaddr, so any IPFS HTTP client
// (Helia, kubo's delegated routers, someguy-style proxies) finds and fetches our models.
//
// The CID may be any version and multibase; it is looked up as its CIDv1 (and, for dag-pb, its
// CIDv0 form). A CID that is not an announced root is looked up in the BlockIndex (any block of
// an announced model); when unknown there, the index is refreshed from the announced roots first
// (bounded, see registry/block_index.h). Peer IDs: holders are Ethereum accounts, not libp2p
// keys, so the ID is a stable derived one, base58btc of the sha2-256 multihash of the 20 address
// bytes ("Qm..."): it parses as a peer ID everywhere and names the same holder on every router.
// JSON by default (at most 100 records), NDJSON when asked with Accept: application/x-ndjson.
// IPIP-484 filters (`filter-protocols`, `filter-addrs`) are applied. 200 even with no record
// (with a short max-age), 422 for a bad CID.
// Thread-safety: as ProviderBook and BlockIndex (both thread-safe).
#ifndef LT_ROUTER_DELEGATED_ROUTING_H_
#define LT_ROUTER_DELEGATED_ROUTING_H_

#include <string>

#include "net/http.h"
#include "registry/block_index.h"
#include "router/providers.h"

namespace lt::router {

net::HttpResponse DelegatedProviders(const ProviderBook& book, registry::BlockIndex& index,
                                     const net::HttpRequest& req);

// The peer ID a router gives the holder with this address (see the file comment).
std::string HolderPeerId(const crypto::Address& holder);

}  // namespace lt::router

#endif  // LT_ROUTER_DELEGATED_ROUTING_H_
