#include "cli/user_config.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "provider/toml.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

namespace lt::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Every key config.toml may hold (the flags of lt chat, lt client serve and lt models), and the
// ones that name files (resolved against the file's folder).
const std::set<std::string>& KnownKeys() {
  static const std::set<std::string> k = {
      "ledger", "router", "keystore", "password-file", "max-price", "max-latency-ms", "min-tps", "want-seconds",
      "idle-seconds", "request-timeout-seconds", "first-token-timeout-seconds", "bip39-wordlist", "listen",
      "allow-origin", "api-key", "api-key-file", "max-tokens", "temperature", "seed"};
  return k;
}
bool IsPathKey(const std::string& k) {
  return k == "keystore" || k == "password-file" || k == "bip39-wordlist" || k == "api-key-file";
}

std::string Scalar(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

// Sets `name` on cmd unless the command line (or an earlier source) did.
Status Set(CLI::App* cmd, const std::string& name, std::vector<std::string> values, const std::string& where) {
  CLI::Option* opt = cmd->get_option_no_throw("--" + name);
  if (opt == nullptr) {
    if (KnownKeys().count(name)) return OkStatus();  // a key of a sibling command
    return InvalidArgument(where + ": unknown key '" + name + "'");
  }
  if (opt->count() > 0 || values.empty()) return OkStatus();
  try {
    opt->add_result(values);
    opt->run_callback();
  } catch (const std::exception& e) {
    return InvalidArgument(where + ": key '" + name + "': " + e.what());
  }
  return OkStatus();
}

Status ApplyToml(CLI::App* cmd, const std::string& path) {
  auto text = RealFileSystem::Default()->ReadFile(path, 1 << 20);
  if (!text.ok()) return text.error().Wrap("config " + path);
  auto root = provider::ParseToml(*text);
  if (!root.ok()) return root.error().Wrap("config " + path);
  std::string base = fs::path(path).parent_path().string();
  for (const auto& item : root->items()) {
    std::string name = item.key();
    std::replace(name.begin(), name.end(), '_', '-');
    if (name == "config" || name == "devnet")
      return InvalidArgument("config " + path + ": a config file cannot name another ('" + item.key() + "')");
    if (!KnownKeys().count(name) && cmd->get_option_no_throw("--" + name) == nullptr)
      return InvalidArgument("config " + path + ": unknown key '" + item.key() + "'");
    const json& v = item.value();
    if (v.is_object()) return InvalidArgument("config " + path + ": key '" + item.key() + "' is a table");
    std::vector<std::string> values;
    if (v.is_array()) {
      for (const auto& e : v) values.push_back(Scalar(e));
    } else {
      values.push_back(Scalar(v));
    }
    if (IsPathKey(name)) {
      for (auto& p : values) {
        if (!p.empty() && p[0] != '/' && p[0] != '~') p = (fs::path(base.empty() ? "." : base) / p).string();
        p = ExpandHome(p);
      }
    }
    LT_TRY_STATUS(Set(cmd, name, values, "config " + path));
  }
  return OkStatus();
}

Status ApplyDevnet(CLI::App* cmd, const std::string& path) {
  LT_TRY(DevnetInfo d, ReadDevnetJson(path));
  std::string where = "devnet " + path;
  LT_TRY_STATUS(Set(cmd, "ledger", {d.ledger}, where));
  LT_TRY_STATUS(Set(cmd, "router", d.routers, where));
  LT_TRY_STATUS(Set(cmd, "keystore", {d.keystore}, where));
  LT_TRY_STATUS(Set(cmd, "password-file", {d.password_file}, where));
  return OkStatus();
}

std::string TomlString(const std::string& s) { return json(s).dump(); }  // JSON strings are TOML basic strings

}  // namespace

Result<DevnetInfo> ReadDevnetJson(const std::string& path) {
  auto text = RealFileSystem::Default()->ReadFile(path, 1 << 20);
  if (!text.ok()) {
    return text.error().Wrap("devnet " + path + " (a running 'lt devnet' writes it in its --datadir)");
  }
  DevnetInfo d;
  try {
    json j = json::parse(*text);
    d.ledger = j.at("ledger").at("url").get<std::string>();
    for (const auto& r : j.at("routers")) d.routers.push_back(r.at("url").get<std::string>());
    const json& user = j.at("user");
    if (user.contains("api") && user["api"].is_string()) d.api = user["api"].get<std::string>();
    for (const auto& a : j.at("accounts")) {
      if (a.at("name") == "user") {
        d.keystore = a.at("keystore").get<std::string>();
        d.password_file = a.at("password_file").get<std::string>();
        d.user_address = a.at("address").get<std::string>();
      }
    }
  } catch (const std::exception& e) {
    return InvalidArgument("devnet " + path + ": not a devnet.json (" + e.what() + ")");
  }
  if (d.keystore.empty()) return InvalidArgument("devnet " + path + ": no 'user' account");
  return d;
}

std::string UserConfigToml(const UserSettings& s) {
  std::string out = "# Lake Travis user settings (doc/client.md \"Settings\"); command-line flags win.\n";
  out += "ledger = " + TomlString(s.ledger) + "\n";
  out += "router = [";
  for (size_t i = 0; i < s.routers.size(); ++i) out += (i ? ", " : "") + TomlString(s.routers[i]);
  out += "]\n";
  out += "keystore = " + TomlString(s.keystore) + "\n";
  if (!s.password_file.empty()) out += "password-file = " + TomlString(s.password_file) + "\n";
  return out;
}

void AddConfigFlags(CLI::App* cmd, std::string* config, std::string* devnet) {
  cmd->add_option("--config", *config,
                  "TOML file with these flags as keys (default: <datadir>/config.toml from 'lt init'); flags win");
  cmd->add_option("--devnet", *devnet, "devnet.json of a running 'lt devnet': its ledger, routers and user key");
}

Status ApplyUserConfig(CLI::App* cmd, const std::string& datadir, const std::string& config,
                       const std::string& devnet) {
  if (!config.empty()) LT_TRY_STATUS(ApplyToml(cmd, config));
  if (!devnet.empty()) LT_TRY_STATUS(ApplyDevnet(cmd, devnet));
  if (config.empty() && devnet.empty()) {
    std::string saved = datadir + "/config.toml";
    std::string local_devnet = datadir + "/devnet/devnet.json";  // where a plain `lt devnet` writes it
    if (fs::exists(saved)) {
      LT_TRY_STATUS(ApplyToml(cmd, saved));
    } else if (fs::exists(local_devnet)) {
      LT_INFO("no " << saved << ": using the devnet of " << local_devnet);
      LT_TRY_STATUS(ApplyDevnet(cmd, local_devnet));
    }
  }
  return OkStatus();
}

std::string NoNetworkHint(const std::string& datadir) {
  return "no network configured (no --ledger, no " + datadir + "/config.toml, no " + datadir +
         "/devnet/devnet.json): run 'lt devnet' in another terminal, or 'lt init --ledger URL --router URL --keystore FILE', or give --devnet "
         "D/devnet.json of a running 'lt devnet'";
}

}  // namespace lt::cli
