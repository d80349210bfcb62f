// RouterClient: the router API over HTTP with failover across several routers (doc/router.md).
//
// Header-only on purpose: lt_wire does not link lt_net, so only libraries that link both
// (client, provider, cli) include this file. The values are those of wire/router_api.h.
// Failover: a transport error, 429 or 5xx moves to the next router URL (in order); any other
// answer is final and its JSON error becomes the returned Error. RequestTicket re-signs
// nothing: a nonce spent at a router that failed is simply not reused there.
// Thread-safety: one RouterClient per thread (HttpClient is created per call).
#ifndef LT_WIRE_ROUTER_CLIENT_H_
#define LT_WIRE_ROUTER_CLIENT_H_

#include <string>
#include <vector>

#include "net/http.h"
#include "wire/router_api.h"

namespace lt::wire {

class RouterClient {
 public:
  explicit RouterClient(std::vector<std::string> urls, net::HttpClientOptions options = {})
      : urls_(std::move(urls)), options_(options) {}

  Result<TicketGrant> RequestTicket(const RfcRequest& req) {
    LT_TRY(auto j, PostJson("/rfc", req.ToJson().dump()));
    return TicketGrant::FromJson(j);
  }
  Result<TicketGrant> Renew(const RenewRequest& req) {
    LT_TRY(auto j, PostJson("/renew", req.ToJson().dump()));
    return TicketGrant::FromJson(j);
  }
  // A 403 (the ticket is another router's) also moves on to the next router.
  Status PostReceipt(const Receipt& r) {
    auto j = PostJson("/receipts", r.ToJson().dump(), /*next_on_403=*/true);
    if (!j.ok()) return j.error();
    return OkStatus();
  }

 private:
  Result<nlohmann::json> PostJson(const std::string& path, const std::string& body, bool next_on_403 = false) {
    Error last = MakeError(ErrorCode::kUnavailable, "no router URL configured");
    for (const auto& url : urls_) {
      auto c = net::HttpClient::Create(url, options_);
      if (!c.ok()) {
        last = c.error().Wrap("router " + url);
        continue;
      }
      auto r = c->Post(path, body);
      if (!r.ok()) {
        last = r.error().Wrap("router " + url);
        continue;
      }
      if (r->status == 200) return r->Json();
      last = net::ErrorFromResponse(*r).Wrap("router " + url);
      if (r->status == 429 || r->status >= 500 || (next_on_403 && r->status == 403)) continue;
      return last;
    }
    return last;
  }

  std::vector<std::string> urls_;
  net::HttpClientOptions options_;
};

}  // namespace lt::wire

#endif  // LT_WIRE_ROUTER_CLIENT_H_
