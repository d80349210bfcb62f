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
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "net/ascii.h"
#include "net/http.h"
#include "util/log.h"

namespace lt::net {

namespace {

constexpr size_t kMaxHeadBytes = 64 << 10;

bool IContains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (IEquals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexVal(s[i + 1]) >= 0 && HexVal(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexVal(s[i + 1]) * 16 + HexVal(s[i + 2])));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

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

void SetTimeout(int fd, int opt, int seconds) {
  timeval tv{};
  tv.tv_sec = std::max(seconds, 1);
  setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

// Sends all of `data`; false when the peer is gone or the write timed out.
bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// A connection's read side: a buffer in front of recv().
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}
  std::string& buf() { return buf_; }
  // Reads more bytes; false on EOF, error or timeout.
  bool Fill() {
    char tmp[16 << 10];
    for (;;) {
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buf_.append(tmp, static_cast<size_t>(n));
      return true;
    }
  }
  // Makes at least `n` bytes available.
  bool Need(size_t n) {
    while (buf_.size() < n) {
      if (!Fill()) return false;
    }
    return true;
  }

 private:
  int fd_;
  std::string buf_;
};

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
    std::regex pattern;
    Handler handler;
  };
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
  // Reads one request into `req`; returns the HTTP status to answer with when it is malformed
  // (0 when fine, -1 when the connection just ended).
  int ReadRequest(int fd, Reader& in, HttpRequest& req, bool& keep_alive, std::string& problem);
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

int HttpServer::Impl::ReadRequest(int fd, Reader& in, HttpRequest& req, bool& keep_alive, std::string& problem) {
  std::string& buf = in.buf();
  size_t head_end;
  for (;;) {
    head_end = buf.find("\r\n\r\n");
    if (head_end != std::string::npos) break;
    if (buf.size() > kMaxHeadBytes) {
      problem = "request head larger than " + std::to_string(kMaxHeadBytes) + " bytes";
      return 431;
    }
    if (!in.Fill()) return buf.empty() ? -1 : 400;  // a half-sent head that never ends
  }
  if (head_end > kMaxHeadBytes) {
    problem = "request head larger than " + std::to_string(kMaxHeadBytes) + " bytes";
    return 431;
  }
  std::string_view head(buf.data(), head_end);
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || sp1 == 0) {
    problem = "malformed request line";
    return 400;
  }
  req.method = std::string(line.substr(0, sp1));
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    problem = "unsupported protocol version";
    return version.rfind("HTTP/", 0) == 0 ? 505 : 400;
  }
  if (target.empty() || target[0] != '/') {
    problem = "request target must start with /";
    return 400;
  }
  keep_alive = version == "HTTP/1.1";
  size_t content_length = 0;
  bool has_length = false, chunked = false, expect_continue = false;
  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!rest.empty()) {
    size_t e = rest.find("\r\n");
    std::string_view h = rest.substr(0, e);
    rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      problem = "malformed header line";
      return 400;
    }
    std::string_view name = h.substr(0, colon), value = Trim(h.substr(colon + 1));
    req.headers.emplace(std::string(name), std::string(value));
    if (IEquals(name, "Content-Length")) {
      size_t v = 0;
      auto r = std::from_chars(value.data(), value.data() + value.size(), v);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size() || (has_length && v != content_length)) {
        problem = "invalid Content-Length";
        return 400;
      }
      content_length = v;
      has_length = true;
    } else if (IEquals(name, "Transfer-Encoding")) {
      if (!IEquals(value, "chunked")) {
        problem = "unsupported Transfer-Encoding (only chunked)";
        return 501;
      }
      chunked = true;
    } else if (IEquals(name, "Connection")) {
      if (IContains(value, "close")) keep_alive = false;
      if (IContains(value, "keep-alive")) keep_alive = true;
    } else if (IEquals(name, "Expect")) {
      expect_continue = IEquals(value, "100-continue");
    }
  }
  if (chunked && has_length) {
    problem = "both Content-Length and Transfer-Encoding";
    return 400;
  }
  size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  req.path = PercentDecode(raw_path, false);
  if (q != std::string_view::npos) {
    std::string_view qs = target.substr(q + 1);
    while (!qs.empty()) {
      size_t amp = qs.find('&');
      std::string_view kv = qs.substr(0, amp);
      qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
      if (kv.empty()) continue;
      size_t eq = kv.find('=');
      req.query.emplace(PercentDecode(kv.substr(0, eq), true),
                        eq == std::string_view::npos ? std::string() : PercentDecode(kv.substr(eq + 1), true));
    }
  }
  buf.erase(0, head_end + 4);
  if (has_length && content_length > options.max_body_bytes) {
    keep_alive = false;  // the body is not read
    problem = "request body larger than " + std::to_string(options.max_body_bytes) + " bytes";
    return 413;
  }
  if (expect_continue && (has_length || chunked) && buf.empty() &&
      !SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n")) {
    return -1;
  }
  if (has_length) {
    if (!in.Need(content_length)) return -1;
    req.body = buf.substr(0, content_length);
    buf.erase(0, content_length);
  } else if (chunked) {
    for (;;) {
      size_t e;
      while ((e = buf.find("\r\n")) == std::string::npos) {
        if (buf.size() > 1024 || !in.Fill()) {
          problem = "malformed chunked body";
          return buf.size() > 1024 ? 400 : -1;
        }
      }
      size_t size = 0;
      std::string_view sz(buf.data(), e);
      sz = sz.substr(0, sz.find(';'));
      auto r = std::from_chars(sz.data(), sz.data() + sz.size(), size, 16);
      if (r.ec != std::errc() || sz.empty()) {
        problem = "malformed chunk size";
        return 400;
      }
      if (req.body.size() + size > options.max_body_bytes) {
        keep_alive = false;
        problem = "request body larger than " + std::to_string(options.max_body_bytes) + " bytes";
        return 413;
      }
      if (!in.Need(e + 2 + size + 2)) return -1;
      if (size == 0) {  // last chunk; trailers are not supported beyond an empty line
        buf.erase(0, e + 2);
        size_t t = buf.find("\r\n");
        while (t == std::string::npos) {
          if (!in.Fill()) return -1;
          t = buf.find("\r\n");
        }
        buf.erase(0, t + 2);
        break;
      }
      req.body.append(buf, e + 2, size);
      buf.erase(0, e + 2 + size + 2);
    }
  }
  return 0;
}

HttpResponse HttpServer::Impl::Dispatch(HttpRequest& req) {
  const std::string& method = req.method == "HEAD" ? std::string("GET") : req.method;
  for (const auto& r : routes) {
    if (r.method != method) continue;
    std::smatch m;
    if (!std::regex_match(req.path, m, r.pattern)) continue;
    for (const auto& s : m) req.matches.push_back(s.str());
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
  SetTimeout(fd, SO_SNDTIMEO, options.write_timeout_seconds);
  Reader in(fd);
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
  int timeout = -1;
  for (size_t served = 0; !stopping; ++served) {
    // Waiting for a request's first byte is keep-alive idling; the rest of it is a read.
    int want = in.buf().empty() ? options.keep_alive_seconds : options.read_timeout_seconds;
    if (want != timeout) {
      SetTimeout(fd, SO_RCVTIMEO, want);
      timeout = want;
    }
    if (in.buf().empty() && !in.Fill()) return;
    if (timeout != options.read_timeout_seconds) {
      SetTimeout(fd, SO_RCVTIMEO, options.read_timeout_seconds);
      timeout = options.read_timeout_seconds;
    }
    HttpRequest req;
    req.remote_addr = peer;
    bool keep_alive = false;
    std::string problem;
    int bad = ReadRequest(fd, in, req, keep_alive, problem);
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

void HttpServer::Get(const std::string& pattern, Handler h) {
  impl_->routes.push_back({"GET", std::regex(pattern), std::move(h)});
}
void HttpServer::Post(const std::string& pattern, Handler h) {
  impl_->routes.push_back({"POST", std::regex(pattern), std::move(h)});
}
void HttpServer::Delete(const std::string& pattern, Handler h) {
  impl_->routes.push_back({"DELETE", std::regex(pattern), std::move(h)});
}

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
