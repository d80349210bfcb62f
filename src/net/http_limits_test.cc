// HttpServer under hostile clients (issue 15, rows C2 and H2): long URLs, held and trickling
// connections, connection caps with eviction, a full worker queue, and the event-loop lane that
// a busy pool cannot starve. Over raw loopback sockets; no timing assertions beyond "answered".
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/http.h"
#include "net/http_test_support.h"

namespace lt::net {
namespace {

using namespace lt::net::testing;  // NOLINT: test support in a test file

// A server whose /sleep handler holds a worker until released, plus /ping on the event loop.
class GatedServer {
 public:
  explicit GatedServer(HttpServerOptions o) : server_(o) {
    server_.Get("/sleep", [this](const HttpRequest&) {
      ++sleeping_;
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait_for(l, std::chrono::seconds(10), [&] { return released_; });
      return HttpResponse::Json(200, {{"slept", true}});
    });
    server_.Get("/echo", [](const HttpRequest& r) { return HttpResponse::Json(200, {{"path", r.path}}); });
    server_.Get("/ping", [](const HttpRequest&) { return HttpResponse::Json(200, {{"pong", true}}); },
                Lane::kEventLoop);
    auto port = server_.Listen("127.0.0.1", 0);
    if (!port.ok()) throw std::runtime_error(port.error().message);
    port_ = *port;
    thread_ = std::thread([this] { server_.Run(); });
  }
  ~GatedServer() {
    Release();
    server_.Stop();
    thread_.join();
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    released_ = true;
    cv_.notify_all();
  }
  void WaitSleeping(int n) {
    for (int i = 0; i < 500 && sleeping_.load() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int port() const { return port_; }
  HttpServer& server() { return server_; }

 private:
  HttpServer server_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  std::atomic<int> sleeping_{0};
  std::thread thread_;
};

TEST(HttpServerLimitsTest, C2_LongUrlsAre414AndTheServerSurvives) {
  TestServer s;
  for (size_t n : {size_t{9000}, size_t{60000}, size_t{200000}}) {
    RawConn c(s.port());
    ASSERT_TRUE(c.ok());
    c.Send(GetReq("/holders/" + std::string(n, 'a')));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << "no answer to a " << n << "-byte URL";
    EXPECT_EQ(r->status, 414) << n;
    EXPECT_TRUE(c.WaitClosed(3000));
  }
  {  // Just under the limit is served (and its regex-free capture matched).
    RawConn c(s.port());
    std::string cid(8000, 'b');
    c.Send(GetReq("/holders/" + cid));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(ParseJson(r->body)["matches"][1], cid);
  }
  ExpectStillServes(s.port());
}

// 300 kept-alive connections that each made a request and now hold on cost no worker: a new
// client is answered at once even with 2 workers (the old server gave each connection a thread).
TEST(HttpServerLimitsTest, H2_HeldKeepAliveConnectionsDoNotBlockOthers) {
  HttpServerOptions o;
  o.threads = 2;
  o.keep_alive_seconds = 30;
  TestServer s(o);
  std::vector<std::unique_ptr<RawConn>> held;
  for (int i = 0; i < 300; ++i) {
    auto c = std::make_unique<RawConn>(s.port());
    ASSERT_TRUE(c->ok()) << i;
    c->Send(GetReq("/echo"));
    held.push_back(std::move(c));
  }
  for (auto& c : held) ASSERT_TRUE(c->Read().has_value());
  ExpectStillServes(s.port());
}

// Clients that trickle a head and then stall hold a socket only: others are served, and a stalled
// connection is dropped when the request deadline passes.
TEST(HttpServerLimitsTest, H2_StalledHeadsDoNotBlockOthersAndAreDropped) {
  HttpServerOptions o;
  o.threads = 2;
  o.read_timeout_seconds = 1;
  TestServer s(o);
  std::vector<std::unique_ptr<RawConn>> slow;
  for (int i = 0; i < 100; ++i) {
    auto c = std::make_unique<RawConn>(s.port());
    ASSERT_TRUE(c->ok());
    c->Send("GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    slow.push_back(std::move(c));
  }
  ExpectStillServes(s.port());
  for (auto& c : slow) EXPECT_TRUE(c->WaitClosed(4000)) << "a stalled head was kept past its deadline";
}

// Over the per-peer cap, a newcomer evicts the oldest idle connection instead of being refused.
TEST(HttpServerLimitsTest, H2_IdleConnectionIsEvictedForANewcomerAtThePeerCap) {
  HttpServerOptions o;
  o.max_connections_per_peer = 5;
  o.keep_alive_seconds = 30;
  GatedServer s(o);
  std::vector<std::unique_ptr<RawConn>> idle;
  for (int i = 0; i < 5; ++i) {
    auto c = std::make_unique<RawConn>(s.port());
    c->Send(GetReq("/echo"));
    ASSERT_TRUE(c->Read().has_value());
    idle.push_back(std::move(c));
  }
  RawConn fresh(s.port());
  fresh.Send(GetReq("/echo"));
  auto r = fresh.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  auto counters = s.server().counters();
  EXPECT_EQ(counters.evicted, 1u) << counters.connections << " connections";
  bool front_closed = idle.front()->WaitClosed(3000);
  std::string others;
  for (size_t i = 1; i < idle.size(); ++i) {
    if (idle[i]->WaitClosed(1)) others += " " + std::to_string(i);
  }
  EXPECT_TRUE(front_closed) << "the oldest idle connection should have made room; closed instead:" << others;
}

// When every connection at the cap is busy, the newcomer gets a 503 with Retry-After.
TEST(HttpServerLimitsTest, H2_NewcomerIsRefused503WhenNothingCanBeEvicted) {
  HttpServerOptions o;
  o.max_connections_per_peer = 2;
  o.threads = 4;
  GatedServer s(o);
  RawConn a(s.port()), b(s.port());
  a.Send(GetReq("/sleep"));
  b.Send(GetReq("/sleep"));
  s.WaitSleeping(2);
  RawConn c(s.port());
  c.Send(GetReq("/echo"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->Header("Retry-After"), "1");
  EXPECT_EQ(ParseJson(r->body)["error"]["code"], "unavailable");
  s.Release();
  ASSERT_TRUE(a.Read().has_value());
  EXPECT_GE(s.server().counters().refused, 1u);
}

// A liveness-style route on the event loop answers while every worker is busy.
TEST(HttpServerLimitsTest, H2_EventLoopRouteAnswersWhileEveryWorkerIsBusy) {
  HttpServerOptions o;
  o.threads = 1;
  GatedServer s(o);
  RawConn busy(s.port());
  busy.Send(GetReq("/sleep"));
  s.WaitSleeping(1);
  RawConn ping(s.port());
  ping.Send(GetReq("/ping"));
  auto r = ping.Read();
  ASSERT_TRUE(r.has_value()) << "the event-loop route waited for a worker";
  EXPECT_EQ(r->status, 200);
  s.Release();
}

// Requests beyond max_queued_requests are shed with 503 rather than queued without bound.
TEST(HttpServerLimitsTest, H2_FullWorkerQueueSheds503) {
  HttpServerOptions o;
  o.threads = 1;
  o.max_queued_requests = 1;
  GatedServer s(o);
  RawConn first(s.port()), second(s.port()), third(s.port());
  first.Send(GetReq("/sleep"));
  s.WaitSleeping(1);
  second.Send(GetReq("/sleep"));  // waits in the queue
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  third.Send(GetReq("/echo"));
  auto r = third.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->Header("Retry-After"), "1");
  s.Release();
  auto a = first.Read(), b = second.Read();
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(b->status, 200);
}

}  // namespace
}  // namespace lt::net
