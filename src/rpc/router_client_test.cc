// RouterClient's one failover policy, against fake routers on real loopback sockets.
#include "rpc/router_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "crypto/keys.h"

namespace lt::rpc {
namespace {

using nlohmann::json;

// A router that answers every route with one programmable status and body.
class FakeRouter {
 public:
  FakeRouter() {
    auto answer = [this](const net::HttpRequest&) {
      ++hits;
      net::HttpResponse r = net::HttpResponse::Json(status.load(), body);
      if (!retry_after.empty()) r.headers.emplace("Retry-After", retry_after);
      return r;
    };
    for (const char* p : {"/rfc", "/renew", "/receipts", "/announce"}) server_.Post(p, answer);
    server_.Get("/providers", answer);
    server_.Get("/holders/([^/]+)", answer);
    auto port = server_.Listen("127.0.0.1", 0);
    if (port.ok()) url = "http://127.0.0.1:" + std::to_string(*port);
    thread_ = std::thread([this] { server_.Run(); });
  }
  ~FakeRouter() {
    server_.Stop();
    thread_.join();
  }
  std::string url;
  std::atomic<int> status{200};
  json body = json::object();
  std::string retry_after;
  std::atomic<int> hits{0};

 private:
  net::HttpServer server_;
  std::thread thread_;
};

json Refusal(const std::string& code) { return {{"error", {{"code", code}, {"message", "refused: " + code}}}}; }

wire::Receipt SomeReceipt() {
  wire::Receipt r;
  r.voucher.voucher.seconds = 5;
  return r;
}

wire::TicketGrant Grant(const std::string& model) {
  wire::TicketGrant g;
  g.endpoint = "127.0.0.1:1";
  g.model = model;
  g.ticket.ticket.max_seconds = 60;
  return g;
}

TEST(RouterClientTest, TransportErrors429And5xxMoveOnAFinalAnswerDoesNot) {
  FakeRouter busy, broken, good, unused;
  busy.status = 429;
  busy.body = Refusal("rate_limited");
  broken.status = 500;
  good.body = json::object();
  RouterClient c({"http://127.0.0.1:1", busy.url, broken.url, good.url, unused.url});
  ASSERT_TRUE(c.PostReceipt(SomeReceipt()).ok());
  EXPECT_EQ(busy.hits, 1);
  EXPECT_EQ(broken.hits, 1);
  EXPECT_EQ(good.hits, 1);
  EXPECT_EQ(unused.hits, 0);

  // A 409 is final: the next router is not asked, and the failure keeps status and code.
  good.status = 409;
  good.body = Refusal("too_expensive");
  RouterFailure f;
  auto g = c.RequestTicket(wire::RfcRequest{}, {}, &f);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(f.http_status, 409);
  EXPECT_EQ(f.code, "too_expensive");
  EXPECT_NE(f.message.find(good.url), std::string::npos) << f.message;
  EXPECT_EQ(g.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(unused.hits, 0);
}

TEST(RouterClientTest, RenewalsAndReceiptsRefusedWith403GoToTheNextRouterTicketsStop) {
  FakeRouter other, owner;
  other.status = 403;
  other.body = Refusal("permission_denied");
  RouterClient c({other.url, owner.url});
  ASSERT_TRUE(c.PostReceipt(SomeReceipt()).ok());
  EXPECT_EQ(owner.hits, 1);
  owner.body = Grant("demo/stories:260k").ToJson();
  ASSERT_TRUE(c.Renew(wire::RenewRequest{}).ok());
  EXPECT_EQ(owner.hits, 2);
  RouterFailure f;
  EXPECT_FALSE(c.RequestTicket(wire::RfcRequest{}, {}, &f).ok());
  EXPECT_EQ(f.http_status, 403);
  EXPECT_EQ(owner.hits, 2);  // a 403 to an RFC is final
}

TEST(RouterClientTest, AGrantTheCallerRefusesMovesOnToTheNextRouter) {
  FakeRouter liar, honest;
  liar.body = Grant("evil/model:1").ToJson();
  honest.body = Grant("demo/stories:260k").ToJson();
  RouterClient c({liar.url, honest.url});
  auto g = c.RequestTicket(wire::RfcRequest{}, [](const wire::TicketGrant& g) -> Status {
    if (g.model != "demo/stories:260k") return InvalidArgument("not the model asked for");
    return OkStatus();
  });
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g->model, "demo/stories:260k");
  EXPECT_EQ(liar.hits, 1);

  // When every router's grant is refused, the failure says so (502, bad_answer).
  honest.body = liar.body;
  RouterFailure f;
  EXPECT_FALSE(c.RequestTicket(wire::RfcRequest{}, [](const wire::TicketGrant&) -> Status {
                  return InvalidArgument("no");
                }, &f).ok());
  EXPECT_EQ(f.http_status, 502);
  EXPECT_EQ(f.code, "bad_answer");
  // An answer that is not a grant at all is refused the same way.
  liar.body = honest.body = json{{"nonsense", true}};
  EXPECT_FALSE(c.Renew(wire::RenewRequest{}, &f).ok());
  EXPECT_EQ(f.code, "bad_answer");
}

TEST(RouterClientTest, RetryAfterIsHonouredUntilItPassesByEveryCall) {
  FakeRouter overloaded, spare;
  overloaded.status = 503;
  overloaded.retry_after = "30";
  FakeClock clock;
  RouterClient c({overloaded.url, spare.url}, {}, &clock);
  ASSERT_TRUE(c.PostReceipt(SomeReceipt()).ok());
  ASSERT_TRUE(c.PostReceipt(SomeReceipt()).ok());
  EXPECT_EQ(overloaded.hits, 1);  // skipped while cooling down
  EXPECT_EQ(spare.hits, 2);
  auto views = c.Providers();  // calls to every router skip it too, and say why
  ASSERT_EQ(views.size(), 2u);
  ASSERT_FALSE(views[0].answer.ok());
  EXPECT_NE(views[0].answer.error().message.find("cooling down"), std::string::npos);
  EXPECT_EQ(overloaded.hits, 1);

  // When every router cools down the call fails at once, without asking anyone.
  spare.status = 429;
  spare.retry_after = "5";
  EXPECT_FALSE(c.PostReceipt(SomeReceipt()).ok());
  RouterFailure f;
  EXPECT_FALSE(c.PostReceipt(SomeReceipt(), &f).ok());
  EXPECT_EQ(f.http_status, 0);
  EXPECT_NE(f.message.find("cooling down"), std::string::npos) << f.message;
  EXPECT_EQ(spare.hits, 4);  // 2 receipts, the providers view, the 429

  // Time passes: both are asked again. A huge Retry-After is capped (60 s by default).
  clock.AdvanceSeconds(31);
  overloaded.status = 200;
  overloaded.retry_after = "";
  EXPECT_TRUE(c.PostReceipt(SomeReceipt()).ok());
  EXPECT_EQ(overloaded.hits, 2);
  overloaded.status = 429;
  overloaded.retry_after = "99999999999999999";
  spare.status = 200;
  spare.retry_after = "";
  EXPECT_TRUE(c.PostReceipt(SomeReceipt()).ok());
  clock.AdvanceSeconds(61);
  overloaded.status = 200;
  overloaded.retry_after = "";
  EXPECT_TRUE(c.PostReceipt(SomeReceipt()).ok());
  EXPECT_EQ(overloaded.hits, 4);
}

TEST(RouterClientTest, ProvidersAndHoldersAreTypedPerRouterAndRefuseMalformedAnswers) {
  FakeRouter a, b, c;
  crypto::PrivateKey k = *crypto::PrivateKey::FromHex(std::string(64, '1'));
  wire::ProviderStatus p;
  p.address = k.GetAddress();
  p.endpoint = "127.0.0.1:9";
  p.banned_ms = 1500;
  wire::OfferStatus o;
  o.manifest = "0x" + std::string(64, 'a');
  o.price_per_second = "0.001";
  o.tps = 12.5;
  p.offers.push_back(o);
  a.body = wire::ProvidersToJson({p});
  b.body = json{{"providers", json::array({{{"address", "not an address"}}})}};
  c.status = 500;
  RouterClient client({a.url, b.url, c.url});
  auto views = client.Providers();
  ASSERT_EQ(views.size(), 3u);
  ASSERT_TRUE(views[0].answer.ok()) << views[0].answer.error().message;
  ASSERT_EQ(views[0].answer->size(), 1u);
  EXPECT_EQ((*views[0].answer)[0].address, k.GetAddress());
  EXPECT_EQ((*views[0].answer)[0].banned_ms, 1500u);
  EXPECT_FALSE((*views[0].answer)[0].offers[0].observed_tps.has_value());
  EXPECT_DOUBLE_EQ((*views[0].answer)[0].offers[0].tps, 12.5);
  ASSERT_FALSE(views[1].answer.ok());
  EXPECT_NE(views[1].answer.error().message.find("providers[0]"), std::string::npos)
      << views[1].answer.error().message;
  EXPECT_FALSE(views[2].answer.ok());

  wire::Holder h;
  h.provider = k.GetAddress();
  h.http = "http://127.0.0.1:5";
  h.expires_at = 99;
  a.body = json{{"cid", "x"}, {"holders", json::array({h.ToJson()})}};
  auto holders = client.Holders("x");
  ASSERT_TRUE(holders[0].answer.ok()) << holders[0].answer.error().message;
  ASSERT_EQ(holders[0].answer->size(), 1u);
  EXPECT_EQ((*holders[0].answer)[0].http, "http://127.0.0.1:5");
  EXPECT_EQ((*holders[0].answer)[0].expires_at, 99u);
  EXPECT_FALSE(holders[1].answer.ok());  // {"providers":...} is not a holders answer
}

}  // namespace
}  // namespace lt::rpc
