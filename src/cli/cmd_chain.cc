// lt chain deploy: the Compute Contract on an EVM chain (doc/contracts.md "Deployment").
// lt bench chain is in cmd_chain_bench.cc.
#include <iostream>

#include "ledger/evm_ledger.h"
#include "cli/commands.h"
#include "crypto/keystore.h"
#include "evm/deploy.h"
#include "util/clock.h"
#include "util/fs.h"

namespace lt::cli {

namespace {

using nlohmann::json;

struct DeployOptions {
  std::string rpc = "http://127.0.0.1:8545";
  std::string keystore;
  std::string password_file;
  std::string token;
  std::string genesis;
  std::string out;
  uint64_t confirmations = 1;
};

Status Deploy(CommandContext& ctx, const DeployOptions& o) {
  LT_TRY(SecretBytes pw, ReadPassword(o.password_file, "Password for " + o.keystore + ": ", false));
  LT_TRY(crypto::PrivateKey key, crypto::LoadKeystoreFile(o.keystore, pw.span()));
  LT_TRY(auto rpc, evm::EthRpc::Connect(o.rpc));
  LT_TRY(uint64_t chain_id, rpc->ChainId());
  uint64_t now = SystemClock::Default()->NowSeconds();
  ledger::Genesis g;
  if (!o.genesis.empty()) {
    LT_TRY(std::string text, RealFileSystem::Default()->ReadFile(o.genesis, 16 << 20));
    LT_TRY(g, ledger::ParseGenesisText(text, now));
  } else if (o.token.empty()) {
    g = ledger::DevGenesis(86400, now, {});  // a devnet: pools of 1,000,000 and 100,000 MOR
    g.minter = key.GetAddress();
  } else {
    g = ledger::DevGenesis(86400, now, {});  // an existing token: no emissions, no pools
    g.compute_emission = {};
    g.community_emission = {};
    g.compute_pool = U256();
    g.community_pool = U256();
  }
  evm::DeployConfig config = ledger::DeployConfigFromGenesis(g);
  if (!o.token.empty()) {
    LT_TRY(crypto::Address t, crypto::ParseAddress(o.token));
    config.token = t;
  }
  evm::TxSender sender(rpc.get(), key, chain_id);
  evm::GasReport gas;
  LT_TRY(evm::Deployment d, evm::DeployComputeContract(sender, config, &gas));
  json j = d.ToJson();
  std::string out = o.out.empty() ? ctx.global.Datadir() + "/chain/deployment.json" : o.out;
  size_t slash = out.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    LT_TRY_STATUS(RealFileSystem::Default()->CreateDirs(out.substr(0, slash), 0700));
  }
  LT_TRY_STATUS(RealFileSystem::Default()->WriteFileAtomic(out, j.dump(2) + "\n"));
  uint64_t total = 0;
  for (const auto& [what, g_used] : gas) total += g_used;
  json full = j;
  full["file"] = out;
  full["gas"] = total;
  PrintResult(ctx, full,
              "Compute Contract " + d.contract.ToChecksumHex() + " on chain " + std::to_string(d.chain_id) +
                  " (token " + d.token.ToChecksumHex() + ", block " + std::to_string(d.block) + ", " +
                  std::to_string(total) + " gas); written to " + out);
  return OkStatus();
}

}  // namespace

void RegisterChainCommands(CLI::App& app, CommandContext& ctx) {
  auto* chain = app.add_subcommand("chain", "The Compute Contract on an EVM chain (doc/contracts.md)");
  chain->require_subcommand(1);
  auto* deploy = chain->add_subcommand(
      "deploy", "Deploy the token (unless --token) and the Compute Contract; write the deployment JSON");
  static DeployOptions o;
  deploy->add_option("--rpc", o.rpc, "Ethereum JSON-RPC URL")->capture_default_str();
  deploy->add_option("--keystore", o.keystore, "Keystore of the deployer (pays the gas)")->required();
  deploy->add_option("--password-file", o.password_file, "File whose first line is the password");
  deploy->add_option("--token", o.token, "An existing MOR ERC-20 (default: deploy a devnet MorToken)");
  deploy->add_option("--genesis", o.genesis,
                     "Genesis JSON (doc/ledger.md; chain_id and verifying_contract are not used)");
  deploy->add_option("--out", o.out, "Where to write the deployment JSON (default DATADIR/chain/deployment.json)");
  deploy->callback([&ctx] { RunCommand(ctx, [&]() -> Status { return Deploy(ctx, o); }); });
  RegisterChainBench(app, ctx);
}

}  // namespace lt::cli
