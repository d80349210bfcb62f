// The local API's request handling that needs no network: per-request preferences (lt_* fields
// override the flags and are removed before the request is forwarded) and the error shape.
#include "client/api_server.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "net/http_test_support.h"
#include "openai/http_test_support.h"
#include "wire/messages.h"

namespace lt::client {
namespace {

using nlohmann::json;

TEST(ApiServerTest, PreferencesFromExtraFieldsAreTakenOut) {
  Preferences p;
  p.max_price_per_second = *U256::FromMor("0.01");
  json body = {{"model", "m"},
               {"lt_max_price", "0.5"},
               {"lt_min_tps", 20},
               {"lt_want_seconds", 60},
               {"lt_max_latency_ms", 100}};
  auto st = TakePreferences(body, &p);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(p.max_price_per_second, *U256::FromMor("0.5"));
  EXPECT_EQ(p.min_tps, 20u);
  EXPECT_EQ(p.want_seconds, 60u);
  EXPECT_EQ(p.max_latency_ms, 100u);
  EXPECT_EQ(body, json({{"model", "m"}}));
  Preferences q = p;
  json numeric = {{"lt_max_price", 0.25}};
  ASSERT_TRUE(TakePreferences(numeric, &q).ok());
  EXPECT_EQ(q.max_price_per_second, *U256::FromMor("0.25"));
  EXPECT_NE(p.Key(), q.Key());
}

TEST(ApiServerTest, BadPreferencesNameTheField) {
  Preferences p;
  for (json body : {json{{"lt_max_price", "free"}}, json{{"lt_max_price", "0"}}, json{{"lt_min_tps", -1}},
                    json{{"lt_want_seconds", 0}}, json{{"lt_max_latency_ms", "fast"}}}) {
    const std::string field = body.begin().key();  // TakePreferences removes the fields it reads
    auto s = TakePreferences(body, &p);
    ASSERT_FALSE(s.ok()) << field;
    EXPECT_NE(s.error().message.find(field), std::string::npos) << s.error().message;
  }
}

TEST(ApiServerTest, ErrorsHaveTheOpenAiShape) {
  auto r = OpenAiErrorResponse(402, "no vault", "insufficient_quota", "no_vault");
  EXPECT_EQ(r.status, 402);
  json j = json::parse(r.body);
  EXPECT_EQ(j["error"]["message"], "no vault");
  EXPECT_EQ(j["error"]["type"], "insufficient_quota");
  EXPECT_EQ(j["error"]["code"], "no_vault");
  EXPECT_TRUE(j["error"]["param"].is_null());
}

// The API on a real loopback server, with a pool that has no router: every answer below is
// decided before anything would leave the machine.
class LocalApiTest : public ::testing::Test {
 protected:
  void Start(ApiOptions o) {
    o.defaults.max_price_per_second = *U256::FromMor("0.01");
    pool_ = std::make_unique<SessionPool>(PoolOptions{}, key_, wire::Domain());
    guard_ = std::make_unique<SecretGuard>();
    api_ = std::make_unique<ApiServer>(pool_.get(), guard_.get(), o);
    api_->Register(http_);
    api_->RegisterFallbacks(http_);
    port_ = *http_.Listen("127.0.0.1", 0);
    thread_ = std::thread([this] { http_.Run(); });
  }
  void TearDown() override {
    http_.Stop();
    if (thread_.joinable()) thread_.join();
  }
  net::HttpClientResponse Send(const std::string& method, const std::string& body, const std::string& type,
                               std::multimap<std::string, std::string> headers = {}) {
    auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port_));
    auto r = method == "POST" ? c->Post("/v1/chat/completions", body, type, headers) : c->Get("/v1/sessions", headers);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : net::HttpClientResponse{};
  }
  static std::string Code(const net::HttpClientResponse& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }

  crypto::PrivateKey key_ = *crypto::PrivateKey::FromBytes(Bytes(32, 0x11));
  // As `lt client serve` configures it: net's cap above the API's own (kMaxBodyBytes).
  net::HttpServer http_{[] {
    net::HttpServerOptions o;
    o.max_body_bytes = 4 << 20;
    return o;
  }()};
  std::unique_ptr<SessionPool> pool_;
  std::unique_ptr<SecretGuard> guard_;
  std::unique_ptr<ApiServer> api_;
  std::thread thread_;
  int port_ = 0;
};

const char* kBadRole = R"({"model":"demo/stories:260k","messages":[{"role":5,"content":"hi"}]})";

// M2: any web page could POST text/plain to the API (no CORS preflight) and spend the user's MOR.
TEST_F(LocalApiTest, M2_WebPagesAndNonJsonBodiesAreRefused) {
  Start({});
  auto plain = Send("POST", kBadRole, "text/plain");
  EXPECT_EQ(plain.status, 415);
  EXPECT_EQ(Code(plain), "unsupported_media_type");
  auto evil = Send("POST", kBadRole, "application/json", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(evil.status, 403);
  EXPECT_EQ(Code(evil), "origin_not_allowed");
  auto evil_get = Send("GET", "", "", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(evil_get.status, 403);
  // Without an Origin (an SDK, curl), a JSON body is validated: role 5 is a 400 (C1 at the client).
  auto sdk = Send("POST", kBadRole, "application/json; charset=utf-8");
  EXPECT_EQ(sdk.status, 400) << sdk.body;
  EXPECT_EQ(json::parse(sdk.body)["error"]["param"], "messages[0].role");
}

TEST_F(LocalApiTest, M2_AnAllowedOriginGetsCorsAndItsPreflight) {
  ApiOptions o;
  o.allow_origins = {"http://localhost:3000"};
  Start(o);
  auto r = Send("POST", kBadRole, "application/json", {{"Origin", "http://localhost:3000"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "http://localhost:3000");
  // Preflights go over raw HTTP (the client has no OPTIONS method): through a tiny exchange.
  auto pre = [&](const std::string& origin) {
    std::string req = "OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: x\r\nOrigin: " + origin +
                      "\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n";
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port_));
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return got;
  };
  std::string ok = pre("http://localhost:3000");
  EXPECT_EQ(ok.rfind("HTTP/1.1 204", 0), 0u) << ok;
  EXPECT_NE(ok.find("Access-Control-Allow-Origin: http://localhost:3000"), std::string::npos) << ok;
  std::string no = pre("http://evil.example");
  EXPECT_EQ(no.rfind("HTTP/1.1 403", 0), 0u) << no;
}

TEST_F(LocalApiTest, M2_AnApiKeyIsRequiredWhenSet) {
  ApiOptions o;
  o.api_key = "sk-local-123";
  Start(o);
  EXPECT_EQ(Send("POST", kBadRole, "application/json").status, 401);
  EXPECT_EQ(Send("POST", kBadRole, "application/json", {{"Authorization", "Bearer wrong"}}).status, 401);
  auto r = Send("POST", kBadRole, "application/json", {{"Authorization", "Bearer sk-local-123"}});
  EXPECT_EQ(r.status, 400) << "the key let the request through to validation";
}

// L1: "include_usage":"yes" was a 500 with a non-OpenAI body. M1: deep nesting crashed the client.
TEST_F(LocalApiTest, L1_M1_BadStreamOptionsAndDeepNestingAre400s) {
  Start({});
  auto r = Send("POST",
                R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":"yes"}})",
                "application/json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "stream_options.include_usage");
  std::string deep = R"({"model":"m","messages":[{"role":"user","content":"hi"}],"x":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  auto d = Send("POST", deep, "application/json");
  EXPECT_EQ(d.status, 400);
  EXPECT_NE(json::parse(d.body)["error"]["message"].get<std::string>().find("nests deeper"), std::string::npos);
}

// H1: the client checks a ticket against what it asked before signing anything for it.
// Issue 18: unknown routes, wrong methods and bodies too large answer in OpenAI's shape;
// /v1/completions is validated like a chat; a manifest digest as the model is not a key.
TEST_F(LocalApiTest, RoutesMethodsSizesAndCompletionsAnswerInOpenAisShape) {
  Start({});
  auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port_)).value();
  auto shape = [](const net::HttpClientResponse& r) { return openai::testing::IsOpenAiError(r.body); };
  auto unknown = c.Get("/v1/nothing").value();
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(shape(unknown)) << unknown.body;
  EXPECT_EQ(Code(unknown), "unknown_url");
  auto method = c.Get("/v1/completions").value();
  EXPECT_EQ(method.status, 405);
  EXPECT_TRUE(shape(method)) << method.body;
  EXPECT_EQ(Code(method), "method_not_allowed");
  auto big = c.Post("/v1/chat/completions", std::string(kMaxBodyBytes + 1, ' ')).value();
  EXPECT_EQ(big.status, 413);
  EXPECT_TRUE(shape(big)) << big.body;
  // What the HTTP layer refuses by itself: a body over its own cap, a method no route has.
  openai::testing::ExpectHttpLayerRefusalsInOpenAiShape(c, port_);
  auto bad = c.Post("/v1/completions", R"({"model":"demo/stories:260k","prompt":["a","b"]})").value();
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["param"], "prompt");
  // A digest as the model passes the guard (then no router is reachable here: a 5xx, not a 400).
  auto digest = c.Post("/v1/chat/completions",
                       R"({"model":"0x72ae1777d10dc8235fb90c1c6ba7c12f93deeeb5cff68033aaf45a8a65ca9646",
                           "messages":[{"role":"user","content":"hi"}]})").value();
  EXPECT_NE(Code(digest), "secret_detected") << digest.body;
  EXPECT_GE(digest.status, 500) << digest.body;
}

TEST(CheckTicketForRfcTest, H1_TicketsBeyondWhatWasAskedAreRefused) {
  wire::Rfc rfc;
  rfc.user.bytes[19] = 1;
  rfc.max_price_per_second = U256(1000);
  rfc.want_seconds = 600;
  wire::Ticket t;
  t.user = rfc.user;
  t.price_per_second = U256(1000);
  t.min_seconds = 60;
  t.max_seconds = 600;
  EXPECT_TRUE(CheckTicketForRfc(t, rfc).ok());
  wire::Ticket dear = t;
  dear.price_per_second = U256(1001);
  EXPECT_FALSE(CheckTicketForRfc(dear, rfc).ok());
  wire::Ticket long_min = t;
  long_min.min_seconds = 100000;
  long_min.max_seconds = 100000;
  auto e = CheckTicketForRfc(long_min, rfc);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("100000"), std::string::npos);
  wire::Ticket inverted = t;
  inverted.min_seconds = 500;
  inverted.max_seconds = 5;
  EXPECT_FALSE(CheckTicketForRfc(inverted, rfc).ok());
  wire::Ticket other = t;
  other.user.bytes[19] = 2;
  EXPECT_FALSE(CheckTicketForRfc(other, rfc).ok());
}

}  // namespace
}  // namespace lt::client
