#include "provider/server.h"

#include <asio.hpp>
#include <atomic>
#include <thread>
#include <unordered_set>

#include "net/http.h"
#include "util/log.h"

namespace lt::provider {

namespace {

using asio::ip::tcp;

class Connection final : public SessionTransport, public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const SessionServices& svc, size_t max_write_buffer,
             std::unordered_set<std::shared_ptr<Connection>>* set)
      : socket_(std::move(socket)), max_write_(max_write_buffer), set_(set) {
    session_ = std::make_shared<ProviderSession>(svc, this);
  }
  ~Connection() override {
    if (session_) session_->Detach();
  }

  void Begin() {
    asio::error_code ec;
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
    asio::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    if (session_) session_->OnDisconnect();
    // Keep ourselves alive until the pending handlers have run.
    auto self = shared_from_this();
    set_->erase(self);
  }

 private:
  void Read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [this, self](const asio::error_code& ec, size_t n) {
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
    asio::async_write(socket_, asio::buffer(writing_buf_), [this, self](const asio::error_code& ec, size_t) {
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
  size_t max_write_;
  std::unordered_set<std::shared_ptr<Connection>>* set_;
  std::shared_ptr<ProviderSession> session_;
  std::array<uint8_t, 2048> buf_;
  Bytes pending_, writing_buf_;
  bool writing_ = false, closing_ = false, closed_ = false;
};

}  // namespace

struct SessionServer::Impl {
  SessionServices svc;
  ServerOptions opt;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer ticker{io};
  std::unordered_set<std::shared_ptr<Connection>> conns;
  std::atomic<size_t> count{0};
  std::thread thread;
  std::atomic<bool> stopped{false};

  void Accept() {
    acceptor.async_accept([this](const asio::error_code& ec, tcp::socket s) {
      if (ec) {
        if (ec != asio::error::operation_aborted && !stopped) Accept();
        return;
      }
      if (conns.size() >= opt.max_connections) {
        asio::error_code ignore;
        s.close(ignore);
      } else {
        auto c = std::make_shared<Connection>(std::move(s), svc, opt.max_write_buffer, &conns);
        conns.insert(c);
        c->Begin();
      }
      count = conns.size();
      Accept();
    });
  }

  void Tick() {
    ticker.expires_after(std::chrono::milliseconds(opt.tick_ms));
    ticker.async_wait([this](const asio::error_code& ec) {
      if (ec || stopped) return;
      std::vector<std::shared_ptr<Connection>> all(conns.begin(), conns.end());
      for (auto& c : all) c->Tick();
      count = conns.size();
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
  asio::error_code ec;
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
  impl_->Accept();
  impl_->Tick();
  return static_cast<int>(impl_->acceptor.local_endpoint().port());
}

void SessionServer::Start() {
  impl_->thread = std::thread([this] { Run(); });
}

void SessionServer::Run() {
  auto guard = asio::make_work_guard(impl_->io);
  impl_->io.run();
}

void SessionServer::Stop() {
  if (impl_->stopped.exchange(true)) {
    if (impl_->thread.joinable()) impl_->thread.join();
    return;
  }
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl] {
    asio::error_code ec;
    impl->acceptor.close(ec);
    impl->ticker.cancel();
    std::vector<std::shared_ptr<Connection>> all(impl->conns.begin(), impl->conns.end());
    for (auto& c : all) c->Shutdown();
    impl->conns.clear();
    impl->io.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

size_t SessionServer::connections() const { return impl_->count.load(); }

}  // namespace lt::provider
