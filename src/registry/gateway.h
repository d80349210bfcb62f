// The IPFS trustless-gateway subset over HTTP, serving blocks from a Store.
//
// Routes (GET and HEAD):
//   /ipfs/<cid>[/<path>]?format=raw   the single block, application/vnd.ipld.raw
//   /ipfs/<cid>[/<path>]?format=car   the whole DAG as CAR v1, application/vnd.ipld.car
// `Accept: application/vnd.ipld.raw` / `application/vnd.ipld.car` select the same; no format at
// all is 406 (this gateway only answers verifiable responses). A <path> is resolved inside the
// DAG only, by UnixFS directory link names (never against the file system); "." and ".."
// segments are refused with 400. A bad CID is 400, a block (or a path segment) we do not hold is
// 404. CAR responses are streamed; the DAG is checked to be complete before the first byte.
// Thread-safety: handlers run on the server's threads; the Store is thread-safe.
#ifndef LT_REGISTRY_GATEWAY_H_
#define LT_REGISTRY_GATEWAY_H_

#include <string>

#include "net/http.h"
#include "registry/store.h"

namespace lt::registry {

// Registers the /ipfs/ routes on `server`; `store` must outlive it.
void MountGateway(net::HttpServer& server, Store& store);

// "/ipfs/<cid>?format=raw" for a block: what the fetcher asks for.
std::string RawBlockPath(const Cid& cid);

}  // namespace lt::registry

#endif  // LT_REGISTRY_GATEWAY_H_
