// SessionServer: the provider's TCP listener for sessions (Boost.Asio, one I/O thread).
//
// Each connection owns a ProviderSession (session.h) and a 2 KiB read buffer; nothing else is
// allocated until the handshake succeeds, so thousands of idle connections cost little memory
// (measured in bench/session_bench.cc). A 200 ms timer ticks every session (handshake timeout,
// meters, voucher deadline). Output is batched into one pending buffer per connection; a peer
// that does not read and lets more than `max_write_buffer` bytes pile up is disconnected.
// Caps: `max_connections` in all (below the descriptor limit) and `max_connections_per_peer` from
// one address; a newcomer over a cap takes the place of the oldest connection that has not sent
// its handshake yet, or is closed at once. An exception escaping a handler
// is logged and the loop goes on: nothing a peer sends ends the process.
//
// Ownership: the server owns its connections; the services (keys, models, sinks) must outlive it.
// Thread-safety: Listen/Start/Stop from any one controlling thread; sessions run on the I/O
// thread only; backends post their callbacks to it.
#ifndef LT_PROVIDER_SERVER_H_
#define LT_PROVIDER_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "provider/session.h"

namespace lt::provider {

struct ServerOptions {
  std::string listen = "127.0.0.1:0";
  size_t max_connections = 20000;
  size_t max_connections_per_peer = 1024;
  size_t max_write_buffer = 8u << 20;
  uint32_t tick_ms = 200;
};

class SessionServer {
 public:
  // `services.post` is set by the server (to its I/O thread).
  SessionServer(SessionServices services, ServerOptions options);
  ~SessionServer();
  SessionServer(const SessionServer&) = delete;
  SessionServer& operator=(const SessionServer&) = delete;

  // Binds the listen address; returns the bound port.
  Result<int> Listen();
  // Runs the I/O loop on a new thread.
  void Start();
  // Runs the I/O loop on this thread until Stop().
  void Run();
  // Closes the listener and every connection (sessions finalize: receipts are submitted).
  void Stop();
  size_t connections() const;
  uint64_t evicted() const;  // connections closed to make room for newcomers
  uint64_t refused() const;  // newcomers closed at once (caps reached, nothing to evict)
  const SessionServices& services() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lt::provider

#endif  // LT_PROVIDER_SERVER_H_
