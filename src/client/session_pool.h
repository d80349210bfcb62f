// SessionPool: the user's sessions behind the local API and `lt chat` (doc/client.md).
//
// One session per (model, preferences): the first request sends a signed RFC to the routers
// (in order; the next one on a transport error, 429 or 503), connects to the ticket's provider
// and keeps the session for later requests. Metering is answered by the session library with
// signed vouchers. A janitor thread (Start) renews tickets that near expiry (router /renew +
// in-session renew), rotates a session that nears its ticket's maxSeconds, and closes sessions
// idle for `idle_seconds` with the final voucher, so charges stop and the provider settles.
// Failover: when the session dies during a request, or the provider fails it with anything but
// "the request is invalid" (a 4xx, answered to the caller as it is), the provider is excluded (the
// next RFC's signed excludeProviders names it), a new ticket is asked for (a ticket for an
// excluded provider is set aside and asked again), and the request
// runs again there: from the start if nothing was streamed yet, else as a continuation (the
// original messages plus an assistant message holding the text already streamed — for a text
// completion, the prompt plus that text —, max_tokens reduced by the chunks received; when they
// spent it the answer is complete, "length"), whose output is appended to the stream. Usage
// then counts the failed providers' chunks as completion tokens (doc/client.md "Usage"). A provider that
// stays connected but sends nothing for request_timeout_seconds is treated the same way after
// its session is closed (final voucher for the seconds already agreed); 504 when no other
// provider is left.
// Thread-safety: all public methods are thread-safe.
#ifndef LT_CLIENT_SESSION_POOL_H_
#define LT_CLIENT_SESSION_POOL_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/session.h"
#include "crypto/keys.h"
#include "rpc/router_client.h"
#include "util/uint256.h"
#include "wire/router_api.h"

namespace lt::client {

struct Preferences {
  U256 max_price_per_second;  // base units per second
  uint32_t max_latency_ms = 0;
  uint32_t min_tps = 0;
  uint32_t want_seconds = 600;
  std::string Key() const;
};

struct PoolOptions {
  std::vector<std::string> routers;  // router base URLs
  std::string ledger;                // ledger base URL (models, account)
  int idle_seconds = 60;
  int max_failovers = 2;
  // A request whose provider sends no chunk for this long (the first one: first_token_seconds,
  // 0: the same) closes the session and fails over like a dead provider; 504 when none is left.
  // 0: wait forever.
  int request_timeout_seconds = 30;
  int first_token_timeout_seconds = 0;
};

// An error as the API answers it: HTTP status, OpenAI type and a code (the router's when known).
struct ClientError {
  int status = 500;
  std::string type = "server_error";
  std::string code = "internal";
  std::string message;
};

struct ChatOutcome {
  ChatResult result;
  std::string provider;  // checksummed address of the provider that finished the request
  std::string model;     // as the router resolved it
  int failovers = 0;
};

// A ticket the client would not have asked for is refused before anything is signed for it
// (doc/client.md "Money rules"): another user's, a price above the RFC's maxPricePerSecond, a
// minimum session longer than the RFC's wantSeconds, or a minimum above the maximum.
Status CheckTicketForRfc(const wire::Ticket& t, const wire::Rfc& rfc);

// The request that continues an answer after `streamed` (`chunks` chunks) was already given to
// the user (see the failover above): `request` with the text appended (an assistant message, or
// a completion's prompt) and the budget (`max_tokens`, the checked smaller of max_tokens and
// max_completion_tokens) reduced by the chunks. `request` unchanged when nothing was streamed;
// false when the chunks spent the budget (the answer is complete).
bool ContinuationRequest(const nlohmann::json& request, const std::optional<int64_t>& max_tokens,
                         const std::string& streamed, uint32_t chunks, nlohmann::json* out);
// Adds the failed providers' chunks to a usage object as completion tokens.
void AddFailedChunks(nlohmann::json* usage, uint32_t chunks);

class SessionPool {
 public:
  SessionPool(PoolOptions options, const crypto::PrivateKey& user, const wire::Domain& domain);
  ~SessionPool();  // closes every session (final vouchers)

  // Starts the janitor thread (idle close, renewal). Optional: tests of the pool may skip it.
  void Start();
  // Runs one chat completion. on_delta (may be empty) gets each streamed piece; false cancels.
  bool Chat(const std::string& model, const nlohmann::json& request, const Preferences& prefs,
            const std::function<bool(std::string_view)>& on_delta, ChatOutcome* out, ClientError* err);
  // Opens (or reuses) the session without running a request: lets the API answer 4xx/5xx
  // before a stream starts.
  bool Prepare(const std::string& model, const Preferences& prefs, ClientError* err);
  // Closes every session now (final vouchers).
  void CloseAll();
  // Closes sessions idle for at least idle_seconds and renews tickets near expiry (the
  // janitor calls it every second). Returns the number of sessions closed.
  int Tick();
  // {"sessions":[{model, provider, sessionId, seconds, maxSeconds, idleSeconds, inFlight}]}
  nlohmann::json Status();
  // Models ("name:tag") that have at least one offer on the ledger from a provider that no
  // router reports as banned.
  Result<std::vector<std::string>> LiveModels();
  // A warning when the allowance left today is below 10% of today's allowance (then the vault
  // pays), or when allowance and vault are both empty; "" otherwise. Cached for 5 s.
  std::string AllowanceWarning();
  const crypto::Address& user() const { return user_address_; }

 private:
  struct Entry {
    std::mutex open_mu;
    std::shared_ptr<SessionClient> session;
    wire::TicketGrant grant;
    uint64_t opened_ms = 0;
    uint64_t last_used_ms = 0;
    int in_flight = 0;
  };
  std::shared_ptr<Entry> GetEntry(const std::string& key);
  bool Ensure(Entry& e, const std::string& model, const Preferences& prefs, std::set<std::string>& excluded,
              std::shared_ptr<SessionClient>* session, wire::TicketGrant* grant, ClientError* err);
  // Signs and sends an RFC (excluding `excluded`, checksummed addresses) to the routers in order.
  bool RequestTicket(const std::string& model, const Preferences& prefs, const std::set<std::string>& excluded,
                     wire::TicketGrant* grant,
                     ClientError* err);
  bool RenewTicket(const wire::TicketGrant& old, wire::TicketGrant* fresh);
  uint64_t NowMs() const;

  PoolOptions options_;
  rpc::RouterClient routers_;
  crypto::PrivateKey user_;
  crypto::Address user_address_;
  wire::Domain domain_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::mutex warn_mu_;
  uint64_t warn_checked_ms_ = 0;
  std::string warn_text_;
  std::atomic<bool> stop_{false};
  std::mutex janitor_mu_;
  std::condition_variable janitor_cv_;
  std::thread janitor_;
};

}  // namespace lt::client

#endif  // LT_CLIENT_SESSION_POOL_H_
