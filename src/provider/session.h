// ProviderSession: the provider's side of one session connection, as a state machine without I/O
// (DESIGN §6, doc/session-protocol.md). The network layer (server.h) feeds it bytes and a
// periodic Tick(); tests do the same with a FakeClock and no sockets.
//
// Order of checks on the first frame (a handshake init), before anything else happens: the
// ticket's router signature recovers ticket.router and that router is accepted; ticket.provider
// is this provider; the ticket has not expired (and was not issued in the future beyond the
// skew); the manifest is a model served here at no less than its price and minimum seconds; the
// session id was not used before; the user's handshake signature recovers ticket.user. Any
// failure: a clear kError frame {"code","message"} and close.
//
// After the handshake: requests run on the model's backend (several at once up to its slots);
// every meter interval a kMeter frame carries the elapsed seconds; vouchers must be signed by
// ticket.user, for this session, strictly increasing (a final one may repeat the last seconds),
// and for no more than the elapsed seconds (+1 s rounding). A bad voucher, a tampered or
// replayed frame: sealed error (request id 0) and close. When the unvouched time exceeds the
// voucher window (default 2 intervals), at maxSeconds, or at ticket expiry, the provider stops:
// it cancels generations, sends kClose with the reason, waits a short grace for the final
// voucher, then closes. At the end the best voucher + ticket become a Receipt for the sink.
//
// Thread-safety: all methods run on the session's thread (the server's I/O thread). Backend
// callbacks are marshalled there through SessionServices::post.
#ifndef LT_PROVIDER_SESSION_H_
#define LT_PROVIDER_SESSION_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "provider/backend.h"
#include "provider/receipts.h"
#include "provider/used_sessions.h"
#include "util/clock.h"
#include "util/random.h"
#include "wire/frame.h"
#include "wire/handshake.h"

namespace lt::provider {

struct ServedModel {
  std::string name;
  Hash32 manifest{};
  U256 price_per_second;
  uint32_t min_seconds = 0;
  uint32_t slots = 1;
  std::shared_ptr<Backend> backend;
  std::atomic<uint32_t> in_flight{0};  // requests running on this model, all sessions together
  // False while the backend's upstream is down (provider/upstream_health.h): the model is
  // paused — no new sessions, no requests, no free slots in Pongs — until a check passes again.
  std::atomic<bool> available{true};
};

struct SessionPolicy {
  wire::Domain domain;
  // True when tickets signed by this router are accepted.
  std::function<bool(const crypto::Address&)> router_accepted;
  uint32_t meter_interval_ms = 10000;
  uint32_t voucher_window_ms = 20000;    // stop when time without a voucher exceeds this
  uint32_t handshake_timeout_ms = 5000;  // the init must arrive within this
  uint32_t close_grace_ms = 3000;        // wait for the final voucher after kClose
  uint32_t issued_skew_seconds = 60;     // tolerated clock skew for ticket.issuedAt
  size_t max_request_bytes = 4u << 20;
};

// Sessions of this provider: used session ids (a ticket opens one session; kept on disk until the
// ticket expires, provider/used_sessions.h), counts and earnings for `lt provider status`.
// Thread-safe.
class SessionRegistry {
 public:
  // Keeps used session ids in `path` across restarts.
  lt::Status OpenUsedSessions(const std::string& path, uint64_t now) { return used_.Open(path, now); }
  // False if the id was already used; an error when it could not be recorded.
  Result<bool> Claim(const Hash32& session_id, uint64_t expires_at, uint64_t now);
  void OnClosed(const U256& signed_cost);
  nlohmann::json Status() const;
  void AddActive(int delta);

 private:
  mutable std::mutex mu_;
  UsedSessions used_;
  int64_t active_ = 0, total_ = 0, refused_ = 0;
  U256 earned_;
  friend class ProviderSession;
  void CountRefused();
};

// What every session of a server shares. Owned by the server; outlives its sessions.
struct SessionServices {
  SessionPolicy policy;
  const crypto::PrivateKey* identity = nullptr;
  crypto::Address provider;
  std::map<Hash32, std::shared_ptr<ServedModel>> models;  // by manifest
  ReceiptSink* receipts = nullptr;
  SessionRegistry* registry = nullptr;
  const Clock* clock = nullptr;
  Random* rng = nullptr;
  // Runs fn later on the sessions' thread (asio::post in the server; a queue in tests).
  std::function<void(std::function<void()>)> post;
  // Told when a backend failed a request (not for an invalid request): the upstream is checked.
  std::function<void()> on_backend_failure;
};

// How a session writes to and closes its connection.
class SessionTransport {
 public:
  virtual ~SessionTransport() = default;
  virtual void Send(Bytes bytes) = 0;
  // Close after the bytes already sent are flushed.
  virtual void Close() = 0;
};

class ProviderSession : public std::enable_shared_from_this<ProviderSession> {
 public:
  enum class State : uint8_t { kAwaitInit, kOpen, kClosing, kClosed };

  ProviderSession(const SessionServices& svc, SessionTransport* transport);
  ~ProviderSession();

  void OnBytes(ByteSpan data);
  // Meters, voucher deadline, maxSeconds, expiry, handshake timeout, close grace.
  void Tick();
  // The connection is gone (peer closed or reset): finalize without sending.
  void OnDisconnect();
  // The transport is being destroyed; the session must not touch it any more.
  void Detach() { transport_ = nullptr; }

  State state() const { return state_; }
  // Elapsed whole seconds since the handshake (provider clock).
  uint32_t ElapsedSeconds() const;
  uint32_t vouched_seconds() const { return best_ ? best_->voucher.seconds : 0; }
  size_t in_flight() const { return running_.size(); }
  const std::string& close_reason() const { return close_reason_; }

 private:
  void OnFrame(wire::Frame f);
  void HandleInit(ByteSpan body);
  void HandleInner(wire::InnerMessage m);
  void HandleRequest(ByteSpan body);
  void HandleVoucher(ByteSpan body);
  void HandleRenew(ByteSpan body);
  void HandleCancel(ByteSpan body);
  Status CheckTicket(const wire::SignedTicket& t, bool renewal);
  void OnChunk(uint32_t id, std::string text);
  void OnDone(uint32_t id, Result<GenerationResult> r);

  void SendSealed(wire::FrameType type, ByteSpan body);
  void SendRequestError(uint32_t id, const Error& e);
  // A clear error (before keys) or sealed session error, then close.
  void Fail(const Error& e);
  // Stop serving: cancel generations, kClose with reason, grace for the final voucher.
  void BeginClose(const std::string& reason);
  void Finalize(const std::string& reason);
  void CancelAll();

  const SessionServices& svc_;
  SessionTransport* transport_;
  State state_ = State::kAwaitInit;
  // Before the handshake only a handshake-init frame fits: a stranger that announces a 16 MiB
  // frame and sends it must not make the provider buffer 16 MiB per connection.
  wire::FrameDecoder decoder_{static_cast<uint32_t>(1 + wire::kHandshakeInitSize)};
  uint64_t created_ms_;
  uint64_t start_ms_ = 0;
  uint64_t next_meter_ms_ = 0;
  uint64_t close_deadline_ms_ = 0;
  std::unique_ptr<wire::SecureChannel> channel_;
  std::unique_ptr<wire::SignedTicket> ticket_;
  std::shared_ptr<ServedModel> model_;
  std::optional<wire::SignedVoucher> best_;
  bool got_final_ = false;
  bool finalized_ = false;
  bool counted_active_ = false;
  std::map<uint32_t, std::shared_ptr<Generation>> running_;
  std::string close_reason_;
};

}  // namespace lt::provider

#endif  // LT_PROVIDER_SESSION_H_
