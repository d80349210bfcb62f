// lt: every role of Lake Travis in one program. See README.md for the roles and commands.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <string_view>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/usage.h"
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
  auto* log_level =
      app.add_option("--log-level", ctx.global.log_level, "debug, info, warn, error or off")->capture_default_str();
  app.add_flag("--json", ctx.global.json, "Machine-readable JSON output and errors; INFO logs quiet");
  // Before parsing: errors of the parse itself must already know the output format.
  bool json_requested = false;
  for (int i = 1; i < argc; ++i) json_requested = json_requested || std::string_view(argv[i]) == "--json";
  lt::cli::SetJsonErrors(json_requested);

  app.parse_complete_callback([&ctx, log_level] {
    auto level = lt::ParseLogLevel(ctx.global.log_level);
    if (!level.ok()) throw CLI::ValidationError("--log-level", level.error().message);
    // Under --json stderr carries errors for programs: INFO lines stay quiet unless asked for.
    if (ctx.global.json && log_level->count() == 0 && *level < lt::LogLevel::kWarn) level = lt::LogLevel::kWarn;
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
  lt::cli::RegisterInitCommand(app, ctx);
  lt::cli::RegisterModelsCommand(app, ctx);
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
    // Unknown subcommand or flag, missing argument: one line, the near match, the help to read.
    return lt::cli::ReportUsageError(app, e, json_requested);
  } catch (const std::exception& e) {
    return lt::cli::Fail(std::string("unexpected failure: ") + e.what());
  }
  return ctx.exit_code;
}
