#include "cli/chain_ledger.h"

#include "ledger/client.h"
#include "util/fs.h"
#include "util/json.h"

namespace lt::cli {

using nlohmann::json;

Result<evm::Deployment> LoadChainFile(const std::string& path) {
  LT_TRY(std::string text, RealFileSystem::Default()->ReadFile(path, 1 << 20));
  LT_TRY(json j, ParseJsonChecked(text, path));
  if (j.is_object() && j.contains("chain")) {
    const json& c = j["chain"];
    if (!c.is_object()) return InvalidArgument(path + ": \"chain\" must be an object");
    if (c.value("kind", std::string("evm")) != "evm") {
      return InvalidArgument(path + ": chain kind \"" + c.value("kind", std::string()) + "\" is not supported (evm)");
    }
    json d = c;
    if (!d.contains("block")) d["block"] = 0;
    auto r = evm::Deployment::FromJson(d);
    if (!r.ok()) return r.error().Wrap(path);
    return r;
  }
  auto r = evm::Deployment::FromJson(j);
  if (!r.ok()) return r.error().Wrap(path + " (a deployment file of lt chain deploy, or a devnet.json with \"chain\")");
  return r;
}

Result<std::unique_ptr<ledger::Ledger>> OpenLedger(const std::string& url, const std::string& chain_file,
                                                   std::optional<crypto::PrivateKey> relayer) {
  if (chain_file.empty()) {
    auto r = ledger::RemoteLedger::Connect(url);
    if (!r.ok()) return r.error().Wrap("ledger " + url);
    return std::unique_ptr<ledger::Ledger>(std::move(*r));
  }
  ledger::EvmLedgerOptions o;
  LT_TRY(o.deployment, LoadChainFile(chain_file));
  o.relayer = std::move(relayer);
  auto l = ledger::EvmLedger::Connect(o);
  if (!l.ok()) return l.error().Wrap("chain " + o.deployment.rpc);
  return std::unique_ptr<ledger::Ledger>(std::move(*l));
}

Result<std::unique_ptr<LocalLedgerBridge>> LocalLedgerBridge::Start(std::unique_ptr<ledger::Ledger> ledger) {
  std::unique_ptr<LocalLedgerBridge> b(new LocalLedgerBridge());
  b->ledger_ = std::move(ledger);
  ledger::LedgerServerOptions so;
  so.tick_ms = 0;  // the chain closes its days; the ledger server (or any writer) sends closeDays
  b->server_ = std::make_unique<ledger::LedgerServer>(*b->ledger_, so);
  LT_TRY(int port, b->server_->Listen("127.0.0.1", 0));
  b->server_->Start();
  b->url_ = "http://127.0.0.1:" + std::to_string(port);
  return b;
}

LocalLedgerBridge::~LocalLedgerBridge() {
  if (server_) server_->Stop();
}

Result<std::string> LedgerUrlFor(const std::string& url, const std::string& chain_file,
                                 std::optional<crypto::PrivateKey> relayer,
                                 std::unique_ptr<LocalLedgerBridge>* bridge) {
  if (chain_file.empty()) return url;
  LT_TRY(auto l, OpenLedger(url, chain_file, std::move(relayer)));
  LT_TRY(*bridge, LocalLedgerBridge::Start(std::move(l)));
  return (*bridge)->url();
}

}  // namespace lt::cli
