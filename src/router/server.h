// RouterServer: the HTTP API of `lt router serve` over a Router (doc/router.md "API").
//
//   POST /rfc  POST /renew  POST /receipts  POST /announce
//   GET /providers  GET /holders/<cid>  GET /health  GET /stats
//   GET /routing/v1/providers/<cid>  (IPFS Delegated Routing V1, delegated_routing.h)
//   GET /receipts?status=pending|settled|refused&limit=N  GET /records?since=SEQ&limit=N
// Bodies above max_body_bytes get 413 before parsing. The HTTP pool has more threads than the
// priority queue can hold (active + waiting + spare), so new RFCs always reach the queue and a
// high-balance RFC is never stuck behind a flood in the HTTP layer.
// Thread-safety: Start/Stop from the controlling thread.
#ifndef LT_ROUTER_SERVER_H_
#define LT_ROUTER_SERVER_H_

#include <thread>

#include "net/http.h"
#include "registry/block_index.h"
#include "router/router.h"

namespace lt::router {

struct RouterServerOptions {
  size_t max_body_bytes = 256 << 10;
  int spare_threads = 16;
  // A client keeps its connection for this many requests (the library's default of 5 makes
  // every client reconnect after 5 RFCs). The pool holds more threads than clients need.
  size_t keep_alive_max_requests = 10000;
};

class RouterServer {
 public:
  RouterServer(Router& router, const QueueOptions& queue, RouterServerOptions options = {});
  ~RouterServer();
  Result<int> Listen(const std::string& host, int port);
  void Run();
  void Start();  // Run on a background thread
  void Stop();

 private:
  Router& router_;
  registry::BlockIndex block_index_;  // which announced root a block lies under (delegated routing)
  net::HttpServer http_;
  std::thread thread_;
};

}  // namespace lt::router

#endif  // LT_ROUTER_SERVER_H_
