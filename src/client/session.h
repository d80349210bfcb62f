// The user's side of the session protocol (DESIGN §6, doc/session-protocol.md), in two layers:
//
//  * ClientSession: the protocol as a state machine without I/O. It queues the handshake init at
//    construction; Feed() takes bytes from the provider and reports events; requests, renewals
//    and the close queue sealed frames that TakeOutput() hands to the transport. It answers each
//    meter frame by itself with a cumulative Voucher signed by the user's key, for the metered
//    seconds if they agree with its own clock (at most `skew_seconds` ahead of it), else for its
//    own count; never for more than the ticket's maxSeconds, never decreasing, and never for
//    seconds in which the session produced nothing but waiting or errors: while a request sent
//    after the last output still waits for its first chunk, or after it failed (anything but
//    "invalid request"), the signed seconds stay at the moment it was sent, until output flows
//    again (doc/client.md "Money rules").
//  * SessionClient: a blocking TCP client over ClientSession with a reader thread: Connect
//    (handshake with a timeout), Chat (several at once from several threads), Renew, Close (the
//    final voucher with the client-measured tokens out and time to first token).
//
// The user key is copied into the session (wiped on destruction) and used only to sign the
// handshake and vouchers. The user never pays for more than it signed: signed_vouchers() lists
// every voucher that left the client.
// Thread-safety: ClientSession is single-threaded; SessionClient is thread-safe.
#ifndef LT_CLIENT_SESSION_H_
#define LT_CLIENT_SESSION_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "crypto/keys.h"
#include "util/clock.h"
#include "util/random.h"
#include "wire/frame.h"
#include "wire/handshake.h"

namespace lt::client {

struct ClientOptions {
  uint32_t skew_seconds = 2;      // how far the provider's meter may run ahead of our clock
  bool auto_voucher = true;       // answer meters with vouchers (tests turn this off)
  int handshake_timeout_ms = 10000;
};

struct ClientEvent {
  enum class Kind { kEstablished, kChunk, kEnd, kRequestError, kSessionError, kMeter, kRenewed, kClosed };
  Kind kind = Kind::kSessionError;
  uint32_t request_id = 0;
  std::string text;       // chunk text, or close reason
  nlohmann::json json;    // end: {"finish_reason","usage"}
  Error error;            // request or session error
  uint32_t seconds = 0;   // meter: metered seconds; renewed: new maxSeconds
};

class ClientSession {
 public:
  ClientSession(const wire::Domain& domain, wire::SignedTicket ticket, const crypto::PrivateKey& user, Random& rng,
                const Clock* clock, ClientOptions options = {});

  // Bytes to write to the provider (the init first).
  Bytes TakeOutput();
  // Feeds bytes from the provider. An error means the session is dead (close the socket); the
  // provider's own error message arrives as a kSessionError event first when it sent one.
  Status Feed(ByteSpan data, std::vector<ClientEvent>* events);

  Status SendRequest(uint32_t id, const nlohmann::json& request);
  Status Cancel(uint32_t id);
  Status Renew(const wire::SignedTicket& ticket);
  // Signs and queues a voucher (what auto_voucher does; public for tests of bad vouchers).
  Status SendVoucher(uint32_t seconds, bool is_final);
  // Queues any sealed message (tests).
  Status SendRaw(wire::FrameType type, ByteSpan body);
  // Queues the final voucher (own elapsed seconds, tokens out, ttft) and a close message.
  // agreed_only: the final voucher repeats the seconds already signed (the provider stalled:
  // the time since its last agreed meter is not paid).
  Result<wire::SignedVoucher> Close(bool agreed_only = false);

  bool established() const { return channel_ != nullptr && !dead_; }
  bool dead() const { return dead_; }
  uint32_t ElapsedSeconds() const;
  uint32_t tokens_out() const { return tokens_out_; }
  uint32_t ttft_ms() const { return ttft_ms_; }
  uint32_t last_signed_seconds() const { return last_signed_; }
  // The most seconds the client would sign now: maxSeconds, held back during an error streak.
  uint32_t SignableSeconds() const;
  const std::vector<wire::SignedVoucher>& signed_vouchers() const { return signed_; }
  const wire::SignedTicket& ticket() const { return ticket_; }

 private:
  Status Seal(wire::FrameType type, ByteSpan body);
  void HandleInner(wire::InnerMessage m, std::vector<ClientEvent>* events);

  wire::Domain domain_;
  wire::SignedTicket ticket_;
  crypto::PrivateKey user_;
  const Clock* clock_;
  ClientOptions options_;
  wire::UserHandshake handshake_;
  std::unique_ptr<wire::SecureChannel> channel_;
  wire::FrameDecoder decoder_;
  Bytes out_;
  bool dead_ = false;
  uint64_t start_ms_ = 0;
  uint64_t first_request_ms_ = 0;
  uint32_t tokens_out_ = 0, ttft_ms_ = 0, last_signed_ = 0;
  bool final_sent_ = false;
  std::vector<wire::SignedVoucher> signed_;
  uint64_t ElapsedMillis() const;
  std::map<uint32_t, uint64_t> sent_at_;     // request id -> elapsed ms when it was sent (until it ends)
  std::optional<uint64_t> error_only_from_;  // elapsed ms; set while the session produces only errors
  uint64_t last_output_ms_ = 0;              // elapsed ms of the last chunk or end
};

struct ChatResult {
  std::string text;
  std::string finish_reason;
  nlohmann::json usage;
  nlohmann::json tool_calls;  // whole tool calls from the provider's end message, or null
  uint32_t chunks = 0;
};

// How long SessionClient::Chat waits for the provider (0: forever). first_token_ms bounds the
// wait for the first chunk (or the end) of the request, inactivity_ms every later gap between
// chunks. On expiry the session is closed (see Chat) and Chat returns kTimeout.
struct ChatTimeouts {
  int first_token_ms = 0;
  int inactivity_ms = 0;
};

class SessionClient {
 public:
  // Connects to host:port and runs the handshake. Errors: kUnavailable (connect), kTimeout,
  // or the provider's refusal (its code and message).
  static Result<std::unique_ptr<SessionClient>> Connect(const std::string& host, int port, const wire::Domain& domain,
                                                        const wire::SignedTicket& ticket,
                                                        const crypto::PrivateKey& user, ClientOptions options = {},
                                                        const Clock* clock = nullptr);
  ~SessionClient();
  SessionClient(const SessionClient&) = delete;
  SessionClient& operator=(const SessionClient&) = delete;

  // Runs one chat completion, streaming deltas to on_delta (false cancels). Blocks until the end,
  // or until a timeout of `timeouts` expires: then the session is closed with a final voucher
  // for the seconds already agreed (the stalled provider is not paid for the wait), every
  // other request on it fails, and Chat returns kTimeout.
  Result<ChatResult> Chat(const nlohmann::json& request, const std::function<bool(std::string_view)>& on_delta = {},
                          ChatTimeouts timeouts = {});
  // Sends a renewal and waits for the provider's answer (up to 10 s).
  Status Renew(const wire::SignedTicket& ticket);
  // Final voucher + close; waits briefly for the provider to close. Idempotent.
  Result<wire::SignedVoucher> Close();
  // Close for a provider that stopped answering: final voucher for the seconds already agreed,
  // no wait for the provider's answer. Idempotent.
  Result<wire::SignedVoucher> CloseStalled(const std::string& reason);
  // Every voucher this client signed so far.
  std::vector<wire::SignedVoucher> SignedVouchers();
  // Why the session ended ("" while open).
  std::string EndReason();
  bool open();

 private:
  SessionClient(int fd, std::unique_ptr<ClientSession> core);
  void ReaderLoop();
  Status WriteOut();  // under mu_
  void EndLocked(const std::string& reason);
  Result<wire::SignedVoucher> CloseLocked(std::unique_lock<std::mutex>& l, bool stalled, const std::string& reason);

  struct Pending {
    std::vector<ClientEvent> events;
    bool done = false;
  };

  int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<ClientSession> core_;
  std::map<uint32_t, Pending> pending_;
  uint32_t next_id_ = 1;
  bool ended_ = false;
  bool renewed_ = false;
  std::string end_reason_;
  std::optional<wire::SignedVoucher> final_;
  std::thread reader_;
};

}  // namespace lt::client

#endif  // LT_CLIENT_SESSION_H_
