// `lt devnet --chain anvil` as a person runs it: the whole network on the Compute Contract on an
// anvil child. devnet.json names the chain and the contract is the EIP-712 verifying contract;
// the showcase's sessions settle on-chain (the contract's statistics and settle_batch logs); the
// providers claim their earnings on-chain; `lt balance --chain devnet.json` shows the user's
// account exactly as the contract does; SIGINT stops everything, anvil included.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "chain/chain_world.h"
#include "support/ports.h"
#include "support/process.h"

namespace lt::chaintest {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

TEST(DevnetOnAnvil, TheShowcaseSettlesOnChainAndProvidersClaim) {
  if (evm::DefaultAnvilPath().empty()) GTEST_SKIP() << "anvil is not installed (make deps)";
  if (!evm::GetArtifact("ComputeContract").ok()) GTEST_SKIP() << "contracts not compiled (make deps)";
  std::string dir = test::TempDir("lt-devnet-chain") + "/net";
  test::LtProcess devnet({"devnet", "--chain", "anvil", "--datadir", dir, "--api-port",
                          std::to_string(test::FreePort()), "--exit-after", "120", "--day-seconds", "10"});
  ASSERT_TRUE(WaitForFile(dir + "/devnet.json", devnet, 300)) << devnet.Stdout() << devnet.Stderr();
  json net = json::parse(test::ReadFileOrEmpty(dir + "/devnet.json"));
  ASSERT_TRUE(net["chain"].is_object()) << net.dump(2);
  EXPECT_EQ(net["chain"]["kind"], "evm");
  EXPECT_EQ(net["chain"]["chain_id"], 31337);
  EXPECT_EQ(net["verifying_contract"], net["chain"]["contract"]);
  EXPECT_EQ(net["modes"]["providers_registered"], true) << net["modes"].dump();

  ASSERT_TRUE(WaitForFile(dir + "/showcase.json", devnet, 300)) << devnet.Stdout() << devnet.Stderr();
  json summary = json::parse(test::ReadFileOrEmpty(dir + "/showcase.json"));
  EXPECT_GE(summary["totals"]["sessions"].get<uint64_t>(), 1u) << summary.dump(2);

  // The chain itself, read through the deployment devnet.json names.
  ledger::EvmLedgerOptions o;
  auto deployment = evm::Deployment::FromJson(net["chain"]);
  ASSERT_TRUE(deployment.ok()) << deployment.error().message;
  o.deployment = *deployment;
  auto chain = ledger::EvmLedger::Connect(o);
  ASSERT_TRUE(chain.ok()) << chain.error().message;
  auto stats = (*chain)->GetStats();
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_GE(stats->sessions_settled, 1u);
  EXPECT_GE(stats->settle_batches, 1u);
  // Providers (or the builder) claimed on-chain.
  auto txs = (*chain)->GetTxs(0, 10000);
  ASSERT_TRUE(txs.ok()) << txs.error().message;
  size_t claims = 0, settles = 0;
  for (const auto& t : *txs) {
    claims += t.type == "claim";
    settles += t.type == "settle_batch";
  }
  EXPECT_GE(claims, 1u) << devnet.Stdout();
  EXPECT_GE(settles, 1u);
  for (const auto& p : net["providers"]) {
    auto a = (*chain)->GetAccount(*crypto::ParseAddress(p["address"].get<std::string>()));
    ASSERT_TRUE(a.ok());
    EXPECT_GT(a->provider_stake, U256()) << p.dump();  // registered with a stake on-chain
  }

  // The user's `lt balance --chain` is the contract's account view.
  const std::string user = net["user"]["address"].get<std::string>();
  auto bal = test::RunLt({"--json", "balance", "--chain", dir + "/devnet.json", "--address", user});
  ASSERT_EQ(bal.exit_code, 0) << bal.err;
  json shown = json::parse(bal.out);
  auto direct = (*chain)->contract().Account(*crypto::ParseAddress(user));
  ASSERT_TRUE(direct.ok()) << direct.error().message;
  EXPECT_EQ(shown["wallet"], direct->wallet.ToDecimal());
  EXPECT_EQ(shown["vault"], direct->vault.ToDecimal());
  EXPECT_EQ(shown["nonce"], direct->nonce);
  EXPECT_EQ(shown["allowance_total"], direct->allowance_total.ToDecimal());
  // The user paid for the showcase's sessions: from the daily allowance and/or the vault.
  auto token = (*chain)->contract().TokenBalance(*crypto::ParseAddress(user));
  ASSERT_TRUE(token.ok());
  EXPECT_LE(*token, direct->wallet);

  EXPECT_EQ(devnet.Stop(SIGINT, 60000), 0) << devnet.Stdout() << devnet.Stderr();
  // anvil went with the devnet.
  auto gone = evm::EthRpc::Connect(o.deployment.rpc);
  if (gone.ok()) EXPECT_FALSE((*gone)->ChainId().ok());
}

}  // namespace
}  // namespace lt::chaintest
