// `--chain FILE` for every command that takes `--ledger URL` (doc/contracts.md "Using a chain"):
// FILE is a deployment record (`lt chain deploy`: {"rpc","chain_id","contract","token","block"})
// or a devnet.json whose "chain" object holds the same keys (and "kind": "evm").
// OpenLedger() gives the command a ledger::Ledger: the EvmLedger over the chain when a chain file
// is given (its relayer, when any, pays the gas: the command's own key), else RemoteLedger at
// the URL. LocalLedgerBridge serves a Ledger's HTTP API on 127.0.0.1 (a kernel-chosen port) inside
// the process, for the components that are configured by a ledger URL (provider, client,
// registry): with `--chain` they talk to the chain through it.
// Thread-safety: OpenLedger is a function; a bridge serves from its own threads until destroyed.
#ifndef LT_CLI_CHAIN_LEDGER_H_
#define LT_CLI_CHAIN_LEDGER_H_

#include <memory>
#include <optional>
#include <string>

#include "evm/deploy.h"
#include "ledger/evm_ledger.h"
#include "ledger/server.h"

namespace lt::cli {

// Reads a deployment file or a devnet.json with a "chain" object.
Result<evm::Deployment> LoadChainFile(const std::string& path);

// The ledger of a command: the chain when `chain_file` is set, else the HTTP API at `url`.
Result<std::unique_ptr<ledger::Ledger>> OpenLedger(const std::string& url, const std::string& chain_file,
                                                   std::optional<crypto::PrivateKey> relayer = std::nullopt);

class LocalLedgerBridge {
 public:
  static Result<std::unique_ptr<LocalLedgerBridge>> Start(std::unique_ptr<ledger::Ledger> ledger);
  ~LocalLedgerBridge();
  const std::string& url() const { return url_; }

 private:
  LocalLedgerBridge() = default;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<ledger::LedgerServer> server_;
  std::string url_;
};

// `url` unchanged without a chain file; else the URL of a bridge started (and kept in `bridge`)
// over the chain's EvmLedger with `relayer`.
Result<std::string> LedgerUrlFor(const std::string& url, const std::string& chain_file,
                                 std::optional<crypto::PrivateKey> relayer,
                                 std::unique_ptr<LocalLedgerBridge>* bridge);

}  // namespace lt::cli

#endif  // LT_CLI_CHAIN_LEDGER_H_
