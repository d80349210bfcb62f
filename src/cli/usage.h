// Usage errors of `lt` (README "Global flags"): one line saying what was wrong — with the near
// match of a mistyped subcommand or flag ("did you mean 'pull'?") — and a second line naming the
// help to read ("run 'lt model --help' for usage"); exit code 2. Under --json the same as one JSON
// object on stderr: {"error":{"code":"usage","message":...,"hint":...}} (doc: README).
// Thread-safety: call from main only.
#ifndef LT_CLI_USAGE_H_
#define LT_CLI_USAGE_H_

#include <CLI/CLI.hpp>

namespace lt::cli {

// Prints the usage error for `e` raised while parsing `root`; returns 2.
int ReportUsageError(const CLI::App& root, const CLI::ParseError& e, bool json);

}  // namespace lt::cli

#endif  // LT_CLI_USAGE_H_
