// net::HttpServer: a small HTTP/1.1 server over blocking sockets (doc/wire.md "HTTP").
//
// One thread accepts; `threads` workers each own one connection at a time and serve its
// requests in order (keep-alive, pipelining) until the client closes, asks to close, idles past
// keep_alive_seconds, or reaches keep_alive_max_requests. Connections beyond the pool wait for a
// worker in FIFO order. A request costs one recv (usually) and one send: the head and body of a
// response leave in one write, and reads block with SO_RCVTIMEO instead of a poll() before each
// read. Bodies: Content-Length or chunked, at most max_body_bytes (413 otherwise, before reading
// it); `Expect: 100-continue` is answered. Heads: at most kMaxHeadBytes (431). Streamed responses
// use chunked transfer coding. Stop() shuts the listening socket and every connection down, so
// Run() returns promptly.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "net/ascii.h"
#include "net/http.h"
#include "net/http_parse.h"
#include "net/socket_io.h"
#include "util/log.h"

namespace lt::net {

namespace {

const char* Reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
  }
  return "Status";
}

class SocketSink final : public ChunkSink {
 public:
  explicit SocketSink(int fd) : fd_(fd) {}
  bool Write(std::string_view data) override {
    if (!ok_) return false;
    if (data.empty()) return true;
    char size[32];
    int len = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string out;
    out.reserve(data.size() + static_cast<size_t>(len) + 2);
    out.append(size, static_cast<size_t>(len));
    out.append(data);
    out.append("\r\n");
    ok_ = SendAll(fd_, out);
    return ok_;
  }
  bool ok() const { return ok_; }

 private:
  int fd_;
  bool ok_ = true;
};

}  // namespace

struct HttpServer::Impl {
  struct Route {
    std::string method;
    std::string literal;  // the pattern when it has no regex syntax: matched with ==, not std::regex
    std::regex pattern;
    Handler handler;
  };
  void Add(const char* method, const std::string& pattern, Handler h) {
    bool plain = !pattern.empty() && pattern.find_first_of(".[]{}()*+?^$|\\") == std::string::npos;
    routes.push_back({method, plain ? pattern : std::string(), plain ? std::regex() : std::regex(pattern), std::move(h)});
  }
  HttpServerOptions options;
  std::vector<Route> routes;
  int listen_fd = -1;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable cv;
  std::deque<int> waiting;  // accepted connections no worker has taken yet
  std::set<int> serving;    // connections a worker is on (shut down by Stop)

  void Worker();
  void Serve(int fd);
  HttpResponse Dispatch(HttpRequest& req);
};

void HttpServer::Impl::Worker() {
  for (;;) {
    int fd;
    {
      std::unique_lock<std::mutex> l(mu);
      cv.wait(l, [&] { return stopping || !waiting.empty(); });
      if (stopping) return;
      fd = waiting.front();
      waiting.pop_front();
      serving.insert(fd);
    }
    Serve(fd);
    {
      std::lock_guard<std::mutex> l(mu);
      serving.erase(fd);
    }
    ::close(fd);
  }
}

HttpResponse HttpServer::Impl::Dispatch(HttpRequest& req) {
  const std::string& method = req.method == "HEAD" ? std::string("GET") : req.method;
  for (const auto& r : routes) {
    if (r.method != method) continue;
    if (!r.literal.empty()) {
      if (req.path != r.literal) continue;
      req.matches.push_back(req.path);
    } else {
      std::smatch m;
      if (!std::regex_match(req.path, m, r.pattern)) continue;
      for (const auto& s : m) req.matches.push_back(s.str());
    }
    try {
      return r.handler(req);
    } catch (const std::exception& e) {
      LT_ERROR("handler for " << req.method << " " << req.path << " threw: " << e.what());
      return HttpResponse::ErrorJson(500, "internal", std::string("internal error: ") + e.what());
    } catch (...) {
      return HttpResponse::ErrorJson(500, "internal", "internal error");
    }
  }
  return HttpResponse::ErrorJson(404, "not_found", "no route for " + req.method + " " + req.path);
}

void HttpServer::Impl::Serve(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  SetSocketTimeout(fd, SO_SNDTIMEO, std::max(options.write_timeout_seconds, 1) * 1000);
  // The receive timeout in force (ms), and the time by which the request being read must be
  // complete: read_timeout_seconds after its first byte, so a client trickling bytes cannot hold
  // a worker for longer than that (a per-read timeout alone would let it).
  using SteadyClock = std::chrono::steady_clock;
  int timeout_ms = -1;
  auto set_timeout = [&](int ms) {
    ms = std::max(ms, 1);
    if (ms == timeout_ms) return;
    SetSocketTimeout(fd, SO_RCVTIMEO, ms);
    timeout_ms = ms;
  };
  std::optional<SteadyClock::time_point> deadline;
  // Between requests the timeout is keep_alive_seconds; within one, what is left of its deadline.
  // A request that arrives in one piece (the usual case) changes nothing: no setsockopt per request.
  ByteReader in([&](char* b, size_t cap) -> ssize_t {
    if (!deadline) {
      set_timeout(options.keep_alive_seconds * 1000);
    } else {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - SteadyClock::now()).count();
      if (left <= 0) return -1;  // the request took too long as a whole
      set_timeout(static_cast<int>(std::min<long long>(left, std::max(options.read_timeout_seconds, 1) * 1000LL)));
    }
    for (;;) {
      ssize_t n = ::recv(fd, b, cap, 0);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  });
  std::string peer;
  {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "";
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      const void* a = ss.ss_family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr)
                                              : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&ss)->sin_addr);
      ::inet_ntop(ss.ss_family, a, ip, sizeof ip);
    }
    peer = ip;
  }
  for (size_t served = 0; !stopping; ++served) {
    // Waiting for a request's first byte is keep-alive idling; the rest of it is a read.
    deadline.reset();
    if (in.buf().empty() && !in.Fill()) return;
    deadline = SteadyClock::now() + std::chrono::seconds(std::max(options.read_timeout_seconds, 1));
    HttpRequest req;
    req.remote_addr = peer;
    bool keep_alive = false;
    std::string problem;
    int bad = ReadHttpRequest(in, options.max_body_bytes, [fd] { return SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n"); },
                              req, keep_alive, problem);
    if (bad < 0) return;
    HttpResponse res;
    if (bad > 0) {  // answered, then the connection is closed: what follows cannot be trusted
      keep_alive = false;
      res = bad == 413 ? HttpResponse::ErrorJson(413, "resource_exhausted", problem)
                       : HttpResponse::ErrorJson(bad, "invalid_argument", problem);
    } else {
      res = Dispatch(req);
    }
    if (served + 1 >= options.keep_alive_max_requests || stopping) keep_alive = false;
    bool head = req.method == "HEAD";
    std::string out;
    out.reserve(256 + (res.stream ? 0 : res.body.size()));
    out += "HTTP/1.1 ";
    out += std::to_string(res.status);
    out += ' ';
    out += Reason(res.status);
    out += "\r\nContent-Type: ";
    out += res.content_type;
    if (res.stream) {
      out += "\r\nTransfer-Encoding: chunked";
    } else {
      out += "\r\nContent-Length: ";
      out += std::to_string(res.body.size());
    }
    out += keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close";
    for (const auto& [k, v] : res.headers) {
      if (k.find_first_of("\r\n") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) continue;
      out += "\r\n";
      out += k;
      out += ": ";
      out += v;
    }
    out += "\r\n\r\n";
    if (!res.stream) {
      if (!head) out += res.body;
      if (!SendAll(fd, out)) return;
    } else {
      if (!SendAll(fd, out)) return;
      if (!head) {
        SocketSink sink(fd);
        try {
          res.stream(sink);
        } catch (const std::exception& e) {
          LT_ERROR("stream handler threw: " << e.what());
        }
        if (!sink.ok() || !SendAll(fd, "0\r\n\r\n")) return;
      }
    }
    if (!keep_alive) {
      ::shutdown(fd, SHUT_WR);
      return;
    }
  }
}

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>()) { impl_->options = options; }

HttpServer::~HttpServer() {
  Stop();
  if (impl_->listen_fd >= 0) ::close(impl_->listen_fd);  // Run() never ran
}

void HttpServer::Get(const std::string& pattern, Handler h) { impl_->Add("GET", pattern, std::move(h)); }
void HttpServer::Post(const std::string& pattern, Handler h) { impl_->Add("POST", pattern, std::move(h)); }
void HttpServer::Delete(const std::string& pattern, Handler h) { impl_->Add("DELETE", pattern, std::move(h)); }

Result<int> HttpServer::Listen(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    return MakeError(ErrorCode::kIo, "cannot listen on " + host + ":" + service + ": " + gai_strerror(rc));
  }
  std::string last = "no address";
  int fd = -1;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);  // not SO_REUSEPORT: a taken port fails
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) break;
    last = std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0) {
    return MakeError(ErrorCode::kIo, "cannot listen on " + host + ":" + service + " (" + last +
                                         "; address in use or not local?)");
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  int bound = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (impl_->listen_fd >= 0) ::close(impl_->listen_fd);
  impl_->listen_fd = fd;
  return bound;
}

void HttpServer::Run() {
  Impl& im = *impl_;
  if (im.listen_fd < 0 || im.stopping) return;
  std::vector<std::thread> workers;
  for (int i = 0; i < std::max(1, im.options.threads); ++i) workers.emplace_back([&im] { im.Worker(); });
  while (!im.stopping) {
    int fd = ::accept4(im.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (im.stopping) break;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // out of descriptors: let some close
        continue;
      }
      break;  // the socket was shut down
    }
    std::lock_guard<std::mutex> l(im.mu);
    if (im.stopping) {
      ::close(fd);
      break;
    }
    im.waiting.push_back(fd);
    im.cv.notify_one();
  }
  {
    std::lock_guard<std::mutex> l(im.mu);
    im.stopping = true;
    for (int fd : im.waiting) ::close(fd);
    im.waiting.clear();
    for (int fd : im.serving) ::shutdown(fd, SHUT_RDWR);
  }
  im.cv.notify_all();
  for (auto& t : workers) t.join();
  std::lock_guard<std::mutex> l(im.mu);
  ::close(im.listen_fd);
  im.listen_fd = -1;
}

void HttpServer::Stop() {
  if (!impl_) return;
  Impl& im = *impl_;
  std::lock_guard<std::mutex> l(im.mu);
  if (im.stopping) return;
  im.stopping = true;
  if (im.listen_fd >= 0) ::shutdown(im.listen_fd, SHUT_RDWR);  // wakes accept()
  for (int fd : im.serving) ::shutdown(fd, SHUT_RDWR);        // wakes workers in recv()
  im.cv.notify_all();
}

}  // namespace lt::net
