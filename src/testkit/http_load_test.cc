// The benchmarks' load generator against a real net::HttpServer on 127.0.0.1: answers counted,
// failures named by kind, and connections the server closes (every 2 requests) reopened.
#include "testkit/http_load.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "net/http.h"

namespace lt::testkit {
namespace {

class HttpLoadTest : public ::testing::Test {
 protected:
  void Start(net::HttpServerOptions o = {}) {
    http_ = std::make_unique<net::HttpServer>(o);
    http_->Post("/rfc", [](const net::HttpRequest& req) {
      if (req.body == "bad") return net::HttpResponse::ErrorJson(409, "replayed", "nonce already used");
      if (req.body == "stream") {
        net::HttpResponse r;
        r.stream = [](net::ChunkSink& s) { s.Write("{}"); };
        return r;
      }
      if (req.body == "big") {
        net::HttpResponse r = net::HttpResponse::Json(200, {{"ok", true}});
        r.headers.insert({"X-Big", std::string(70000, 'a')});
        return r;
      }
      return net::HttpResponse::Json(200, {{"echo", req.body}});
    });
    auto port = http_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.error().message;
    port_ = *port;
    thread_ = std::thread([this] { http_->Run(); });
  }
  void TearDown() override {
    if (http_) http_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::string> Requests(const std::vector<std::string>& bodies) {
    std::vector<std::string> out;
    for (const auto& b : bodies) out.push_back(BuildPostRequest(port_, "/rfc", b));
    return out;
  }
  HttpLoadResult Load(const std::vector<std::string>& bodies, int connections) {
    HttpLoadOptions o;
    o.port = port_;
    o.connections = connections;
    o.timeout_ms = 10000;
    auto reqs = Requests(bodies);
    return RunHttpLoad(o, reqs, 0, reqs.size());
  }

  std::unique_ptr<net::HttpServer> http_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(HttpLoadTest, CountsAnswersAndNamesErrorCodes) {
  Start();
  std::vector<std::string> bodies;
  for (int i = 0; i < 200; ++i) bodies.push_back(i % 10 == 3 ? "bad" : "{\"n\":" + std::to_string(i) + "}");
  auto r = Load(bodies, 4);
  EXPECT_EQ(r.ok, 180u);
  EXPECT_EQ(r.latencies_ms.size(), 200u);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures["HTTP 409 replayed"], 20);
  EXPECT_GT(r.seconds, 0);
}

TEST_F(HttpLoadTest, ReopensConnectionsTheServerCloses) {
  net::HttpServerOptions o;
  o.keep_alive_max_requests = 2;
  Start(o);
  std::vector<std::string> bodies(300, "{}");
  auto r = Load(bodies, 3);
  EXPECT_EQ(r.ok, 300u);
  EXPECT_TRUE(r.failures.empty()) << r.failures.begin()->first;
}

TEST_F(HttpLoadTest, ChunkedAndOversizedAnswersAreFailuresNotMisparsed) {
  Start();
  auto r = Load({"stream", "{}", "big", "{}"}, 1);
  EXPECT_EQ(r.ok, 2u);
  EXPECT_EQ(r.failures["protocol: chunked response (not supported)"], 1);
  EXPECT_EQ(r.failures["protocol: response header over 65536 bytes"], 1);
}

TEST_F(HttpLoadTest, NoServerIsATransportFailurePerRequest) {
  // A port nobody listens on: bound, then closed.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  ::close(fd);
  auto r = Load({"{}", "{}", "{}"}, 2);
  EXPECT_EQ(r.ok, 0u);
  int failed = 0;
  for (const auto& [kind, n] : r.failures) {
    EXPECT_EQ(kind.rfind("transport: ", 0), 0u) << kind;
    failed += n;
  }
  EXPECT_EQ(failed, 3);
}

}  // namespace
}  // namespace lt::testkit
