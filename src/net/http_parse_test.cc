// The sans-I/O readers (net/http_parse.h) give the same result however the bytes are cut into
// reads: every split point of a request and of answers of each body kind.
#include "net/http_parse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lt::net {
namespace {

struct Answer {
  int step = 0;
  int status = 0;
  std::string body;
};

// Feeds `raw` in two pieces cut at `cut`, then the end of the stream.
Answer ReadAnswer(const std::string& raw, size_t cut, const char* method = "GET") {
  Answer a;
  AnswerReader r(method, [&](std::string_view d) {
    a.body.append(d);
    return true;
  });
  std::string buf = raw.substr(0, cut);
  size_t used = 0;
  auto s = r.Put(buf, &used);
  buf.erase(0, used);
  if (s == AnswerReader::Step::kNeedMore) {
    buf += raw.substr(cut);
    s = r.Put(buf, &used);
  }
  if (s == AnswerReader::Step::kNeedMore) s = r.PutEof();
  a.step = static_cast<int>(s);
  a.status = r.head().status;
  return a;
}

TEST(AnswerReaderTest, EverySplitGivesTheWholeAnswer) {
  const std::vector<std::string> answers = {
      // HTTP/1.0 with a length, head and body in separate writes (Python's http.server): Beast's
      // empty-optional body limit refused these once the head came alone.
      "HTTP/1.0 200 OK\r\nServer: py\r\nContent-Type: x\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.0 200 OK\r\n\r\nhello",  // until the server closes
  };
  for (const auto& raw : answers) {
    for (size_t cut = 0; cut <= raw.size(); ++cut) {
      Answer a = ReadAnswer(raw, cut);
      EXPECT_EQ(a.step, static_cast<int>(AnswerReader::Step::kComplete)) << raw << " cut at " << cut;
      EXPECT_EQ(a.status, 200) << raw << " cut at " << cut;
      EXPECT_EQ(a.body, "hello") << raw << " cut at " << cut;
    }
  }
}

// Found by fuzz_http_answer: Beast accepts any three digits as a status, so "050" came back as a
// complete answer with status 50.
TEST(AnswerReaderTest, AStatusBelow100IsMalformedAtEverySplit) {
  const std::string raw = "HTTP/1.1 050 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  for (size_t cut = 0; cut <= raw.size(); ++cut) {
    Answer a = ReadAnswer(raw, cut);
    EXPECT_EQ(a.step, static_cast<int>(AnswerReader::Step::kMalformed)) << "cut at " << cut;
  }
}

// Found by fuzz_http_answer: Beast's string_body reserved the Content-Length a server claims, so
// an answer claiming 4 EB threw from the reader (and a claim of gigabytes was allocated up front).
TEST(AnswerReaderTest, AClaimedLengthIsNotAllocatedBeforeItComes) {
  const std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 4099276460824344798\r\n\r\nhello";
  for (size_t cut = 0; cut <= raw.size(); ++cut) {
    Answer a = ReadAnswer(raw, cut);
    EXPECT_EQ(a.step, static_cast<int>(AnswerReader::Step::kNeedMore)) << "cut at " << cut;  // the rest never came
    EXPECT_EQ(a.body, "hello") << "cut at " << cut;
  }
}

TEST(RequestReaderTest, EverySplitGivesTheWholeRequest) {
  const std::string raw =
      "POST /rfc?x=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}";
  for (size_t cut = 0; cut <= raw.size(); ++cut) {
    RequestReader r(1024);
    std::string buf = raw.substr(0, cut);
    size_t used = 0;
    auto s = r.Put(buf, &used);
    buf.erase(0, used);
    if (s == RequestReader::Step::kNeedMore) {
      buf += raw.substr(cut);
      s = r.Put(buf, &used);
    }
    ASSERT_EQ(s, RequestReader::Step::kComplete) << "cut at " << cut;
    bool keep_alive = false;
    HttpRequest req = r.Take(&keep_alive);
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.path, "/rfc");
    EXPECT_EQ(req.Query("x"), "1");
    EXPECT_EQ(req.body, "{\"a\":1}");
    EXPECT_TRUE(keep_alive);
  }
}

TEST(RequestReaderTest, LongTargetsAndHeadsAreRefusedWithTheirStatus) {
  RequestReader r(1024);
  std::string url = "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  size_t used = 0;
  EXPECT_EQ(r.Put(url, &used), RequestReader::Step::kRefused);
  EXPECT_EQ(r.status(), 414);
  RequestReader h(1024);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 100; ++i) many += "X-H" + std::to_string(i) + ": " + std::string(700, 'v') + "\r\n";
  many += "\r\n";
  EXPECT_EQ(h.Put(many, &used), RequestReader::Step::kRefused);
  EXPECT_EQ(h.status(), 431);
}

}  // namespace
}  // namespace lt::net
