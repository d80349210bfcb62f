// net::HttpServer: an event-driven HTTP/1.1 server on Boost.Asio, with Boost.Beast's parser
// behind net::RequestReader (doc/wire.md "HTTP").
//
// Connections live on the event loop (`io_threads` threads; each connection on its own strand):
// reading, parsing and writing never block a thread, so an idle or slow peer costs a socket, a
// buffer and a timer. A complete request goes to its route's lane: the worker pool (handlers may
// block) or the event loop itself. While a request is handled the connection reads nothing more
// (requests on one connection are answered in order, pipelined bytes wait in its buffer).
//
// A handler's answer is written by the thread that made it (one non-blocking write, which most
// answers fit), and that thread registers the wait for the next request: the event loop is woken
// only when bytes arrive, and a request costs one hop of threads (to its worker) at most.
//
// Each connection has one deadline, an atomic the handlers' threads may set; one sweeper timer
// per server (every 250 ms) closes the connections whose deadline passed:
//   idle (before a request's first byte)   keep_alive_seconds
//   reading a request                      read_timeout_seconds from its first byte
//   writing                                write_timeout_seconds for each write to progress
//   closing after a refusal                2 s to read what the client still sends, so the
//                                          answer is not lost to a reset
// Caps: max_connections (bounded by the descriptor limit) and max_connections_per_peer. A new
// connection over a cap evicts the oldest evictable connection (idle, or reading one request for
// more than a second) in the same scope; when there is none it gets a canned 503 and is closed.
#include <poll.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/status.hpp>

#include "net/http.h"
#include "net/http_parse.h"
#include "net/route.h"
#include "util/log.h"
#include "util/thread.h"

namespace lt::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using ErrorCodeAsio = boost::system::error_code;

namespace {

constexpr size_t kReadChunk = 16 << 10;
constexpr size_t kMaxStreamBacklog = 256 << 10;  // streamed bytes queued before Write() waits
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kStalledAfter = std::chrono::seconds(1);  // a request still arriving after this may be evicted
constexpr auto kSweepEvery = std::chrono::milliseconds(250);  // the resolution of every deadline
constexpr int kLingerMs = 5;  // how long a worker waits on its connection for the next request

std::string_view Reason(int status) {
  auto r = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  std::string_view s(r.data(), r.size());
  return s.empty() || s.front() == '<' ? std::string_view("Status") : s;
}

bool SafeHeader(const std::string& s) { return s.find_first_of("\r\n") == std::string::npos; }

// The status line and headers of `res`; `content_length` unless it streams.
std::string ResponseHead(const HttpResponse& res, bool keep_alive) {
  std::string out;
  out.reserve(192 + (res.stream ? 0 : res.body.size()));
  out += "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  out += Reason(res.status);
  out += "\r\nContent-Type: ";
  out += SafeHeader(res.content_type) ? res.content_type : std::string("application/octet-stream");
  if (res.stream) {
    out += "\r\nTransfer-Encoding: chunked";
  } else {
    out += "\r\nContent-Length: ";
    out += std::to_string(res.body.size());
  }
  out += keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close";
  for (const auto& [k, v] : res.headers) {
    if (!SafeHeader(k) || !SafeHeader(v)) continue;
    out += "\r\n";
    out += k;
    out += ": ";
    out += v;
  }
  out += "\r\n\r\n";
  return out;
}

std::string Chunk(std::string_view data) {
  char size[32];
  int len = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out;
  out.reserve(data.size() + static_cast<size_t>(len) + 2);
  out.append(size, static_cast<size_t>(len));
  out.append(data);
  out.append("\r\n");
  return out;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now().time_since_epoch()).count();
}

}  // namespace

class HttpConnection;

// Everything the server shares with its connections (HttpServer::Impl is this, by another name).
struct HttpServerCore {
  struct Route {
    std::string method;
    RoutePattern pattern;
    Handler handler;
    Lane lane;
  };

  explicit HttpServerCore(HttpServerOptions o) : options(o) { MakeOverloaded(); }
  void MakeOverloaded() {
    auto res = Error(503, "unavailable", "server has too many connections; retry");
    res.headers.emplace("Retry-After", "1");
    overloaded = ResponseHead(res, false) + res.body;
  }
  void Add(const char* method, const std::string& pattern, Handler h, Lane lane) {
    auto p = RoutePattern::Compile(pattern);
    if (!p.ok()) throw std::invalid_argument(p.error().message);
    routes.push_back({method, std::move(*p), std::move(h), lane});
  }
  const Route* Find(HttpRequest& req) const;
  HttpResponse Call(const Route* route, const HttpRequest& req) const;
  // The server's own error answers, through error_response when set.
  HttpResponse Error(int status, std::string_view code, std::string_view message) const {
    if (error_response) {
      try {
        return error_response(status, code, message);
      } catch (...) {  // a library exception never ends the process; fall back to the plain shape
      }
    }
    return HttpResponse::ErrorJson(status, code, message);
  }

  void Accept();
  void OnAccepted(tcp::socket socket);
  // Every kSweepEvery: closes the connections whose deadline passed.
  void Sweep();
  void Forget(HttpConnection* c);
  bool Enqueue(std::function<void()> job);
  void Worker();
  // A worker that just answered may wait on its connection for the next request itself (no
  // hop to the event loop and back) while another worker is idle and nothing waits for one.
  bool MayLinger() {
    std::lock_guard<std::mutex> l(jobs_mu);
    return !stopping && jobs.empty() && idle_workers > 1;
  }

  HttpServerOptions options;
  ErrorResponder error_response;  // set before Listen, read-only after
  std::string overloaded;  // the canned answer to a connection over the caps
  size_t max_connections = 0;
  std::vector<Route> routes;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> evicted{0}, refused{0};
  std::atomic<uint64_t> phase_changes{0};

  std::mutex jobs_mu;
  std::condition_variable jobs_cv;
  size_t idle_workers = 0;  // waiting in Worker() for a job
  std::deque<std::function<void()>> jobs;

  mutable std::mutex conns_mu;
  std::unordered_map<HttpConnection*, std::weak_ptr<HttpConnection>> conns;
  std::unordered_map<std::string, size_t> per_peer;

  // Last, so it is destroyed first: handlers it still holds release their connections while the
  // rest of the server is alive.
  asio::io_context io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> accept_pause;
  std::unique_ptr<asio::steady_timer> sweeper;
};

class HttpConnection final : public std::enable_shared_from_this<HttpConnection> {
 public:
  enum Phase { kIdle, kReading, kBusy, kClosing };

  HttpConnection(HttpServerCore& server, tcp::socket socket, std::string peer)
      : server_(server), socket_(std::move(socket)), reader_(server.options.max_body_bytes), peer_(std::move(peer)) {}

  const std::string& peer() const { return peer_; }
  Phase phase() const { return phase_.load(std::memory_order_relaxed); }
  int64_t phase_since_ms() const { return since_ms_.load(std::memory_order_relaxed); }
  // Orders phase changes across connections (milliseconds tie): the smallest entered it first.
  uint64_t phase_seq() const { return seq_.load(std::memory_order_relaxed); }
  // The deadline in force (steady clock, ns since its epoch); the server's sweeper closes the
  // connection once it passed.
  int64_t deadline_ns() const { return deadline_ns_.load(std::memory_order_relaxed); }
  bool registered = true;  // guarded by the server's conns_mu

  // On the strand, once: the request usually arrives with the connection, so read at once.
  void Start() {
    ErrorCodeAsio ec;
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);
    EnterPhase(kIdle, Idle());
    OnReadable();
  }

  // Closes from any thread (eviction, deadlines, shutdown): runs on the connection's strand.
  void CloseSoon() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

  // The handler's answer, on the thread that ran the handler (a worker or the event loop).
  void Respond(HttpResponse res, bool head, bool keep_alive) {
    if (res.stream && !head) {
      Stream(std::move(res), keep_alive);
      return;
    }
    std::string out = ResponseHead(res, keep_alive);
    if (!head) out += res.body;
    (void)WriteThenGoOn(std::move(out), keep_alive ? After::kNextRequest : After::kClose);
  }

  asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  enum class After { kNone, kRead, kNextRequest, kClose, kLinger };
  struct Out {
    std::string bytes;
    size_t streamed;  // bytes of a stream's backlog this write releases
    After after;
  };

  class Sink final : public ChunkSink {
   public:
    explicit Sink(std::shared_ptr<HttpConnection> c) : c_(std::move(c)) {}
    bool Write(std::string_view data) override {
      if (data.empty()) return !c_->StreamFailed();
      return c_->StreamWrite(data);
    }

   private:
    std::shared_ptr<HttpConnection> c_;
  };

  SteadyClock::time_point Idle() const {
    return SteadyClock::now() + std::chrono::seconds(std::max(server_.options.keep_alive_seconds, 1));
  }

  void EnterPhase(Phase p, SteadyClock::time_point deadline) {
    phase_.store(p, std::memory_order_relaxed);
    since_ms_.store(NowMs(), std::memory_order_relaxed);
    seq_.store(server_.phase_changes.fetch_add(1, std::memory_order_relaxed), std::memory_order_relaxed);
    SetDeadline(deadline);
  }
  void SetDeadline(SteadyClock::time_point t) {
    deadline_ns_.store(t == SteadyClock::time_point::max() ? INT64_MAX : t.time_since_epoch().count(),
                       std::memory_order_relaxed);
  }

  // -------------------------------------------------------------------- reading
  // Waits (without a thread) until the socket is readable, then reads on the strand. After an
  // answer the next request cannot be there yet: no read that would only say "try again".
  void Read() {
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const ErrorCodeAsio& ec) {
      if (self->closed_) return;
      if (ec) {
        self->Close();
        return;
      }
      self->OnReadable();
    });
  }

  void OnReadable() {
    if (closed_) return;
    ErrorCodeAsio ec;
    size_t n = socket_.read_some(asio::buffer(rbuf_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      Read();
      return;
    }
    if (ec) {
      Close();  // EOF or error: a request cut short is not answered
      return;
    }
    if (phase() == kClosing) {  // lingering: what the client still sends is dropped
      Read();
      return;
    }
    in_.append(rbuf_.data(), n);
    Process();
  }

  void Process() {
    if (closed_) return;
    size_t used = 0;
    auto step = reader_.Put(in_, &used);
    in_.erase(0, used);
    if (reader_.started() && phase() == kIdle) {
      request_deadline_ = SteadyClock::now() + std::chrono::seconds(std::max(server_.options.read_timeout_seconds, 1));
      EnterPhase(kReading, request_deadline_);
    }
    switch (step) {
      case RequestReader::Step::kNeedMore:
        Read();
        return;
      case RequestReader::Step::kExpectsContinue:
        Queue("HTTP/1.1 100 Continue\r\n\r\n", 0, After::kRead);
        return;
      case RequestReader::Step::kRefused: {
        EnterPhase(kBusy, SteadyClock::time_point::max());
        auto res = reader_.status() == 413 ? server_.Error(413, "resource_exhausted", reader_.problem())
                                           : server_.Error(reader_.status(), "invalid_argument", reader_.problem());
        Queue(ResponseHead(res, false) + res.body, 0, After::kLinger);
        return;
      }
      case RequestReader::Step::kComplete:
        break;
    }
    bool keep_alive = false;
    HttpRequest req = reader_.Take(&keep_alive);
    req.remote_addr = peer_;
    ++served_;
    if (served_ >= server_.options.keep_alive_max_requests || server_.stopping) keep_alive = false;
    EnterPhase(kBusy, SteadyClock::time_point::max());
    Dispatch(std::move(req), keep_alive);
  }

  void Dispatch(HttpRequest req, bool keep_alive) {
    bool head = req.method == "HEAD";
    const HttpServerCore::Route* route = server_.Find(req);
    if (route == nullptr) {
      Respond(server_.Error(404, "not_found", "no route for " + req.method + " " + req.path.substr(0, 200)),
              head, keep_alive);
      return;
    }
    if (route->lane == Lane::kEventLoop) {
      HttpResponse res = server_.Call(route, req);
      if (!res.stream || head) {
        Respond(std::move(res), head, keep_alive);
        return;
      }
      // A stream would block the event loop: it goes to a worker like any other.
      if (!server_.Enqueue([self = shared_from_this(), res = std::move(res), head, keep_alive]() mutable {
            self->Respond(std::move(res), head, keep_alive);
          })) {
        Shed(keep_alive);
      }
      return;
    }
    if (!server_.Enqueue([self = shared_from_this(), route, req = std::move(req), head, keep_alive]() mutable {
          self->RespondOnWorker(self->server_.Call(route, req), head, keep_alive);
        })) {
      Shed(keep_alive);
    }
  }

  // A worker-lane answer: written here, then the worker may serve the connection's next requests
  // itself while they come quickly (Linger).
  void RespondOnWorker(HttpResponse res, bool head, bool keep_alive) {
    if ((res.stream && !head) || !keep_alive) {
      Respond(std::move(res), head, keep_alive);
      return;
    }
    std::string out = ResponseHead(res, true);
    if (!head) out += res.body;
    if (WriteThenGoOn(std::move(out), After::kNextRequest, /*linger=*/true)) Linger();
  }

  // On a worker that just answered this connection and wrote all of it: waits up to kLingerMs
  // for the next request and serves it here (parse, handler, answer), as long as other workers
  // are idle; otherwise, or when the client is slow, hands the connection back to the event loop.
  // A held or trickling connection costs a worker kLingerMs at most per request. Nothing else
  // touches the connection meanwhile but a close (eviction, deadline, stop), which shuts the
  // socket down and so ends the wait at once.
  void Linger() {
    const int fd = socket_.native_handle();
    for (;;) {
      if (!server_.MayLinger()) return HandBack();
      if (in_.empty()) {
        pollfd p{fd, POLLIN, 0};
        int n = ::poll(&p, 1, kLingerMs);
        if (n <= 0 || closed_) return HandBack();
        std::unique_lock<std::mutex> l(io_mu_);
        if (closed_) return;
        ErrorCodeAsio ec;
        size_t got = socket_.read_some(asio::buffer(rbuf_), ec);
        l.unlock();
        if (ec == asio::error::would_block || ec == asio::error::try_again) return HandBack();
        if (ec) return CloseSoon();
        in_.append(rbuf_.data(), got);
      }
      size_t used = 0;
      auto step = reader_.Put(in_, &used);
      in_.erase(0, used);
      if (reader_.started() && phase() == kIdle) {
        request_deadline_ =
            SteadyClock::now() + std::chrono::seconds(std::max(server_.options.read_timeout_seconds, 1));
        EnterPhase(kReading, request_deadline_);
      }
      if (step == RequestReader::Step::kNeedMore) {
        if (!in_.empty()) return HandBack();  // unconsumed bytes: the event loop finishes the head
        continue;                             // a request cut into pieces: wait for the rest here
      }
      if (step != RequestReader::Step::kComplete) return HandBack();  // 100-continue, refusals
      bool keep_alive = false;
      HttpRequest req = reader_.Take(&keep_alive);
      req.remote_addr = peer_;
      ++served_;
      if (served_ >= server_.options.keep_alive_max_requests || server_.stopping) keep_alive = false;
      EnterPhase(kBusy, SteadyClock::time_point::max());
      bool head = req.method == "HEAD";
      const HttpServerCore::Route* route = server_.Find(req);
      HttpResponse res = route != nullptr ? server_.Call(route, req)
                                          : server_.Error(404, "not_found", "no route for " + req.method +
                                                                                          " " + req.path.substr(0, 200));
      if ((res.stream && !head) || !keep_alive) {
        Respond(std::move(res), head, keep_alive);
        return;
      }
      std::string out = ResponseHead(res, true);
      if (!head) out += res.body;
      if (!WriteThenGoOn(std::move(out), After::kNextRequest, /*linger=*/true)) return;
    }
  }

  // The event loop takes the connection back: it parses what is buffered, or waits for bytes.
  void HandBack() {
    std::unique_lock<std::mutex> l(io_mu_);
    if (closed_) return;
    if (!in_.empty() || phase() != kIdle) {
      l.unlock();
      asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Process(); });
      return;
    }
    Read();
  }

  void Shed(bool keep_alive) {
    ++server_.refused;
    auto res = server_.Error(503, "unavailable", "server busy: too many requests waiting; retry");
    res.headers.emplace("Retry-After", "1");
    Respond(std::move(res), false, keep_alive);
  }

  // ------------------------------------------------------------------- writing
  // A whole answer, from the thread that made it, while the connection is busy (nothing else
  // touches the socket then but a close, which takes io_mu_): most answers fit the socket's
  // send buffer, so they leave in one non-blocking write and the connection goes on from here,
  // without waking the event loop. What does not fit is finished by the event loop.
  // With `linger`, a whole kNextRequest answer returns true and leaves the next step (Linger) to
  // the caller; false when the answer went elsewhere (a close, the event loop).
  bool WriteThenGoOn(std::string out, After after, bool linger = false) {
    std::unique_lock<std::mutex> l(io_mu_);
    if (closed_) return false;
    size_t off = 0;
    ErrorCodeAsio ec;
    while (off < out.size()) {
      size_t n = socket_.write_some(asio::buffer(out.data() + off, out.size() - off), ec);
      if (ec) break;
      off += n;
    }
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      l.unlock();
      CloseSoon();
      return false;
    }
    if (off < out.size()) {  // the peer reads slowly: the event loop writes the rest
      out.erase(0, off);
      l.unlock();
      asio::post(socket_.get_executor(), [self = shared_from_this(), out = std::move(out), after]() mutable {
        self->Queue(std::move(out), 0, after);
      });
      return false;
    }
    if (after == After::kClose) {
      socket_.shutdown(tcp::socket::shutdown_send, ec);
      l.unlock();
      CloseSoon();
      return false;
    }
    // kNextRequest: idle until the next request. Pipelined bytes are parsed on the strand;
    // else the socket is watched for the next one (the wait is registered from here: no other
    // operation is pending on the socket while it is busy).
    EnterPhase(kIdle, Idle());
    if (linger) return true;
    if (!in_.empty()) {
      l.unlock();
      asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Process(); });
      return false;
    }
    Read();
    return false;
  }

  void Queue(std::string bytes, size_t streamed, After after) {
    if (closed_) return;
    out_.push_back({std::move(bytes), streamed, after});
    if (!writing_) WriteNext();
  }

  void WriteNext() {
    if (out_.empty() || closed_) return;
    writing_ = true;
    SetDeadline(SteadyClock::now() + std::chrono::seconds(std::max(server_.options.write_timeout_seconds, 1)));
    asio::async_write(socket_, asio::buffer(out_.front().bytes),
                      [self = shared_from_this()](const ErrorCodeAsio& ec, size_t) { self->Written(ec); });
  }

  void Written(const ErrorCodeAsio& ec) {
    writing_ = false;
    if (closed_) return;
    if (ec) {
      Close();
      return;
    }
    Out done = std::move(out_.front());
    out_.pop_front();
    if (done.streamed > 0) {
      std::lock_guard<std::mutex> l(stream_mu_);
      stream_backlog_ -= done.streamed;
      stream_cv_.notify_all();
    }
    switch (done.after) {
      case After::kNone:
        WriteNext();
        return;
      case After::kRead:  // the body after "100 Continue", within the request's deadline
        SetDeadline(request_deadline_);
        Read();
        return;
      case After::kNextRequest:
        EnterPhase(kIdle, Idle());
        Process();  // pipelined bytes may already hold the next request
        return;
      case After::kClose: {
        ErrorCodeAsio ignore;
        socket_.shutdown(tcp::socket::shutdown_send, ignore);
        Close();
        return;
      }
      case After::kLinger: {
        ErrorCodeAsio ignore;
        socket_.shutdown(tcp::socket::shutdown_send, ignore);
        EnterPhase(kClosing, SteadyClock::now() + kLingerTime);
        in_.clear();
        Read();
        return;
      }
    }
  }

  // ----------------------------------------------------------------- streaming
  // Runs on a worker: the head, then the handler's chunks, then the last chunk.
  void Stream(HttpResponse res, bool keep_alive) {
    std::string head = ResponseHead(res, keep_alive);
    SetDeadline(SteadyClock::time_point::max());
    asio::post(socket_.get_executor(), [self = shared_from_this(), head = std::move(head)]() mutable {
      self->Queue(std::move(head), 0, After::kNone);
    });
    Sink sink(shared_from_this());
    try {
      res.stream(sink);
    } catch (const std::exception& e) {
      LT_ERROR("stream handler threw: " << e.what());
      CloseSoon();
      return;
    } catch (...) {
      LT_ERROR("stream handler threw");
      CloseSoon();
      return;
    }
    if (StreamFailed()) {
      CloseSoon();
      return;
    }
    asio::post(socket_.get_executor(), [self = shared_from_this(), keep_alive] {
      self->Queue("0\r\n\r\n", 0, keep_alive ? After::kNextRequest : After::kClose);
    });
  }

  bool StreamFailed() {
    std::lock_guard<std::mutex> l(stream_mu_);
    return stream_failed_;
  }

  // From the worker: waits while too much is queued (the peer reads slowly), at most the write
  // timeout, then queues the chunk. False once the peer is gone or stuck.
  bool StreamWrite(std::string_view data) {
    std::string chunk = Chunk(data);
    {
      std::unique_lock<std::mutex> l(stream_mu_);
      auto until = SteadyClock::now() + std::chrono::seconds(std::max(server_.options.write_timeout_seconds, 1));
      stream_cv_.wait_until(l, until, [&] { return stream_failed_ || stream_backlog_ < kMaxStreamBacklog; });
      if (stream_failed_ || stream_backlog_ >= kMaxStreamBacklog) {
        stream_failed_ = true;
        return false;
      }
      stream_backlog_ += chunk.size();
    }
    size_t n = chunk.size();
    asio::post(socket_.get_executor(), [self = shared_from_this(), chunk = std::move(chunk), n]() mutable {
      if (self->closed_) return;
      self->Queue(std::move(chunk), n, After::kNone);
    });
    return true;
  }

  // -------------------------------------------------------------------- closing
  // On the strand (CloseSoon from elsewhere).
  void Close() {
    {
      std::lock_guard<std::mutex> l(io_mu_);
      if (closed_) return;
      closed_ = true;
      phase_.store(kClosing, std::memory_order_relaxed);
      SetDeadline(SteadyClock::time_point::max());
      ErrorCodeAsio ignore;
      socket_.shutdown(tcp::socket::shutdown_both, ignore);
      socket_.close(ignore);
    }
    {
      std::lock_guard<std::mutex> l(stream_mu_);
      stream_failed_ = true;
      stream_cv_.notify_all();
    }
    server_.Forget(this);
  }

  HttpServerCore& server_;
  tcp::socket socket_;
  RequestReader reader_;
  const std::string peer_;
  std::array<char, kReadChunk> rbuf_;
  std::string in_;
  std::deque<Out> out_;
  bool writing_ = false;
  std::atomic<bool> closed_{false};
  std::mutex io_mu_;  // the socket, between a handler's thread and a close
  size_t served_ = 0;
  std::atomic<Phase> phase_{kIdle};
  std::atomic<int64_t> since_ms_{0};
  std::atomic<uint64_t> seq_{0};
  std::atomic<int64_t> deadline_ns_{INT64_MAX};
  SteadyClock::time_point request_deadline_ = SteadyClock::time_point::max();

  std::mutex stream_mu_;
  std::condition_variable stream_cv_;
  size_t stream_backlog_ = 0;
  bool stream_failed_ = false;
};

struct HttpServer::Impl : HttpServerCore {
  using HttpServerCore::HttpServerCore;
};

// ------------------------------------------------------------------------ routes

const HttpServerCore::Route* HttpServerCore::Find(HttpRequest& req) const {
  const std::string& method = req.method == "HEAD" ? std::string("GET") : req.method;
  for (const auto& r : routes) {
    if (r.method != method) continue;
    if (r.pattern.Match(req.path, &req.matches)) return &r;
  }
  return nullptr;
}

HttpResponse HttpServerCore::Call(const Route* route, const HttpRequest& req) const {
  try {
    return route->handler(req);
  } catch (const std::exception& e) {
    LT_ERROR("handler for " << req.method << " " << req.path.substr(0, 200) << " threw: " << e.what());
    return Error(500, "internal", std::string("internal error: ") + e.what());
  } catch (...) {
    return Error(500, "internal", "internal error");
  }
}

// ----------------------------------------------------------------------- workers

bool HttpServerCore::Enqueue(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> l(jobs_mu);
    if (stopping || jobs.size() >= options.max_queued_requests) return false;
    jobs.push_back(std::move(job));
  }
  jobs_cv.notify_one();
  return true;
}

void HttpServerCore::Worker() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> l(jobs_mu);
      ++idle_workers;
      jobs_cv.wait(l, [&] { return stopping || !jobs.empty(); });
      --idle_workers;
      if (stopping) return;
      job = std::move(jobs.front());
      jobs.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      LT_ERROR("http worker: " << e.what());
    } catch (...) {
      LT_ERROR("http worker: unknown exception");
    }
  }
}

// ------------------------------------------------------------------- connections

void HttpServerCore::Accept() {
  acceptor->async_accept(asio::make_strand(io), [this](const ErrorCodeAsio& ec, tcp::socket socket) {
    if (stopping || !acceptor->is_open()) return;
    if (ec) {
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
        // Out of descriptors: let some close before accepting again.
        accept_pause = std::make_unique<asio::steady_timer>(io, std::chrono::milliseconds(50));
        accept_pause->async_wait([this](const ErrorCodeAsio&) {
          if (!stopping) Accept();
        });
        return;
      }
      Accept();
      return;
    }
    OnAccepted(std::move(socket));
    Accept();
  });
}

void HttpServerCore::OnAccepted(tcp::socket socket) {
  ErrorCodeAsio ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  std::string peer = addr.to_string(ec);
  std::shared_ptr<HttpConnection> c;
  std::vector<std::shared_ptr<HttpConnection>> victims;
  {
    std::lock_guard<std::mutex> l(conns_mu);
    // The oldest evictable connection (idle, or with a request stalled past kStalledAfter),
    // among all of them or among this peer's.
    auto oldest = [&](const std::string* of_peer) -> std::shared_ptr<HttpConnection> {
      std::shared_ptr<HttpConnection> best;
      int64_t stalled_before = NowMs() - std::chrono::duration_cast<std::chrono::milliseconds>(kStalledAfter).count();
      for (const auto& [raw, weak] : conns) {
        auto cand = weak.lock();
        if (!cand || (of_peer != nullptr && cand->peer() != *of_peer)) continue;
        auto phase = cand->phase();
        bool evictable = phase == HttpConnection::kIdle ||
                         (phase == HttpConnection::kReading && cand->phase_since_ms() < stalled_before);
        if (evictable && (!best || cand->phase_seq() < best->phase_seq())) best = std::move(cand);
      }
      return best;
    };
    auto evict = [&](std::shared_ptr<HttpConnection> v) {
      v->registered = false;
      conns.erase(v.get());
      if (--per_peer[v->peer()] == 0) per_peer.erase(v->peer());
      victims.push_back(std::move(v));
      ++evicted;
    };
    bool admitted = true;
    if (per_peer.count(peer) > 0 && per_peer[peer] >= options.max_connections_per_peer) {
      if (auto v = oldest(&peer)) evict(std::move(v));
      else admitted = false;
    }
    if (admitted && conns.size() >= max_connections) {
      if (auto v = oldest(nullptr)) evict(std::move(v));
      else admitted = false;
    }
    if (admitted) {
      c = std::make_shared<HttpConnection>(*this, std::move(socket), peer);
      conns.emplace(c.get(), c);
      ++per_peer[peer];
    }
  }
  for (auto& v : victims) v->CloseSoon();
  if (!c) {
    ++refused;
    // A canned answer into the empty send buffer (a non-blocking write never waits), then close.
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(overloaded), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    return;
  }
  asio::post(c->executor(), [c] { c->Start(); });
}

void HttpServerCore::Sweep() {
  sweeper->expires_after(kSweepEvery);
  sweeper->async_wait([this](const ErrorCodeAsio& ec) {
    if (ec || stopping) return;
    int64_t now = SteadyClock::now().time_since_epoch().count();
    std::vector<std::shared_ptr<HttpConnection>> expired;
    {
      std::lock_guard<std::mutex> l(conns_mu);
      for (const auto& [raw, weak] : conns) {
        auto c = weak.lock();
        if (c && c->deadline_ns() <= now) expired.push_back(std::move(c));
      }
    }
    // Idle too long, a request too slow, a write stuck, or lingering done.
    for (auto& c : expired) c->CloseSoon();
    Sweep();
  });
}

void HttpServerCore::Forget(HttpConnection* c) {
  std::lock_guard<std::mutex> l(conns_mu);
  if (!c->registered) return;
  c->registered = false;
  conns.erase(c);
  if (--per_peer[c->peer()] == 0) per_peer.erase(c->peer());
}

// -------------------------------------------------------------------------- server

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>(options)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Get(const std::string& pattern, Handler h, Lane lane) { impl_->Add("GET", pattern, std::move(h), lane); }
void HttpServer::Post(const std::string& pattern, Handler h, Lane lane) { impl_->Add("POST", pattern, std::move(h), lane); }
void HttpServer::Delete(const std::string& pattern, Handler h, Lane lane) {
  impl_->Add("DELETE", pattern, std::move(h), lane);
}
void HttpServer::Options(const std::string& pattern, Handler h, Lane lane) {
  impl_->Add("OPTIONS", pattern, std::move(h), lane);
}

void HttpServer::SetErrorResponse(ErrorResponder f) {
  impl_->error_response = std::move(f);
  impl_->MakeOverloaded();
}

Result<int> HttpServer::Listen(const std::string& host, int port) {
  Impl& im = *impl_;
  std::string where = host + ":" + std::to_string(port);
  ErrorCodeAsio ec;
  tcp::resolver resolver(im.io);
  auto endpoints = resolver.resolve(host.empty() ? std::string("0.0.0.0") : host, std::to_string(port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot listen on " + where + ": " + ec.message());
  std::string last = "no address";
  for (const auto& e : endpoints) {
    auto a = std::make_unique<tcp::acceptor>(im.io);
    a->open(e.endpoint().protocol(), ec);
    if (ec) {
      last = ec.message();
      continue;
    }
    a->set_option(tcp::acceptor::reuse_address(true), ec);  // not SO_REUSEPORT: a taken port fails
    if (!ec) a->bind(e.endpoint(), ec);
    if (!ec) a->listen(1024, ec);
    if (ec) {
      last = ec.message();
      continue;
    }
    int bound = a->local_endpoint(ec).port();
    im.acceptor = std::move(a);
    // The connection cap stays below the descriptor limit, leaving room for files and clients.
    rlimit rl{};
    size_t fd_room = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 256
                         ? static_cast<size_t>(rl.rlim_cur) - 128
                         : 1024;
    im.max_connections = std::max<size_t>(1, std::min(im.options.max_connections, fd_room));
    return bound;
  }
  return MakeError(ErrorCode::kIo, "cannot listen on " + where + " (" + last + "; address in use or not local?)");
}

void HttpServer::Run() {
  Impl& im = *impl_;
  if (!im.acceptor || im.stopping) return;
  im.Accept();
  im.sweeper = std::make_unique<asio::steady_timer>(im.io);
  im.Sweep();
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, im.options.threads); ++i) threads.emplace_back([&im] { im.Worker(); });
  // An exception escaping a handler of the event loop is logged and the loop goes on (asio allows
  // run() again after a throw): it must not unwind Run(), whose joinable threads would then end
  // the process in std::terminate.
  auto run_loop = [&im] {
    for (;;) {
      if (CatchAll("http event loop", [&im] { im.io.run(); })) return;
    }
  };
  std::vector<std::thread> loops;
  for (int i = 1; i < std::max(1, im.options.io_threads); ++i) loops.emplace_back(run_loop);
  run_loop();
  for (auto& t : loops) t.join();
  {
    std::lock_guard<std::mutex> l(im.jobs_mu);
    im.stopping = true;
    im.jobs.clear();
  }
  im.jobs_cv.notify_all();
  for (auto& t : threads) t.join();
}

void HttpServer::Stop() {
  if (!impl_) return;
  Impl& im = *impl_;
  {
    std::lock_guard<std::mutex> l(im.jobs_mu);
    if (im.stopping) return;
    im.stopping = true;
  }
  im.jobs_cv.notify_all();
  // On the event loop: stop accepting, close every connection; io.run() returns once their
  // handlers are done.
  asio::post(im.io, [&im] {
    ErrorCodeAsio ignore;
    if (im.acceptor) im.acceptor->close(ignore);
    if (im.accept_pause) im.accept_pause->cancel();
    if (im.sweeper) im.sweeper->cancel();
    std::vector<std::shared_ptr<HttpConnection>> all;
    {
      std::lock_guard<std::mutex> l(im.conns_mu);
      for (const auto& [raw, weak] : im.conns) {
        if (auto c = weak.lock()) all.push_back(std::move(c));
      }
    }
    for (auto& c : all) c->CloseSoon();
  });
}

HttpServer::Counters HttpServer::counters() const {
  Counters c;
  {
    std::lock_guard<std::mutex> l(impl_->conns_mu);
    c.connections = impl_->conns.size();
  }
  {
    std::lock_guard<std::mutex> l(impl_->jobs_mu);
    c.queued_requests = impl_->jobs.size();
  }
  c.evicted = impl_->evicted;
  c.refused = impl_->refused;
  return c;
}

}  // namespace lt::net
