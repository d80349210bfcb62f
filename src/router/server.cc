#include "router/server.h"
#include "util/thread.h"

#include <charconv>

#include "router/delegated_routing.h"

namespace lt::router {

using net::HttpRequest;
using net::HttpResponse;

namespace {

bool QueryU64(const HttpRequest& req, const std::string& name, uint64_t dflt, uint64_t* out) {
  *out = dflt;
  if (!req.HasQuery(name)) return true;
  std::string v = req.Query(name);
  auto r = std::from_chars(v.data(), v.data() + v.size(), *out);
  return !v.empty() && r.ec == std::errc() && r.ptr == v.data() + v.size();
}

HttpResponse BadQuery(const std::string& name) {
  return HttpResponse::ErrorJson(400, "invalid_argument", "query parameter " + name + " must be a non-negative integer");
}

}  // namespace

RouterServer::RouterServer(Router& router, const QueueOptions& queue, RouterServerOptions options)
    : router_(router), http_([&] {
        net::HttpServerOptions o;
        o.max_body_bytes = options.max_body_bytes;
        o.threads = static_cast<int>(queue.max_active + queue.max_waiting) + options.spare_threads;
        o.keep_alive_max_requests = options.keep_alive_max_requests;
        return o;
      }()) {
  http_.Post("/rfc", [this](const HttpRequest& r) { return router_.HandleRfc(r.body); });
  http_.Post("/renew", [this](const HttpRequest& r) { return router_.HandleRenew(r.body); });
  http_.Post("/receipts", [this](const HttpRequest& r) { return router_.HandleReceipt(r.body); });
  http_.Post("/announce", [this](const HttpRequest& r) { return router_.HandleAnnounce(r.body); });
  http_.Get("/providers", [this](const HttpRequest&) { return router_.Providers(); });
  http_.Get("/holders/([^/]+)", [this](const HttpRequest& r) { return router_.Holders(r.matches[1]); });
  http_.Get("/health", [this](const HttpRequest&) { return router_.Health(); }, net::Lane::kEventLoop);
  http_.Get("/stats", [this](const HttpRequest&) { return router_.Stats(); });
  http_.Get("/receipts", [this](const HttpRequest& r) {
    uint64_t limit;
    if (!QueryU64(r, "limit", 100, &limit)) return BadQuery("limit");
    return router_.ReceiptsView(r.HasQuery("status") ? r.Query("status") : "pending", limit);
  });
  http_.Get("/records", [this](const HttpRequest& r) {
    uint64_t since, limit;
    if (!QueryU64(r, "since", 0, &since)) return BadQuery("since");
    if (!QueryU64(r, "limit", 100, &limit)) return BadQuery("limit");
    return router_.RecordsView(since, limit);
  });
  // Transparency (doc/analytics.md): leaderboard, signed daily reports, the dashboard.
  http_.Get("/leaderboard", [this](const HttpRequest& r) {
    return router_.transparency().Leaderboard(r.HasQuery("window") ? r.Query("window") : "day", router_.book());
  });
  http_.Get("/reports", [this](const HttpRequest&) { return router_.transparency().ReportsIndex(); });
  http_.Get("/reports/([^/]+)", [this](const HttpRequest& r) { return router_.transparency().Report(r.matches[1]); });
  http_.Get("/", [this](const HttpRequest&) { return router_.transparency().Dashboard(); });
  // IPFS Delegated Routing V1 (delegated_routing.h): content routing only.
  http_.Get("/routing/v1/providers/([^/]+)", [this](const HttpRequest& r) {
    return DelegatedProviders(router_.book(), block_index_, r);
  });
  http_.Get("/routing/v1/(.*)", [](const HttpRequest& r) {
    return HttpResponse::ErrorJson(501, "unimplemented", "this router answers /routing/v1/providers/<cid> only, not " + r.path);
  });
}

RouterServer::~RouterServer() { Stop(); }

Result<int> RouterServer::Listen(const std::string& host, int port) { return http_.Listen(host, port); }
void RouterServer::Run() { http_.Run(); }
void RouterServer::Start() {
  thread_ = GuardedThread("router http", [this] { Run(); });
}
void RouterServer::Stop() {
  http_.Stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace lt::router
