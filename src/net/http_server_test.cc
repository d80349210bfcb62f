// Conformance tests for HttpServer over raw loopback sockets: what every role relies on,
// independent of the HTTP library behind the interface (request parsing, keep-alive and
// pipelining, error bodies, limits, streaming, 100-continue, shutdown, concurrency, idle drop).
// Every read is bounded by poll(), so a failing test fails instead of hanging.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "net/http.h"
#include "net/http_test_support.h"

namespace lt::net {
namespace {

using namespace lt::net::testing;  // NOLINT: test support in a test file

HttpServerOptions ManyRequests() {
  HttpServerOptions o;
  o.keep_alive_max_requests = 100;
  return o;
}

// ------------------------------------------------------------------------- requests

TEST(HttpServerConformanceTest, GetDecodesPathAndQueryAndFillsRegexCaptures) {
  TestServer s;
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(GetReq("/echo?a=1&b=hello%20world&c=x+y&d=%2Fslash%26amp&empty=", "X-Custom: v1\r\n")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = ParseJson(r->body);
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/echo");
  EXPECT_EQ(j["query"]["a"], "1");
  EXPECT_EQ(j["query"]["b"], "hello world");
  EXPECT_EQ(j["query"]["c"], "x y") << "'+' in a query value is a space (form encoding)";
  EXPECT_EQ(j["query"]["d"], "/slash&amp");
  EXPECT_EQ(j["query"]["empty"], "");
  EXPECT_EQ(j["x_custom"], "v1") << "HttpRequest::Header is case-insensitive";

  ASSERT_TRUE(c.Send(GetReq("/holders/0xAbC%2D1?x=7")));
  r = c.Read();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200) << r->body;
  j = ParseJson(r->body);
  EXPECT_EQ(j["path"], "/holders/0xAbC-1") << "the path is percent-decoded before routing";
  ASSERT_EQ(j["matches"].size(), 2u);
  EXPECT_EQ(j["matches"][0], "/holders/0xAbC-1");
  EXPECT_EQ(j["matches"][1], "0xAbC-1");
  EXPECT_EQ(j["x"], "7");

  // The regex must match the whole path, not a prefix.
  ASSERT_TRUE(c.Send(GetReq("/holders/a/b")));
  r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404);
  // A plain route (no regex syntax, compared as a string) matches its path exactly, no more.
  for (const char* other : {"/echoes", "/ech", "/echo/", "/Echo"}) {
    ASSERT_TRUE(c.Send(GetReq(other)));
    r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 404) << other;
  }
  ASSERT_TRUE(c.Send(GetReq("/echo")));
  r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST(HttpServerConformanceTest, RequestCarriesThePeerAddress) {
  TestServer s;
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(GetReq("/echo")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(ParseJson(r->body)["remote"], "127.0.0.1") << "HttpRequest::remote_addr is not filled in";
}

TEST(HttpServerConformanceTest, PostBodyArrivesExactlyEvenWhenSplitAcrossSegments) {
  TestServer s(ManyRequests());
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  std::string body = "{\"binary\":\"";
  for (int i = 0; i < 3000; ++i) body += static_cast<char>('a' + i % 26);
  body += "\"}\r\n\r\nnot a header";

  ASSERT_TRUE(c.Send(PostReq("/body", body)));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(ParseJson(r->body)["body"], body);

  // Several small writes with pauses, cutting through the headers and the body.
  std::string req = PostReq("/body", body);
  for (size_t off = 0; off < req.size(); off += 700) {
    ASSERT_TRUE(c.Send(req.substr(off, 700)));
    std::this_thread::sleep_for(milliseconds(10));
  }
  r = c.Read();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(ParseJson(r->body)["body"], body);

  // Headers in one segment, the body in another.
  std::string head = req.substr(0, req.find("\r\n\r\n") + 4);
  ASSERT_TRUE(c.Send(head));
  std::this_thread::sleep_for(milliseconds(50));
  ASSERT_TRUE(c.Send(body));
  r = c.Read();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(ParseJson(r->body)["size"], body.size());
  EXPECT_EQ(ParseJson(r->body)["body"], body);

  // Header names are case-insensitive; optional whitespace after the colon.
  ASSERT_TRUE(c.Send("POST /body HTTP/1.1\r\nhost: x\r\ncontent-length:3\r\n\r\nabc"));
  r = c.Read();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(ParseJson(r->body)["body"], "abc");

  // An empty body is a body too.
  ASSERT_TRUE(c.Send(PostReq("/body", "")));
  r = c.Read();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(ParseJson(r->body)["size"], 0);
}

// ------------------------------------------------------------------------- connections

TEST(HttpServerConformanceTest, KeepAliveAnswersManyRequestsInOrderOnOneConnection) {
  TestServer s(ManyRequests());
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 12; ++i) {  // two, then ten more
    ASSERT_TRUE(c.Send(GetReq("/echo?i=" + std::to_string(i))));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << "request " << i;
    ASSERT_EQ(r->status, 200);
    EXPECT_EQ(ParseJson(r->body)["query"]["i"], std::to_string(i));
    EXPECT_NE(Lower(r->Header("Connection")), "close") << "request " << i;
  }
}

TEST(HttpServerConformanceTest, PipelinedRequestsInOneWriteGetResponsesInOrder) {
  TestServer s(ManyRequests());
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(GetReq("/echo?i=first") + PostReq("/body", "second-body") + GetReq("/echo?i=third")));
  auto r1 = c.Read();
  ASSERT_TRUE(r1.has_value());
  auto r2 = c.Read(2000);
  ASSERT_TRUE(r2.has_value()) << "the second pipelined request was lost";
  auto r3 = c.Read(2000);
  ASSERT_TRUE(r3.has_value()) << "the third pipelined request was lost";
  EXPECT_EQ(ParseJson(r1->body)["query"]["i"], "first");
  EXPECT_EQ(ParseJson(r2->body)["body"], "second-body");
  EXPECT_EQ(ParseJson(r3->body)["query"]["i"], "third");
}

TEST(HttpServerConformanceTest, ConnectionCloseFromClientIsAnsweredThenClosed) {
  TestServer s;
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(GetReq("/echo?i=1", "Connection: close\r\n")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(c.WaitClosed(2000)) << "server kept the connection open after Connection: close";
  EXPECT_TRUE(c.pending().empty());
}

TEST(HttpServerConformanceTest, Http10RequestWithoutKeepAliveIsAnsweredThenClosed) {
  TestServer s;
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send("GET /echo?v=10 HTTP/1.0\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(ParseJson(r->body)["query"]["v"], "10");
  EXPECT_TRUE(c.WaitClosed(2000)) << "an HTTP/1.0 connection without keep-alive must close";
}

TEST(HttpServerConformanceTest, KeepAliveMaxRequestsClosesAfterTheLastOne) {
  HttpServerOptions o;
  o.keep_alive_max_requests = 3;
  TestServer s(o);
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(c.Send(GetReq("/echo?i=" + std::to_string(i))));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << "request " << i;
    EXPECT_EQ(r->status, 200);
    if (i < 3) {
      EXPECT_NE(Lower(r->Header("Connection")), "close") << "request " << i;
    } else {
      EXPECT_EQ(Lower(r->Header("Connection")), "close") << r->head;
    }
  }
  EXPECT_TRUE(c.WaitClosed(2000)) << "the connection must close after keep_alive_max_requests";
}

// ------------------------------------------------------------------------- errors and limits

TEST(HttpServerConformanceTest, UnknownRouteIsJson404NamingMethodAndPath) {
  TestServer s;
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(GetReq("/no/such/route?q=1")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->Header("Content-Type").find("application/json"), std::string::npos);
  auto j = ParseJson(r->body);
  EXPECT_EQ(j["error"]["code"], "not_found") << r->body;
  std::string msg = j["error"]["message"].is_string() ? j["error"]["message"].get<std::string>() : "";
  EXPECT_NE(msg.find("GET"), std::string::npos) << msg;
  EXPECT_NE(msg.find("/no/such/route"), std::string::npos) << msg;

  // Also for a method with no routes at all, and the connection stays usable.
  ASSERT_TRUE(c.Send("DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404) << r->body;
  EXPECT_EQ(ParseJson(r->body)["error"]["code"], "not_found") << r->body;
}

TEST(HttpServerConformanceTest, BodyOverLimitIs413AndServerKeepsServing) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  TestServer s(o);
  {
    RawConn c(s.port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.Send(PostReq("/body", std::string(1000, 'k'))));  // exactly the limit is fine
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(ParseJson(r->body)["size"], 1000);
  }
  {
    RawConn c(s.port());
    ASSERT_TRUE(c.ok());
    c.Send(PostReq("/body", std::string(5000, 'x')));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << "no response to an oversized body";
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(ParseJson(r->body)["error"]["code"], "resource_exhausted") << r->body;
  }
  {  // Announced but not sent: refused from the Content-Length alone, before any body arrives.
    RawConn c(s.port());
    ASSERT_TRUE(c.ok());
    c.Send("POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n");
    auto r = c.Read(2000);
    ASSERT_TRUE(r.has_value()) << "413 must not wait for a body that is never sent";
    EXPECT_EQ(r->status, 413);
  }
  EXPECT_EQ(s.posts(), 1) << "the handler must not run for refused bodies";
  ExpectStillServes(s.port());
}

TEST(HttpServerConformanceTest, HandlerExceptionIsJson500AndServerKeepsServing) {
  TestServer s;
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(GetReq("/throw")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 500);
  auto j = ParseJson(r->body);
  EXPECT_EQ(j["error"]["code"], "internal") << r->body;
  EXPECT_TRUE(j["error"]["message"].is_string());
  ExpectStillServes(s.port());
}

TEST(HttpServerConformanceTest, InvalidUtf8InThePathIsAnsweredAndServerKeepsServing) {
  // The answers quote the decoded path. Invalid UTF-8 there made json::dump throw: for the 404,
  // made on the event loop, that ended the process (GET /x%ff stopped a ledger or router); for a
  // handler's answer it was a 500 carrying nlohmann's exception text.
  TestServer s;
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(GetReq("/no/such/route%ff%fe")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value()) << "no answer to GET /no/such/route%ff%fe";
  EXPECT_EQ(r->status, 404) << r->body;
  auto j = ParseJson(r->body);
  EXPECT_EQ(j["error"]["code"], "not_found") << r->body;
  std::string msg = j["error"]["message"].is_string() ? j["error"]["message"].get<std::string>() : "";
  EXPECT_NE(msg.find("/no/such/route"), std::string::npos) << msg;

  ASSERT_TRUE(c.Send(GetReq("/holders/%c3%28%ff")));
  r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body.find("json.exception"), std::string::npos) << r->body;
  EXPECT_EQ(ParseJson(r->body)["matches"].size(), 2u) << r->body;
  ExpectStillServes(s.port());
}

TEST(HttpServerConformanceTest, GarbageRequestLineIs400AndServerKeepsServing) {
  TestServer s;
  {
    RawConn c(s.port());
    ASSERT_TRUE(c.ok());
    c.Send("HELLO\r\n\r\n");
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << "no response to a garbage request line";
    EXPECT_EQ(r->status, 400);
  }
  {
    RawConn c(s.port());
    ASSERT_TRUE(c.ok());
    static const char kTlsIsh[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 binary\r\n\r\n";
    c.Send(std::string(kTlsIsh, sizeof kTlsIsh - 1));  // TLS-ish bytes, NULs included
    auto r = c.Read();
    if (r.has_value()) {
      EXPECT_GE(r->status, 400);
      EXPECT_LT(r->status, 500);
    } else {
      EXPECT_TRUE(c.WaitClosed(2000)) << "neither an answer nor a close for binary garbage";
    }
  }
  ExpectStillServes(s.port());
}

TEST(HttpServerConformanceTest, HeaderBlockOver64KiBIsRefusedWith4xx) {
  TestServer s;
  {  // One enormous header line.
    RawConn c(s.port());
    ASSERT_TRUE(c.ok());
    c.Send(GetReq("/echo", "X-Big: " + std::string(70 * 1024, 'h') + "\r\n"));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << "no response to a 70 KiB header line";
    EXPECT_GE(r->status, 400);
    EXPECT_LT(r->status, 500);
  }
  {  // Many ordinary-sized header lines adding up to more than 64 KiB.
    RawConn c(s.port());
    ASSERT_TRUE(c.ok());
    std::string headers;
    for (int i = 0; i < 100; ++i) headers += "X-H" + std::to_string(i) + ": " + std::string(700, 'v') + "\r\n";
    c.Send(GetReq("/echo", headers));
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << "no response to a 70 KiB header block";
    EXPECT_GE(r->status, 400) << "a 70 KiB header block of 700-byte lines was accepted";
    EXPECT_LT(r->status, 500);
  }
  ExpectStillServes(s.port());
}

// ------------------------------------------------------------------------- responses

TEST(HttpServerConformanceTest, HeadOnGetRouteHasGetsHeadersAndNoBody) {
  TestServer s(ManyRequests());
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(GetReq("/headers")));
  auto get = c.Read();
  ASSERT_TRUE(get.has_value());
  ASSERT_TRUE(c.Send("HEAD /headers HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = c.Read(3000, /*head_only=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, get->status);
  EXPECT_EQ(head->Header("Content-Length"), get->Header("Content-Length"));
  EXPECT_EQ(head->Header("Content-Length"), std::to_string(get->body.size()));
  EXPECT_EQ(head->Header("Retry-After"), "7");
  // No body bytes: the next response on the connection must start right away.
  ASSERT_TRUE(c.Send(GetReq("/echo?after=head")));
  auto next = c.Read();
  ASSERT_TRUE(next.has_value()) << "bytes after the HEAD response: " << c.pending();
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(ParseJson(next->body)["query"]["after"], "head");
}

TEST(HttpServerConformanceTest, HandlerHeadersAndContentTypeAreSentWithExactLength) {
  TestServer s;
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(GetReq("/headers")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->Header("Retry-After"), "7");
  EXPECT_EQ(r->Header("X-Lt-Test"), "yes");
  EXPECT_EQ(r->Header("Content-Type").rfind("text/plain", 0), 0u) << r->head;
  EXPECT_EQ(r->Header("Content-Length"), std::to_string(std::string("try later, please").size()));
  EXPECT_EQ(r->body, "try later, please");
  EXPECT_TRUE(c.pending().empty()) << "bytes beyond Content-Length";

  auto client = HttpClient::Create(s.url());
  ASSERT_TRUE(client.ok());
  auto cr = client->Get("/headers");
  ASSERT_TRUE(cr.ok()) << cr.error().message;
  EXPECT_EQ(cr->status, 503);
  EXPECT_EQ(cr->Header("retry-after"), "7");
  EXPECT_EQ(cr->body, "try later, please");
}

TEST(HttpServerConformanceTest, StreamedResponseIsChunkedAndTerminated) {
  TestServer s(ManyRequests());
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(GetReq("/stream")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(Lower(r->Header("Transfer-Encoding")).find("chunked"), std::string::npos) << r->head;
  EXPECT_TRUE(r->Header("Content-Length").empty());
  EXPECT_EQ(r->Header("Content-Type").rfind("text/event-stream", 0), 0u) << r->head;
  EXPECT_EQ(r->body, "one,two,three");
  ASSERT_GE(r->raw.size(), 5u);
  EXPECT_EQ(r->raw.substr(r->raw.size() - 5), "0\r\n\r\n");
  // The connection stays usable after a streamed response.
  ASSERT_TRUE(c.Send(GetReq("/echo?after=stream")));
  auto next = c.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(ParseJson(next->body)["query"]["after"], "stream");

  auto client = HttpClient::Create(s.url());
  ASSERT_TRUE(client.ok());
  std::vector<std::string> pieces;
  auto cr = client->GetStream("/stream", [&](std::string_view d) {
    pieces.emplace_back(d);
    return true;
  });
  ASSERT_TRUE(cr.ok()) << cr.error().message;
  EXPECT_EQ(cr->status, 200);
  std::string joined;
  for (const auto& p : pieces) joined += p;
  EXPECT_EQ(joined, "one,two,three");
  EXPECT_GE(pieces.size(), 2u) << "pieces should arrive as they are written";
}

TEST(HttpServerConformanceTest, ChunkedRequestBodyIsJoined) {
  TestServer s;
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send("POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n"));
  std::this_thread::sleep_for(milliseconds(20));
  ASSERT_TRUE(c.Send("7\r\n, world\r\n0\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, 200) << "chunked request bodies refused: " << r->body;
  EXPECT_EQ(ParseJson(r->body)["body"], "hello, world");
}

TEST(HttpServerConformanceTest, Expect100ContinueGetsInterimResponseBeforeTheBody) {
  TestServer s;
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  std::string body(2000, 'b');
  ASSERT_TRUE(c.Send("POST /body HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2000\r\n"
                     "Expect: 100-continue\r\n\r\n"));
  auto cont = c.Read(1000);
  ASSERT_TRUE(cont.has_value()) << "no 100 Continue within 1 s";
  EXPECT_EQ(cont->status, 100);
  EXPECT_EQ(cont->head.rfind("HTTP/1.1 100 Continue", 0), 0u) << cont->head;
  ASSERT_TRUE(c.Send(body));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(ParseJson(r->body)["size"], 2000);
  EXPECT_EQ(ParseJson(r->body)["body"], body);
}

TEST(HttpServerConformanceTest, Expect100ContinueWithOversizedBodyGets413Instead) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  TestServer s(o);
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send("POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
  auto r = c.Read(1000);
  ASSERT_TRUE(r.has_value()) << "no answer within 1 s";
  EXPECT_EQ(r->status, 413) << "the client was invited to send a body that will be refused";
  EXPECT_EQ(s.posts(), 0);
}

TEST(HttpServerConformanceTest, LargeResponseReachesASlowReaderCompletely) {
  TestServer s(ManyRequests());
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  constexpr size_t kSize = 4 << 20;  // far more than a socket buffer: the server must loop on partial writes
  ASSERT_TRUE(c.Send(GetReq("/big?n=" + std::to_string(kSize))));
  std::this_thread::sleep_for(milliseconds(200));
  auto r = c.Read(5000);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(r->body.size(), kSize);
  bool intact = true;
  for (size_t i = 0; i < kSize && intact; i += 4093) intact = r->body[i] == static_cast<char>('a' + i % 23);
  EXPECT_TRUE(intact);
  ASSERT_TRUE(c.Send(GetReq("/echo?after=big")));
  auto next = c.Read();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(ParseJson(next->body)["query"]["after"], "big");
}

TEST(HttpServerConformanceTest, StreamWriteReturnsFalseOnceTheClientHasGone) {
  TestServer s;
  {
    RawConn c(s.port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.Send(GetReq("/endless")));
    auto deadline = Clock::now() + milliseconds(2000);
    while (c.pending().find("tick") == std::string::npos && Clock::now() < deadline) c.WaitClosed(50);
    ASSERT_NE(c.pending().find("tick"), std::string::npos) << "no streamed data arrived";
  }  // the client closes mid-stream
  auto start = Clock::now();
  while (!s.stream_saw_peer_gone() && MsSince(start) < 3000) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(s.stream_saw_peer_gone()) << "ChunkSink::Write kept returning true after the client closed";
  ExpectStillServes(s.port());
}

// ------------------------------------------------------------------------- lifecycle and load

TEST(HttpServerConformanceTest, StopClosesListenerPromptlyDespiteIdleAndHalfSentClients) {
  HttpServerOptions o;
  o.read_timeout_seconds = 5;
  o.keep_alive_seconds = 5;
  auto s = std::make_unique<TestServer>(o);
  int port = s->port();
  RawConn idle(port);
  ASSERT_TRUE(idle.ok());
  ASSERT_TRUE(idle.Send(GetReq("/echo")));
  ASSERT_TRUE(idle.Read().has_value());  // now an idle keep-alive connection
  RawConn half(port);
  ASSERT_TRUE(half.ok());
  ASSERT_TRUE(half.Send("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: "));
  std::this_thread::sleep_for(milliseconds(100));

  auto start = Clock::now();
  s->Stop();
  long ms = MsSince(start);
  EXPECT_LT(ms, 3000) << "Stop()+join waited for idle/half-sent connections";
  RawConn after(port);
  EXPECT_FALSE(after.ok()) << "the listening socket is still open after Stop()";
  EXPECT_EQ(after.connect_errno(), ECONNREFUSED);
  EXPECT_TRUE(idle.WaitClosed(1000)) << "the idle keep-alive connection survived Stop()";
  EXPECT_TRUE(half.WaitClosed(1000)) << "the half-sent connection survived Stop()";
  s.reset();
}

TEST(HttpServerConformanceTest, ManyConcurrentKeepAliveClientsAreAllAnswered) {
  HttpServerOptions o;
  o.threads = 8;
  o.keep_alive_max_requests = 100;
  TestServer s(o);
  constexpr int kClients = 64;
  constexpr int kRequests = 20;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::atomic<int> retried{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      auto conn = std::make_unique<RawConn>(s.port());
      for (int i = 0; i < kRequests; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        bool done = false;
        for (int attempt = 0; attempt < 2 && !done; ++attempt) {
          if (!conn->ok()) conn = std::make_unique<RawConn>(s.port());
          if (conn->Send(GetReq("/echo?id=" + id))) {
            auto r = conn->Read(8000);
            if (r && r->status == 200 && ParseJson(r->body)["query"]["id"] == id) {
              done = true;
              if (Lower(r->Header("Connection")) == "close") conn = std::make_unique<RawConn>(s.port());
              break;
            }
          }
          ++retried;
          conn = std::make_unique<RawConn>(s.port());  // retry once on a fresh connection
        }
        (done ? ok : failed)++;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(retried.load(), 0) << "connections were dropped without Connection: close";
  EXPECT_EQ(ok.load(), kClients * kRequests);
}

// A client that sends its request a few bytes at a time, each within the read timeout, is
// still dropped once the whole request has taken read_timeout_seconds (slowloris).
TEST(HttpServerConformanceTest, TricklingClientIsDroppedAfterTheRequestTimeout) {
  HttpServerOptions o;
  o.read_timeout_seconds = 1;
  TestServer s(o);
  RawConn c(s.port());
  ASSERT_TRUE(c.ok());
  auto start = Clock::now();
  ASSERT_TRUE(c.Send("GET /echo HTTP/1.1\r\nHost: x\r\n"));
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {  // a header line every 250 ms: 5 s if never dropped
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    if (!c.Send("X-Slow: " + std::to_string(i) + "\r\n")) closed = true;
    if (!closed) closed = c.WaitClosed(1);
  }
  EXPECT_TRUE(closed || c.WaitClosed(1000)) << "a trickling client held its worker for 5 s";
  EXPECT_LT(MsSince(start), 3000);
}

TEST(HttpServerConformanceTest, SilentClientIsDroppedAfterTimeoutWithoutBlockingOthers) {
  HttpServerOptions o;
  o.keep_alive_seconds = 1;
  o.read_timeout_seconds = 1;
  TestServer s(o);
  std::vector<std::unique_ptr<RawConn>> silent;
  for (int i = 0; i < 3; ++i) {
    silent.push_back(std::make_unique<RawConn>(s.port()));
    ASSERT_TRUE(silent.back()->ok());
  }
  RawConn used(s.port());  // one request, then idle past keep_alive_seconds
  ASSERT_TRUE(used.ok());
  ASSERT_TRUE(used.Send(GetReq("/echo?then=idle")));
  ASSERT_TRUE(used.Read().has_value());
  auto start = Clock::now();
  {
    RawConn c(s.port());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.Send(GetReq("/echo?busy=no")));
    auto r = c.Read(3000);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(MsSince(start), 500) << "silent clients delayed another client";
  }
  for (auto& c : silent) EXPECT_TRUE(c->WaitClosed(3500)) << "a silent client was never dropped";
  EXPECT_TRUE(used.WaitClosed(3500)) << "an idle keep-alive connection was never dropped";
  long ms = MsSince(start);
  EXPECT_GE(ms, 700) << "silent clients were dropped before the timeout";
  EXPECT_LT(ms, 3500);
  for (auto& c : silent) EXPECT_TRUE(c->pending().empty() || c->pending().rfind("HTTP/1.", 0) == 0);
}

}  // namespace
}  // namespace lt::net
