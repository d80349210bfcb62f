// ProviderConfig: provider.toml (doc/provider.md) parsed into a plain struct with defaults.
// Parsing is separate from use (STYLE practice 6): ParseProviderConfig only reads text and
// checks every value; relative paths are resolved against the config file's directory.
// Errors: kInvalidArgument naming the key ("model[1].price: ...") or the TOML line.
// Thread-safety: plain values and pure functions.
#ifndef LT_PROVIDER_CONFIG_H_
#define LT_PROVIDER_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::provider {

struct ModelConfig {
  std::string name;            // "namespace/name:tag" as users ask for it
  std::string path;            // model file (builtin): llama2.c checkpoint or GGUF
  std::string tokenizer;       // llama2.c tokenizer file (builtin, optional)
  Hash32 manifest{};           // bytes32 the tickets name; default: SHA-256 of the model file
  bool has_manifest = false;
  std::string backend = "builtin";  // builtin | openai
  std::string upstream;        // openai: base URL of the upstream server
  std::string upstream_model;  // openai: model name upstream (default: name)
  std::string api_key_file;    // openai: file with a bearer token (optional)
  U256 price_per_second;       // base units; written in MOR in the file ("0.0001")
  uint32_t min_seconds = 0;
  uint32_t slots = 1;
  int threads = 0;             // builtin: engine threads (0 = all cores)
  bool pull = false;           // no path: resolve name:tag on the ledger, pull (model_source.h)
  uint32_t tps = 0;            // tokens per second published in the offer (0: measured at start)
};

struct ProviderConfig {
  std::string keystore;        // V3 keystore of the provider's identity
  std::string password_file;   // first line is the keystore password
  std::string listen = "0.0.0.0:7070";        // sessions (TCP)
  std::string http_listen = "127.0.0.1:7071"; // ping, status
  std::string endpoint;        // public host:port of the session listener, as announced
  U256 stake;                  // MOR staked at registration (base units)
  std::string ledger;          // ledger URL (optional)
  std::vector<std::string> routers;           // router URLs (receipts go there)
  std::vector<std::string> peers;             // gateway URLs to pull models from (besides routers' holders)
  std::vector<crypto::Address> accepted_routers;  // ticket signers accepted (empty: none)
  bool accept_any_router = false;             // devnet only: any signer that names itself router
  bool accept_staked_routers = false;         // any router with a stake on the ledger (default: ledger set)
  uint64_t chain_id = 0;                      // EIP-712 domain; 0 = read from the ledger's /genesis
  crypto::Address verifying_contract;
  bool has_domain = false;
  uint32_t meter_interval_seconds = 10;
  uint32_t voucher_window_seconds = 0;        // 0 = two intervals
  uint32_t handshake_timeout_ms = 5000;
  uint32_t max_connections = 20000;
  uint32_t upstream_check_seconds = 5;  // how often the openai backends' servers are checked
  std::string receipts_spool;                 // default: <datadir>/receipts.jsonl
  uint32_t direct_settle_after_seconds = 60;  // spooled receipts then go straight to the ledger
  std::vector<ModelConfig> models;
};

// `base_dir` resolves relative paths (the directory of the config file).
Result<ProviderConfig> ParseProviderConfig(std::string_view toml, const std::string& base_dir);
Result<ProviderConfig> LoadProviderConfig(const std::string& path);

// SHA-256 of a file, streamed.
Result<Hash32> Sha256File(const std::string& path);

}  // namespace lt::provider

#endif  // LT_PROVIDER_CONFIG_H_
