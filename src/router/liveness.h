// Liveness checks (DESIGN §5.4): a provider answers a fresh random challenge with a Pong signed
// by its identity key. LivenessProber is the seam (tests substitute a fake); HttpProber asks
// GET <base>/ping?challenge=0x<64 hex> and expects {"pong":{...},"signature":"0x.."}
// (the provider's route, src/provider/node.h). The prober only transports: the router checks
// the challenge, the signer, the clock and the free slots.
// Thread-safety: HttpProber is thread-safe (a small pool of keep-alive clients per URL).
#ifndef LT_ROUTER_LIVENESS_H_
#define LT_ROUTER_LIVENESS_H_

#include <map>
#include <memory>
#include <mutex>
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
  Result<PongReply> Ping(const std::string& base_url, const Hash32& challenge) override;

 private:
  // Idle keep-alive connections kept per provider. Small on purpose: the provider's HTTP server
  // (cpp-httplib) gives each open connection a thread until it closes, so a large idle pool
  // (times several routers) would starve its pool and make its pings time out.
  static constexpr size_t kMaxIdlePerUrl = 4;
  int timeout_ms_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<net::HttpClient>>> idle_;
};

// Parses the /ping answer.
Result<PongReply> ParsePongReply(const std::string& body);

}  // namespace lt::router

#endif  // LT_ROUTER_LIVENESS_H_
