// Shared pieces of the `lt` command line: global options, exit codes, password input, output.
//
// Exit codes: 0 success, 1 an error (one clear line on stderr: "lt: error: ..."), 2 a usage
// error (unknown subcommand or flag; one line and the help to read, cli/usage.h). Under --json
// both are one JSON object on stderr. Commands return their exit code
// through CommandContext::exit_code. Nothing here ever prints a key or a password.
#ifndef LT_CLI_COMMON_H_
#define LT_CLI_COMMON_H_

#include <signal.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"

namespace lt::cli {

struct GlobalOptions {
  std::string datadir = "~/.laketravis";
  std::string log_level = "info";
  bool json = false;
  // The datadir with "~" expanded.
  std::string Datadir() const;
};

struct CommandContext {
  GlobalOptions global;
  int exit_code = 0;
};

// Prints "lt: error: <message>" to stderr and returns 1; under --json (SetJsonErrors) the line is
// {"error":{"code":"<ErrorCodeName>","message":"..."}} instead.
void SetJsonErrors(bool on);
int Fail(const Error& e);
int Fail(const std::string& message);

// Reads a password: the first line of `password_file` when given, otherwise asks on the
// terminal (twice when `confirm`). No terminal and no file is an error.
Result<SecretBytes> ReadPassword(const std::string& password_file, const std::string& prompt, bool confirm);

// Prints JSON (with --json) or the human text.
void PrintResult(const CommandContext& ctx, const nlohmann::json& j, const std::string& human);

// The shared `lt model` subcommand group (created on first use), so several cmd_*.cc files can
// add `lt model ...` subcommands.
CLI::App* ModelGroup(CLI::App& app);
// The same for `lt bench ...`.
CLI::App* BenchGroup(CLI::App& app);

// SIGINT and SIGTERM, blocked in the calling thread and so in every thread it starts afterwards,
// so that only a sigwait sees them. Call before any thread starts.
sigset_t BlockStopSignals();
// Runs `run` (a server's loop) on this thread; SIGINT or SIGTERM meanwhile calls `stop`, which
// must make `run` return. Returns once `run` has.
void ServeUntilStopSignal(const sigset_t& stop_signals, const std::function<void()>& run,
                          const std::function<void()>& stop);

// The p-quantile (0..1) of `v` by nearest rank (p = 0.5: the median); 0 when `v` is empty.
// For the `lt bench ...` commands.
double Percentile(std::vector<double> v, double p);

// The folder with the shipped stories260K.bin and tok512.bin: $LT_MODELS_DIR, else the one the
// build was configured with.
std::string DefaultModelsDir();

// Runs `fn` and turns its Result into an exit code in ctx (errors printed by Fail).
template <typename Fn>
void RunCommand(CommandContext& ctx, Fn&& fn) {
  Status s = fn();
  ctx.exit_code = s.ok() ? 0 : Fail(s.error());
}

}  // namespace lt::cli

#endif  // LT_CLI_COMMON_H_
