// net::HttpClient: HTTP/1.1 over one keep-alive connection (doc/wire.md "HTTP").
//
// A request is one write (head and body together); the answer is read with blocking recv()s
// under SO_RCVTIMEO. Bodies: Content-Length, chunked, or until the server closes. A connection
// the server closed while idle is noticed when the next request gets nothing back at all, and
// that request is sent once more on a new connection. Transport errors: refused or unreachable
// -> kUnavailable; a connect, read or write that timed out or broke -> kTimeout. Messages are
// "<base><path>: Connection (...)", "ConnectionTimeout", "Read (...)", "Write (...)".
// Thread-safety: one request at a time per HttpClient.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include "net/ascii.h"
#include "net/http.h"
#include "net/http_parse.h"
#include "net/socket_io.h"

namespace lt::net {

namespace {

constexpr size_t kMaxErrorBody = 1 << 20;  // kept for the caller of a streamed request that failed

// What a failed exchange was doing, for the error and for whether it may be retried.
enum class Stage { kConnect, kWrite, kRead };

struct Failure {
  Stage stage;
  ErrorCode code;
  std::string what;
};

}  // namespace

struct HttpClient::Impl {
  std::string host;
  int port = 0;
  HttpClientOptions options;
  int fd = -1;
  std::string buf;  // bytes read past the previous answer (none, with a well-behaved server)

  ~Impl() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    buf.clear();
  }

  std::optional<Failure> Connect();
  struct Request {
    const std::string* method;
    const std::string* path;
    const std::string* body;
    const std::string* content_type;
    const std::multimap<std::string, std::string>* headers;
    const std::function<bool(std::string_view)>* on_data;  // null: keep the body
  };
  // One exchange on the current connection. `got_any` tells whether any answer byte arrived.
  Result<HttpClientResponse> Exchange(const Request& r, const std::string& base, bool* got_any,
                                      std::optional<Failure>* failure);
  // Exchange, connecting first when needed and retrying once on a connection found closed.
  Result<HttpClientResponse> Send(const std::string& base, const std::string& method, const std::string& path,
                                  const std::string& body, const std::string& content_type,
                                  const std::multimap<std::string, std::string>& headers,
                                  const std::function<bool(std::string_view)>* on_data);
};

std::optional<Failure> HttpClient::Impl::Connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    return Failure{Stage::kConnect, ErrorCode::kUnavailable, std::string("Connection (") + gai_strerror(rc) + ")"};
  }
  Failure last{Stage::kConnect, ErrorCode::kUnavailable, "Connection"};
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    int s = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (s < 0) continue;
    int rc = ::connect(s, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{s, POLLOUT, 0};
      int n;
      do {
        n = ::poll(&p, 1, std::max(options.connect_timeout_ms, 1));
      } while (n < 0 && errno == EINTR);
      if (n == 0) {
        last = {Stage::kConnect, ErrorCode::kTimeout, "ConnectionTimeout"};
        ::close(s);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last = {Stage::kConnect, ErrorCode::kUnavailable, std::string("Connection (") + std::strerror(errno) + ")"};
      ::close(s);
      continue;
    }
    ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) & ~O_NONBLOCK);  // blocking from here on, bounded by the timeouts
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SetSocketTimeout(s, SO_RCVTIMEO, options.read_timeout_ms);
    SetSocketTimeout(s, SO_SNDTIMEO, options.write_timeout_ms);
    fd = s;
    buf.clear();
    ::freeaddrinfo(res);
    return std::nullopt;
  }
  ::freeaddrinfo(res);
  return last;
}

Result<HttpClientResponse> HttpClient::Impl::Exchange(const Request& r, const std::string& base, bool* got_any,
                                                      std::optional<Failure>* failure) {
  *got_any = false;
  auto fail = [&](Failure f) -> Result<HttpClientResponse> {
    *failure = f;
    Close();
    return MakeError(f.code, base + *r.path + ": " + f.what);
  };
  bool has_body = *r.method != "GET" && *r.method != "HEAD" && *r.method != "DELETE";
  std::string out;
  out.reserve(128 + r.path->size() + r.body->size());
  out += *r.method;
  out += ' ';
  out += *r.path;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += ':';
  out += std::to_string(port);
  out += "\r\n";
  bool has_accept = false;
  for (const auto& [k, v] : *r.headers) {
    if (k.find_first_of("\r\n") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) continue;
    has_accept = has_accept || IEquals(k, "Accept");
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  if (!has_accept) out += "Accept: */*\r\n";
  if (has_body) {
    out += "Content-Type: ";
    out += *r.content_type;
    out += "\r\nContent-Length: ";
    out += std::to_string(r.body->size());
    out += "\r\n";
  }
  out += "\r\n";
  if (has_body) out += *r.body;
  if (!SendAll(fd, out)) {
    return fail({Stage::kWrite, ErrorCode::kTimeout, std::string("Write (") + std::strerror(errno) + ")"});
  }
  // The body goes to on_data for a successful streamed request, else into res.body.
  HttpClientResponse res;
  AnswerHead head;
  bool cancelled = false, too_big = false;
  auto deliver = [&](std::string_view d) {
    if (d.empty()) return true;
    bool stream = r.on_data != nullptr && *r.on_data && head.status < 400;
    if (stream) {
      cancelled = !(*r.on_data)(d);
    } else if (r.on_data != nullptr) {  // an error answer to a streamed request: kept, truncated
      if (res.body.size() < kMaxErrorBody) res.body.append(d.substr(0, kMaxErrorBody - res.body.size()));
    } else if (res.body.size() + d.size() > options.max_body_bytes) {
      too_big = cancelled = true;
    } else {
      res.body.append(d);
    }
    return !cancelled;
  };
  std::string why = "Read";  // what the socket said when reading stopped
  ByteReader in(
      [&](char* b, size_t cap) -> ssize_t {
        for (;;) {
          ssize_t n = ::recv(fd, b, cap, 0);
          if (n < 0 && errno == EINTR) continue;
          if (n == 0) why = "Read (connection closed)";
          if (n < 0) why = std::string("Read (") + std::strerror(errno) + ")";
          return n;
        }
      },
      std::move(buf));
  std::string problem;
  int rc = ReadHttpAnswer(in, *r.method, head, deliver, *got_any, problem);
  buf = std::move(in.buf());
  if (rc == -1) return fail({Stage::kRead, ErrorCode::kTimeout, why});
  if (rc == -2) return fail({Stage::kRead, ErrorCode::kInvalidArgument, problem});
  res.status = head.status;
  res.headers = std::move(head.headers);
  bool keep_alive = head.keep_alive;
  if (too_big) {
    Close();  // the rest of the answer is not read
    return MakeError(ErrorCode::kResourceExhausted, base + *r.path + ": answer body larger than " +
                                                        std::to_string(options.max_body_bytes) + " bytes");
  }
  if (cancelled) {
    Close();  // the rest of the answer is not read
    return MakeError(ErrorCode::kUnavailable, base + *r.path + ": Canceled");
  }
  if (!keep_alive) Close();
  return res;
}

HttpClient::HttpClient(std::string base_url, std::unique_ptr<Impl> impl)
    : base_url_(std::move(base_url)), impl_(std::move(impl)) {}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

Result<HttpClient> HttpClient::Create(std::string_view base_url, HttpClientOptions options) {
  std::string url(base_url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.rfind("http://", 0) != 0) {
    return InvalidArgument("URL must start with http:// (got '" + std::string(base_url) + "')");
  }
  std::string hostport = url.substr(7);
  if (hostport.find('/') != std::string::npos) {
    return InvalidArgument("URL " + url + ": a base URL has no path");
  }
  auto hp = ParseHostPort(hostport);
  if (!hp.ok()) return hp.error().Wrap("URL " + url);
  auto impl = std::make_unique<Impl>();
  impl->host = hp->first;
  impl->port = hp->second;
  impl->options = options;
  return HttpClient(url, std::move(impl));
}

Result<HttpClientResponse> HttpClient::Impl::Send(const std::string& base, const std::string& method,
                                                  const std::string& path, const std::string& body,
                                                  const std::string& content_type,
                                                  const std::multimap<std::string, std::string>& headers,
                                                  const std::function<bool(std::string_view)>* on_data) {
  Request req{&method, &path, &body, &content_type, &headers, on_data};
  for (int attempt = 0;; ++attempt) {
    bool reused = fd >= 0;
    if (!reused) {
      if (auto f = Connect()) return MakeError(f->code, base + path + ": " + f->what);
    }
    bool got_any = false;
    std::optional<Failure> failure;
    auto r = Exchange(req, base, &got_any, &failure);
    // A kept-alive connection the server had already closed: nothing came back, so the
    // request was not processed; send it once more on a fresh connection.
    if (!r.ok() && reused && !got_any && failure && failure->stage != Stage::kConnect && attempt == 0) continue;
    return r;
  }
}

Result<HttpClientResponse> HttpClient::Get(const std::string& path,
                                           const std::multimap<std::string, std::string>& headers) {
  static const std::string kEmpty;
  return impl_->Send(base_url_, "GET", path, kEmpty, kEmpty, headers, nullptr);
}

Result<HttpClientResponse> HttpClient::Post(const std::string& path, const std::string& body,
                                            const std::string& content_type,
                                            const std::multimap<std::string, std::string>& headers) {
  return impl_->Send(base_url_, "POST", path, body, content_type, headers, nullptr);
}

Result<HttpClientResponse> HttpClient::PostStream(const std::string& path, const std::string& body,
                                                  const std::function<bool(std::string_view)>& on_data,
                                                  const std::string& content_type,
                                                  const std::multimap<std::string, std::string>& headers) {
  return impl_->Send(base_url_, "POST", path, body, content_type, headers, &on_data);
}

Result<HttpClientResponse> HttpClient::GetStream(const std::string& path,
                                                 const std::function<bool(std::string_view)>& on_data,
                                                 const std::multimap<std::string, std::string>& headers) {
  static const std::string kEmpty;
  return impl_->Send(base_url_, "GET", path, kEmpty, kEmpty, headers, &on_data);
}

}  // namespace lt::net
