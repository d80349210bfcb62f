// Liveness checks (DESIGN §5.4): a provider answers a fresh random challenge with a Pong signed
// by its identity key. LivenessProber is the seam (tests substitute a fake); HttpProber asks
// POST <base>/ping {"challenges":[...]} and expects {"pongs":[{"pong":{...},"signature":"0x.."}]}
// (the provider's route, src/provider/node.cc). Under load it batches: challenges of concurrent
// RFCs bound for the same provider travel in one request, and each still gets its own signed
// Pong, so every RFC's check stays fresh and individually verified. A provider that answers the
// POST with 404 or 405 (an older version) is asked GET <base>/ping?challenge=0x<64 hex> per
// challenge instead. The prober only transports: the router checks the challenge, the signer,
// the clock and the free slots.
// Thread-safety: HttpProber is thread-safe (a small pool of keep-alive clients per URL).
#ifndef LT_ROUTER_LIVENESS_H_
#define LT_ROUTER_LIVENESS_H_

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/http.h"
#include "wire/messages.h"

namespace lt::router {

struct PongReply {
  wire::Pong pong;
  crypto::Signature signature{};
};

class LivenessProber {
 public:
  virtual ~LivenessProber() = default;
  virtual Result<PongReply> Ping(const std::string& base_url, const Hash32& challenge) = 0;
};

class HttpProber final : public LivenessProber {
 public:
  explicit HttpProber(int timeout_ms = 2000) : timeout_ms_(timeout_ms) {}
  // Blocks until this challenge's Pong (or the failure of the request that carried it) is back.
  Result<PongReply> Ping(const std::string& base_url, const Hash32& challenge) override;

  // Requests sent so far (a batch counts once) and challenges carried, for tests and the benchmark.
  uint64_t requests() const;
  uint64_t challenges() const;

 private:
  // Idle keep-alive connections kept per provider. Small on purpose: the provider's HTTP server
  // (net::HttpServer) gives each open connection a thread until it closes, so a large idle pool
  // (times several routers) would starve its pool and make its pings time out.
  static constexpr size_t kMaxIdlePerUrl = 4;
  // Requests in flight per provider. Challenges that arrive meanwhile wait and leave together in
  // the next request, so under load one round trip carries many challenges.
  static constexpr int kMaxInFlightPerUrl = 1;

  // A waiting check. Each has its own condition variable, so a finished request wakes exactly
  // the checks it carried (and the next leader), not every thread waiting on that provider.
  struct Waiter {
    Hash32 challenge;
    std::optional<Result<PongReply>> result;
    std::condition_variable cv;
  };
  struct Provider {
    std::deque<std::shared_ptr<Waiter>> pending;  // shared: a leader wakes them after unlocking
    int in_flight = 0;
    bool batch_refused = false;  // it answered POST /ping with 404/405: an older provider
    std::vector<std::unique_ptr<net::HttpClient>> idle;
  };

  // One POST /ping for these challenges (one GET each for a provider without batches).
  // Returns one result per challenge, in order.
  std::vector<Result<PongReply>> Send(const std::string& base_url, Provider& p, const std::vector<Hash32>& challenges);
  Result<net::HttpClientResponse> Request(const std::string& base_url, Provider& p, bool post, const std::string& what);

  int timeout_ms_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Provider>> providers_;
  uint64_t requests_ = 0, challenges_ = 0;
};

// Parses the /ping answer.
Result<PongReply> ParsePongReply(const std::string& body);
// Parses the POST /ping answer for `n` challenges: one result per challenge (a malformed entry
// fails only its own challenge; a malformed body or a wrong count fails them all).
// The plain form is read without a JSON tree (wire/json_text.h); anything else goes through
// ParsePongBatchStrict, which gives the same results (the fuzz target json_text checks it).
std::vector<Result<PongReply>> ParsePongBatch(const std::string& body, size_t n);
std::vector<Result<PongReply>> ParsePongBatchStrict(const std::string& body, size_t n);

}  // namespace lt::router

#endif  // LT_ROUTER_LIVENESS_H_
