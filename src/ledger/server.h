// LedgerServer: the HTTP JSON API of `lt ledger serve` over any Ledger (doc/ledger.md "HTTP API").
//
//   POST /tx            one signed transaction (compact or typed-data form, see tx.h)
//   POST /txs           {"txs":[...]}: several, applied in order in one durable group
//   POST /close-day     closes the days that have ended (anyone; idempotent)
//   GET  /account/ADDR  GET /models  GET /models/NS/NAME  GET /providers  GET /day  GET /stats
//   GET  /txs?from=N&limit=M   GET /genesis  GET /state  GET /health
// Answers are JSON; errors are {"error":{"code","message"}} with the status of the error code.
// Bodies above max_body_bytes get 413 before parsing; unknown routes a JSON 404. Handlers never
// throw. A background thread closes ended days every tick_ms so reads stay current.
// Thread-safety: handlers run on the HTTP pool; the Ledger serializes writes.
#ifndef LT_LEDGER_SERVER_H_
#define LT_LEDGER_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ledger/ledger.h"
#include "net/http.h"

namespace lt::ledger {

struct LedgerServerOptions {
  size_t max_body_bytes = 16u << 20;  // a settle_batch of 10,000 receipts fits
  int threads = 8;
  int tick_ms = 1000;          // 0 disables the day-closing thread
  size_t max_txs_page = 1000;  // GET /txs limit cap
};

class LedgerServer {
 public:
  LedgerServer(Ledger& ledger, LedgerServerOptions options = {});
  ~LedgerServer();
  LedgerServer(const LedgerServer&) = delete;
  LedgerServer& operator=(const LedgerServer&) = delete;

  // Binds host:port (0 = any free port); returns the port.
  Result<int> Listen(const std::string& host, int port);
  // Serves until Stop().
  void Run();
  // Runs in a background thread (tests).
  void Start();
  void Stop();

 private:
  void Register();
  void TickLoop();

  Ledger& ledger_;
  LedgerServerOptions options_;
  net::HttpServer http_;
  std::thread serve_thread_;
  std::thread tick_thread_;
  std::mutex tick_mu_;
  std::condition_variable tick_cv_;
  bool stopping_ = false;
};

}  // namespace lt::ledger

#endif  // LT_LEDGER_SERVER_H_
