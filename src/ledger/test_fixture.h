// Test support for the ledger's unit and conformance tests (not part of the library API).
#ifndef LT_LEDGER_TEST_FIXTURE_H_
#define LT_LEDGER_TEST_FIXTURE_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "crypto/keys.h"
#include "evm/anvil.h"
#include "evm/deploy.h"
#include "ledger/client.h"
#include "ledger/embedded.h"
#include "ledger/evm_ledger.h"
#include "ledger/genesis.h"
#include "ledger/server.h"
#include "util/clock.h"
#include "wire/messages.h"
#include "wire/session_id.h"

namespace lt::ledger::testing {

inline crypto::PrivateKey TestKey(uint8_t seed) {
  Bytes b(32, 0);
  b[31] = seed;
  b[0] = 0x11;
  return *crypto::PrivateKey::FromBytes(b);
}

inline U256 Mor(std::string_view s) { return *U256::FromMor(s); }

// A ledger under test: an embedded one, possibly behind an in-process HTTP server, or the
// Compute Contract on anvil (EvmLedger). `skip` says why the backend cannot run here (no anvil
// or no compiled contracts: make deps).
struct Harness {
  std::unique_ptr<EmbeddedLedger> embedded;
  std::unique_ptr<LedgerServer> server;
  std::unique_ptr<RemoteLedger> remote;
  std::unique_ptr<EvmLedger> evm;
  std::string skip;
  Ledger& ledger() {
    if (evm) return *evm;
    return remote ? static_cast<Ledger&>(*remote) : static_cast<Ledger&>(*embedded);
  }
  ~Harness() {
    if (server) server->Stop();
  }
};

enum class BackendKind { kEmbeddedMemory, kEmbeddedFile, kRemoteHttp, kEvm };

// One anvil for the whole test binary (started at first use, killed when the process exits).
inline evm::AnvilNode* SharedAnvil(std::string* why) {
  static std::unique_ptr<evm::AnvilNode> anvil;
  static std::string error;
  static bool tried = false;
  if (!tried) {
    tried = true;
    if (!evm::GetArtifact("ComputeContract").ok()) {
      error = "contracts not compiled (make deps)";
    } else if (auto a = evm::AnvilNode::Start(); a.ok()) {
      anvil = std::move(*a);
    } else {
      error = a.error().message;
    }
  }
  if (!anvil && why != nullptr) *why = error;
  return anvil.get();
}

// The EVM backend's chain only moves forward: a test clock for it starts at a multiple of
// 100,000 s after anvil's latest block (so any day length dividing 100,000 starts a day there).
inline void AlignClockForEvm(FakeClock& clock) {
  evm::AnvilNode* anvil = SharedAnvil(nullptr);
  if (anvil == nullptr) return;
  auto head = anvil->rpc().Block("latest");
  if (!head.ok()) return;
  clock.SetMillis((head->timestamp / 100000 + 1) * 100000 * 1000);
}

// The anvil development key: it deploys and relays (pays the gas) in tests.
inline crypto::PrivateKey AnvilRelayerKey() { return *crypto::PrivateKey::FromHex(evm::AnvilNode::kDevKeyHex); }

// The Compute Contract with genesis `g`, deployed on the shared anvil, behind an EvmLedger whose
// blocks follow `clock`.
inline std::unique_ptr<Harness> MakeEvmHarness(const Genesis& g, Clock* clock) {
  auto h = std::make_unique<Harness>();
  evm::AnvilNode* anvil = SharedAnvil(&h->skip);
  if (anvil == nullptr) return h;
  if (!anvil->SetNextBlockTimestamp(g.start_time + 1).ok()) return nullptr;
  evm::TxSender deployer(&anvil->rpc(), AnvilRelayerKey(), 31337);
  auto d = evm::DeployComputeContract(deployer, DeployConfigFromGenesis(g));
  if (!d.ok()) {
    ADD_FAILURE() << "deploy: " << d.error().message;
    return nullptr;
  }
  EvmLedgerOptions o;
  o.deployment = *d;
  o.relayer = AnvilRelayerKey();
  o.follow_clock = clock;
  auto l = EvmLedger::Connect(o);
  if (!l.ok()) {
    ADD_FAILURE() << "EvmLedger: " << l.error().message;
    return nullptr;
  }
  h->evm = std::move(*l);
  return h;
}

inline std::unique_ptr<Harness> MakeHarness(BackendKind kind, const Genesis& g, Clock* clock,
                                            const std::string& dir = "") {
  if (kind == BackendKind::kEvm) return MakeEvmHarness(g, clock);
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

// A receipt: ticket signed by the router, voucher signed by the user; its session id is the
// router's (doc/wire.md "Session ids").
inline Receipt MakeReceipt(const LedgerDomain& d, const crypto::PrivateKey& router,
                           const crypto::PrivateKey& user, const crypto::Address& provider,
                           const Hash32& manifest, const U256& price, uint32_t min_seconds,
                           uint32_t max_seconds, uint32_t seconds, uint8_t session) {
  Receipt r;
  // The router's address and a sequence (doc/wire.md "Session ids").
  r.ticket.ticket.session_id = wire::RouterSessionId(router.GetAddress(), (uint64_t{session} << 32) | seconds);
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
