#include "provider/session.h"

#include "openai/chat_request.h"
#include "openai/completion_request.h"

#include <algorithm>

#include "util/log.h"
#include "util/json.h"

namespace lt::provider {

using nlohmann::json;
using wire::FrameType;

namespace {

Bytes ErrorJsonBytes(const Error& e) {
  json j = {{"code", std::string(ErrorCodeName(e.code))}, {"message", e.message}};
  // Replace, not throw: a message may quote the request cut at N bytes (mid UTF-8 sequence).
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return Bytes(s.begin(), s.end());
}

Bytes WithId(uint32_t id, ByteSpan rest) {
  Bytes b;
  b.reserve(4 + rest.size());
  wire::PutU32(b, id);
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

Error Denied(std::string m) { return MakeError(ErrorCode::kPermissionDenied, std::move(m)); }
Error Precondition(std::string m) { return MakeError(ErrorCode::kFailedPrecondition, std::move(m)); }

}  // namespace

// ---- SessionRegistry ---------------------------------------------------------------------------

Result<bool> SessionRegistry::Claim(const Hash32& id, uint64_t expires_at, uint64_t now) {
  return used_.Claim(id, expires_at, now);
}
void SessionRegistry::AddActive(int delta) {
  std::lock_guard<std::mutex> l(mu_);
  active_ += delta;
  if (delta > 0) total_ += delta;
}
void SessionRegistry::CountRefused() {
  std::lock_guard<std::mutex> l(mu_);
  ++refused_;
}
void SessionRegistry::OnClosed(const U256& cost) {
  std::lock_guard<std::mutex> l(mu_);
  earned_ = earned_.CheckedAdd(cost).value_or(U256::Max());
}
json SessionRegistry::Status() const {
  std::lock_guard<std::mutex> l(mu_);
  return {{"active_sessions", active_},
          {"total_sessions", total_},
          {"refused_handshakes", refused_},
          {"earned", earned_.ToDecimal()},
          {"earned_mor", earned_.ToMor()}};
}

// ---- ProviderSession ---------------------------------------------------------------------------

ProviderSession::ProviderSession(const SessionServices& svc, SessionTransport* transport)
    : svc_(svc), transport_(transport), created_ms_(svc.clock->MonotonicMillis()) {}

ProviderSession::~ProviderSession() {
  CancelAll();
  if (counted_active_ && svc_.registry != nullptr) svc_.registry->AddActive(-1);
}

uint32_t ProviderSession::ElapsedSeconds() const {
  if (start_ms_ == 0) return 0;
  return static_cast<uint32_t>((svc_.clock->MonotonicMillis() - start_ms_) / 1000);
}

void ProviderSession::OnBytes(ByteSpan data) {
  while (!data.empty() && state_ != State::kClosed) {
    auto used = decoder_.Feed(data);
    if (!used.ok()) {
      Fail(used.error());
      return;
    }
    data = data.subspan(*used);
    while (auto f = decoder_.Next()) {
      OnFrame(std::move(*f));
      if (state_ == State::kClosed) return;
    }
  }
}

void ProviderSession::OnFrame(wire::Frame f) {
  if (state_ == State::kAwaitInit) {
    if (f.type != FrameType::kHandshakeInit) {
      Fail(InvalidArgument(std::string("expected a handshake-init frame, got ") +
                           std::string(wire::FrameTypeName(f.type))));
      return;
    }
    HandleInit(f.body);
    return;
  }
  if (f.type != FrameType::kSealed) {
    Fail(InvalidArgument(std::string("expected a sealed frame after the handshake, got ") +
                         std::string(wire::FrameTypeName(f.type))));
    return;
  }
  auto m = channel_->Open(f.body);
  if (!m.ok()) {
    Fail(m.error());
    return;
  }
  HandleInner(std::move(*m));
}

Status ProviderSession::CheckTicket(const wire::SignedTicket& st, bool renewal) {
  const wire::Ticket& t = st.ticket;
  LT_TRY(crypto::Address signer, wire::TicketSigner(svc_.policy.domain, st));
  if (signer != t.router) {
    return Unauthenticated("ticket signature is by " + signer.ToChecksumHex() + ", not by its router " +
                           t.router.ToChecksumHex());
  }
  if (!svc_.policy.router_accepted || !svc_.policy.router_accepted(t.router)) {
    return Denied("ticket router " + t.router.ToChecksumHex() + " is not accepted by this provider");
  }
  if (t.provider != svc_.provider) {
    return Denied("ticket is for provider " + t.provider.ToChecksumHex() + ", this is " +
                  svc_.provider.ToChecksumHex());
  }
  uint64_t now = svc_.clock->NowSeconds();
  if (now >= t.expires_at) {
    return Precondition("ticket expired at " + std::to_string(t.expires_at) + " (now " + std::to_string(now) + ")");
  }
  if (t.issued_at > now + svc_.policy.issued_skew_seconds) {
    return Precondition("ticket issued in the future (" + std::to_string(t.issued_at) + ", now " +
                        std::to_string(now) + ")");
  }
  if (t.max_seconds == 0) return Precondition("ticket allows 0 seconds");
  if (renewal) {
    const wire::Ticket& old = ticket_->ticket;
    if (t.session_id != old.session_id || t.user != old.user || t.manifest != old.manifest) {
      return Denied("renewal ticket is for another session, user or model");
    }
    if (t.price_per_second != old.price_per_second || t.min_seconds != old.min_seconds) {
      return Denied("renewal ticket changes the price or minimum seconds");
    }
    if (t.expires_at <= old.expires_at && t.max_seconds <= old.max_seconds) {
      return Precondition("renewal ticket extends neither the expiry nor maxSeconds");
    }
    if (t.max_seconds < old.max_seconds) return Precondition("renewal ticket lowers maxSeconds");
    return OkStatus();
  }
  auto it = svc_.models.find(t.manifest);
  if (it == svc_.models.end()) {
    return MakeError(ErrorCode::kNotFound, "this provider does not serve manifest " + HexEncode0x(t.manifest));
  }
  const ServedModel& m = *it->second;
  if (!m.available.load()) {
    return MakeError(ErrorCode::kUnavailable, m.name + " is paused on this provider: its upstream is down");
  }
  if (t.price_per_second < m.price_per_second) {
    return Precondition("ticket price " + t.price_per_second.ToDecimal() + " is below this provider's price " +
                        m.price_per_second.ToDecimal() + " for " + m.name);
  }
  if (t.min_seconds < m.min_seconds) {
    return Precondition("ticket minSeconds " + std::to_string(t.min_seconds) + " is below this provider's " +
                        std::to_string(m.min_seconds) + " for " + m.name);
  }
  return OkStatus();
}

void ProviderSession::HandleInit(ByteSpan body) {
  auto init = wire::DecodeHandshakeInit(body);
  if (!init.ok()) {
    Fail(init.error().Wrap("handshake init"));
    return;
  }
  Status s = CheckTicket(init->ticket, false);
  if (s.ok()) s = wire::VerifyInitSignature(svc_.policy.domain, *init);
  if (s.ok()) {
    const wire::Ticket& t = init->ticket.ticket;
    auto fresh = svc_.registry->Claim(t.session_id, t.expires_at, svc_.clock->NowSeconds());
    if (!fresh.ok()) {
      s = fresh.error();
    } else if (!*fresh) {
      s = MakeError(ErrorCode::kAlreadyExists, "session " + HexEncode0x(t.session_id) + " was already opened with this ticket");
    }
  }
  if (!s.ok()) {
    svc_.registry->CountRefused();
    Fail(s.error());
    return;
  }
  auto res = wire::ProviderRespond(svc_.policy.domain, *init, *svc_.identity, *svc_.rng);
  if (!res.ok()) {
    Fail(res.error());
    return;
  }
  ticket_ = std::make_unique<wire::SignedTicket>(init->ticket);
  model_ = svc_.models.at(ticket_->ticket.manifest);
  channel_ = std::move(res->channel);
  auto frame = wire::EncodeFrame(FrameType::kHandshakeReply, res->reply_body);
  if (transport_ != nullptr) transport_->Send(std::move(*frame));
  state_ = State::kOpen;
  decoder_.set_max_length(wire::kMaxFrameLength);
  start_ms_ = svc_.clock->MonotonicMillis();
  if (start_ms_ == 0) start_ms_ = 1;
  next_meter_ms_ = start_ms_ + svc_.policy.meter_interval_ms;
  svc_.registry->AddActive(1);
  counted_active_ = true;
  LT_INFO("session " << HexEncode0x(ticket_->ticket.session_id).substr(0, 18) << " opened for "
                     << ticket_->ticket.user.ToChecksumHex() << " on " << model_->name);
}

void ProviderSession::HandleInner(wire::InnerMessage m) {
  switch (m.type) {
    case FrameType::kRequest: HandleRequest(m.body); return;
    case FrameType::kVoucher: HandleVoucher(m.body); return;
    case FrameType::kRenew: HandleRenew(m.body); return;
    case FrameType::kCancel: HandleCancel(m.body); return;
    case FrameType::kClose: Finalize("client closed"); return;
    case FrameType::kInnerError: Finalize("client error"); return;
    default:
      Fail(InvalidArgument(std::string("a provider does not accept ") + std::string(wire::FrameTypeName(m.type)) +
                           " messages"));
  }
}

void ProviderSession::HandleRequest(ByteSpan body) {
  if (body.size() < 4) {
    Fail(InvalidArgument("request message shorter than its 4-byte id"));
    return;
  }
  uint32_t id = wire::GetU32(body.data());
  if (id == 0) {
    Fail(InvalidArgument("request id 0 is reserved"));
    return;
  }
  if (state_ != State::kOpen) {
    SendRequestError(id, MakeError(ErrorCode::kUnavailable, "session is closing: " + close_reason_));
    return;
  }
  if (running_.count(id) != 0) {
    SendRequestError(id, MakeError(ErrorCode::kAlreadyExists, "request id " + std::to_string(id) + " is running"));
    return;
  }
  if (body.size() - 4 > svc_.policy.max_request_bytes) {
    SendRequestError(id, MakeError(ErrorCode::kResourceExhausted, "request body exceeds " +
                                                                      std::to_string(svc_.policy.max_request_bytes) + " bytes"));
    return;
  }
  auto parsed = ParseJsonChecked(AsString(ByteSpan(body).subspan(4)), "request body");
  if (!parsed.ok()) {
    SendRequestError(id, parsed.error());
    return;
  }
  json req = std::move(*parsed);
  // Every field is checked once, here, before any backend sees the request.
  openai::ChatRequest checked;
  openai::ApiError bad;
  if (!openai::ParseAnyRequest(req, &checked, &bad)) {
    SendRequestError(id, InvalidArgument(bad.param.empty() ? bad.message : bad.param + ": " + bad.message));
    return;
  }
  if (!model_->available.load()) {
    SendRequestError(id, MakeError(ErrorCode::kUnavailable, model_->name + " is paused: its upstream is down"));
    return;
  }
  // Take a slot of the model (shared by every session of this provider).
  uint32_t cur = model_->in_flight.load();
  do {
    if (cur >= model_->slots) {
      SendRequestError(id, MakeError(ErrorCode::kResourceExhausted,
                                     "all " + std::to_string(model_->slots) + " slots of " + model_->name + " are busy"));
      return;
    }
  } while (!model_->in_flight.compare_exchange_weak(cur, cur + 1));
  req["model"] = model_->name;
  std::weak_ptr<ProviderSession> weak = weak_from_this();
  auto post = svc_.post;
  // Weak: a backend holds these callbacks, and the model owns the backend; a strong reference
  // here would make a cycle whenever a backend keeps a finished job's callbacks.
  std::weak_ptr<ServedModel> model = model_;
  GenerationCallbacks cb;
  cb.on_chunk = [weak, post, id](std::string_view d) {
    if (weak.expired()) return false;
    post([weak, id, text = std::string(d)]() mutable {
      if (auto s = weak.lock()) s->OnChunk(id, std::move(text));
    });
    return true;
  };
  cb.on_done = [weak, post, id, model](Result<GenerationResult> r) {
    if (auto m = model.lock()) m->in_flight.fetch_sub(1);
    post([weak, id, r = std::move(r)]() mutable {
      if (auto s = weak.lock()) s->OnDone(id, std::move(r));
    });
  };
  Result<std::shared_ptr<Generation>> gen = MakeError(ErrorCode::kInternal, "backend did not start");
  try {
    gen = model_->backend->Start(req, std::move(cb));
  } catch (const std::exception& e) {  // a backend's bug fails this request, never the provider
    gen = MakeError(ErrorCode::kInternal, std::string("backend error: ") + e.what());
  }
  if (!gen.ok()) {
    model_->in_flight.fetch_sub(1);
    SendRequestError(id, gen.error());
    return;
  }
  running_[id] = std::move(*gen);
}

void ProviderSession::OnChunk(uint32_t id, std::string text) {
  if (state_ != State::kOpen || running_.count(id) == 0) return;
  SendSealed(FrameType::kChunk, WithId(id, AsBytes(text)));
}

void ProviderSession::OnDone(uint32_t id, Result<GenerationResult> r) {
  if (running_.erase(id) == 0 || state_ == State::kClosed) return;
  if (!r.ok() && r.error().code != ErrorCode::kInvalidArgument && svc_.on_backend_failure) svc_.on_backend_failure();
  if (!r.ok()) {
    SendRequestError(id, r.error().Wrap(std::string(model_->backend->kind()) + " backend"));
    return;
  }
  json j = {{"finish_reason", r->finish_reason},
            {"usage",
             {{"prompt_tokens", r->prompt_tokens},
              {"completion_tokens", r->completion_tokens},
              {"total_tokens", r->prompt_tokens + r->completion_tokens}}}};
  if (r->tool_calls.is_array() && !r->tool_calls.empty()) j["tool_calls"] = r->tool_calls;
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  SendSealed(FrameType::kEnd, WithId(id, AsBytes(s)));
}

void ProviderSession::HandleCancel(ByteSpan body) {
  if (body.size() != 4) {
    Fail(InvalidArgument("cancel message must be exactly a 4-byte request id"));
    return;
  }
  auto it = running_.find(wire::GetU32(body.data()));
  if (it != running_.end()) it->second->Cancel();
}

void ProviderSession::HandleVoucher(ByteSpan body) {
  auto v = wire::DecodeSignedVoucher(body);
  if (!v.ok()) {
    Fail(v.error().Wrap("voucher"));
    return;
  }
  const wire::Voucher& vo = v->voucher;
  const wire::Ticket& t = ticket_->ticket;
  if (vo.session_id != t.session_id) {
    Fail(Denied("voucher is for session " + HexEncode0x(vo.session_id) + ", not this one"));
    return;
  }
  auto signer = wire::VoucherSigner(svc_.policy.domain, *v);
  if (!signer.ok() || *signer != t.user) {
    Fail(Unauthenticated("voucher signature is not by the ticket's user " + t.user.ToChecksumHex()));
    return;
  }
  uint64_t elapsed_ms = svc_.clock->MonotonicMillis() - start_ms_;
  if (uint64_t{vo.seconds} * 1000 > elapsed_ms + 1000) {
    Fail(InvalidArgument("voucher for " + std::to_string(vo.seconds) + " seconds, but only " +
                         std::to_string(elapsed_ms / 1000) + " seconds have elapsed"));
    return;
  }
  uint32_t last = best_ ? best_->voucher.seconds : 0;
  bool fresh = vo.is_final ? (!got_final_ && (!best_ || vo.seconds >= last)) : (!got_final_ && vo.seconds > last);
  if (!fresh) {
    Fail(InvalidArgument("replayed or non-increasing voucher (" + std::to_string(vo.seconds) +
                         " seconds after one for " + std::to_string(last) + ")"));
    return;
  }
  best_ = *v;
  if (vo.is_final) {
    got_final_ = true;
    if (state_ == State::kClosing) Finalize(close_reason_);
  }
}

void ProviderSession::HandleRenew(ByteSpan body) {
  auto st = wire::DecodeSignedTicket(body);
  if (!st.ok()) {
    Fail(st.error().Wrap("renewal"));
    return;
  }
  if (state_ != State::kOpen) return;
  Status s = CheckTicket(*st, true);
  if (!s.ok()) {
    Fail(s.error().Wrap("renewal refused"));
    return;
  }
  *ticket_ = *st;
  Bytes b;
  wire::PutU32(b, st->ticket.max_seconds);
  wire::PutU64(b, st->ticket.expires_at);
  SendSealed(FrameType::kRenewed, b);
}

void ProviderSession::Tick() {
  if (state_ == State::kClosed) return;
  uint64_t now = svc_.clock->MonotonicMillis();
  if (state_ == State::kAwaitInit) {
    if (now - created_ms_ >= svc_.policy.handshake_timeout_ms) {
      svc_.registry->CountRefused();
      Fail(MakeError(ErrorCode::kTimeout, "no handshake within " + std::to_string(svc_.policy.handshake_timeout_ms) + " ms"));
    }
    return;
  }
  if (state_ == State::kClosing) {
    if (now >= close_deadline_ms_) Finalize(close_reason_);
    return;
  }
  const wire::Ticket& t = ticket_->ticket;
  uint32_t elapsed = ElapsedSeconds();
  uint64_t vouched_ms = uint64_t{vouched_seconds()} * 1000;
  if (now - start_ms_ > vouched_ms + svc_.policy.voucher_window_ms) {
    BeginClose("no voucher for " + std::to_string((now - start_ms_ - vouched_ms) / 1000) +
               " seconds; service stopped");
    return;
  }
  if (elapsed >= t.max_seconds) {
    Bytes b;
    wire::PutU32(b, t.max_seconds);
    SendSealed(FrameType::kMeter, b);
    BeginClose("maxSeconds reached");
    return;
  }
  if (svc_.clock->NowSeconds() >= t.expires_at) {
    Bytes b;
    wire::PutU32(b, elapsed);
    SendSealed(FrameType::kMeter, b);
    BeginClose("ticket expired");
    return;
  }
  if (now >= next_meter_ms_) {
    Bytes b;
    wire::PutU32(b, elapsed);
    SendSealed(FrameType::kMeter, b);
    while (next_meter_ms_ <= now) next_meter_ms_ += svc_.policy.meter_interval_ms;
  }
}

void ProviderSession::SendSealed(FrameType type, ByteSpan body) {
  if (transport_ == nullptr || channel_ == nullptr || state_ == State::kClosed) return;
  Bytes out;
  Status s = channel_->Seal(type, body, out);
  if (!s.ok()) {
    LT_WARN("session: cannot seal " << wire::FrameTypeName(type) << ": " << s.error().message);
    Finalize("seal failed");
    return;
  }
  transport_->Send(std::move(out));
}

void ProviderSession::SendRequestError(uint32_t id, const Error& e) {
  SendSealed(FrameType::kInnerError, WithId(id, ErrorJsonBytes(e)));
}

void ProviderSession::Fail(const Error& e) {
  if (state_ == State::kClosed) return;
  LT_INFO("session: closing connection: " << e.message);
  if (transport_ != nullptr) {
    if (channel_ != nullptr && !channel_->dead()) {
      SendRequestError(0, e);
    } else {
      auto f = wire::EncodeFrame(FrameType::kError, ErrorJsonBytes(e));
      if (f.ok()) transport_->Send(std::move(*f));
    }
  }
  Finalize(e.message);
}

void ProviderSession::BeginClose(const std::string& reason) {
  if (state_ != State::kOpen) return;
  close_reason_ = reason;
  CancelAll();
  std::string s = json{{"reason", reason}}.dump();
  SendSealed(FrameType::kClose, AsBytes(s));
  state_ = State::kClosing;
  close_deadline_ms_ = svc_.clock->MonotonicMillis() + svc_.policy.close_grace_ms;
  if (got_final_) Finalize(reason);
}

void ProviderSession::CancelAll() {
  for (auto& [id, g] : running_) g->Cancel();
  running_.clear();
}

void ProviderSession::OnDisconnect() { Finalize(close_reason_.empty() ? "connection closed" : close_reason_); }

void ProviderSession::Finalize(const std::string& reason) {
  if (finalized_) return;
  finalized_ = true;
  if (close_reason_.empty()) close_reason_ = reason;
  CancelAll();
  state_ = State::kClosed;
  if (ticket_ != nullptr && best_) {
    Receipt r{{*ticket_, *best_}, close_reason_};
    U256 cost = ReceiptCost(r);
    if (svc_.registry != nullptr) svc_.registry->OnClosed(cost);
    if (svc_.receipts != nullptr) svc_.receipts->Submit(r);
    LT_INFO("session " << HexEncode0x(ticket_->ticket.session_id).substr(0, 18) << " closed (" << close_reason_
                       << "): " << best_->voucher.seconds << " s signed, cost " << cost.ToMor() << " MOR");
  } else if (ticket_ != nullptr) {
    LT_INFO("session " << HexEncode0x(ticket_->ticket.session_id).substr(0, 18) << " closed (" << close_reason_
                       << ") with no voucher");
  }
  if (counted_active_) {
    svc_.registry->AddActive(-1);
    counted_active_ = false;
  }
  if (transport_ != nullptr) transport_->Close();
}

}  // namespace lt::provider
