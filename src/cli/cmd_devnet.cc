// lt devnet: the whole network on one machine (doc/devnet.md). The orchestration is in
// src/devnet; this file parses the flags, installs the Ctrl-C handler and runs it.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdlib>

#include "cli/commands.h"
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
  cmd->callback([&ctx] {
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
