// The provider's session state machine driven by the real client core, without sockets, on a
// FakeClock: handshake refusals, tampering, metering and vouchers, receipts.
#include "provider/session.h"

#include <gtest/gtest.h>

#include <deque>

#include "client/session.h"

namespace lt::provider {
namespace {

using client::ClientEvent;
using wire::FrameType;

// Records generations; the test decides when chunks and the end arrive.
class FakeBackend final : public Backend {
 public:
  struct Gen final : Generation {
    void Cancel() override { cancelled = true; }
    bool cancelled = false;
  };
  std::string_view kind() const override { return "fake"; }
  Result<std::shared_ptr<Generation>> Start(const nlohmann::json& req, GenerationCallbacks cb) override {
    requests.push_back(req);
    auto g = std::make_shared<Gen>();
    gens.push_back(g);
    cbs.push_back(std::move(cb));
    return std::shared_ptr<Generation>(g);
  }
  void Emit(size_t i, const std::vector<std::string>& chunks, Result<GenerationResult> end = GenerationResult{}) {
    for (const auto& c : chunks) cbs[i].on_chunk(c);
    cbs[i].on_done(std::move(end));
  }
  std::vector<nlohmann::json> requests;
  std::vector<std::shared_ptr<Gen>> gens;
  std::vector<GenerationCallbacks> cbs;
};

class FakeTransport final : public SessionTransport {
 public:
  void Send(Bytes b) override { out.insert(out.end(), b.begin(), b.end()); }
  void Close() override { closed = true; }
  Bytes out;
  bool closed = false;
};

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() {
    model = std::make_shared<ServedModel>();
    model->name = "tiny/stories:260k";
    model->manifest[0] = 0xab;
    model->price_per_second = U256(1000);
    model->min_seconds = 5;
    model->slots = 2;
    model->backend = backend;
    svc.policy.domain = domain;
    svc.policy.router_accepted = [this](const crypto::Address& a) { return a == router.GetAddress(); };
    svc.identity = &provider;
    svc.provider = provider.GetAddress();
    svc.models[model->manifest] = model;
    svc.receipts = &sink;
    svc.registry = &registry;
    svc.clock = &clock;
    svc.rng = &rng;
    svc.post = [this](std::function<void()> fn) { posted.push_back(std::move(fn)); };
  }

  wire::Ticket BaseTicket() {
    wire::Ticket t;
    t.session_id[0] = 0x5e;
    t.session_id[31] = static_cast<uint8_t>(++ticket_counter);
    t.user = user.GetAddress();
    t.provider = provider.GetAddress();
    t.router = router.GetAddress();
    t.manifest = model->manifest;
    t.price_per_second = U256(1000);
    t.min_seconds = 5;
    t.max_seconds = 600;
    t.issued_at = clock.NowSeconds();
    t.expires_at = clock.NowSeconds() + 3600;
    return t;
  }
  wire::SignedTicket Sign(const wire::Ticket& t, const crypto::PrivateKey& by) { return {t, t.Sign(by, domain)}; }

  // Opens a session with the given ticket and user key; pumps the handshake.
  void Open(const wire::SignedTicket& st, const crypto::PrivateKey* as = nullptr, client::ClientOptions o = {}) {
    session = std::make_shared<ProviderSession>(svc, &transport);
    cli = std::make_unique<client::ClientSession>(domain, st, as ? *as : user, rng, &clock, o);
    Pump();
  }

  // Moves bytes both ways and runs posted callbacks until nothing moves.
  void Pump() {
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      Bytes c2p = cli->TakeOutput();
      if (!c2p.empty() && session->state() != ProviderSession::State::kClosed) {
        wire_bytes.insert(wire_bytes.end(), c2p.begin(), c2p.end());
        session->OnBytes(c2p);
        moved = true;
      }
      while (!posted.empty()) {
        auto fn = std::move(posted.front());
        posted.pop_front();
        fn();
        moved = true;
      }
      Bytes p2c = std::move(transport.out);
      transport.out.clear();
      if (!p2c.empty()) {
        wire_bytes.insert(wire_bytes.end(), p2c.begin(), p2c.end());
        if (!cli->dead()) client_status = cli->Feed(p2c, &events);
        moved = true;
      }
      if (!moved) return;
    }
  }

  void Advance(uint64_t seconds) {
    for (uint64_t i = 0; i < seconds * 5; ++i) {
      clock.AdvanceMillis(200);
      session->Tick();
      Pump();
    }
  }

  bool HasEvent(ClientEvent::Kind k) const {
    for (const auto& e : events)
      if (e.kind == k) return true;
    return false;
  }
  std::string SessionError() const {
    for (const auto& e : events)
      if (e.kind == ClientEvent::Kind::kSessionError) return e.error.message;
    return "";
  }

  FakeClock clock;
  SeededRandom rng{99};
  crypto::PrivateKey user = crypto::PrivateKey::Generate(rng);
  crypto::PrivateKey provider = crypto::PrivateKey::Generate(rng);
  crypto::PrivateKey router = crypto::PrivateKey::Generate(rng);
  wire::Domain domain{U256(31337), crypto::ParseAddress("0x00000000000000000000000000000000000000aa").value()};
  std::shared_ptr<FakeBackend> backend = std::make_shared<FakeBackend>();
  std::shared_ptr<ServedModel> model;
  MemoryReceiptSink sink;
  SessionRegistry registry;
  SessionServices svc;
  std::deque<std::function<void()>> posted;
  FakeTransport transport;
  std::shared_ptr<ProviderSession> session;
  std::unique_ptr<client::ClientSession> cli;
  std::vector<ClientEvent> events;
  Status client_status;
  Bytes wire_bytes;
  int ticket_counter = 0;
};

// ---- Handshake refusals ------------------------------------------------------------------------

TEST_F(SessionTest, GoodTicketOpensTheSession) {
  Open(Sign(BaseTicket(), router));
  EXPECT_TRUE(cli->established());
  EXPECT_EQ(session->state(), ProviderSession::State::kOpen);
  EXPECT_TRUE(HasEvent(ClientEvent::Kind::kEstablished));
}

TEST_F(SessionTest, TicketForAnotherProviderIsRefusedWithErrorAndClose) {
  auto t = BaseTicket();
  t.provider = crypto::PrivateKey::Generate(rng).GetAddress();
  Open(Sign(t, router));
  EXPECT_TRUE(transport.closed);
  EXPECT_EQ(session->state(), ProviderSession::State::kClosed);
  EXPECT_NE(SessionError().find("ticket is for provider"), std::string::npos) << SessionError();
  EXPECT_FALSE(cli->established());
}

TEST_F(SessionTest, ExpiredTicketIsRefused) {
  auto t = BaseTicket();
  t.expires_at = clock.NowSeconds() - 1;
  Open(Sign(t, router));
  EXPECT_TRUE(transport.closed);
  EXPECT_NE(SessionError().find("expired"), std::string::npos) << SessionError();
}

TEST_F(SessionTest, ForgedTicketIsRefused) {
  // Claims our router but is signed by someone else.
  Open(Sign(BaseTicket(), crypto::PrivateKey::Generate(rng)));
  EXPECT_TRUE(transport.closed);
  EXPECT_NE(SessionError().find("not by its router"), std::string::npos) << SessionError();
}

TEST_F(SessionTest, TicketFromAnUnacceptedRouterIsRefused) {
  auto other = crypto::PrivateKey::Generate(rng);
  auto t = BaseTicket();
  t.router = other.GetAddress();
  Open(Sign(t, other));
  EXPECT_TRUE(transport.closed);
  EXPECT_NE(SessionError().find("not accepted"), std::string::npos) << SessionError();
}

TEST_F(SessionTest, WrongHandshakeSignatureIsRefused) {
  auto mallory = crypto::PrivateKey::Generate(rng);
  Open(Sign(BaseTicket(), router), &mallory);  // someone else's ticket
  EXPECT_TRUE(transport.closed);
  EXPECT_NE(SessionError().find("handshake signature is not by the ticket's user"), std::string::npos) << SessionError();
}

TEST_F(SessionTest, PriceBelowOfferIsRefused) {
  auto t = BaseTicket();
  t.price_per_second = U256(999);
  Open(Sign(t, router));
  EXPECT_TRUE(transport.closed);
  EXPECT_NE(SessionError().find("below this provider's price"), std::string::npos) << SessionError();
}

TEST_F(SessionTest, ATicketOpensOnlyOneSession) {
  auto st = Sign(BaseTicket(), router);
  Open(st);
  ASSERT_TRUE(cli->established());
  FakeTransport t2;
  auto s2 = std::make_shared<ProviderSession>(svc, &t2);
  client::ClientSession c2(domain, st, user, rng, &clock);
  s2->OnBytes(c2.TakeOutput());
  EXPECT_TRUE(t2.closed);
  std::vector<ClientEvent> ev;
  EXPECT_FALSE(c2.Feed(t2.out, &ev).ok());
  ASSERT_FALSE(ev.empty());
  EXPECT_NE(ev[0].error.message.find("already opened"), std::string::npos);
}

TEST_F(SessionTest, GarbageInsteadOfHandshakeGetsErrorFrameAndClose) {
  session = std::make_shared<ProviderSession>(svc, &transport);
  session->OnBytes(AsBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(transport.closed);
  wire::FrameDecoder d;
  ASSERT_TRUE(d.Feed(transport.out).ok());
  auto f = d.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->type, FrameType::kError);
  EXPECT_NE(std::string(AsString(f->body)).find("frame length"), std::string::npos);
}

TEST_F(SessionTest, OversizedFirstFrameIsRefusedBeforeItIsBuffered) {
  // A stranger announcing a 16 MiB "handshake" and sending it made the provider buffer it all
  // (per connection, up to the caps: gigabytes) until the handshake timeout. The first frame is
  // a handshake-init of a fixed size, so anything longer is refused from its header.
  session = std::make_shared<ProviderSession>(svc, &transport);
  Bytes header;
  wire::PutU32(header, wire::kMaxFrameLength);
  header.push_back(static_cast<uint8_t>(FrameType::kHandshakeInit));
  session->OnBytes(header);
  EXPECT_TRUE(transport.closed) << "the 16 MiB header was accepted";
  wire::FrameDecoder d;
  ASSERT_TRUE(d.Feed(transport.out).ok());
  auto f = d.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->type, FrameType::kError);
  EXPECT_NE(std::string(AsString(f->body)).find("frame length"), std::string::npos) << AsString(f->body);
  // A real handshake still opens, and after it a large request frame is fine.
  transport.out.clear();
  transport.closed = false;
  Open(Sign(BaseTicket(), router));
  ASSERT_TRUE(cli->established());
  std::string big(64 * 1024, 'x');
  ASSERT_TRUE(cli->SendRequest(1, {{"messages", {{{"role", "user"}, {"content", big}}}}}).ok());
  Pump();
  EXPECT_EQ(backend->requests.size(), 1u);
  EXPECT_EQ(session->state(), ProviderSession::State::kOpen);
}

TEST_F(SessionTest, HandshakeThatNeverFinishesTimesOut) {
  session = std::make_shared<ProviderSession>(svc, &transport);
  session->OnBytes(Bytes{0, 0, 2, 4, 1, 9});  // half a handshake frame
  clock.AdvanceMillis(svc.policy.handshake_timeout_ms - 1);
  session->Tick();
  EXPECT_FALSE(transport.closed);
  clock.AdvanceMillis(1);
  session->Tick();
  EXPECT_TRUE(transport.closed);
}

// ---- Channel integrity -------------------------------------------------------------------------

TEST_F(SessionTest, TamperedFrameClosesTheSession) {
  Open(Sign(BaseTicket(), router));
  ASSERT_TRUE(cli->SendRequest(1, {{"messages", {{{"role", "user"}, {"content", "hi"}}}}}).ok());
  Bytes f = cli->TakeOutput();
  f[f.size() - 3] ^= 1;
  session->OnBytes(f);
  EXPECT_TRUE(transport.closed);
  EXPECT_EQ(session->state(), ProviderSession::State::kClosed);
  EXPECT_TRUE(backend->requests.empty());
}

TEST_F(SessionTest, ReplayedFrameClosesTheSession) {
  Open(Sign(BaseTicket(), router));
  ASSERT_TRUE(cli->SendRequest(1, {{"messages", {{{"role", "user"}, {"content", "hi"}}}}}).ok());
  Bytes f = cli->TakeOutput();
  session->OnBytes(f);
  EXPECT_EQ(backend->requests.size(), 1u);
  session->OnBytes(f);  // the same bytes again
  EXPECT_TRUE(transport.closed);
  EXPECT_EQ(backend->requests.size(), 1u);
}

// ---- Requests ----------------------------------------------------------------------------------

TEST_F(SessionTest, StreamsChunksAndEndForARequest) {
  Open(Sign(BaseTicket(), router));
  ASSERT_TRUE(cli->SendRequest(7, {{"model", "x"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}}).ok());
  Pump();
  ASSERT_EQ(backend->requests.size(), 1u);
  EXPECT_EQ(backend->requests[0]["model"], model->name);
  GenerationResult res;
  res.completion_tokens = 2;
  backend->Emit(0, {"Once", " upon"}, res);
  Pump();
  std::string text;
  bool ended = false;
  for (const auto& e : events) {
    if (e.kind == ClientEvent::Kind::kChunk && e.request_id == 7) text += e.text;
    if (e.kind == ClientEvent::Kind::kEnd && e.request_id == 7) ended = true;
  }
  EXPECT_EQ(text, "Once upon");
  EXPECT_TRUE(ended);
  EXPECT_EQ(cli->tokens_out(), 2u);
  // Neither the prompt nor the output crossed the wire in clear.
  EXPECT_EQ(AsString(wire_bytes).find("Once"), std::string_view::npos);
  EXPECT_EQ(AsString(wire_bytes).find("\"hi\""), std::string_view::npos);
}

TEST_F(SessionTest, BackendErrorReachesTheClientWithItsMessage) {
  Open(Sign(BaseTicket(), router));
  ASSERT_TRUE(cli->SendRequest(1, {{"messages", {{{"role", "user"}, {"content", "hi"}}}}}).ok());
  Pump();
  backend->Emit(0, {}, MakeError(ErrorCode::kUnavailable, "upstream answered HTTP 500: model not loaded"));
  Pump();
  bool found = false;
  for (const auto& e : events) {
    if (e.kind == ClientEvent::Kind::kRequestError && e.request_id == 1) {
      found = e.error.message.find("model not loaded") != std::string::npos;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(session->state(), ProviderSession::State::kOpen);  // a request error is not fatal
}

TEST_F(SessionTest, ErrorMessageCutInsideAUtf8SequenceReachesTheClient) {
  // The builtin backend quotes a request's response_format type cut at 40 bytes, which can end
  // inside a UTF-8 sequence ("é" is two bytes). The error frame's json::dump threw on it: the
  // exception left OnBytes, the connection was never read again and the client got no answer.
  Open(Sign(BaseTicket(), router));
  ASSERT_TRUE(cli->SendRequest(1, {{"messages", {{{"role", "user"}, {"content", "hi"}}}}}).ok());
  Pump();
  std::string cut = "response_format: type '" + std::string("\xc3\xa9\xc3\xa9\xc3", 5) + "' is not supported";
  ASSERT_NO_THROW(backend->Emit(0, {}, InvalidArgument(cut)));
  ASSERT_NO_THROW(Pump());
  bool found = false;
  for (const auto& e : events) {
    if (e.kind == ClientEvent::Kind::kRequestError && e.request_id == 1) {
      found = e.error.message.find("is not supported") != std::string::npos;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(session->state(), ProviderSession::State::kOpen);
}

TEST_F(SessionTest, RequestsBeyondTheSlotsAreRefusedButOthersRun) {
  Open(Sign(BaseTicket(), router));
  nlohmann::json req = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  for (uint32_t id = 1; id <= 3; ++id) ASSERT_TRUE(cli->SendRequest(id, req).ok());
  Pump();
  EXPECT_EQ(backend->requests.size(), 2u);
  bool refused3 = false;
  for (const auto& e : events)
    if (e.kind == ClientEvent::Kind::kRequestError && e.request_id == 3) refused3 = true;
  EXPECT_TRUE(refused3);
  EXPECT_EQ(session->in_flight(), 2u);
  backend->Emit(0, {"a"});
  Pump();
  EXPECT_EQ(model->in_flight.load(), 1u);
}

// ---- Metering ----------------------------------------------------------------------------------

TEST_F(SessionTest, MetersEveryIntervalAndClientAnswersWithVouchers) {
  Open(Sign(BaseTicket(), router));
  Advance(31);
  EXPECT_EQ(session->state(), ProviderSession::State::kOpen);
  EXPECT_EQ(session->vouched_seconds(), 30u);
  ASSERT_EQ(cli->signed_vouchers().size(), 3u);
  EXPECT_EQ(cli->signed_vouchers()[0].voucher.seconds, 10u);
  EXPECT_EQ(cli->signed_vouchers()[2].voucher.seconds, 30u);
}

TEST_F(SessionTest, WithheldVouchersStopServiceWithinTheWindow) {
  client::ClientOptions o;
  o.auto_voucher = false;
  Open(Sign(BaseTicket(), router), nullptr, o);
  ASSERT_TRUE(cli->SendRequest(1, {{"messages", {{{"role", "user"}, {"content", "hi"}}}}}).ok());
  Pump();
  Advance(20);
  EXPECT_EQ(session->state(), ProviderSession::State::kOpen);
  Advance(1);  // 21 s unvouched > 20 s window
  EXPECT_NE(session->state(), ProviderSession::State::kOpen);
  EXPECT_TRUE(backend->gens[0]->cancelled);
  EXPECT_TRUE(HasEvent(ClientEvent::Kind::kClosed));
  // The client's close answer carries a final voucher; the provider is paid only for it.
  Pump();
  EXPECT_EQ(session->state(), ProviderSession::State::kClosed);
  auto receipts = sink.Take();
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].voucher.voucher.seconds, cli->signed_vouchers().back().voucher.seconds);
}

TEST_F(SessionTest, ServiceStopsEvenIfClientNeverAnswersTheClose) {
  client::ClientOptions o;
  o.auto_voucher = false;
  Open(Sign(BaseTicket(), router), nullptr, o);
  // The client goes silent: nothing it sends reaches the provider any more.
  auto silent = std::move(cli);
  cli = std::make_unique<client::ClientSession>(domain, Sign(BaseTicket(), router), user, rng, &clock, o);
  cli->TakeOutput();
  for (int i = 0; i < 5 * 25; ++i) {
    clock.AdvanceMillis(200);
    session->Tick();
    transport.out.clear();
  }
  EXPECT_EQ(session->state(), ProviderSession::State::kClosed);
  EXPECT_TRUE(transport.closed);
  EXPECT_EQ(sink.size(), 0u);  // nothing signed, nothing charged
}

TEST_F(SessionTest, VoucherForMoreSecondsThanElapsedIsRefused) {
  client::ClientOptions o;
  o.auto_voucher = false;
  Open(Sign(BaseTicket(), router), nullptr, o);
  Advance(5);
  ASSERT_TRUE(cli->SendVoucher(60, false).ok());
  Pump();
  EXPECT_EQ(session->state(), ProviderSession::State::kClosed);
  EXPECT_TRUE(transport.closed);
  EXPECT_NE(SessionError().find("only 5 seconds have elapsed"), std::string::npos) << SessionError();
}

TEST_F(SessionTest, ReplayedVoucherIsRefused) {
  client::ClientOptions o;
  o.auto_voucher = false;
  Open(Sign(BaseTicket(), router), nullptr, o);
  Advance(10);
  ASSERT_TRUE(cli->SendVoucher(10, false).ok());
  Pump();
  EXPECT_EQ(session->vouched_seconds(), 10u);
  // Same voucher content again (a fresh frame, so the channel accepts it): not increasing.
  ASSERT_TRUE(cli->SendVoucher(10, false).ok());
  Pump();
  EXPECT_EQ(session->state(), ProviderSession::State::kClosed);
  EXPECT_NE(SessionError().find("replayed or non-increasing voucher"), std::string::npos) << SessionError();
}

TEST_F(SessionTest, VoucherWithBadSignatureIsRefused) {
  client::ClientOptions o;
  o.auto_voucher = false;
  Open(Sign(BaseTicket(), router), nullptr, o);
  Advance(10);
  wire::Voucher v;
  v.session_id = cli->ticket().ticket.session_id;
  v.seconds = 10;
  auto sv = wire::SignVoucher(crypto::PrivateKey::Generate(rng), domain, v);
  ASSERT_TRUE(cli->SendRaw(FrameType::kVoucher, wire::EncodeSignedVoucher(sv)).ok());
  Pump();
  EXPECT_EQ(session->state(), ProviderSession::State::kClosed);
  EXPECT_NE(SessionError().find("voucher signature is not by the ticket's user"), std::string::npos) << SessionError();
}

TEST_F(SessionTest, CostIsNeverMoreThanSignedAndRespectsMinSeconds) {
  Open(Sign(BaseTicket(), router));
  Advance(25);  // vouchers for 10 and 20 seconds
  ASSERT_EQ(session->vouched_seconds(), 20u);
  // The connection drops without a final voucher: the last signed voucher is the receipt.
  session->OnDisconnect();
  auto receipts = sink.Take();
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].voucher.voucher.seconds, 20u);
  EXPECT_EQ(ReceiptCost(receipts[0]), U256(20 * 1000));
  uint32_t max_signed = 0;
  for (const auto& v : cli->signed_vouchers()) max_signed = std::max(max_signed, v.voucher.seconds);
  EXPECT_LE(ReceiptCost(receipts[0]), U256(uint64_t{max_signed} * 1000));

  // A short session pays minSeconds (5) even if it signed 2.
  Receipt r = receipts[0];
  r.voucher.voucher.seconds = 2;
  EXPECT_EQ(ReceiptCost(r), U256(5 * 1000));
  // And never more than maxSeconds.
  r.voucher.voucher.seconds = 10'000;
  EXPECT_EQ(ReceiptCost(r), U256(600 * 1000));
}

TEST_F(SessionTest, ClientCloseSendsFinalVoucherWithTokensAndTtft) {
  Open(Sign(BaseTicket(), router));
  ASSERT_TRUE(cli->SendRequest(1, {{"messages", {{{"role", "user"}, {"content", "hi"}}}}}).ok());
  Pump();
  clock.AdvanceMillis(150);
  backend->Emit(0, {"a", "b", "c"});
  Pump();
  Advance(12);
  auto fv = cli->Close();
  ASSERT_TRUE(fv.ok());
  Pump();
  EXPECT_EQ(session->state(), ProviderSession::State::kClosed);
  auto receipts = sink.Take();
  ASSERT_EQ(receipts.size(), 1u);
  const auto& v = receipts[0].voucher.voucher;
  EXPECT_TRUE(v.is_final);
  EXPECT_EQ(v.seconds, 12u);
  EXPECT_EQ(v.tokens_out, 3u);
  EXPECT_EQ(v.ttft_ms, 150u);
  EXPECT_EQ(receipts[0].voucher.user_sig, fv->user_sig);
}

TEST_F(SessionTest, StopsAtMaxSeconds) {
  auto t = BaseTicket();
  t.max_seconds = 15;
  Open(Sign(t, router));
  Advance(16);
  EXPECT_EQ(session->state(), ProviderSession::State::kClosed);
  EXPECT_EQ(session->close_reason(), "maxSeconds reached");
  auto receipts = sink.Take();
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].voucher.voucher.seconds, 15u);
  EXPECT_TRUE(receipts[0].voucher.voucher.is_final);
}

TEST_F(SessionTest, RenewalExtendsMaxSeconds) {
  auto t = BaseTicket();
  t.max_seconds = 15;
  Open(Sign(t, router));
  Advance(5);
  auto t2 = t;
  t2.max_seconds = 100;
  t2.expires_at += 600;
  ASSERT_TRUE(cli->Renew(Sign(t2, router)).ok());
  Pump();
  EXPECT_TRUE(HasEvent(ClientEvent::Kind::kRenewed));
  Advance(20);
  EXPECT_EQ(session->state(), ProviderSession::State::kOpen);
}

TEST_F(SessionTest, RenewalForAnotherSessionIsRefused) {
  Open(Sign(BaseTicket(), router));
  auto other = BaseTicket();  // new session id
  other.expires_at += 600;
  ASSERT_TRUE(cli->Renew(Sign(other, router)).ok());
  Pump();
  EXPECT_EQ(session->state(), ProviderSession::State::kClosed);
  EXPECT_NE(SessionError().find("another session"), std::string::npos) << SessionError();
}

}  // namespace
}  // namespace lt::provider
