#include "provider/server.h"

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio.hpp>

#include "net/http.h"
#include "util/log.h"
#include "util/thread.h"

namespace lt::provider {

namespace asio = boost::asio;

namespace {

using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

class Connection;

// The server's connections, and how many each peer address holds (I/O thread only).
struct Registry {
  std::unordered_set<std::shared_ptr<Connection>> conns;
  std::unordered_map<std::string, size_t> per_peer;
  void Remove(const std::shared_ptr<Connection>& c);
};

class Connection final : public SessionTransport, public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::string peer, const SessionServices& svc, size_t max_write_buffer, Registry* reg)
      : socket_(std::move(socket)), peer_(std::move(peer)), max_write_(max_write_buffer), reg_(reg) {
    session_ = std::make_shared<ProviderSession>(svc, this);
  }
  const std::string& peer() const { return peer_; }
  SteadyClock::time_point accepted() const { return accepted_; }
  // Still before a handshake: such a connection may be evicted to make room (one that never sends
  // its init costs a socket until the handshake timeout).
  bool awaiting_init() const { return !closed_ && session_ && session_->state() == ProviderSession::State::kAwaitInit; }
  ~Connection() override {
    if (session_) session_->Detach();
  }

  void Begin() {
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    Read();
  }

  void Send(Bytes bytes) override {
    if (closed_) return;
    if (pending_.size() + bytes.size() > max_write_) {
      LT_WARN("session: peer is not reading (" << pending_.size() << " bytes queued); disconnecting");
      Shutdown();
      return;
    }
    if (pending_.empty()) {
      pending_ = std::move(bytes);
    } else {
      pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    }
    Flush();
  }

  void Close() override {
    closing_ = true;
    if (!writing_ && pending_.empty()) Shutdown();
  }

  void Tick() {
    if (session_) session_->Tick();
  }

  void Shutdown() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    if (session_) session_->OnDisconnect();
    // Keep ourselves alive until the pending handlers have run.
    auto self = shared_from_this();
    reg_->Remove(self);
  }

 private:
  void Read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [this, self](const boost::system::error_code& ec, size_t n) {
      if (ec || closed_) {
        Shutdown();
        return;
      }
      session_->OnBytes(ByteSpan(buf_.data(), n));
      if (!closed_ && session_->state() != ProviderSession::State::kClosed) Read();
      else if (!closed_ && !writing_ && pending_.empty()) Shutdown();
    });
  }

  void Flush() {
    if (writing_ || pending_.empty() || closed_) return;
    writing_ = true;
    writing_buf_ = std::move(pending_);
    pending_ = Bytes();
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(writing_buf_), [this, self](const boost::system::error_code& ec, size_t) {
      writing_ = false;
      writing_buf_.clear();
      writing_buf_.shrink_to_fit();
      if (ec) {
        Shutdown();
        return;
      }
      if (!pending_.empty()) {
        Flush();
      } else if (closing_) {
        Shutdown();
      }
    });
  }

  tcp::socket socket_;
  const std::string peer_;
  const SteadyClock::time_point accepted_ = SteadyClock::now();
  size_t max_write_;
  Registry* reg_;
  std::shared_ptr<ProviderSession> session_;
  std::array<uint8_t, 2048> buf_;
  Bytes pending_, writing_buf_;
  bool writing_ = false, closing_ = false, closed_ = false;
};

void Registry::Remove(const std::shared_ptr<Connection>& c) {
  if (conns.erase(c) == 0) return;
  auto it = per_peer.find(c->peer());
  if (it != per_peer.end() && --it->second == 0) per_peer.erase(it);
}

}  // namespace

struct SessionServer::Impl {
  SessionServices svc;
  ServerOptions opt;
  size_t max_connections = 0;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer ticker{io};
  asio::steady_timer accept_pause{io};
  Registry reg;
  std::atomic<size_t> count{0};
  std::atomic<uint64_t> evicted{0}, refused{0};
  std::thread thread;
  std::atomic<bool> stopped{false};

  // The oldest connection still waiting for its handshake, among all of them or among one peer's
  // (a client sends its init at once: one still silent is the weakest claim to a place).
  std::shared_ptr<Connection> Evictable(const std::string* peer) {
    std::shared_ptr<Connection> best;
    for (const auto& c : reg.conns) {
      if ((peer != nullptr && c->peer() != *peer) || !c->awaiting_init()) continue;
      if (!best || c->accepted() < best->accepted()) best = c;
    }
    return best;
  }

  // Caps per peer and in all; a newcomer over a cap takes the place of the oldest connection that
  // has not shaken hands, or is closed at once.
  void Admit(tcp::socket s) {
    boost::system::error_code ec;
    auto ep = s.remote_endpoint(ec);
    if (ec) return;
    std::string peer = ep.address().to_string(ec);
    auto pp = reg.per_peer.find(peer);
    if (pp != reg.per_peer.end() && pp->second >= opt.max_connections_per_peer) {
      if (auto v = Evictable(&peer)) {
        ++evicted;
        v->Shutdown();
      } else {
        ++refused;
        s.close(ec);
        return;
      }
    }
    if (reg.conns.size() >= max_connections) {
      if (auto v = Evictable(nullptr)) {
        ++evicted;
        v->Shutdown();
      } else {
        ++refused;
        s.close(ec);
        return;
      }
    }
    auto c = std::make_shared<Connection>(std::move(s), peer, svc, opt.max_write_buffer, &reg);
    reg.conns.insert(c);
    ++reg.per_peer[peer];
    c->Begin();
  }

  void Accept() {
    acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
      if (stopped || ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of descriptors (or another passing error): let some close before accepting again.
        accept_pause.expires_after(std::chrono::milliseconds(50));
        accept_pause.async_wait([this](const boost::system::error_code& e) {
          if (!e && !stopped) Accept();
        });
        return;
      }
      Admit(std::move(s));
      count = reg.conns.size();
      Accept();
    });
  }

  void Tick() {
    ticker.expires_after(std::chrono::milliseconds(opt.tick_ms));
    ticker.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopped) return;
      std::vector<std::shared_ptr<Connection>> all(reg.conns.begin(), reg.conns.end());
      for (auto& c : all) c->Tick();
      count = reg.conns.size();
      Tick();
    });
  }
};

SessionServer::SessionServer(SessionServices services, ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->svc = std::move(services);
  impl_->opt = std::move(options);
  Impl* impl = impl_.get();
  impl_->svc.post = [impl](std::function<void()> fn) { asio::post(impl->io, std::move(fn)); };
}

SessionServer::~SessionServer() { Stop(); }

const SessionServices& SessionServer::services() const { return impl_->svc; }

Result<int> SessionServer::Listen() {
  LT_TRY(auto hp, net::ParseHostPort(impl_->opt.listen));
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(hp.first == "localhost" ? "127.0.0.1" : hp.first, ec);
  if (ec) return InvalidArgument("session listen address '" + hp.first + "' is not an IP address");
  tcp::endpoint ep(addr, static_cast<uint16_t>(hp.second));
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable, "cannot listen for sessions on " + impl_->opt.listen + ": " + ec.message());
  }
  // The connection cap stays below the descriptor limit, leaving room for files and clients.
  rlimit rl{};
  size_t fd_room = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 512
                       ? static_cast<size_t>(rl.rlim_cur) - 256
                       : 256;
  impl_->max_connections = std::max<size_t>(1, std::min(impl_->opt.max_connections, fd_room));
  impl_->Accept();
  impl_->Tick();
  return static_cast<int>(impl_->acceptor.local_endpoint().port());
}

void SessionServer::Start() {
  impl_->thread = GuardedThread("session server", [this] { Run(); });
}

void SessionServer::Run() {
  auto guard = asio::make_work_guard(impl_->io);
  // Nothing a peer sends may end the process: an exception escaping a handler is logged and the
  // loop goes on (sessions' own errors are values and never get here).
  for (;;) {
    try {
      impl_->io.run();
      return;
    } catch (const std::exception& e) {
      LT_ERROR("session server: a handler threw: " << e.what());
    } catch (...) {
      LT_ERROR("session server: a handler threw");
    }
  }
}

void SessionServer::Stop() {
  if (impl_->stopped.exchange(true)) {
    if (impl_->thread.joinable()) impl_->thread.join();
    return;
  }
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
    impl->ticker.cancel();
    impl->accept_pause.cancel();
    std::vector<std::shared_ptr<Connection>> all(impl->reg.conns.begin(), impl->reg.conns.end());
    for (auto& c : all) c->Shutdown();
    impl->reg.conns.clear();
    impl->reg.per_peer.clear();
    impl->io.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

size_t SessionServer::connections() const { return impl_->count.load(); }
uint64_t SessionServer::evicted() const { return impl_->evicted.load(); }
uint64_t SessionServer::refused() const { return impl_->refused.load(); }

}  // namespace lt::provider
