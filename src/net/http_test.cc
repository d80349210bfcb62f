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

}  // namespace
}  // namespace lt::net
