// The Asio session server with real sockets on 127.0.0.1 and the blocking SessionClient.
#include "provider/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "client/session.h"

namespace lt::provider {
namespace {

// Streams the words of the prompt back, one chunk each, from its own thread.
class EchoBackend final : public Backend {
 public:
  struct Gen final : Generation {
    void Cancel() override { cancelled = true; }
    std::atomic<bool> cancelled{false};
  };
  std::string_view kind() const override { return "echo"; }
  Result<std::shared_ptr<Generation>> Start(const nlohmann::json& req, GenerationCallbacks cb) override {
    std::string text = req["messages"].back()["content"];
    auto g = std::make_shared<Gen>();
    std::thread([g, cb, text] {
      size_t start = 0;
      uint32_t n = 0;
      while (start < text.size() && !g->cancelled) {
        size_t sp = text.find(' ', start + 1);
        if (sp == std::string::npos) sp = text.size();
        cb.on_chunk(text.substr(start, sp - start));
        ++n;
        start = sp;
      }
      if (text == "fail") {
        cb.on_done(MakeError(ErrorCode::kUnavailable, "upstream exploded"));
        return;
      }
      GenerationResult r;
      r.completion_tokens = n;
      if (text == "garbage tool calls") r.tool_calls = nlohmann::json::array({5, "x", nullptr});
      if (text == "a tool call") r.tool_calls = nlohmann::json::parse(R"([{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}])");
      cb.on_done(r);
    }).detach();
    return std::shared_ptr<Generation>(g);
  }
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = std::make_shared<ServedModel>();
    m->name = "echo";
    m->manifest[0] = 0xec;
    m->price_per_second = U256(7);
    m->slots = 8;
    m->backend = std::make_shared<EchoBackend>();
    SessionServices svc;
    svc.policy.domain = domain;
    svc.policy.router_accepted = [this](const crypto::Address& a) { return a == router.GetAddress(); };
    svc.policy.handshake_timeout_ms = 300;
    svc.identity = &provider;
    svc.provider = provider.GetAddress();
    svc.models[m->manifest] = m;
    svc.receipts = &sink;
    svc.registry = &registry;
    svc.clock = SystemClock::Default();
    svc.rng = SecureRandom::Default();
    ServerOptions so;
    so.tick_ms = 50;
    server = std::make_unique<SessionServer>(std::move(svc), so);
    port = server->Listen().value();
    server->Start();
  }
  void TearDown() override { server->Stop(); }

  wire::SignedTicket Ticket() {
    wire::Ticket t;
    SecureRandom::Default()->Fill(t.session_id);
    t.user = user.GetAddress();
    t.provider = provider.GetAddress();
    t.router = router.GetAddress();
    t.manifest[0] = 0xec;
    t.price_per_second = U256(7);
    t.max_seconds = 600;
    t.issued_at = SystemClock::Default()->NowSeconds();
    t.expires_at = t.issued_at + 600;
    return {t, t.Sign(router, domain)};
  }

  int RawConnect() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return fd;
  }

  SeededRandom rng{5};
  crypto::PrivateKey user = crypto::PrivateKey::Generate(rng);
  crypto::PrivateKey provider = crypto::PrivateKey::Generate(rng);
  crypto::PrivateKey router = crypto::PrivateKey::Generate(rng);
  wire::Domain domain{U256(31337), crypto::ParseAddress("0x00000000000000000000000000000000000000aa").value()};
  MemoryReceiptSink sink;
  SessionRegistry registry;
  std::unique_ptr<SessionServer> server;
  int port = 0;
};

nlohmann::json Req(const std::string& text) { return {{"messages", {{{"role", "user"}, {"content", text}}}}}; }

TEST_F(ServerTest, ChatStreamsOverTcpAndCloseProducesAReceipt) {
  auto c = client::SessionClient::Connect("127.0.0.1", port, domain, Ticket(), user);
  ASSERT_TRUE(c.ok()) << c.error().message;
  std::string streamed;
  auto r = (*c)->Chat(Req("the quick brown fox"), [&](std::string_view d) {
    streamed += d;
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "the quick brown fox");
  EXPECT_EQ(streamed, r->text);
  EXPECT_EQ(r->usage["completion_tokens"], 4);
  auto v = (*c)->Close();
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_TRUE(v->voucher.is_final);
  EXPECT_EQ(v->voucher.tokens_out, 4u);
  for (int i = 0; i < 100 && sink.size() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto receipts = sink.Take();
  ASSERT_EQ(receipts.size(), 1u);
  EXPECT_EQ(receipts[0].voucher.user_sig, v->user_sig);
}

TEST_F(ServerTest, ToolCallsThatAreNotObjectsAreNotPassedOn) {
  // A hostile provider's "tool_calls":[5,"x",null] reached the local API, whose stream threw on
  // it (setting each call's "index") and cut the user's answer off without an error.
  auto c = client::SessionClient::Connect("127.0.0.1", port, domain, Ticket(), user);
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto r = (*c)->Chat(Req("garbage tool calls"), [](std::string_view) { return true; });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "garbage tool calls");
  EXPECT_TRUE(r->tool_calls.empty()) << r->tool_calls.dump();
  r = (*c)->Chat(Req("a tool call"), [](std::string_view) { return true; });
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->tool_calls.size(), 1u) << r->tool_calls.dump();
  EXPECT_EQ(r->tool_calls[0]["function"]["name"], "f");
}

TEST_F(ServerTest, SeveralRequestsAtOnceOnOneSession) {
  auto c = client::SessionClient::Connect("127.0.0.1", port, domain, Ticket(), user).value();
  std::vector<std::thread> ts;
  std::vector<std::string> got(4);
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&, i] {
      auto r = c->Chat(Req("request number " + std::to_string(i) + " says hello"));
      got[i] = r.ok() ? r->text : r.error().message;
    });
  }
  for (auto& t : ts) t.join();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(got[i], "request number " + std::to_string(i) + " says hello");
}

TEST_F(ServerTest, BackendErrorIsARequestErrorWithItsMessage) {
  auto c = client::SessionClient::Connect("127.0.0.1", port, domain, Ticket(), user).value();
  auto r = c->Chat(Req("fail"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("upstream exploded"), std::string::npos) << r.error().message;
  EXPECT_TRUE(c->Chat(Req("still alive")).ok());
}

TEST_F(ServerTest, RefusedTicketIsAClearConnectError) {
  auto t = Ticket();
  t.ticket.provider = user.GetAddress();
  t.router_sig = t.ticket.Sign(router, domain);
  auto c = client::SessionClient::Connect("127.0.0.1", port, domain, t, user);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(c.error().message.find("ticket is for provider"), std::string::npos) << c.error().message;
}

TEST_F(ServerTest, SilentConnectionIsDroppedAfterTheHandshakeTimeout) {
  int fd = RawConnect();
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  EXPECT_EQ(n, 0) << "the provider closes the connection";
  ::close(fd);
  ASSERT_GE(got.size(), 5u);
  EXPECT_EQ(static_cast<uint8_t>(got[4]), 0x04);
  EXPECT_NE(got.find("no handshake"), std::string::npos);
}

TEST_F(ServerTest, OversizedFrameGetsErrorAndClose) {
  int fd = RawConnect();
  const uint8_t hdr[] = {0x7f, 0xff, 0xff, 0xff, 0x01};
  ASSERT_EQ(::write(fd, hdr, sizeof hdr), 5);
  std::string got;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_NE(got.find("frame length"), std::string::npos);
}

TEST_F(ServerTest, ManyIdleConnectionsDoNotDisturbASession) {
  std::vector<int> fds;
  for (int i = 0; i < 300; ++i) fds.push_back(RawConnect());
  auto c = client::SessionClient::Connect("127.0.0.1", port, domain, Ticket(), user);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE((*c)->Chat(Req("works fine")).ok());
  EXPECT_GE(server->connections(), 300u);
  for (int fd : fds) ::close(fd);
}

}  // namespace
}  // namespace lt::provider
