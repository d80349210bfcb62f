// Test support for net's server tests: a raw loopback client connection (RawConn) that reads
// responses just enough to split them, request builders, and a TestServer with the routes the
// tests use. Every read is bounded by poll(), so a failing test fails instead of hanging.
#ifndef LT_NET_HTTP_TEST_SUPPORT_H_
#define LT_NET_HTTP_TEST_SUPPORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "net/http.h"

namespace lt::net::testing {


using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

inline long MsSince(Clock::time_point t) {
  return static_cast<long>(std::chrono::duration_cast<milliseconds>(Clock::now() - t).count());
}

struct RawResponse {
  int status = 0;
  std::string head;                                  // status line + headers, without the blank line
  std::multimap<std::string, std::string> headers;   // lower-case names
  std::string body;                                  // de-chunked
  std::string raw;                                   // every byte of this response as received
  std::string Header(const std::string& name) const {
    auto it = headers.find(Lower(name));
    return it == headers.end() ? "" : it->second;
  }
};

// One client TCP connection with a read buffer; responses are parsed just enough to split them.
class RawConn {
 public:
  explicit RawConn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      connect_errno_ = errno;
      ::close(fd_);
      fd_ = -1;
      return;
    }
    int yes = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  }
  ~RawConn() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool ok() const { return fd_ >= 0; }
  int connect_errno() const { return connect_errno_; }

  // Sends everything (errors such as a reset from a server that already answered are ignored).
  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response. `head_only` for HEAD requests (no body follows the headers).
  std::optional<RawResponse> Read(int timeout_ms = 3000, bool head_only = false) {
    auto deadline = Clock::now() + milliseconds(timeout_ms);
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    RawResponse r;
    r.head = buf_.substr(0, end);
    size_t pos = end + 4;
    size_t line_end = r.head.find("\r\n");
    std::string status_line = r.head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    r.status = std::atoi(status_line.c_str() + 9);
    while (line_end != std::string::npos) {
      size_t start = line_end + 2;
      line_end = r.head.find("\r\n", start);
      std::string line = r.head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      while (!value.empty() && value.back() == ' ') value.pop_back();
      r.headers.emplace(Lower(line.substr(0, colon)), value);
    }
    if (r.status < 200 || head_only || r.status == 204 || r.status == 304) {
      r.raw = buf_.substr(0, pos);
      buf_.erase(0, pos);
      return r;
    }
    if (Lower(r.Header("Transfer-Encoding")).find("chunked") != std::string::npos) {
      for (;;) {
        size_t crlf;
        while ((crlf = buf_.find("\r\n", pos)) == std::string::npos) {
          if (!Fill(deadline)) return std::nullopt;
        }
        size_t size = std::strtoul(buf_.substr(pos, crlf - pos).c_str(), nullptr, 16);
        pos = crlf + 2;
        if (size == 0) {  // no trailers expected: the terminating blank line
          while (buf_.size() < pos + 2) {
            if (!Fill(deadline)) return std::nullopt;
          }
          if (buf_.compare(pos, 2, "\r\n") != 0) return std::nullopt;
          pos += 2;
          break;
        }
        while (buf_.size() < pos + size + 2) {
          if (!Fill(deadline)) return std::nullopt;
        }
        r.body += buf_.substr(pos, size);
        pos += size + 2;
      }
    } else if (!r.Header("Content-Length").empty()) {
      size_t len = std::strtoul(r.Header("Content-Length").c_str(), nullptr, 10);
      while (buf_.size() < pos + len) {
        if (!Fill(deadline)) return std::nullopt;
      }
      r.body = buf_.substr(pos, len);
      pos += len;
    } else {  // body until close
      while (Fill(deadline)) {
      }
      r.body = buf_.substr(pos);
      pos = buf_.size();
    }
    r.raw = buf_.substr(0, pos);
    buf_.erase(0, pos);
    return r;
  }

  // True when the peer closes (EOF or reset) within timeout_ms; bytes read meanwhile are kept.
  bool WaitClosed(int timeout_ms) {
    auto deadline = Clock::now() + milliseconds(timeout_ms);
    while (Fill(deadline)) {
    }
    return closed_;
  }

  // Bytes received but not yet consumed by Read().
  const std::string& pending() const { return buf_; }

 private:
  bool Fill(Clock::time_point deadline) {
    if (closed_) return false;
    for (;;) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      int rc = ::poll(&p, 1, static_cast<int>(left));
      if (rc < 0 && errno == EINTR) continue;
      if (rc <= 0) return false;
      char tmp[16384];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        closed_ = true;
        return false;
      }
      buf_.append(tmp, static_cast<size_t>(n));
      return true;
    }
  }

  int fd_ = -1;
  int connect_errno_ = 0;
  bool closed_ = false;
  std::string buf_;
};

inline std::string GetReq(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
}

inline std::string PostReq(const std::string& target, const std::string& body, const std::string& extra_headers = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
}

inline nlohmann::json ParseJson(const std::string& s) {
  auto j = nlohmann::json::parse(s, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json() : j;
}

// A server with the routes the tests use, listening on a free port and running on a thread.
class TestServer {
 public:
  explicit TestServer(HttpServerOptions options = {}) : server_(options) {
    server_.Get("/echo", [](const HttpRequest& req) {
      nlohmann::json q = nlohmann::json::object();
      for (const auto& [k, v] : req.query) q[k] = v;
      return HttpResponse::Json(200, {{"method", req.method},
                                      {"path", req.path},
                                      {"query", q},
                                      {"remote", req.remote_addr},
                                      {"x_custom", req.Header("x-CUSTOM")}});
    });
    server_.Get("/holders/([^/]+)", [](const HttpRequest& req) {
      return HttpResponse::Json(200, {{"path", req.path}, {"matches", req.matches}, {"x", req.Query("x")}});
    });
    server_.Post("/body", [this](const HttpRequest& req) {
      ++posts_;
      return HttpResponse::Json(200, {{"size", req.body.size()}, {"body", req.body}});
    });
    server_.Get("/throw", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    server_.Get("/headers", [](const HttpRequest&) {
      HttpResponse r;
      r.status = 503;
      r.body = "try later, please";
      r.content_type = "text/plain";
      r.headers.emplace("Retry-After", "7");
      r.headers.emplace("X-Lt-Test", "yes");
      return r;
    });
    server_.Get("/stream", [](const HttpRequest&) {
      HttpResponse r;
      r.content_type = "text/event-stream";
      r.stream = [](ChunkSink& sink) {
        for (const char* piece : {"one,", "two,", "three"}) {
          if (!sink.Write(piece)) return;
          std::this_thread::sleep_for(milliseconds(30));
        }
      };
      return r;
    });
    server_.Get("/big", [](const HttpRequest& req) {
      HttpResponse r;
      r.content_type = "application/octet-stream";
      r.body.resize(std::strtoul(req.Query("n").c_str(), nullptr, 10));
      for (size_t i = 0; i < r.body.size(); ++i) r.body[i] = static_cast<char>('a' + i % 23);
      return r;
    });
    server_.Get("/endless", [this](const HttpRequest&) {
      HttpResponse r;
      r.content_type = "text/event-stream";
      r.stream = [this](ChunkSink& sink) {
        for (int i = 0; i < 500; ++i) {  // 5 s at most
          if (!sink.Write("data: tick\n\n")) {
            stream_saw_peer_gone_ = true;
            return;
          }
          std::this_thread::sleep_for(milliseconds(10));
        }
      };
      return r;
    });
    auto port = server_.Listen("127.0.0.1", 0);
    if (!port.ok()) throw std::runtime_error(port.error().message);
    port_ = *port;
    thread_ = std::thread([this] { server_.Run(); });
  }
  ~TestServer() { Stop(); }

  void Stop() {
    if (thread_.joinable()) {
      server_.Stop();
      thread_.join();
    }
  }
  int port() const { return port_; }
  int posts() const { return posts_.load(); }
  bool stream_saw_peer_gone() const { return stream_saw_peer_gone_.load(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  HttpServer server_;
  int port_ = 0;
  std::atomic<int> posts_{0};
  std::atomic<bool> stream_saw_peer_gone_{false};
  std::thread thread_;
};

// A fresh connection gets a correct answer: the server survived whatever came before.
inline void ExpectStillServes(int port) {
  RawConn c(port);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(GetReq("/echo?alive=1")));
  auto r = c.Read();
  ASSERT_TRUE(r.has_value()) << "server no longer answers";
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(ParseJson(r->body)["query"]["alive"], "1");
}

}  // namespace lt::net::testing

#endif  // LT_NET_HTTP_TEST_SUPPORT_H_
