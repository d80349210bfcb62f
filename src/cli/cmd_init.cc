// lt init: writes the user's settings to <datadir>/config.toml (doc/client.md "Settings") so
// that `lt chat`, `lt client serve` and `lt models` need no flags. With --devnet the ledger,
// routers and user key of a running `lt devnet`; without --keystore a new key is made in
// <datadir>/keys/user.json (password from --password-file or asked twice).
#include <filesystem>

#include "cli/commands.h"
#include "cli/user_config.h"
#include "crypto/keystore.h"
#include "util/fs.h"

namespace lt::cli {
namespace {

struct InitFlags {
  std::string ledger, keystore, password_file, devnet;
  std::vector<std::string> routers;
  bool force = false, light = false;
};

Status Init(const CommandContext& ctx, InitFlags f) {
  std::string datadir = ctx.global.Datadir();
  std::string path = datadir + "/config.toml";
  auto* fs = RealFileSystem::Default();
  if (fs->Exists(path) && !f.force) {
    return MakeError(ErrorCode::kAlreadyExists, path + " exists (give --force to replace it)");
  }
  if (!f.devnet.empty()) {
    LT_TRY(DevnetInfo d, ReadDevnetJson(f.devnet));
    if (f.ledger.empty()) f.ledger = d.ledger;
    if (f.routers.empty()) f.routers = d.routers;
    if (f.keystore.empty()) {
      f.keystore = d.keystore;
      f.password_file = d.password_file;
    }
  }
  if (f.ledger.empty() || f.routers.empty()) {
    return InvalidArgument("give --ledger URL and --router URL (repeat for more), or --devnet D/devnet.json");
  }
  std::string address;
  bool created = false;
  if (f.keystore.empty()) {
    f.keystore = datadir + "/keys/user.json";
    if (fs->Exists(f.keystore)) {
      return MakeError(ErrorCode::kAlreadyExists,
                       f.keystore + " exists: give it with --keystore (and --password-file) to use it");
    }
    LT_TRY(SecretBytes pw, ReadPassword(f.password_file, "Password for the new key: ", /*confirm=*/true));
    crypto::PrivateKey key = crypto::PrivateKey::Generate(*SecureRandom::Default());
    crypto::KdfParams params = f.light ? crypto::LightKdfParams() : crypto::KdfParams{};
    LT_TRY(std::string text, crypto::EncryptKeystore(key, pw.span(), params, *SecureRandom::Default()));
    std::error_code ec;
    std::filesystem::create_directories(datadir + "/keys", ec);
    LT_TRY_STATUS(crypto::SaveKeystoreFile(f.keystore, text));
    address = key.GetAddress().ToChecksumHex();
    created = true;
  } else {
    LT_TRY(std::string text, fs->ReadFile(f.keystore, 1 << 20));
    LT_TRY(crypto::Address a, crypto::KeystoreAddress(text));
    address = a.ToChecksumHex();
  }
  for (std::string* p : {&f.keystore, &f.password_file}) {
    if (!p->empty()) *p = std::filesystem::absolute(*p).string();
  }
  std::error_code ec;
  std::filesystem::create_directories(datadir, ec);
  LT_TRY_STATUS(fs->WriteFileAtomic(path, UserConfigToml({f.ledger, f.routers, f.keystore, f.password_file}), 0600));
  std::string human = "wrote " + path + " (user " + address + (created ? ", new key " + f.keystore : "") +
                      ")\nnext: 'lt models' lists the network's models; 'lt chat MODEL \"hello\"' chats";
  PrintResult(ctx,
              {{"config", path}, {"address", address}, {"keystore", f.keystore}, {"created_key", created},
               {"ledger", f.ledger}, {"routers", f.routers}},
              human);
  return OkStatus();
}

}  // namespace

void RegisterInitCommand(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<InitFlags>();
  auto* cmd = app.add_subcommand("init", "Save the network and your key to <datadir>/config.toml for lt chat, "
                                         "lt client serve and lt models");
  cmd->add_option("--ledger", f->ledger, "Ledger URL");
  cmd->add_option("--router", f->routers, "Router URL (repeat for failover)");
  cmd->add_option("--keystore", f->keystore, "Your keystore (default: a new key in <datadir>/keys/user.json)");
  cmd->add_option("--password-file", f->password_file, "File whose first line is the keystore password");
  cmd->add_option("--devnet", f->devnet, "devnet.json of a running 'lt devnet': its ledger, routers and user key");
  cmd->add_flag("--force", f->force, "Replace an existing config.toml");
  cmd->add_flag("--light", f->light, "A new key with a cheap KDF (tests and devnets only)");
  cmd->callback([&ctx, f] { RunCommand(ctx, [&] { return Init(ctx, *f); }); });
}

}  // namespace lt::cli
