#include "client/session.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/log.h"
#include "util/json.h"
#include "util/thread.h"

namespace lt::client {

using nlohmann::json;
using wire::FrameType;

namespace {

Error ErrorFromJsonBody(ByteSpan body) {
  json j = ParseJson(AsString(body));
  std::string code = "internal", msg = "provider error";
  if (j.is_object()) {
    if (j.contains("message") && j["message"].is_string()) msg = j["message"].get<std::string>();
    if (j.contains("code") && j["code"].is_string()) code = j["code"].get<std::string>();
  }
  return MakeError(ErrorCodeFromName(code).value_or(ErrorCode::kUnavailable), "provider: " + msg);
}

}  // namespace

// ---- ClientSession -----------------------------------------------------------------------------

ClientSession::ClientSession(const wire::Domain& domain, wire::SignedTicket ticket, const crypto::PrivateKey& user,
                             Random& rng, const Clock* clock, ClientOptions options)
    : domain_(domain),
      ticket_(ticket),
      user_(user),
      clock_(clock != nullptr ? clock : SystemClock::Default()),
      options_(options),
      handshake_(domain, std::move(ticket), user, rng) {
  (void)wire::AppendFrame(FrameType::kHandshakeInit, handshake_.init_body(), out_);
}

Bytes ClientSession::TakeOutput() { return std::exchange(out_, Bytes()); }

uint32_t ClientSession::ElapsedSeconds() const {
  if (start_ms_ == 0) return 0;
  return static_cast<uint32_t>((clock_->MonotonicMillis() - start_ms_) / 1000);
}

Status ClientSession::Seal(FrameType type, ByteSpan body) {
  if (dead_) return MakeError(ErrorCode::kFailedPrecondition, "session is closed");
  if (channel_ == nullptr) return MakeError(ErrorCode::kFailedPrecondition, "handshake not finished");
  return channel_->Seal(type, body, out_);
}

Status ClientSession::Feed(ByteSpan data, std::vector<ClientEvent>* events) {
  while (!data.empty()) {
    if (dead_) return MakeError(ErrorCode::kFailedPrecondition, "session is closed");
    auto used = decoder_.Feed(data);
    if (!used.ok()) {
      dead_ = true;
      return used.error().Wrap("from provider");
    }
    data = data.subspan(*used);
    while (auto f = decoder_.Next()) {
      if (f->type == FrameType::kError) {
        Error e = ErrorFromJsonBody(f->body);
        events->push_back({ClientEvent::Kind::kSessionError, 0, "", {}, e, 0});
        dead_ = true;
        return e;
      }
      if (channel_ == nullptr) {
        if (f->type != FrameType::kHandshakeReply) {
          dead_ = true;
          return InvalidArgument("expected a handshake reply from the provider");
        }
        auto ch = handshake_.Finish(f->body);
        if (!ch.ok()) {
          dead_ = true;
          return ch.error();
        }
        channel_ = std::move(*ch);
        start_ms_ = clock_->MonotonicMillis();
        if (start_ms_ == 0) start_ms_ = 1;
        events->push_back({ClientEvent::Kind::kEstablished, 0, "", {}, {}, 0});
        continue;
      }
      if (f->type != FrameType::kSealed) {
        dead_ = true;
        return InvalidArgument("unexpected clear frame after the handshake");
      }
      auto m = channel_->Open(f->body);
      if (!m.ok()) {
        dead_ = true;
        return m.error();
      }
      HandleInner(std::move(*m), events);
      if (dead_) return OkStatus();
    }
  }
  return OkStatus();
}

void ClientSession::HandleInner(wire::InnerMessage m, std::vector<ClientEvent>* events) {
  ByteSpan b = m.body;
  auto need_id = [&]() -> std::optional<uint32_t> {
    if (b.size() < 4) return std::nullopt;
    return wire::GetU32(b.data());
  };
  switch (m.type) {
    case FrameType::kChunk: {
      auto id = need_id();
      if (!id) break;
      error_only_from_.reset();  // the session produces output again
      last_output_ms_ = ElapsedMillis();
      ++tokens_out_;
      if (tokens_out_ == 1 && first_request_ms_ != 0) {
        ttft_ms_ = static_cast<uint32_t>(clock_->MonotonicMillis() - first_request_ms_);
      }
      events->push_back({ClientEvent::Kind::kChunk, *id, std::string(AsString(b.subspan(4))), {}, {}, 0});
      return;
    }
    case FrameType::kEnd: {
      auto id = need_id();
      if (!id) break;
      json j = ParseJson(AsString(ByteSpan(b).subspan(4)));
      error_only_from_.reset();
      last_output_ms_ = ElapsedMillis();
      sent_at_.erase(*id);
      events->push_back({ClientEvent::Kind::kEnd, *id, "", j.is_object() ? j : json::object(), {}, 0});
      return;
    }
    case FrameType::kInnerError: {
      auto id = need_id();
      if (!id) break;
      Error e = ErrorFromJsonBody(b.subspan(4));
      if (*id == 0) {
        dead_ = true;
        events->push_back({ClientEvent::Kind::kSessionError, 0, "", {}, e, 0});
      } else {
        // A request the provider failed (not one it found invalid): from when it was sent, the
        // session produced only errors, and those seconds are not signed for.
        auto sent = sent_at_.find(*id);
        if (e.code != ErrorCode::kInvalidArgument && sent != sent_at_.end() && sent->second >= last_output_ms_) {
          error_only_from_ = std::min(error_only_from_.value_or(sent->second), sent->second);
        }
        if (sent != sent_at_.end()) sent_at_.erase(sent);
        events->push_back({ClientEvent::Kind::kRequestError, *id, "", {}, e, 0});
      }
      return;
    }
    case FrameType::kMeter: {
      if (b.size() != 4) break;
      uint32_t s = wire::GetU32(b.data());
      events->push_back({ClientEvent::Kind::kMeter, 0, "", {}, {}, s});
      if (options_.auto_voucher && !final_sent_) {
        uint32_t agreed = std::min<uint32_t>(s, ElapsedSeconds() + options_.skew_seconds);
        agreed = std::min(agreed, SignableSeconds());
        if (agreed < s) {
          LT_WARN("session: provider metered " << s << " s, our clock says " << ElapsedSeconds() << " s; signing "
                                               << agreed);
        }
        if (agreed > last_signed_) (void)SendVoucher(agreed, false);
      }
      return;
    }
    case FrameType::kRenewed: {
      if (b.size() != 12) break;
      events->push_back({ClientEvent::Kind::kRenewed, 0, "", {}, {}, wire::GetU32(b.data())});
      return;
    }
    case FrameType::kClose: {
      json j = ParseJson(AsString(b));
      std::string reason = j.is_object() && j.contains("reason") && j["reason"].is_string()
                               ? j["reason"].get<std::string>()
                               : "provider closed";
      // Answer with the final voucher so the provider is paid for what we used.
      if (!final_sent_) (void)Close();
      events->push_back({ClientEvent::Kind::kClosed, 0, reason, {}, {}, 0});
      dead_ = true;
      return;
    }
    default:
      break;
  }
  dead_ = true;
  events->push_back({ClientEvent::Kind::kSessionError, 0, "", {},
                     InvalidArgument(std::string("malformed ") + std::string(wire::FrameTypeName(m.type)) +
                                     " message from provider"),
                     0});
}

Status ClientSession::SendRequest(uint32_t id, const json& request) {
  std::string s = request.dump();
  Bytes b;
  wire::PutU32(b, id);
  b.insert(b.end(), s.begin(), s.end());
  LT_TRY_STATUS(Seal(FrameType::kRequest, b));
  if (first_request_ms_ == 0) first_request_ms_ = clock_->MonotonicMillis();
  if (sent_at_.size() < 4096) sent_at_[id] = ElapsedMillis();
  return OkStatus();
}

uint64_t ClientSession::ElapsedMillis() const {
  return start_ms_ == 0 ? 0 : clock_->MonotonicMillis() - start_ms_;
}

uint32_t ClientSession::SignableSeconds() const {
  uint32_t cap = ticket_.ticket.max_seconds;
  // Since when the session has produced nothing while a request waits: the oldest request sent
  // after the last output that is still waiting, or one that failed.
  std::optional<uint64_t> idle_since = error_only_from_;
  for (const auto& [id, at] : sent_at_) {
    if (at >= last_output_ms_) idle_since = std::min(idle_since.value_or(at), at);
  }
  if (idle_since) cap = std::min(cap, std::max(last_signed_, static_cast<uint32_t>(*idle_since / 1000)));
  return cap;
}

Status ClientSession::Cancel(uint32_t id) {
  Bytes b;
  wire::PutU32(b, id);
  return Seal(FrameType::kCancel, b);
}

Status ClientSession::Renew(const wire::SignedTicket& t) {
  LT_TRY_STATUS(Seal(FrameType::kRenew, wire::EncodeSignedTicket(t)));
  ticket_ = t;
  return OkStatus();
}

Status ClientSession::SendVoucher(uint32_t seconds, bool is_final) {
  wire::Voucher v;
  v.session_id = ticket_.ticket.session_id;
  v.seconds = seconds;
  v.tokens_out = tokens_out_;
  v.ttft_ms = ttft_ms_;
  v.is_final = is_final;
  wire::SignedVoucher sv = wire::SignVoucher(user_, domain_, v);
  LT_TRY_STATUS(Seal(FrameType::kVoucher, wire::EncodeSignedVoucher(sv)));
  signed_.push_back(sv);
  last_signed_ = std::max(last_signed_, seconds);
  if (is_final) final_sent_ = true;
  return OkStatus();
}

Status ClientSession::SendRaw(FrameType type, ByteSpan body) { return Seal(type, body); }

Result<wire::SignedVoucher> ClientSession::Close(bool agreed_only) {
  if (final_sent_) return signed_.back();
  uint32_t seconds = agreed_only ? 0 : std::min(ElapsedSeconds(), SignableSeconds());
  seconds = std::max(seconds, last_signed_);
  LT_TRY_STATUS(SendVoucher(seconds, true));
  std::string s = json{{"reason", "client closed"}}.dump();
  LT_TRY_STATUS(Seal(FrameType::kClose, AsBytes(s)));
  return signed_.back();
}

// ---- SessionClient -----------------------------------------------------------------------------

namespace {

Result<int> Dial(const std::string& host, int port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string ps = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), ps.c_str(), &hints, &res); rc != 0) {
    return MakeError(ErrorCode::kUnavailable, "resolve " + host + ": " + gai_strerror(rc));
  }
  int fd = -1;
  std::string last = "no address";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    last = std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, "connect " + host + ":" + ps + ": " + last);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

Status WriteAll(int fd, ByteSpan b) {
  size_t off = 0;
  while (off < b.size()) {
    ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(ErrorCode::kUnavailable, std::string("write to provider: ") + std::strerror(errno));
    off += static_cast<size_t>(n);
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<SessionClient>> SessionClient::Connect(const std::string& host, int port,
                                                              const wire::Domain& domain,
                                                              const wire::SignedTicket& ticket,
                                                              const crypto::PrivateKey& user, ClientOptions options,
                                                              const Clock* clock) {
  LT_TRY(int fd, Dial(host, port, options.handshake_timeout_ms));
  auto core = std::make_unique<ClientSession>(domain, ticket, user, *SecureRandom::Default(), clock, options);
  Status s = WriteAll(fd, core->TakeOutput());
  uint64_t deadline = SystemClock::Default()->MonotonicMillis() + static_cast<uint64_t>(options.handshake_timeout_ms);
  std::vector<ClientEvent> events;
  uint8_t buf[4096];
  while (s.ok() && !core->established()) {
    uint64_t now = SystemClock::Default()->MonotonicMillis();
    if (now >= deadline) {
      s = MakeError(ErrorCode::kTimeout, "provider did not finish the handshake in time");
      break;
    }
    pollfd p{fd, POLLIN, 0};
    int pr = ::poll(&p, 1, static_cast<int>(deadline - now));
    if (pr <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      s = MakeError(ErrorCode::kUnavailable, "provider closed the connection during the handshake");
      break;
    }
    s = core->Feed(ByteSpan(buf, static_cast<size_t>(n)), &events);
  }
  if (!s.ok()) {
    ::close(fd);
    for (auto& e : events) {
      if (e.kind == ClientEvent::Kind::kSessionError) return e.error;
    }
    return s.error();
  }
  return std::unique_ptr<SessionClient>(new SessionClient(fd, std::move(core)));
}

SessionClient::SessionClient(int fd, std::unique_ptr<ClientSession> core) : fd_(fd), core_(std::move(core)) {
  reader_ = GuardedThread("session reader", [this] { ReaderLoop(); });
}

SessionClient::~SessionClient() {
  {
    std::lock_guard<std::mutex> l(mu_);
    EndLocked(end_reason_.empty() ? "client destroyed" : end_reason_);
  }
  ::shutdown(fd_, SHUT_RDWR);
  if (reader_.joinable()) reader_.join();
  ::close(fd_);
}

Status SessionClient::WriteOut() {
  Bytes out = core_->TakeOutput();
  if (out.empty()) return OkStatus();
  return WriteAll(fd_, out);
}

void SessionClient::EndLocked(const std::string& reason) {
  if (ended_) return;
  ended_ = true;
  end_reason_ = reason;
  for (auto& [id, p] : pending_) {
    if (!p.done) {
      p.events.push_back({ClientEvent::Kind::kRequestError, id, "", {},
                          MakeError(ErrorCode::kUnavailable, "session ended: " + reason), 0});
    }
  }
  cv_.notify_all();
}

void SessionClient::ReaderLoop() {
  uint8_t buf[16384];
  while (true) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard<std::mutex> l(mu_);
    if (n <= 0) {
      EndLocked("provider closed the connection");
      return;
    }
    std::vector<ClientEvent> events;
    Status s = core_->Feed(ByteSpan(buf, static_cast<size_t>(n)), &events);
    (void)WriteOut();
    for (auto& e : events) {
      switch (e.kind) {
        case ClientEvent::Kind::kChunk:
        case ClientEvent::Kind::kEnd:
        case ClientEvent::Kind::kRequestError: {
          auto it = pending_.find(e.request_id);
          if (it != pending_.end()) it->second.events.push_back(std::move(e));
          break;
        }
        case ClientEvent::Kind::kSessionError: EndLocked(e.error.message); break;
        case ClientEvent::Kind::kClosed: EndLocked(e.text); break;
        case ClientEvent::Kind::kRenewed: renewed_ = true; break;
        default: break;
      }
    }
    if (!s.ok()) EndLocked(s.error().message);
    cv_.notify_all();
    if (ended_) {
      ::shutdown(fd_, SHUT_WR);
      return;
    }
  }
}

Result<ChatResult> SessionClient::Chat(const json& request, const std::function<bool(std::string_view)>& on_delta,
                                       ChatTimeouts timeouts) {
  std::unique_lock<std::mutex> l(mu_);
  if (ended_) return MakeError(ErrorCode::kUnavailable, "session ended: " + end_reason_);
  uint32_t id = next_id_++;
  pending_[id];
  Status s = core_->SendRequest(id, request);
  if (s.ok()) s = WriteOut();
  if (!s.ok()) {
    pending_.erase(id);
    return s.error();
  }
  ChatResult res;
  bool cancelled = false;
  while (true) {
    int wait_ms = res.chunks == 0 ? timeouts.first_token_ms : timeouts.inactivity_ms;
    auto ready = [&] { return !pending_[id].events.empty(); };
    if (wait_ms <= 0) {
      cv_.wait(l, ready);
    } else if (!cv_.wait_for(l, std::chrono::milliseconds(wait_ms), ready)) {
      pending_.erase(id);
      std::string what = std::string(res.chunks == 0 ? "no first token" : "no chunk") + " from the provider for " +
                         std::to_string(wait_ms) + " ms";
      (void)CloseLocked(l, true, "request timed out: " + what);
      return MakeError(ErrorCode::kTimeout, what);
    }
    std::vector<ClientEvent> evs = std::move(pending_[id].events);
    pending_[id].events.clear();
    for (auto& e : evs) {
      if (e.kind == ClientEvent::Kind::kChunk) {
        res.text += e.text;
        ++res.chunks;
        if (on_delta && !cancelled) {
          l.unlock();
          bool go = on_delta(e.text);
          l.lock();
          if (!go) {
            cancelled = true;
            (void)core_->Cancel(id);
            (void)WriteOut();
          }
        }
      } else if (e.kind == ClientEvent::Kind::kEnd) {
        pending_.erase(id);
        auto fr = e.json.find("finish_reason");
        res.finish_reason = fr != e.json.end() && fr->is_string() ? fr->get<std::string>() : "stop";
        auto usage = e.json.find("usage");
        res.usage = usage != e.json.end() && usage->is_object() ? *usage : json::object();
        // A provider's tool calls are kept only as an array of objects: a [5] from a hostile
        // provider threw in the local API's stream (openai::StreamToolCalls sets each "index")
        // and cut the user's answer off without an error.
        if (auto tc = e.json.find("tool_calls"); tc != e.json.end() && tc->is_array() &&
                                                  std::all_of(tc->begin(), tc->end(), [](const json& c) { return c.is_object(); })) {
          res.tool_calls = *tc;
        }
        return res;
      } else if (e.kind == ClientEvent::Kind::kRequestError) {
        pending_.erase(id);
        return e.error;
      }
    }
  }
}

Status SessionClient::Renew(const wire::SignedTicket& ticket) {
  std::unique_lock<std::mutex> l(mu_);
  if (ended_) return MakeError(ErrorCode::kUnavailable, "session ended: " + end_reason_);
  renewed_ = false;
  LT_TRY_STATUS(core_->Renew(ticket));
  LT_TRY_STATUS(WriteOut());
  if (!cv_.wait_for(l, std::chrono::seconds(10), [&] { return renewed_ || ended_; })) {
    return MakeError(ErrorCode::kTimeout, "provider did not answer the renewal");
  }
  if (!renewed_) return MakeError(ErrorCode::kUnavailable, "renewal refused: " + end_reason_);
  return OkStatus();
}

Result<wire::SignedVoucher> SessionClient::Close() {
  std::unique_lock<std::mutex> l(mu_);
  return CloseLocked(l, false, "client closed");
}

Result<wire::SignedVoucher> SessionClient::CloseStalled(const std::string& reason) {
  std::unique_lock<std::mutex> l(mu_);
  return CloseLocked(l, true, reason);
}

Result<wire::SignedVoucher> SessionClient::CloseLocked(std::unique_lock<std::mutex>& l, bool stalled,
                                                       const std::string& reason) {
  if (final_) return *final_;
  if (!core_->signed_vouchers().empty() && core_->signed_vouchers().back().voucher.is_final) {
    final_ = core_->signed_vouchers().back();
    return *final_;
  }
  if (ended_ || core_->dead()) {
    if (core_->signed_vouchers().empty()) return MakeError(ErrorCode::kUnavailable, "session ended: " + end_reason_);
    return core_->signed_vouchers().back();
  }
  LT_TRY(wire::SignedVoucher v, core_->Close(stalled));
  final_ = v;
  Status s = WriteOut();
  ::shutdown(fd_, SHUT_WR);
  if (!stalled) cv_.wait_for(l, std::chrono::seconds(3), [&] { return ended_; });
  EndLocked(reason);
  if (!s.ok()) return s.error();
  return v;
}

std::vector<wire::SignedVoucher> SessionClient::SignedVouchers() {
  std::lock_guard<std::mutex> l(mu_);
  return core_->signed_vouchers();
}

std::string SessionClient::EndReason() {
  std::lock_guard<std::mutex> l(mu_);
  return end_reason_;
}

bool SessionClient::open() {
  std::lock_guard<std::mutex> l(mu_);
  return !ended_;
}

}  // namespace lt::client
