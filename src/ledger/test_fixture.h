// Test support for the ledger's unit and conformance tests (not part of the library API).
#ifndef LT_LEDGER_TEST_FIXTURE_H_
#define LT_LEDGER_TEST_FIXTURE_H_

#include <functional>
#include <memory>
#include <string>

#include "crypto/keys.h"
#include "ledger/client.h"
#include "ledger/embedded.h"
#include "ledger/genesis.h"
#include "ledger/server.h"
#include "util/clock.h"
#include "wire/messages.h"

namespace lt::ledger::testing {

inline crypto::PrivateKey TestKey(uint8_t seed) {
  Bytes b(32, 0);
  b[31] = seed;
  b[0] = 0x11;
  return *crypto::PrivateKey::FromBytes(b);
}

inline U256 Mor(std::string_view s) { return *U256::FromMor(s); }

// A ledger under test: an embedded one, possibly behind an in-process HTTP server.
struct Harness {
  std::unique_ptr<EmbeddedLedger> embedded;
  std::unique_ptr<LedgerServer> server;
  std::unique_ptr<RemoteLedger> remote;
  Ledger& ledger() { return remote ? static_cast<Ledger&>(*remote) : static_cast<Ledger&>(*embedded); }
  ~Harness() {
    if (server) server->Stop();
  }
};

enum class BackendKind { kEmbeddedMemory, kEmbeddedFile, kRemoteHttp };

inline std::unique_ptr<Harness> MakeHarness(BackendKind kind, const Genesis& g, Clock* clock,
                                            const std::string& dir = "") {
  auto h = std::make_unique<Harness>();
  EmbeddedOptions o;
  o.clock = clock;
  o.db_path = kind == BackendKind::kEmbeddedMemory || dir.empty() ? ":memory:" : dir + "/ledger.db";
  auto l = EmbeddedLedger::Create(o, g);
  if (!l.ok()) return nullptr;
  h->embedded = std::move(*l);
  if (kind == BackendKind::kRemoteHttp) {
    LedgerServerOptions so;
    so.tick_ms = 0;
    so.threads = 4;
    h->server = std::make_unique<LedgerServer>(*h->embedded, so);
    auto port = h->server->Listen("127.0.0.1", 0);
    if (!port.ok()) return nullptr;
    h->server->Start();
    auto r = RemoteLedger::Connect("http://127.0.0.1:" + std::to_string(*port));
    if (!r.ok()) return nullptr;
    h->remote = std::move(*r);
  }
  return h;
}

// A receipt: ticket signed by the router, voucher signed by the user.
inline Receipt MakeReceipt(const LedgerDomain& d, const crypto::PrivateKey& router,
                           const crypto::PrivateKey& user, const crypto::Address& provider,
                           const Hash32& manifest, const U256& price, uint32_t min_seconds,
                           uint32_t max_seconds, uint32_t seconds, uint8_t session) {
  Receipt r;
  r.ticket.ticket.session_id[0] = session;
  r.ticket.ticket.session_id[1] = static_cast<uint8_t>(seconds);
  r.ticket.ticket.session_id[2] = static_cast<uint8_t>(seconds >> 8);
  r.ticket.ticket.user = user.GetAddress();
  r.ticket.ticket.provider = provider;
  r.ticket.ticket.router = router.GetAddress();
  r.ticket.ticket.manifest = manifest;
  r.ticket.ticket.price_per_second = price;
  r.ticket.ticket.min_seconds = min_seconds;
  r.ticket.ticket.max_seconds = max_seconds;
  r.ticket.ticket.issued_at = 1;
  r.ticket.ticket.expires_at = 2;
  r.ticket.router_sig = router.Sign(wire::Digest(r.ticket.ticket, d.separator));
  r.voucher.voucher.session_id = r.ticket.ticket.session_id;
  r.voucher.voucher.seconds = seconds;
  r.voucher.voucher.is_final = true;
  r.voucher.user_sig = user.Sign(wire::Digest(r.voucher.voucher, d.separator));
  return r;
}

}  // namespace lt::ledger::testing

#endif  // LT_LEDGER_TEST_FIXTURE_H_
