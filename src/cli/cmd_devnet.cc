// lt devnet: the whole network on one machine (doc/devnet.md). The orchestration is in
// src/devnet; this file parses the flags, installs the Ctrl-C handler and runs it.
// lt devnet fund ADDRESS AMOUNT: the devnet's faucet, a `mint` signed by the devnet's user
// account (the genesis minter) to ADDRESS's wallet.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdlib>

#include "cli/commands.h"
#include "cli/user_config.h"
#include "crypto/keystore.h"
#include "ledger/client.h"
#include "devnet/devnet.h"

namespace lt::cli {
namespace {

std::atomic<bool> g_devnet_stop{false};

void OnStopSignal(int) { g_devnet_stop.store(true); }

std::string SelfExe() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  return std::string(buf, static_cast<size_t>(n));
}

struct FundFlags {
  std::string devnet, address, amount;
};

Status Fund(const CommandContext& ctx, const FundFlags& f, const std::string& devnet_datadir) {
  std::string path = !f.devnet.empty() ? f.devnet
                     : !devnet_datadir.empty() ? devnet_datadir + "/devnet.json"
                                               : ctx.global.Datadir() + "/devnet/devnet.json";
  auto to = crypto::ParseAddress(f.address);
  if (!to.ok()) return InvalidArgument("ADDRESS '" + f.address.substr(0, 100) + "': " + to.error().message);
  auto amount = U256::FromMor(f.amount);
  if (!amount.ok() || amount->IsZero()) {
    return InvalidArgument("AMOUNT '" + f.amount.substr(0, 100) + "' must be a positive MOR amount, e.g. 100 or 0.5");
  }
  LT_TRY(DevnetInfo d, ReadDevnetJson(path));
  LT_TRY(SecretBytes pw, ReadPassword(d.password_file, "", false));
  LT_TRY(crypto::PrivateKey minter, crypto::LoadKeystoreFile(d.keystore, pw.span()));
  auto l = ledger::RemoteLedger::Connect(d.ledger);
  if (!l.ok()) return l.error().Wrap("the devnet's ledger " + d.ledger + " (is 'lt devnet' still running?)");
  ledger::Tx tx;
  tx.type = ledger::TxType::kMint;
  tx.to = *to;
  tx.amount = *amount;
  auto r = ledger::SignAndSubmit(**l, tx, minter);
  if (!r.ok()) return r.error().Wrap("ledger refused the mint");
  LT_TRY(auto acct, (*l)->GetAccount(*to));
  std::string addr = to->ToChecksumHex();
  PrintResult(ctx,
              {{"to", addr}, {"amount_mor", amount->ToMor()}, {"wallet_mor", acct.wallet.ToMor()},
               {"minter", minter.GetAddress().ToChecksumHex()}},
              "minted " + amount->ToMor() + " MOR to " + addr + "; its wallet holds " + acct.wallet.ToMor() +
                  " MOR ('lt deposit' moves MOR to the vault that pays for sessions)");
  return OkStatus();
}

}  // namespace

void RegisterDevnetCommands(CLI::App& app, CommandContext& ctx) {
  static devnet::DevnetOptions o;
  static bool no_showcase = false;
  o.models_dir = DefaultModelsDir();
  auto* cmd = app.add_subcommand(
      "devnet",
      "Run the whole network on this machine: ledger, 2 routers, builder, 3 providers, a user's OpenAI API");
  cmd->add_option("--datadir", o.datadir,
                  "Folder for everything the devnet writes (wiped at start; default <datadir>/devnet)");
  cmd->add_option("--api-port", o.api_port, "Port of the user's local OpenAI API on 127.0.0.1")
      ->capture_default_str();
  cmd->add_option("--exit-after", o.exit_after,
                  "Stop this many seconds after the showcase (0: serve until Ctrl-C)")
      ->capture_default_str();
  cmd->add_option("--day-seconds", o.day_seconds, "Length of a ledger day in seconds")->capture_default_str();
  cmd->add_option("--models", o.models_dir,
                  "Folder with stories260K.bin and tok512.bin (default: $LT_MODELS_DIR)")
      ->capture_default_str();
  cmd->add_flag("--no-showcase", no_showcase, "Start everything and serve, without the showcase");
  cmd->add_option("--chain", o.chain,
                  "anvil: run the Compute Contract on an anvil child (deployed from the devnet's genesis) "
                  "instead of the embedded ledger")
      ->check(CLI::IsMember({"anvil"}));
  static FundFlags fund_flags;
  auto* fund = cmd->add_subcommand(
      "fund", "Mint MOR on a running devnet to ADDRESS's wallet (the devnet's faucet; signed by its minter)");
  fund->add_option("ADDRESS", fund_flags.address, "0x address to fund")->required();
  fund->add_option("AMOUNT", fund_flags.amount, "MOR, e.g. 100 or 0.5")->required();
  fund->add_option("--devnet", fund_flags.devnet,
                   "The devnet's devnet.json (default: <devnet --datadir>/devnet.json, else <datadir>/devnet/devnet.json)");
  fund->callback([&ctx] { RunCommand(ctx, [&] { return Fund(ctx, fund_flags, o.datadir); }); });
  cmd->callback([&ctx, fund] {
    if (fund->parsed()) return;  // `lt devnet fund` ran; do not start a devnet
    RunCommand(ctx, [&]() -> Status {
      if (o.datadir.empty()) o.datadir = ctx.global.Datadir() + "/devnet";
      o.showcase = !no_showcase;
      struct sigaction sa {};
      sa.sa_handler = OnStopSignal;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = 0;
      ::sigaction(SIGINT, &sa, nullptr);
      ::sigaction(SIGTERM, &sa, nullptr);
      ::signal(SIGPIPE, SIG_IGN);
      return devnet::Run(o, SelfExe(), &g_devnet_stop);
    });
  });
}

}  // namespace lt::cli
