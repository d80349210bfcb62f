// The devnet plan: every port, account, path and config file of `lt devnet` (doc/devnet.md),
// computed before anything starts. Pure functions over plain values, so they are unit-tested.
// Thread-safety: values only. Errors: Result values (a busy --api-port, a missing model file).
#ifndef LT_DEVNET_PLAN_H_
#define LT_DEVNET_PLAN_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/result.h"

namespace lt::devnet {

inline constexpr const char* kModelName = "demo/stories";
inline constexpr const char* kModelTag = "260k";
inline constexpr const char* kModelRef = "demo/stories:260k";
inline constexpr uint64_t kChainId = 31337;
inline constexpr const char* kVerifyingContract = "0x000000000000000000000000000000000000a11c";

struct DevnetOptions {
  std::string datadir;        // D: everything the devnet writes lives here
  int api_port = 8080;        // the user's local OpenAI API
  uint64_t exit_after = 0;    // seconds to keep serving after the showcase; 0 = until Ctrl-C
  uint64_t day_seconds = 60;  // ledger day length
  std::string models_dir;     // holds stories260K.bin and tok512.bin
  bool showcase = true;
  std::string chain;          // "": the embedded ledger; "anvil": the Compute Contract on an anvil child
};

// One identity: a light V3 keystore and its password file under D/keys.
struct Account {
  std::string name;  // user, builder, router1, router2, provider1..3
  std::string role;  // user, builder, router, provider
  std::string keystore, password_file;
  std::string address;        // filled once the key exists
  std::string wallet, vault;  // genesis allocation in MOR
};

struct RouterPlan {
  std::string name;
  int port = 0;
  std::string datadir;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

struct ProviderPlan {
  std::string name;
  int session_port = 0, http_port = 0;
  std::string price;  // MOR per second
  int threads = 1;
  uint32_t slots = 4;
  uint32_t min_seconds = 5;
  std::string datadir, config;
  std::vector<std::string> peers;  // gateways it may pull the model from
  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(http_port); }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(session_port); }
};

struct Plan {
  DevnetOptions options;
  std::string model_file, tokenizer_file;
  std::string keys_dir, logs_dir, genesis_path, ledger_datadir, builder_datadir, client_datadir;
  std::string chain_path;  // --chain anvil: D/chain.json, the deployment every role reads (else "")
  int ledger_port = 0, gateway_port = 0;
  std::vector<RouterPlan> routers;      // 2
  std::vector<ProviderPlan> providers;  // 3, different prices and speeds
  std::vector<Account> accounts;        // user, builder, routers, providers

  std::string ledger_url() const { return "http://127.0.0.1:" + std::to_string(ledger_port); }
  std::string gateway_url() const { return "http://127.0.0.1:" + std::to_string(gateway_port); }
  std::string api_url() const { return "http://127.0.0.1:" + std::to_string(options.api_port); }
  const Account& account(const std::string& name) const;
  bool on_chain() const { return !chain_path.empty(); }
  // How a role command reaches the ledger: {"--chain", D/chain.json} on a chain, else
  // {"--ledger", URL}.
  std::vector<std::string> ledger_args() const {
    if (on_chain()) return {"--chain", chain_path};
    return {"--ledger", ledger_url()};
  }
};

// A port the kernel reports free on 127.0.0.1 now.
Result<int> PickFreePort();
// True when 127.0.0.1:port can be bound now.
bool PortFree(int port);

// Lays out D (ports from PickFreePort except the API port, which must be free).
Result<Plan> MakePlan(const DevnetOptions& options);
// The genesis: day_seconds from the options, the accounts' allocations, a minter (the user).
nlohmann::json GenesisJson(const Plan& plan);
// provider.toml for one provider. `pulled`: the [[model]] has no path (pulled through the
// registry from `peers`); else it names the model file directly (the fallback).
std::string ProviderToml(const Plan& plan, const ProviderPlan& p, bool pulled);

}  // namespace lt::devnet

#endif  // LT_DEVNET_PLAN_H_
