// HTTP/1.1 server and client (http_server.cc, http_client.cc; doc/wire.md "HTTP"), on
// Boost.Asio with Boost.Beast's parser.
//
// HttpServer: register handlers by method and path pattern (net/route.h: literal paths and a few
// capture forms such as "/holders/([^/]+)", matched without std::regex; captures in
// `req.matches`), then Listen + Run. The server is event-driven: connections are served by an
// event loop (`io_threads` threads), so an idle or slow peer costs a socket and a timer, never a
// thread. Handlers run on a pool of `threads` workers (they may block), or on the event loop
// itself for routes registered with Lane::kEventLoop (quick, non-blocking handlers such as
// health checks and liveness Pongs, which a busy pool then cannot starve). Limits: a request
// must arrive whole within read_timeout_seconds of its first byte, an idle keep-alive connection
// is closed after keep_alive_seconds, the target is at most 8 KiB (414), the head 64 KiB (431),
// the body max_body_bytes (413, refused before it is read); at most max_connections at once and
// max_connections_per_peer from one address: a new connection beyond a cap first evicts an idle
// or stalled one (the oldest), and is refused with 503 only when none is. Requests waiting for a
// worker beyond max_queued_requests get 503 with Retry-After. Handlers never throw to the
// server: an exception becomes a 500 with a JSON error body; unknown routes get a JSON 404.
// Responses may stream (chunked) through `stream`.
// HttpClient: one base URL, one keep-alive connection, timeouts on connect, write and read, and
// streaming GET/POST (for Server-Sent Events and large blocks).
// Thread-safety: handlers run on several threads and must be thread-safe themselves. Register
// all handlers before Run(); Stop() may be called from any thread. An HttpClient serves one
// request at a time.
#ifndef LT_NET_HTTP_H_
#define LT_NET_HTTP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace lt::net {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string body;
  std::string remote_addr;
  std::multimap<std::string, std::string> headers;  // names as sent
  std::multimap<std::string, std::string> query;
  std::vector<std::string> matches;  // regex captures of the route; [0] is the whole path

  std::string Header(const std::string& name) const;  // case-insensitive; "" when absent
  std::string Query(const std::string& name) const;   // "" when absent
  bool HasQuery(const std::string& name) const;
};

// Writes chunks of a streamed response; Write returns false once the peer has gone.
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  virtual bool Write(std::string_view data) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::multimap<std::string, std::string> headers;
  // When set, the body is streamed with chunked encoding: called once, writes until done.
  std::function<void(ChunkSink&)> stream;

  static HttpResponse Json(int status, const nlohmann::json& j);
  // {"error":{"code":..., "message":...}} with the status derived from the error code.
  static HttpResponse FromError(const Error& e);
  static HttpResponse ErrorJson(int status, std::string_view code, std::string_view message);
};

// HTTP status for an error code (400, 401, 403, 404, 409, 413/429, 500, 503, 504...).
int HttpStatusFor(ErrorCode code);

using Handler = std::function<HttpResponse(const HttpRequest&)>;

// Where a route's handler runs (see HttpServer above).
enum class Lane { kWorker, kEventLoop };

// Makes the server's own error answers (see HttpServer::SetErrorResponse). `code` is net's word
// for the error ("not_found", "resource_exhausted", "invalid_argument", "unavailable", "internal").
using ErrorResponder = std::function<HttpResponse(int status, std::string_view code, std::string_view message)>;

struct HttpServerOptions {
  size_t max_body_bytes = 1 << 20;
  int threads = 16;     // handler workers
  int io_threads = 1;   // event-loop threads (sockets, parsing, writing)
  int read_timeout_seconds = 10;  // for a whole request, from its first byte
  int write_timeout_seconds = 30;  // for each write to make progress
  int keep_alive_seconds = 5;      // idle time allowed before a request's first byte
  size_t keep_alive_max_requests = 100;  // requests per connection before the server closes it
  size_t max_connections = 4096;         // bounded further by the process's descriptor limit
  size_t max_connections_per_peer = 256;
  size_t max_queued_requests = 1024;  // requests waiting for a worker
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // A pattern net/route.h does not accept is a programming error: std::invalid_argument.
  void Get(const std::string& pattern, Handler h, Lane lane = Lane::kWorker);  // also answers HEAD
  void Post(const std::string& pattern, Handler h, Lane lane = Lane::kWorker);
  void Delete(const std::string& pattern, Handler h, Lane lane = Lane::kWorker);
  void Options(const std::string& pattern, Handler h, Lane lane = Lane::kWorker);  // CORS preflights
  // The answers the server makes by itself — no route (404), a refused request (400, 413, 414,
  // 431), busy (503), a handler that threw (500) — come from `f` instead of
  // HttpResponse::ErrorJson, so an API keeps one error shape (OpenAI's, for one). Call before
  // Listen; an exception from `f` falls back to ErrorJson.
  void SetErrorResponse(ErrorResponder f);

  // Binds host:port (port 0 picks a free one) and returns the bound port.
  Result<int> Listen(const std::string& host, int port);
  // Serves until Stop(). Call after Listen.
  void Run();
  void Stop();

  // What the server holds now, for /status pages and tests.
  struct Counters {
    size_t connections = 0;
    size_t queued_requests = 0;
    uint64_t evicted = 0;  // idle or stalled connections closed to make room
    uint64_t refused = 0;  // connections and requests answered 503
  };
  Counters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "host:port" -> (host, port); "127.0.0.1:0" is allowed.
Result<std::pair<std::string, int>> ParseHostPort(std::string_view s);
// A base URL, "http://HOST:PORT" with no path (trailing slashes are dropped): the URL so trimmed
// and its host and port, or an error saying what is wrong (HttpClient::Create, provider endpoints).
struct BaseUrl {
  std::string url;
  std::string host;
  int port = 0;
};
Result<BaseUrl> ParseBaseUrl(std::string_view url);

struct HttpClientResponse {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;
  std::string Header(const std::string& name) const;
  Result<nlohmann::json> Json() const;  // parse error is InvalidArgument
};

struct HttpClientOptions {
  int connect_timeout_ms = 3000;
  int read_timeout_ms = 30000;
  int write_timeout_ms = 10000;
  // A Get/Post answer whose body would be larger is refused (kResourceExhausted) rather than held
  // in memory; streamed answers go to the caller, who bounds them.
  size_t max_body_bytes = 64 << 20;
};

class HttpClient {
 public:
  // base_url like "http://127.0.0.1:8080"; only http is supported (https is not needed on a
  // devnet, and the session protocol has its own encryption).
  static Result<HttpClient> Create(std::string_view base_url, HttpClientOptions options = {});
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  // A transport failure (refused, timeout) is an kUnavailable/kTimeout error; any HTTP status
  // is a successful response, inspected by the caller.
  Result<HttpClientResponse> Get(const std::string& path,
                                 const std::multimap<std::string, std::string>& headers = {});
  Result<HttpClientResponse> Post(const std::string& path, const std::string& body,
                                  const std::string& content_type = "application/json",
                                  const std::multimap<std::string, std::string>& headers = {});
  // POST whose response body is delivered in pieces as it arrives; on_data returns false to stop.
  Result<HttpClientResponse> PostStream(const std::string& path, const std::string& body,
                                        const std::function<bool(std::string_view)>& on_data,
                                        const std::string& content_type = "application/json",
                                        const std::multimap<std::string, std::string>& headers = {});
  // GET whose body is delivered in pieces.
  Result<HttpClientResponse> GetStream(const std::string& path,
                                       const std::function<bool(std::string_view)>& on_data,
                                       const std::multimap<std::string, std::string>& headers = {});
  const std::string& base_url() const { return base_url_; }

 private:
  struct Impl;
  HttpClient(std::string base_url, std::unique_ptr<Impl> impl);
  std::string base_url_;
  std::unique_ptr<Impl> impl_;
};

// A JSON error body {"error":{"code","message"}} from a response -> Error, or a generic one.
Error ErrorFromResponse(const HttpClientResponse& r);

}  // namespace lt::net

#endif  // LT_NET_HTTP_H_
