// The user's saved network settings (doc/client.md "Settings"): where `lt chat`,
// `lt client serve` and `lt models` find the ledger, the routers and the user's key when the
// command line does not say.
//
// Sources, first wins per key: the command line; `--config FILE`; `--devnet devnet.json` (the
// ledger, the routers and the `user` account of a running `lt devnet`); `$datadir/config.toml`
// (only when neither --config nor --devnet is given; written by `lt init` or, for the devnet's
// user, by `lt devnet` in D/user); when that file does not exist either, the devnet of
// `$datadir/devnet/devnet.json` (where a plain `lt devnet` runs). config.toml is TOML (toml++), top-level keys named like the
// flags (`max-price` or `max_price`); a key a command does not take is skipped when another of
// these commands takes it (one file serves them all) and an error otherwise. Relative paths are
// relative to the file. Errors name the file and the key.
// Thread-safety: call from the command's thread.
#ifndef LT_CLI_USER_CONFIG_H_
#define LT_CLI_USER_CONFIG_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "util/result.h"

namespace lt::cli {

// What a devnet.json tells a user (doc/devnet.md).
struct DevnetInfo {
  std::string ledger;                // URL
  std::vector<std::string> routers;  // URLs
  std::string api;                   // the devnet's local OpenAI API ("" when none)
  std::string keystore, password_file;  // the `user` account (the devnet's minter)
  std::string user_address;
};
Result<DevnetInfo> ReadDevnetJson(const std::string& path);

// The settings `lt init` writes.
struct UserSettings {
  std::string ledger;
  std::vector<std::string> routers;
  std::string keystore, password_file;
};
// config.toml text for `s` (keys: ledger, router, keystore, password-file).
std::string UserConfigToml(const UserSettings& s);

// Adds --config and --devnet to `cmd` (storing into the given strings).
void AddConfigFlags(CLI::App* cmd, std::string* config, std::string* devnet);

// Fills the options of `cmd` that the command line did not set, from the sources above.
Status ApplyUserConfig(CLI::App* cmd, const std::string& datadir, const std::string& config,
                       const std::string& devnet);

// The one line said when no ledger is known: what to run.
std::string NoNetworkHint(const std::string& datadir);

}  // namespace lt::cli

#endif  // LT_CLI_USER_CONFIG_H_
