// HttpServer start/stop and port ownership, over real loopback sockets.
#include "net/http.h"

#include <gtest/gtest.h>

#include <thread>

namespace lt::net {
namespace {

HttpResponse Hello(const HttpRequest&) { return HttpResponse::Json(200, {{"hello", "world"}}); }

TEST(HttpServerTest, StopRightAfterStartingRunNeverHangs) {
  // Stop() may come before, during or after the Run() thread reaches the library's loop.
  for (int i = 0; i < 60; ++i) {
    HttpServer server;
    server.Get("/", Hello);
    ASSERT_TRUE(server.Listen("127.0.0.1", 0).ok());
    std::thread t([&] { server.Run(); });
    if (i % 3 == 1) std::this_thread::yield();
    if (i % 3 == 2) std::this_thread::sleep_for(std::chrono::microseconds(200));
    server.Stop();
    t.join();
  }
}

TEST(HttpServerTest, ServesThenASecondServerCannotTakeItsPort) {
  HttpServer a;
  a.Get("/", Hello);
  auto port = a.Listen("127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  std::thread t([&] { a.Run(); });
  auto client = HttpClient::Create("http://127.0.0.1:" + std::to_string(*port));
  ASSERT_TRUE(client.ok());
  auto r = client->Get("/");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("world"), std::string::npos);

  HttpServer b;
  auto taken = b.Listen("127.0.0.1", *port);
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.error().message.find("cannot listen on 127.0.0.1:" + std::to_string(*port)), std::string::npos)
      << taken.error().message;
  a.Stop();
  t.join();
}

// A peer's error body is input: {"error":{"message":5}} once threw out of ErrorFromResponse
// (json::value), and a hostile router's answer ended the thread that asked (a provider's receipt
// or announce loop).
TEST(HttpClientTest, ErrorBodyOfAnotherShapeGivesAnErrorNotAnException) {
  for (const char* body : {R"({"error":{"message":5,"code":7}})", R"({"error":{"message":null,"code":["x"]}})",
                           R"({"error":{"message":{"a":1}}})", R"({"error":{}})"}) {
    HttpClientResponse r;
    r.status = 500;
    r.body = body;
    Error e = MakeError(ErrorCode::kIo, "not run");
    ASSERT_NO_THROW(e = ErrorFromResponse(r)) << body;
    EXPECT_EQ(e.code, ErrorCode::kInternal) << body;
    EXPECT_FALSE(e.message.empty()) << body;
  }
  HttpClientResponse r;
  r.status = 409;
  r.body = R"({"error":{"message":"taken","code":"already_exists"}})";
  EXPECT_EQ(ErrorFromResponse(r).message, "taken");
  EXPECT_EQ(ErrorFromResponse(r).code, ErrorCode::kAlreadyExists);
}

// An answer larger than the client's max_body_bytes is refused, not held in memory, whether it
// says its length or streams chunks; a streamed request hands the same answer to its caller.
TEST(HttpClientTest, AnswerOverTheBodyLimitIsRefused) {
  HttpServer server;
  server.Get("/big", [](const HttpRequest&) {
    HttpResponse r;
    r.body = std::string(5000, 'x');
    return r;
  });
  server.Get("/endless", [](const HttpRequest&) {
    HttpResponse r;
    r.stream = [](ChunkSink& sink) {
      for (int i = 0; i < 100000 && sink.Write(std::string(100, 'y')); ++i) {
      }
    };
    return r;
  });
  auto port = server.Listen("127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  std::thread t([&] { server.Run(); });
  HttpClientOptions o;
  o.max_body_bytes = 1000;
  auto c = HttpClient::Create("http://127.0.0.1:" + std::to_string(*port), o);
  ASSERT_TRUE(c.ok());
  for (const char* path : {"/big", "/endless"}) {
    auto r = c->Get(path);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().message;
    EXPECT_NE(r.error().message.find("larger than 1000 bytes"), std::string::npos) << r.error().message;
  }
  size_t got = 0;
  auto s = c->GetStream("/big", [&](std::string_view d) {
    got += d.size();
    return true;
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(got, 5000u);
  server.Stop();
  t.join();
}

}  // namespace
}  // namespace lt::net
