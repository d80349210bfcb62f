// RouterClient: the router API (doc/router.md) over HTTP for every role that calls routers: the
// client (tickets, renewals, live providers), the provider (receipts, its own status at each
// router, announces) and the registry (holders of a CID). The values are those of
// wire/router_api.h and wire/router_views.h.
//
// One failover policy, written here once:
//   - A call that needs one answer (RequestTicket, Renew, PostReceipt) asks the routers in the
//     configured order. A transport error, a 429 or a 5xx moves on to the next router; so does an
//     answer the caller refuses (the `accept` check) and, for renewals and receipts, a 403 (the
//     ticket is another router's). Any other answer is final.
//   - A router that answered 429 or 503 with Retry-After (seconds, capped at max_cooldown_ms) is
//     skipped until that time has passed, by every call of this client; when every router is
//     cooling down, the call fails at once with the last answer rather than hammering them.
//   - A call that concerns every router (Providers, Holders, Announce) asks each one not cooling
//     down and returns one answer per router, in order.
// A failed call's RouterFailure keeps the last router's HTTP status and error code, so callers can
// map them (e.g. to OpenAI errors) without parsing messages.
// Thread-safety: thread-safe; each call opens its own connections.
#ifndef LT_RPC_ROUTER_CLIENT_H_
#define LT_RPC_ROUTER_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "net/http.h"
#include "util/clock.h"
#include "util/result.h"
#include "wire/router_api.h"
#include "wire/router_views.h"

namespace lt::rpc {

// Why a call found no answer it could use: the last router's HTTP status (0 when no router
// answered: transport errors, cooling down, none configured), its error code ("too_expensive",
// "" when the body had none) and a message naming the router.
struct RouterFailure {
  int http_status = 0;
  std::string code;
  std::string message;
  Error ToError() const;
};

// One router's answer to a call made to every router.
template <typename T>
struct PerRouter {
  std::string router;
  Result<T> answer;
};

struct RouterClientOptions {
  net::HttpClientOptions http;
  uint64_t max_cooldown_ms = 60000;
};

class RouterClient {
 public:
  explicit RouterClient(std::vector<std::string> urls, RouterClientOptions options = {},
                        const Clock* clock = SystemClock::Default());

  const std::vector<std::string>& urls() const { return urls_; }

  // The first acceptable TicketGrant; `accept` (optional) refuses a grant, moving to the next router.
  using GrantCheck = std::function<Status(const wire::TicketGrant&)>;
  Result<wire::TicketGrant> RequestTicket(const wire::RfcRequest& req, const GrantCheck& accept = {},
                                          RouterFailure* failure = nullptr);
  Result<wire::TicketGrant> Renew(const wire::RenewRequest& req, RouterFailure* failure = nullptr);
  // The ticket's router renews it and takes its receipt; others answer 403 and the next is asked.
  Status PostReceipt(const wire::Receipt& r, RouterFailure* failure = nullptr);

  std::vector<PerRouter<std::vector<wire::ProviderStatus>>> Providers();
  std::vector<PerRouter<std::vector<wire::Holder>>> Holders(const std::string& cid);
  std::vector<PerRouter<bool>> Announce(const wire::SignedAnnounce& a);

 private:
  // POST/GET `path` with the failover policy; on success the 200 answer's JSON.
  Result<nlohmann::json> FirstAnswer(const std::string& path, const std::string& body, bool next_on_403,
                                     const std::function<Status(const nlohmann::json&)>& accept,
                                     RouterFailure* failure);
  // One router's 200 answer as JSON, or why not (cooling down, transport, status, not JSON).
  Result<nlohmann::json> Ask(const std::string& url, const std::string& path, const std::string* body);
  // One router's answer (GET when body is null), recording any Retry-After.
  Result<net::HttpClientResponse> Call(const std::string& url, const std::string& path, const std::string* body);
  bool CoolingDown(const std::string& url) const;
  void NoteAnswer(const std::string& url, const net::HttpClientResponse& r);

  std::vector<std::string> urls_;
  RouterClientOptions options_;
  const Clock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> cool_until_ms_;  // monotonic ms
};

}  // namespace lt::rpc

#endif  // LT_RPC_ROUTER_CLIENT_H_
