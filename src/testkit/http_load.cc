#include "testkit/http_load.h"
#include "util/json.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

namespace lt::testkit {
namespace {

using Steady = std::chrono::steady_clock;

struct Conn {
  int fd = -1;
  bool connecting = false;  // non-blocking connect in progress
  bool watching_out = false;
  bool reused = false;   // this connection already carried an answer
  bool retried = false;  // the current request was resent once
  size_t req = 0, written = 0;
  std::string in;
  Steady::time_point start;
};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// "HTTP 409 replayed" from a status and a {"error":{"code":..}} body.
std::string HttpKind(int status, const std::string& body) {
  std::string kind = "HTTP " + std::to_string(status);
  auto j = ParseJson(body);
  if (j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("code") &&
      j["error"]["code"].is_string()) {
    kind += " " + j["error"]["code"].get<std::string>();
  }
  return kind;
}

bool HeaderIs(const std::string& line, const char* name, std::string* value) {
  size_t n = std::strlen(name);
  if (line.size() <= n || line[n] != ':' || strncasecmp(line.data(), name, n) != 0) return false;
  size_t b = line.find_first_not_of(" \t", n + 1);
  *value = b == std::string::npos ? "" : line.substr(b);
  return true;
}

class Load {
 public:
  Load(const HttpLoadOptions& o, const std::vector<std::string>& reqs, size_t from, size_t to)
      : o_(o), reqs_(reqs), next_(from), to_(to), conns_(static_cast<size_t>(std::max(1, o.connections))) {}

  HttpLoadResult Run() {
    auto t0 = Steady::now();
    double cpu0 = ThreadCpuSeconds();
    size_t total = to_ > next_ ? to_ - next_ : 0;
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    for (auto& c : conns_) idle_.push_back(&c);
    epoll_event evs[64];
    while (finished_ < total) {
      while (!idle_.empty()) {
        Conn* c = idle_.back();
        idle_.pop_back();
        Next(*c);
      }
      if (finished_ >= total) break;
      int n = ::epoll_wait(ep_, evs, 64, 200);
      for (int i = 0; i < n; ++i) {
        Conn& c = *static_cast<Conn*>(evs[i].data.ptr);
        if (c.fd < 0) continue;
        if (c.connecting) {
          int err = 0;
          socklen_t len = sizeof err;
          ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
          if (err != 0) {
            Fail(c, std::string("transport: connect: ") + std::strerror(err));
            continue;
          }
          c.connecting = false;
          Send(c);
        } else if (evs[i].events & EPOLLOUT) {
          Send(c);
        }
        if (c.fd >= 0 && !c.connecting && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) Receive(c);
      }
      auto now = Steady::now();
      for (auto& c : conns_) {
        if (c.fd >= 0 && now - c.start > std::chrono::milliseconds(o_.timeout_ms))
          Fail(c, "transport: timeout");
      }
    }
    for (auto& c : conns_) Close(c);
    ::close(ep_);
    r_.seconds = std::chrono::duration<double>(Steady::now() - t0).count();
    r_.cpu_seconds = ThreadCpuSeconds() - cpu0;
    return std::move(r_);
  }

 private:
  // Gives an idle connection the next request (opening it if needed), or closes it when none.
  void Next(Conn& c) {
    while (next_ < to_) {
      c.req = next_++;
      c.written = 0;
      c.retried = false;
      c.in.clear();
      c.start = Steady::now();
      if (c.fd >= 0 || Open(c)) {
        if (!c.connecting) Send(c);
        return;
      }
      Record(c, std::string("transport: connect: ") + std::strerror(errno));
    }
    Close(c);
  }

  bool Open(Conn& c) {
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return false;
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(o_.port));
    c.reused = false;
    c.connecting = ::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0;
    if (c.connecting && errno != EINPROGRESS) {
      int e = errno;
      Close(c);
      errno = e;
      return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | (c.connecting ? uint32_t{EPOLLOUT} : 0u);
    ev.data.ptr = &c;
    c.watching_out = c.connecting;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
    return true;
  }

  void Close(Conn& c) {
    if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
    c.fd = -1;
    c.connecting = c.watching_out = false;
  }

  void WatchOut(Conn& c, bool on) {
    if (c.watching_out == on) return;
    epoll_event ev{};
    ev.events = EPOLLIN | (on ? uint32_t{EPOLLOUT} : 0u);
    ev.data.ptr = &c;
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    c.watching_out = on;
  }

  // A reused keep-alive connection closed before any answer: resend once on a new one.
  bool Retry(Conn& c) {
    if (!c.reused || c.retried || !c.in.empty()) return false;
    Close(c);
    c.retried = true;
    c.written = 0;
    if (!Open(c)) {
      Fail(c, std::string("transport: connect: ") + std::strerror(errno));
    } else if (!c.connecting) {
      Send(c);
    }
    return true;
  }

  void Send(Conn& c) {
    const std::string& q = reqs_[c.req];
    while (c.written < q.size()) {
      ssize_t n = ::send(c.fd, q.data() + c.written, q.size() - c.written, MSG_NOSIGNAL);
      if (n > 0) {
        c.written += static_cast<size_t>(n);
      } else if (errno == EAGAIN || errno == EINTR) {
        if (errno == EAGAIN) return WatchOut(c, true);
      } else {
        if (!Retry(c)) Fail(c, std::string("transport: write: ") + std::strerror(errno));
        return;
      }
    }
    WatchOut(c, false);
  }

  void Receive(Conn& c) {
    char buf[65536];
    bool eof = false;
    while (true) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof buf) break;  // drained for now (saves a recv per answer)
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n < 0 && errno != ECONNRESET) {
        if (!Retry(c)) Fail(c, std::string("transport: read: ") + std::strerror(errno));
        return;
      }
      eof = true;  // orderly close or reset
      break;
    }
    if (eof && c.written < reqs_[c.req].size() && c.in.empty()) {
      if (!Retry(c)) Fail(c, "transport: closed before the request was sent");
      return;
    }
    size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (c.in.size() > o_.max_header_bytes) {
        Fail(c, "protocol: response header over " + std::to_string(o_.max_header_bytes) + " bytes");
      } else if (eof && !Retry(c)) {
        Fail(c, c.in.empty() ? "transport: closed before the response" : "transport: closed mid-header");
      }
      return;
    }
    if (end > o_.max_header_bytes) {
      return Fail(c, "protocol: response header over " + std::to_string(o_.max_header_bytes) + " bytes");
    }
    if (c.in.compare(0, 7, "HTTP/1.") != 0 || end < 12) return Fail(c, "protocol: bad status line");
    int status = std::atoi(c.in.c_str() + 9);
    long long length = -1;
    bool close = false;
    for (size_t p = c.in.find("\r\n") + 2; p < end;) {
      size_t e = c.in.find("\r\n", p);
      std::string line = c.in.substr(p, e - p), v;
      p = e + 2;
      if (HeaderIs(line, "Content-Length", &v)) length = std::atoll(v.c_str());
      if (HeaderIs(line, "Connection", &v) && strncasecmp(v.c_str(), "close", 5) == 0) close = true;
      if (HeaderIs(line, "Transfer-Encoding", &v) && v.find("chunked") != std::string::npos) {
        return Fail(c, "protocol: chunked response (not supported)");
      }
    }
    if (length < 0) return Fail(c, "protocol: response without Content-Length");
    size_t total = end + 4 + static_cast<size_t>(length);
    if (c.in.size() < total) {
      if (eof) Fail(c, "transport: closed mid-body");
      return;
    }
    if (c.in.size() > total) return Fail(c, "protocol: bytes after the response");
    if (status == 200) {
      ++r_.ok;
      Record(c, "");
    } else {
      Record(c, HttpKind(status, c.in.substr(end + 4)));
    }
    if (close || eof) Close(c);
    c.reused = c.fd >= 0;
    Next(c);
  }

  // One finished request: its latency, and its failure kind unless empty.
  void Record(Conn& c, const std::string& kind) {
    r_.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - c.start).count());
    if (!kind.empty()) ++r_.failures[kind];
    ++finished_;
  }

  void Fail(Conn& c, const std::string& kind) {
    Record(c, kind);
    Close(c);
    idle_.push_back(&c);  // reopened for the next request by the main loop
  }

  const HttpLoadOptions& o_;
  const std::vector<std::string>& reqs_;
  size_t next_, to_, finished_ = 0;
  std::vector<Conn> conns_;
  std::vector<Conn*> idle_;
  int ep_ = -1;
  HttpLoadResult r_;
};

}  // namespace

std::string BuildPostRequest(int port, const std::string& path, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

HttpLoadResult RunHttpLoad(const HttpLoadOptions& opts, const std::vector<std::string>& requests, size_t from,
                           size_t to) {
  return Load(opts, requests, from, std::min(to, requests.size())).Run();
}

}  // namespace lt::testkit
