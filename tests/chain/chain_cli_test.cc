// `lt chain deploy` and `lt bench chain` as a person runs them, against an anvil the test starts:
// the deployment file names a live contract; --token deploys over an existing ERC-20 (no minting);
// the benchmark's JSON has the gas per settled session at each batch size.
#include <nlohmann/json.hpp>

#include "chain/chain_world.h"
#include "support/process.h"

namespace lt::chaintest {
namespace {

using nlohmann::json;

class ChainCliTest : public ChainWorld {
 protected:
  // A fresh keystore with ETH for gas on the test's anvil.
  std::string Keystore(const std::string& dir, crypto::Address* address) {
    std::string pw = dir + "/pw";
    test::WriteFile(pw, "chain\n");
    std::string ks = dir + "/deployer.json";
    auto made = test::RunLt({"--json", "key", "new", "--keystore", ks, "--password-file", pw, "--light"});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    *address = *crypto::ParseAddress(json::parse(made.out)["address"].get<std::string>());
    EXPECT_TRUE(anvil_->SetBalance(*address, *OneMor().CheckedMul(U256(100))).ok());
    return ks;
  }
};

TEST_F(ChainCliTest, DeployWritesALiveDeployment) {
  std::string dir = test::TempDir("lt-chain-cli");
  crypto::Address deployer;
  std::string ks = Keystore(dir, &deployer);
  auto r = test::RunLt({"--json", "chain", "deploy", "--rpc", anvil_->url(), "--keystore", ks, "--password-file",
                        dir + "/pw", "--out", dir + "/deployment.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json d = json::parse(test::ReadFileOrEmpty(dir + "/deployment.json"));
  EXPECT_EQ(d["rpc"], anvil_->url());
  EXPECT_EQ(d["chain_id"], 31337);
  EXPECT_GT(d["block"].get<uint64_t>(), 0u);
  auto contract = *crypto::ParseAddress(d["contract"].get<std::string>());
  auto c = *evm::ComputeContractClient::Create(&anvil_->rpc(), contract, nullptr);
  auto day = c.Day();
  ASSERT_TRUE(day.ok()) << day.error().message;
  EXPECT_TRUE(day->live);
  EXPECT_EQ(day->compute_pool, Mor("1000000"));
  auto p = *c.Params();
  EXPECT_EQ(p.token.ToChecksumHex(), d["token"].get<std::string>());
  EXPECT_TRUE(p.mintable);
  EXPECT_EQ(p.minter, deployer);  // devnet default: the deployer may mint
  // A bad RPC URL and a missing keystore fail with one clear line.
  auto bad = test::RunLt({"chain", "deploy", "--rpc", "http://127.0.0.1:1", "--keystore", ks, "--password-file",
                          dir + "/pw", "--out", dir + "/x.json"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("lt: error:"), std::string::npos) << bad.err;
}

TEST_F(ChainCliTest, DeployOverAnExistingTokenMintsNothing) {
  std::string dir = test::TempDir("lt-chain-cli");
  crypto::Address deployer;
  std::string ks = Keystore(dir, &deployer);
  auto token = evm::DeployArtifact(*relayer_, "MorToken");
  ASSERT_TRUE(token.ok()) << token.error().message;
  auto r = test::RunLt({"--json", "chain", "deploy", "--rpc", anvil_->url(), "--keystore", ks, "--password-file",
                        dir + "/pw", "--token", token->ToChecksumHex(), "--out", dir + "/deployment.json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json d = json::parse(test::ReadFileOrEmpty(dir + "/deployment.json"));
  EXPECT_EQ(d["token"], token->ToChecksumHex());
  auto c = *evm::ComputeContractClient::Create(&anvil_->rpc(), *crypto::ParseAddress(d["contract"].get<std::string>()),
                                               nullptr);
  EXPECT_FALSE(c.Params()->mintable);
  EXPECT_EQ(c.Day()->compute_pool, U256());
}

TEST_F(ChainCliTest, BenchChainReportsGasPerSettledSession) {
  auto r = test::RunLt({"--json", "bench", "chain", "--batches", "1,10"}, "", 300000);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  ASSERT_TRUE(j["gas_per_settled_session"].contains("1"));
  ASSERT_TRUE(j["gas_per_settled_session"].contains("10"));
  uint64_t one = j["gas_per_settled_session"]["1"], ten = j["gas_per_settled_session"]["10"];
  EXPECT_LT(ten, one);  // batching amortizes the transaction's fixed costs
  EXPECT_EQ(j["transactions_to_open_a_session"], 0);
  EXPECT_EQ(j["morpheus_gas_per_repeat_session"], 783825);
  EXPECT_TRUE(j["one_time_transactions"].contains("claim (provider)"));
  EXPECT_TRUE(j["where_the_gas_goes_at_batch_100"].contains("per_settled_session"));
}

}  // namespace
}  // namespace lt::chaintest
