// lt: every role of Lake Travis in one program. See README.md for the roles and commands.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "util/log.h"

int main(int argc, char** argv) {
  // Servers hold one descriptor per connection: take the whole allowance the system gives
  // (the soft limit is often 1024), so connection caps, not EMFILE, decide who waits.
  if (rlimit rl{}; getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  lt::cli::CommandContext ctx;
  CLI::App app{"Lake Travis: decentralized AI inference. One binary for every role.", "lt"};
  app.set_version_flag("--version", std::string("lt ") + LT_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.option_defaults()->always_capture_default();
  app.add_option("--datadir", ctx.global.datadir, "Data directory")->capture_default_str();
  app.add_option("--log-level", ctx.global.log_level, "debug, info, warn, error or off")->capture_default_str();
  app.add_flag("--json", ctx.global.json, "Machine-readable JSON output where a command prints data");

  app.parse_complete_callback([&ctx] {
    auto level = lt::ParseLogLevel(ctx.global.log_level);
    if (!level.ok()) throw CLI::ValidationError("--log-level", level.error().message);
    lt::SetLogLevel(*level);
  });

  lt::cli::RegisterVersionCommands(app, ctx);
  lt::cli::RegisterKeyCommands(app, ctx);
  lt::cli::RegisterRegistryCommands(app, ctx);
  lt::cli::RegisterTypedDataCommands(app, ctx);
  lt::cli::RegisterLedgerCommands(app, ctx);
  lt::cli::RegisterProviderCommands(app, ctx);
  lt::cli::RegisterSessionCommands(app, ctx);
  lt::cli::RegisterEngineCommands(app, ctx);
  lt::cli::RegisterRouterCommands(app, ctx);
  lt::cli::RegisterClientCommands(app, ctx);
  lt::cli::RegisterDevnetCommands(app, ctx);
  lt::cli::RegisterAnalyticsCommands(app, ctx);
  lt::cli::RegisterChainCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Unknown subcommand or flag, missing argument: the message, the usage, exit 2.
    const CLI::App* failed = &app;
    for (const CLI::App* sub = &app; sub != nullptr;) {
      failed = sub;
      auto subs = sub->get_subcommands();
      sub = subs.empty() ? nullptr : subs.front();
    }
    auto extras = failed->remaining();
    if (!extras.empty() && dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      std::cerr << "lt: usage error: unknown subcommand or argument '" << extras.front() << "'\n\n";
    } else {
      std::cerr << "lt: usage error: " << e.what() << "\n\n";
    }
    std::cerr << failed->help();
    return 2;
  } catch (const std::exception& e) {
    return lt::cli::Fail(std::string("unexpected failure: ") + e.what());
  }
  return ctx.exit_code;
}
