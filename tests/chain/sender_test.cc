// TxSender against anvil: a transaction that is not mined in time is sent again with the same
// nonce and higher fees (and the replacement is what gets mined); a nonce used meanwhile by
// another sender of the same key is recovered from; a call that would revert is refused before
// anything is sent, with its decoded reason; confirmations wait for blocks.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "evm/anvil.h"
#include "evm/artifacts.h"
#include "evm/deploy.h"
#include "evm/sender.h"

namespace lt::evm {
namespace {

class SenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = AnvilNode::Start();
    if (!a.ok()) GTEST_SKIP() << a.error().message;
    anvil_ = std::move(*a);
    key_ = *crypto::PrivateKey::FromHex(AnvilNode::kDevKeyHex);
  }
  Status Automine(bool on) {
    auto r = anvil_->rpc().Request("evm_setAutomine", nlohmann::json::array({on}));
    if (!r.ok()) return r.error();
    return OkStatus();
  }
  std::unique_ptr<AnvilNode> anvil_;
  std::optional<crypto::PrivateKey> key_;
};

TEST_F(SenderTest, AnUnminedTransactionIsReplacedWithHigherFees) {
  TxSender sender(&anvil_->rpc(), *key_, 31337);
  ASSERT_TRUE(Automine(false).ok());
  // Mine only after the first attempt has timed out.
  std::atomic<bool> stop{false};
  std::thread miner([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    while (!stop) {
      (void)anvil_->Mine();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  SendOptions o;
  o.gas_limit = 21000;
  o.receipt_timeout_ms = 400;
  o.max_attempts = 4;
  crypto::Address to = crypto::PrivateKey::FromHex("0x" + std::string(63, '0') + "7")->GetAddress();
  auto first_fee = anvil_->rpc().Block("latest")->base_fee;
  auto r = sender.Send(to, {}, U256(12345), o);
  stop = true;
  miner.join();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->receipt.has_value());
  EXPECT_TRUE(r->receipt->success);
  EXPECT_EQ(*anvil_->rpc().Balance(to), U256(12345));  // exactly once
  // The mined version paid more than the first would have offered as a tip.
  EXPECT_GT(r->receipt->effective_gas_price, first_fee);
  // The first version (same nonce) was replaced: the next send uses the next nonce.
  ASSERT_TRUE(Automine(true).ok());
  auto again = sender.Send(to, {}, U256(1), o);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*anvil_->rpc().Balance(to), U256(12346));
}

TEST_F(SenderTest, ANonceUsedElsewhereIsRecovered) {
  TxSender a(&anvil_->rpc(), *key_, 31337);
  TxSender b(&anvil_->rpc(), *key_, 31337);
  crypto::Address to = crypto::PrivateKey::FromHex("0x" + std::string(63, '0') + "8")->GetAddress();
  ASSERT_TRUE(a.Send(to, {}, U256(1)).ok());  // a learns nonce n+1
  ASSERT_TRUE(b.Send(to, {}, U256(1)).ok());  // b uses n+1 behind a's back
  auto r = a.Send(to, {}, U256(1));          // a's n+1 is too low now
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*anvil_->rpc().Balance(to), U256(3));
}

TEST_F(SenderTest, ARevertingCallIsRefusedBeforeSendingAndConfirmationsWait) {
  if (!GetArtifact("MorToken").ok()) GTEST_SKIP() << "contracts not compiled";
  TxSender sender(&anvil_->rpc(), *key_, 31337);
  auto token = DeployArtifact(sender, "MorToken");
  ASSERT_TRUE(token.ok()) << token.error().message;
  uint64_t nonce = *anvil_->rpc().TransactionCount(sender.address());
  // setOperator(0) reverts ZeroAddress: refused at estimation, no transaction, no nonce used.
  const Artifact* mor = *GetArtifact("MorToken");
  Bytes data = *mor->abi.EncodeCall("setOperator", {AbiValue::Addr(crypto::Address{})});
  auto r = sender.Send(*token, data);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->reverted);
  EXPECT_FALSE(r->receipt.has_value());
  EXPECT_EQ(mor->abi.DecodeRevert(r->revert_data).name, "ZeroAddress");
  EXPECT_EQ(*anvil_->rpc().TransactionCount(sender.address()), nonce);
  // Two confirmations: the send returns once another block is on top of the transaction's.
  std::atomic<bool> stop{false};
  std::thread miner([&] {
    while (!stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
      (void)anvil_->Mine();
    }
  });
  SendOptions o;
  o.confirmations = 2;
  auto c = sender.Send(*token, *mor->abi.EncodeCall("approve", {AbiValue::Addr(sender.address()), AbiValue::Uint(5)}),
                       U256(), o);
  stop = true;
  miner.join();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_GE(*anvil_->rpc().BlockNumber(), c->receipt->block_number + 1);
}

}  // namespace
}  // namespace lt::evm
