// lt router serve: the router role (DESIGN §5, doc/router.md). `lt bench router` is in
// cmd_router_bench.cc.
#include <iostream>
#include <memory>

#include "cli/chain_ledger.h"
#include "cli/commands.h"
#include "crypto/keystore.h"
#include "ledger/client.h"
#include "router/router.h"
#include "router/server.h"
#include "util/fs.h"
#include "util/log.h"

namespace lt::cli {
namespace {

using nlohmann::json;

struct RouterFlags {
  std::string listen = "127.0.0.1:7600";
  std::string ledger = "http://127.0.0.1:7545";
  std::string chain;
  std::string keystore, password_file;
  uint64_t settle_every_seconds = 10;
  uint64_t settle_every_receipts = 100;
  uint64_t ticket_ttl = 600;
  std::string stake;
  size_t max_active = 32;
  size_t max_waiting = 256;
  uint64_t ledger_wait_seconds = 30;
  uint64_t announce_ttl = 3600;
};

Result<std::unique_ptr<ledger::Ledger>> ConnectWithRetry(const std::string& url, uint64_t wait_seconds) {
  uint64_t deadline = SystemClock::Default()->MonotonicMillis() + wait_seconds * 1000;
  while (true) {
    net::HttpClientOptions o;
    o.connect_timeout_ms = 2000;
    o.read_timeout_ms = 30000;
    auto l = ledger::RemoteLedger::Connect(url, o);
    if (l.ok()) return std::unique_ptr<ledger::Ledger>(std::move(*l));
    if (SystemClock::Default()->MonotonicMillis() >= deadline) return l.error().Wrap("ledger " + url);
    LT_WARN("router: ledger " << url << " not reachable yet: " << l.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

Status Serve(CommandContext& ctx, const RouterFlags& f) {
  SetLogTag("router");
  LT_TRY(auto hp, net::ParseHostPort(f.listen));
  sigset_t set = BlockStopSignals();  // before any thread starts

  LT_TRY(SecretBytes pw, ReadPassword(f.password_file, "Router keystore password: ", false));
  LT_TRY(crypto::PrivateKey key, crypto::LoadKeystoreFile(f.keystore, pw.span()));
  std::unique_ptr<ledger::Ledger> ledger;
  if (!f.chain.empty()) {
    LT_TRY(ledger, OpenLedger("", f.chain, key));  // the router's key pays the gas of its settlements
  } else {
    LT_TRY(ledger, ConnectWithRetry(f.ledger, f.ledger_wait_seconds));
  }
  if (!f.stake.empty()) {
    LT_TRY(U256 want, U256::FromMor(f.stake));
    LT_TRY(auto acct, ledger->GetAccount(key.GetAddress()));
    if (acct.router_stake < want) {
      ledger::Tx tx;
      tx.type = ledger::TxType::kStakeRouter;
      tx.amount = *want.CheckedSub(acct.router_stake);
      auto r = ledger::SignAndSubmit(*ledger, tx, key);
      if (!r.ok()) return r.error().Wrap("staking " + tx.amount.ToMor() + " MOR as router");
      LT_INFO("router: staked " << tx.amount.ToMor() << " MOR");
    }
  }
  std::string dir = ctx.global.Datadir() + "/router";
  LT_TRY_STATUS(RealFileSystem::Default()->CreateDirs(dir, 0700));
  router::RouterOptions o;
  o.db_path = dir + "/router.db";
  o.settle_every_ms = f.settle_every_seconds * 1000;
  o.settle_every_receipts = f.settle_every_receipts == 0 ? 1 : f.settle_every_receipts;
  o.ticket_ttl_s = f.ticket_ttl;
  o.queue.max_active = f.max_active;
  o.queue.max_waiting = f.max_waiting;
  o.announce_ttl_s = f.announce_ttl;
  router::HttpProber prober;
  LT_TRY(auto r, router::Router::Create(o, *ledger, std::move(key), SystemClock::Default(), SecureRandom::Default(),
                                        &prober));
  router::RouterServer server(*r, o.queue);
  LT_TRY(int port, server.Listen(hp.first, hp.second));
  r->Start();
  LT_INFO("router " << r->address().ToChecksumHex() << " serving on http://" << hp.first << ":" << port << " ("
                    << o.db_path << ")");
  std::cout << "listening on " << hp.first << ":" << port << std::endl;
  ServeUntilStopSignal(set, [&] { server.Run(); }, [&] { server.Stop(); });
  r->Stop();
  // A last settlement attempt so a clean stop leaves nothing pending (a crash is safe anyway).
  (void)r->SettleOnce();
  return OkStatus();
}

}  // namespace

void RegisterRouterBenchCommand(CLI::App& app, CommandContext& ctx);  // cmd_router_bench.cc

void RegisterRouterCommands(CLI::App& app, CommandContext& ctx) {
  auto* router = app.add_subcommand("router", "Match signed Requests For Compute with providers; settle receipts");
  router->require_subcommand(1);
  static RouterFlags f;
  auto* serve = router->add_subcommand("serve", "Serve the router's HTTP API (doc/router.md)");
  serve->add_option("--listen", f.listen, "host:port")->capture_default_str();
  serve->add_option("--ledger", f.ledger, "Ledger URL")->capture_default_str();
  serve->add_option("--chain", f.chain,
                    "Deployment file or devnet.json: settle on the Compute Contract on that chain instead of "
                    "--ledger (the router's key pays the gas)");
  serve->add_option("--keystore", f.keystore, "Keystore of the router's signing key")->required();
  serve->add_option("--password-file", f.password_file, "File whose first line is the keystore password");
  serve->add_option("--settle-every-seconds", f.settle_every_seconds, "Send settle_batch at least this often")
      ->capture_default_str();
  serve->add_option("--settle-every-receipts", f.settle_every_receipts, "...or as soon as this many receipts wait")
      ->capture_default_str();
  serve->add_option("--ticket-ttl", f.ticket_ttl, "Ticket lifetime in seconds (renewable)")->capture_default_str();
  serve->add_option("--announce-ttl", f.announce_ttl, "Seconds an announced root lasts after its announce")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{60}, uint64_t{7 * 86400}));
  serve->add_option("--stake", f.stake, "Stake this many MOR as router at start (tops up the current stake)");
  serve->add_option("--max-active", f.max_active, "RFCs matched at once")->capture_default_str();
  serve->add_option("--max-waiting", f.max_waiting, "RFCs waiting in the priority queue")->capture_default_str();
  serve->add_option("--ledger-wait", f.ledger_wait_seconds, "Seconds to wait for the ledger at start")
      ->capture_default_str();
  serve->callback([&ctx] { RunCommand(ctx, [&] { return Serve(ctx, f); }); });
  RegisterRouterBenchCommand(app, ctx);
}

}  // namespace lt::cli
