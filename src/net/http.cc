#include "net/http.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <thread>

#include "util/log.h"

namespace lt::net {

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

template <typename Map>
std::string FindHeader(const Map& headers, const std::string& name) {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return "";
}

class HttplibSink final : public ChunkSink {
 public:
  explicit HttplibSink(httplib::DataSink& sink) : sink_(sink) {}
  bool Write(std::string_view data) override {
    if (!sink_.is_writable()) return false;
    return sink_.write(data.data(), data.size());
  }

 private:
  httplib::DataSink& sink_;
};

}  // namespace

std::string HttpRequest::Header(const std::string& name) const { return FindHeader(headers, name); }
std::string HttpRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}
bool HttpRequest::HasQuery(const std::string& name) const { return query.count(name) > 0; }
std::string HttpClientResponse::Header(const std::string& name) const { return FindHeader(headers, name); }

Result<nlohmann::json> HttpClientResponse::Json() const {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return InvalidArgument("response (HTTP " + std::to_string(status) + ") is not valid JSON");
  }
  return j;
}

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kAlreadyExists: return 409;
    case ErrorCode::kFailedPrecondition: return 409;
    case ErrorCode::kResourceExhausted: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kTimeout: return 504;
    case ErrorCode::kCorrupt:
    case ErrorCode::kIo:
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

HttpResponse HttpResponse::Json(int status, const nlohmann::json& j) {
  HttpResponse r;
  r.status = status;
  r.body = j.dump();
  return r;
}

HttpResponse HttpResponse::ErrorJson(int status, std::string_view code, std::string_view message) {
  nlohmann::json j = {{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}};
  return Json(status, j);
}

HttpResponse HttpResponse::FromError(const Error& e) {
  return ErrorJson(HttpStatusFor(e.code), ErrorCodeName(e.code), e.message);
}

Error ErrorFromResponse(const HttpClientResponse& r) {
  ErrorCode code = r.status == 404   ? ErrorCode::kNotFound
                   : r.status == 401 ? ErrorCode::kUnauthenticated
                   : r.status == 403 ? ErrorCode::kPermissionDenied
                   : r.status == 409 ? ErrorCode::kFailedPrecondition
                   : r.status == 429 ? ErrorCode::kResourceExhausted
                   : r.status == 503 ? ErrorCode::kUnavailable
                   : r.status >= 500 ? ErrorCode::kInternal
                                     : ErrorCode::kInvalidArgument;
  auto j = r.Json();
  if (j.ok() && j->is_object() && j->contains("error") && (*j)["error"].is_object()) {
    const auto& e = (*j)["error"];
    std::string msg = e.value("message", std::string("error"));
    std::string name = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
    for (int c = 1; c <= 12; ++c) {
      if (ErrorCodeName(static_cast<ErrorCode>(c)) == name) code = static_cast<ErrorCode>(c);
    }
    return MakeError(code, msg);
  }
  return MakeError(code, "HTTP " + std::to_string(r.status));
}

Result<std::pair<std::string, int>> ParseHostPort(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("expected HOST:PORT, got '" + std::string(s) + "'");
  }
  std::string host(s.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string_view p = s.substr(colon + 1);
  int port = -1;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || ptr != p.data() + p.size() || port < 0 || port > 65535) {
    return InvalidArgument("invalid port in '" + std::string(s) + "' (0..65535)");
  }
  return std::make_pair(host, port);
}

// ---------------------------------------------------------------- server

struct HttpServer::Impl {
  HttpServerOptions options;
  httplib::Server server;
  int listen_fd = -1;  // captured when the library creates the listening socket
  // The library's stop() does nothing until its loop has marked itself running, so a Stop()
  // that races a Run() still starting would leave Run() blocked in accept() for ever.
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> run_entered{false};
  std::atomic<bool> run_done{false};
};

namespace {

HttpRequest ToRequest(const httplib::Request& in) {
  HttpRequest r;
  r.method = in.method;
  r.path = in.path;
  r.body = in.body;
  r.remote_addr = in.remote_addr;
  for (const auto& [k, v] : in.headers) r.headers.emplace(k, v);
  for (const auto& [k, v] : in.params) r.query.emplace(k, v);
  for (const auto& m : in.matches) r.matches.push_back(m.str());
  return r;
}

void Apply(HttpResponse&& r, httplib::Response& out) {
  out.status = r.status;
  for (const auto& [k, v] : r.headers) out.set_header(k, v);
  if (r.stream) {
    auto fn = std::make_shared<std::function<void(ChunkSink&)>>(std::move(r.stream));
    out.set_chunked_content_provider(r.content_type, [fn](size_t, httplib::DataSink& sink) {
      HttplibSink s(sink);
      try {
        (*fn)(s);
      } catch (const std::exception& e) {
        LT_ERROR("stream handler threw: " << e.what());
      }
      sink.done();
      return true;
    });
  } else {
    out.set_content(r.body, r.content_type);
  }
}

httplib::Server::Handler Wrap(Handler h) {
  return [h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
    HttpResponse r;
    try {
      r = h(ToRequest(req));
    } catch (const std::exception& e) {
      LT_ERROR("handler for " << req.method << " " << req.path << " threw: " << e.what());
      r = HttpResponse::ErrorJson(500, "internal", std::string("internal error: ") + e.what());
    } catch (...) {
      r = HttpResponse::ErrorJson(500, "internal", "internal error");
    }
    Apply(std::move(r), res);
  };
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  auto& s = impl_->server;
  int threads = options.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_payload_max_length(options.max_body_bytes);
  s.set_read_timeout(options.read_timeout_seconds, 0);
  s.set_write_timeout(options.write_timeout_seconds, 0);
  s.set_keep_alive_timeout(options.keep_alive_seconds);
  s.set_keep_alive_max_count(options.keep_alive_max_requests);
  // The library listens with a backlog of 5: a burst of (re)connections then overflows the
  // accept and SYN queues, and the kernel resets some SYN-cookie connections (a client sees
  // "Read" / "connection reset"). Capture the socket so Listen() can widen the backlog.
  // SO_REUSEADDR only (the library's default adds SO_REUSEPORT, with which a second server
  // binds a port another one listens on, without error, and the kernel splits the clients).
  Impl* impl = impl_.get();
  s.set_socket_options([impl](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    impl->listen_fd = sock;
  });
  s.set_tcp_nodelay(true);
  size_t max_body = options.max_body_bytes;
  s.set_error_handler([max_body](const httplib::Request& req, httplib::Response& res) {
    // Only fill in bodies the library left empty (its own 404/413/400), never a handler's answer.
    if (!res.body.empty()) return;
    HttpResponse r;
    if (res.status == 404) {
      r = HttpResponse::ErrorJson(404, "not_found", "no route for " + req.method + " " + req.path);
    } else if (res.status == 413) {
      r = HttpResponse::ErrorJson(413, "resource_exhausted",
                                  "request body larger than " + std::to_string(max_body) + " bytes");
    } else if (res.status == 405) {
      r = HttpResponse::ErrorJson(405, "invalid_argument", "method " + req.method + " not allowed on " + req.path);
    } else {
      r = HttpResponse::ErrorJson(res.status, res.status >= 500 ? "internal" : "invalid_argument",
                                  "malformed request");
    }
    res.set_content(r.body, r.content_type);
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(HttpResponse::ErrorJson(500, "internal", "internal error").body, "application/json");
  });
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Get(const std::string& pattern, Handler h) { impl_->server.Get(pattern, Wrap(std::move(h))); }
void HttpServer::Post(const std::string& pattern, Handler h) { impl_->server.Post(pattern, Wrap(std::move(h))); }
void HttpServer::Delete(const std::string& pattern, Handler h) { impl_->server.Delete(pattern, Wrap(std::move(h))); }

Result<int> HttpServer::Listen(const std::string& host, int port) {
  if (port == 0) {
    int p = impl_->server.bind_to_any_port(host);
    if (p < 0) return MakeError(ErrorCode::kIo, "cannot bind " + host + ":0");
    if (impl_->listen_fd >= 0) (void)::listen(impl_->listen_fd, 1024);
    return p;
  }
  if (!impl_->server.bind_to_port(host, port)) {
    return MakeError(ErrorCode::kIo, "cannot listen on " + host + ":" + std::to_string(port) +
                                         " (address in use or not local?)");
  }
  if (impl_->listen_fd >= 0) (void)::listen(impl_->listen_fd, 1024);
  return port;
}

void HttpServer::Run() {
  impl_->run_entered = true;
  if (!impl_->stop_requested) impl_->server.listen_after_bind();
  impl_->run_done = true;
}

void HttpServer::Stop() {
  if (!impl_) return;
  impl_->stop_requested = true;
  impl_->server.stop();
  if (impl_->run_entered && !impl_->run_done) {
    // Run() passed its check before stop_requested was set: wait (bounded) until the library's
    // loop is running, then stop it for real.
    for (int i = 0; i < 5000 && !impl_->server.is_running() && !impl_->run_done; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    impl_->server.stop();
  }
}

// ---------------------------------------------------------------- client

struct HttpClient::Impl {
  std::unique_ptr<httplib::Client> client;
};

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
  auto hp = ParseHostPort(url.substr(7));
  if (!hp.ok()) return hp.error().Wrap("URL " + url);
  auto impl = std::make_unique<Impl>();
  impl->client = std::make_unique<httplib::Client>(url);
  auto& c = *impl->client;
  c.set_connection_timeout(options.connect_timeout_ms / 1000, (options.connect_timeout_ms % 1000) * 1000);
  c.set_read_timeout(options.read_timeout_ms / 1000, (options.read_timeout_ms % 1000) * 1000);
  c.set_write_timeout(options.write_timeout_ms / 1000, (options.write_timeout_ms % 1000) * 1000);
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  return HttpClient(url, std::move(impl));
}

namespace {

httplib::Headers ToHeaders(const std::multimap<std::string, std::string>& h) {
  httplib::Headers out;
  for (const auto& [k, v] : h) out.emplace(k, v);
  return out;
}

Result<HttpClientResponse> FromResult(const std::string& base, const std::string& path, httplib::Result& r) {
  if (!r) {
    auto err = r.error();
    ErrorCode code = err == httplib::Error::Read || err == httplib::Error::Write ||
                             err == httplib::Error::ConnectionTimeout
                         ? ErrorCode::kTimeout
                         : ErrorCode::kUnavailable;
    if (err == httplib::Error::Canceled) code = ErrorCode::kUnavailable;
    return MakeError(code, base + path + ": " + httplib::to_string(err));
  }
  HttpClientResponse out;
  out.status = r->status;
  out.body = r->body;
  for (const auto& [k, v] : r->headers) out.headers.emplace(k, v);
  return out;
}

}  // namespace

Result<HttpClientResponse> HttpClient::Get(const std::string& path,
                                           const std::multimap<std::string, std::string>& headers) {
  auto r = impl_->client->Get(path, ToHeaders(headers));
  return FromResult(base_url_, path, r);
}

Result<HttpClientResponse> HttpClient::Post(const std::string& path, const std::string& body,
                                            const std::string& content_type,
                                            const std::multimap<std::string, std::string>& headers) {
  auto r = impl_->client->Post(path, ToHeaders(headers), body, content_type);
  return FromResult(base_url_, path, r);
}

Result<HttpClientResponse> HttpClient::PostStream(const std::string& path, const std::string& body,
                                                  const std::function<bool(std::string_view)>& on_data,
                                                  const std::string& content_type,
                                                  const std::multimap<std::string, std::string>& headers) {
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = ToHeaders(headers);
  req.set_header("Content-Type", content_type);
  req.body = body;
  std::string error_body;
  int status = 0;
  req.response_handler = [&status](const httplib::Response& res) {
    status = res.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    if (status >= 400) {  // keep error bodies for the caller instead of streaming them
      error_body.append(data, len);
      return error_body.size() < (1 << 20);
    }
    return on_data(std::string_view(data, len));
  };
  auto r = impl_->client->send(req);
  auto out = FromResult(base_url_, path, r);
  if (out.ok() && out->body.empty()) out->body = std::move(error_body);
  return out;
}

Result<HttpClientResponse> HttpClient::GetStream(const std::string& path,
                                                 const std::function<bool(std::string_view)>& on_data,
                                                 const std::multimap<std::string, std::string>& headers) {
  std::string error_body;
  int status = 0;
  auto r = impl_->client->Get(
      path, ToHeaders(headers),
      [&status](const httplib::Response& res) {
        status = res.status;
        return true;
      },
      [&](const char* data, size_t len) {
        if (status >= 400) {
          error_body.append(data, len);
          return error_body.size() < (1 << 20);
        }
        return on_data(std::string_view(data, len));
      });
  auto out = FromResult(base_url_, path, r);
  if (out.ok() && out->body.empty()) out->body = std::move(error_body);
  return out;
}

}  // namespace lt::net
