// net::HttpClient: HTTP/1.1 over one keep-alive connection, on Boost.Asio with Boost.Beast's
// parser behind net::AnswerReader (doc/wire.md "HTTP").
//
// Each client owns a small io_context that runs on the caller's thread while it connects, so the
// connect has its deadline without a thread of its own (the context runs until the connect
// completes or its time is up, when the socket is closed). The exchange itself blocks the
// caller's thread in the kernel under SO_SNDTIMEO and SO_RCVTIMEO: one send and, usually, one
// recv per request, no readiness wait before them. A request is one write (head and body
// together). A connection
// the server closed while idle is noticed when the next request gets nothing back at all, and
// that request is sent once more on a new connection. Transport errors: refused or unreachable
// -> kUnavailable; a connect, read or write that timed out or broke -> kTimeout. Messages are
// "<base><path>: Connection (...)", "ConnectionTimeout", "Read (...)", "Write (...)".
// Thread-safety: one request at a time per HttpClient.
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "net/ascii.h"
#include "net/http.h"
#include "net/http_parse.h"

namespace lt::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ErrorCodeAsio = boost::system::error_code;

namespace {

constexpr size_t kMaxErrorBody = 1 << 20;  // kept for the caller of a streamed request that failed

// SO_RCVTIMEO / SO_SNDTIMEO of `ms` milliseconds (at least 1: zero would mean "never").
void SetSocketTimeout(int fd, int opt, int ms) {
  timeval tv{};
  ms = std::max(ms, 1);
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

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
  asio::io_context io{1};
  std::optional<tcp::socket> socket;
  std::string buf;  // bytes read past the previous answer (none, with a well-behaved server)

  ~Impl() { Close(); }
  void Close() {
    if (socket) {
      ErrorCodeAsio ignore;
      socket->close(ignore);
      socket.reset();
    }
    buf.clear();
  }

  // Runs the operation `start` begins until it completes or `timeout_ms` pass; on the deadline
  // the socket is closed, the operation ends with operation_aborted, and *timed_out is set.
  template <typename Start>
  ErrorCodeAsio Run(Start start, int timeout_ms, size_t* n, bool* timed_out) {
    bool done = false;
    ErrorCodeAsio result;
    start([&](const ErrorCodeAsio& ec, size_t bytes) {
      done = true;
      result = ec;
      if (n != nullptr) *n = bytes;
    });
    io.restart();
    io.run_for(std::chrono::milliseconds(std::max(timeout_ms, 1)));
    *timed_out = false;
    if (!done) {
      *timed_out = true;
      ErrorCodeAsio ignore;
      if (socket) socket->close(ignore);
      io.restart();
      io.run();  // the aborted operation's handler
    }
    return result;
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
  ErrorCodeAsio ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
  if (ec) return Failure{Stage::kConnect, ErrorCode::kUnavailable, "Connection (" + ec.message() + ")"};
  socket.emplace(io);
  bool timed_out = false;
  ec = Run(
      [&](auto done) {
        asio::async_connect(*socket, endpoints,
                            [done](const ErrorCodeAsio& e, const tcp::endpoint&) mutable { done(e, 0); });
      },
      options.connect_timeout_ms, nullptr, &timed_out);
  if (timed_out) {
    Close();
    return Failure{Stage::kConnect, ErrorCode::kTimeout, "ConnectionTimeout"};
  }
  if (ec) {
    Close();
    return Failure{Stage::kConnect, ErrorCode::kUnavailable, "Connection (" + ec.message() + ")"};
  }
  socket->set_option(tcp::no_delay(true), ec);
  // From here the socket blocks in the kernel, bounded by these timeouts (the exchange uses the
  // descriptor directly: Asio's synchronous calls would wait again after a timeout).
  socket->non_blocking(false, ec);
  socket->native_non_blocking(false, ec);  // the async connect left the descriptor non-blocking
  int fd = socket->native_handle();
  SetSocketTimeout(fd, SO_RCVTIMEO, options.read_timeout_ms);
  SetSocketTimeout(fd, SO_SNDTIMEO, options.write_timeout_ms);
  buf.clear();
  return std::nullopt;
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
  const int fd = socket->native_handle();
  for (size_t off = 0; off < out.size();) {
    ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      bool timeout = errno == EAGAIN || errno == EWOULDBLOCK;
      return fail({Stage::kWrite, ErrorCode::kTimeout,
                   timeout ? std::string("Write (timed out)") : "Write (" + std::string(std::strerror(errno)) + ")"});
    }
    off += static_cast<size_t>(n);
  }

  // The body goes to on_data for a successful streamed request, else into res.body.
  HttpClientResponse res;
  bool cancelled = false, too_big = false;
  AnswerReader reader(*r.method, [&](std::string_view d) {
    bool stream = r.on_data != nullptr && *r.on_data && reader.head().status < 400;
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
  });
  std::string pending = std::move(buf);
  buf.clear();
  *got_any = !pending.empty();
  char chunk[16 << 10];
  for (;;) {
    size_t used = 0;
    auto step = reader.Put(pending, &used);
    pending.erase(0, used);
    if (step == AnswerReader::Step::kMalformed) return fail({Stage::kRead, ErrorCode::kInvalidArgument, reader.problem()});
    if (step == AnswerReader::Step::kComplete || step == AnswerReader::Step::kStopped) break;
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      bool timeout = errno == EAGAIN || errno == EWOULDBLOCK;
      return fail({Stage::kRead, ErrorCode::kTimeout,
                   timeout ? std::string("Read (timed out)") : "Read (" + std::string(std::strerror(errno)) + ")"});
    }
    if (n == 0) {
      auto end = reader.PutEof();
      if (end == AnswerReader::Step::kComplete || end == AnswerReader::Step::kStopped) {
        Close();
        break;
      }
      if (end == AnswerReader::Step::kMalformed) return fail({Stage::kRead, ErrorCode::kInvalidArgument, reader.problem()});
      return fail({Stage::kRead, ErrorCode::kTimeout, "Read (connection closed)"});
    }
    *got_any = true;
    pending.append(chunk, static_cast<size_t>(n));
  }
  res.status = reader.head().status;
  res.headers = reader.head().headers;
  if (too_big) {
    Close();  // the rest of the answer is not read
    return MakeError(ErrorCode::kResourceExhausted, base + *r.path + ": answer body larger than " +
                                                        std::to_string(options.max_body_bytes) + " bytes");
  }
  if (cancelled) {
    Close();  // the rest of the answer is not read
    return MakeError(ErrorCode::kUnavailable, base + *r.path + ": Canceled");
  }
  if (!reader.head().keep_alive || !socket) {
    Close();
  } else {
    buf = std::move(pending);
  }
  return res;
}

HttpClient::HttpClient(std::string base_url, std::unique_ptr<Impl> impl)
    : base_url_(std::move(base_url)), impl_(std::move(impl)) {}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

Result<HttpClient> HttpClient::Create(std::string_view base_url, HttpClientOptions options) {
  LT_TRY(BaseUrl b, ParseBaseUrl(base_url));
  auto impl = std::make_unique<Impl>();
  impl->host = b.host;
  impl->port = b.port;
  impl->options = options;
  return HttpClient(b.url, std::move(impl));
}

Result<HttpClientResponse> HttpClient::Impl::Send(const std::string& base, const std::string& method,
                                                  const std::string& path, const std::string& body,
                                                  const std::string& content_type,
                                                  const std::multimap<std::string, std::string>& headers,
                                                  const std::function<bool(std::string_view)>* on_data) {
  Request req{&method, &path, &body, &content_type, &headers, on_data};
  for (int attempt = 0;; ++attempt) {
    bool reused = socket.has_value();
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
