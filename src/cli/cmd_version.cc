// lt version: the program version and what it was built with.
#include <secp256k1.h>
#include <sqlite3.h>

#include <openssl/opensslv.h>

#include "cli/commands.h"

namespace lt::cli {

void RegisterVersionCommands(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand("version", "Print the version of lt and of its libraries");
  cmd->callback([&ctx] {
    nlohmann::json j = {{"lt", LT_VERSION}, {"openssl", OPENSSL_VERSION_TEXT}, {"sqlite", sqlite3_libversion()}};
    PrintResult(ctx, j, std::string("lt ") + LT_VERSION + " (" + OPENSSL_VERSION_TEXT + ", SQLite " +
                            sqlite3_libversion() + ")");
  });
}

}  // namespace lt::cli
