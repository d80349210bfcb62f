// Each role's subcommands, registered on the `lt` app by main.cc. One Register function per
// cmd_*.cc file; the callbacks store their exit code in the CommandContext.
#ifndef LT_CLI_COMMANDS_H_
#define LT_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cli/common.h"

namespace lt::cli {

void RegisterVersionCommands(CLI::App& app, CommandContext& ctx);   // lt version
void RegisterKeyCommands(CLI::App& app, CommandContext& ctx);       // lt key, sign-message, verify-message
void RegisterRegistryCommands(CLI::App& app, CommandContext& ctx);  // lt cid, store, model pull/import/export
void RegisterTypedDataCommands(CLI::App& app, CommandContext& ctx);  // lt sign-typed, verify-typed, hash-typed
void RegisterLedgerCommands(CLI::App& app, CommandContext& ctx);     // lt ledger ..., balance, transfer, deposit, withdraw, claim
void RegisterProviderCommands(CLI::App& app, CommandContext& ctx);   // lt provider serve, bench, status
void RegisterSessionCommands(CLI::App& app, CommandContext& ctx);    // lt session rfc, ticket, chat
void RegisterEngineBenchCommand(CLI::App& app, CommandContext& ctx);  // cmd_engine_bench.cc
void RegisterEngineCommands(CLI::App& app, CommandContext& ctx);     // lt generate, engine serve, model convert, bench engine
void RegisterRouterCommands(CLI::App& app, CommandContext& ctx);     // lt router serve, bench router
void RegisterClientCommands(CLI::App& app, CommandContext& ctx);     // lt client serve, chat, bench client
void RegisterDevnetCommands(CLI::App& app, CommandContext& ctx);     // lt devnet, devnet fund
void RegisterInitCommand(CLI::App& app, CommandContext& ctx);        // lt init (cmd_init.cc)
void RegisterModelsCommand(CLI::App& app, CommandContext& ctx);      // lt models (cmd_models.cc)
void RegisterAnalyticsCommands(CLI::App& app, CommandContext& ctx);  // lt report verify, sim market
void RegisterChainCommands(CLI::App& app, CommandContext& ctx);      // lt chain deploy, bench chain
void RegisterChainBench(CLI::App& app, CommandContext& ctx);         // lt bench chain (cmd_chain_bench.cc)

}  // namespace lt::cli

#endif  // LT_CLI_COMMANDS_H_
