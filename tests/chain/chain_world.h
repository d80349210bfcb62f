// The world of the chain tests: one anvil per test binary (started by the first test, stopped at
// the end), and per test a fresh MorToken + ComputeContract deployed with the ledger conformance
// suite's genesis (src/ledger/ledger_conformance_test.cc: alice vault 300, bob 100 + 600, router
// 990, provider 10; pools 100,000 and 10,000; days of 1,000 s; minimum router stake 100). Each
// test starts at the beginning of a day; every transaction is mined one second after the last.
// After every transaction the money invariant is checked on the chain: the token balance the
// contract holds equals vaults + pending withdrawals + claimable + pools + router and provider
// stakes, and the token's supply equals all of that plus the wallets.
// Skipped (not failed) when anvil or the compiled contracts are missing (make deps).
#ifndef LT_TESTS_CHAIN_CHAIN_WORLD_H_
#define LT_TESTS_CHAIN_CHAIN_WORLD_H_

#include <gtest/gtest.h>

#include <memory>

#include "ledger/evm_ledger.h"
#include "evm/anvil.h"
#include "evm/deploy.h"
#include "ledger/test_fixture.h"

namespace lt::chaintest {

using ledger::ToChain;
inline Result<evm::ChainTxResult> Submit(evm::ComputeContractClient& c, const ledger::SignedTx& stx) {
  return ledger::RelayToContract(c, stx);
}
using ledger::testing::Mor;
using ledger::testing::TestKey;

class ChainWorld : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (anvil_) return;
    auto a = evm::AnvilNode::Start();
    if (!a.ok()) {
      skip_reason_ = a.error().message;
      return;
    }
    anvil_ = std::move(*a);
  }
  static void TearDownTestSuite() {}

  void SetUp() override {
    if (!anvil_) GTEST_SKIP() << skip_reason_;
    if (!evm::GetArtifact("ComputeContract").ok()) GTEST_SKIP() << "contracts not compiled (make deps)";
    relayer_ = std::make_unique<evm::TxSender>(&anvil_->rpc(), *crypto::PrivateKey::FromHex(evm::AnvilNode::kDevKeyHex),
                                               31337);
    auto head = anvil_->rpc().Block("latest");
    ASSERT_TRUE(head.ok()) << head.error().message;
    day_seconds_ = 1000;
    now_ = (head->timestamp / day_seconds_ + 1) * day_seconds_;
    genesis_ = ledger::DevGenesis(day_seconds_, now_,
                                  {{alice_.GetAddress(), U256(), Mor("300")},
                                   {bob_.GetAddress(), Mor("100"), Mor("600")},
                                   {router_.GetAddress(), Mor("990"), U256()},
                                   {provider_.GetAddress(), Mor("10"), U256()}});
    genesis_.compute_pool = Mor("100000");
    genesis_.community_pool = Mor("10000");
    genesis_.params.min_router_stake = Mor("100");
    CustomizeGenesis(genesis_);
    evm::DeployConfig config = ledger::DeployConfigFromGenesis(genesis_);
    config.token_contract = token_contract_;
    ASSERT_TRUE(anvil_->SetNextBlockTimestamp(++now_).ok());
    auto d = evm::DeployComputeContract(*relayer_, config, &deploy_gas_);
    ASSERT_TRUE(d.ok()) << d.error().message;
    deployment_ = *d;
    auto head2 = anvil_->rpc().Block("latest");
    now_ = head2->timestamp;
    auto c = evm::ComputeContractClient::Create(&anvil_->rpc(), deployment_.contract, relayer_.get());
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::make_unique<evm::ComputeContractClient>(std::move(*c));
    domain_ = ledger::LedgerDomain::Make(31337, deployment_.contract);
    accounts_ = {alice_.GetAddress(),  bob_.GetAddress(),     router_.GetAddress(), provider_.GetAddress(),
                 builder_.GetAddress(), carol_.GetAddress(),  builder2_.GetAddress()};
  }

  virtual void CustomizeGenesis(ledger::Genesis&) {}

  // The next block one second after the last one.
  void Tick() { ASSERT_TRUE(anvil_->SetNextBlockTimestamp(++now_).ok()); }

  // Signs tx as `key` (with its next nonce unless `keep_nonce`) and relays it.
  Result<evm::ChainTxResult> Send(const crypto::PrivateKey& key, ledger::Tx tx, bool keep_nonce = false) {
    if (!keep_nonce) {
      auto a = client_->Account(key.GetAddress());
      if (!a.ok()) return a.error();
      tx.nonce = a->nonce;
    }
    return SendSigned(ledger::SignTx(std::move(tx), key, domain_));
  }
  Result<evm::ChainTxResult> SendSigned(const ledger::SignedTx& stx) {
    Tick();
    auto r = Submit(*client_, stx);
    CheckInvariant();
    return r;
  }
  void MustSend(const crypto::PrivateKey& key, ledger::Tx tx) {
    auto r = Send(key, std::move(tx));
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  ledger::Tx Simple(ledger::TxType type, U256 amount = U256()) {
    ledger::Tx t;
    t.type = type;
    t.amount = amount;
    return t;
  }
  evm::ChainAccount Acct(const crypto::PrivateKey& k) { return *client_->Account(k.GetAddress()); }
  evm::ChainDay Day() { return *client_->Day(); }

  // builder registers acme/llama (fee_bps) tagged latest -> manifest_; router stakes 500.
  void SetUpMarket(uint32_t fee_bps = 1500) {
    ledger::Tx reg;
    reg.type = ledger::TxType::kRegisterModel;
    reg.name = "acme/llama";
    reg.kind = "model";
    reg.builder_fee_bps = fee_bps;
    MustSend(builder_, reg);
    ledger::Tx tag;
    tag.type = ledger::TxType::kSetTag;
    tag.name = "acme/llama";
    tag.tag = "latest";
    manifest_[0] = 0xab;
    tag.manifest = manifest_;
    MustSend(builder_, tag);
    MustSend(router_, Simple(ledger::TxType::kStakeRouter, Mor("500")));
  }
  Result<evm::ChainTxResult> Settle(std::vector<ledger::Receipt> receipts, const crypto::PrivateKey* sender = nullptr) {
    ledger::Tx t;
    t.type = ledger::TxType::kSettleBatch;
    t.receipts = std::move(receipts);
    return Send(sender ? *sender : router_, std::move(t));
  }
  ledger::Receipt R(const crypto::PrivateKey& user, uint32_t seconds, uint8_t session, U256 price = Mor("1"),
                    uint32_t min_s = 0, uint32_t max_s = 100000) {
    return ledger::testing::MakeReceipt(domain_, router_, user, provider_.GetAddress(), manifest_, price, min_s, max_s,
                                        seconds, session);
  }
  // Moves to the next day and closes it (anyone may).
  void NextDay() {
    now_ = (now_ / day_seconds_ + 1) * day_seconds_;
    Tick();
    auto r = client_->CloseDays();
    ASSERT_TRUE(r.ok()) << r.error().message;
    CheckInvariant();
  }

  // The money invariant on the chain (see the file comment).
  void CheckInvariant() {
    auto token = client_->Token();
    ASSERT_TRUE(token.ok());
    auto held = client_->TokenBalance(deployment_.contract);
    ASSERT_TRUE(held.ok());
    evm::ChainDay d = Day();
    U256 inside = *d.compute_pool.CheckedAdd(d.community_pool);
    U256 wallets;
    for (const auto& a : accounts_) {
      auto v = client_->Account(a);
      ASSERT_TRUE(v.ok());
      U256 balance = *client_->TokenBalance(a);
      U256 matured = *v->wallet.CheckedSub(balance);  // withdrawals matured, not yet paid out
      inside = *inside.CheckedAdd(v->vault)
                    .value()
                    .CheckedAdd(v->pending_withdrawal)
                    .value()
                    .CheckedAdd(matured)
                    .value()
                    .CheckedAdd(v->claimable)
                    .value()
                    .CheckedAdd(v->router_stake)
                    .value()
                    .CheckedAdd(v->provider_stake);
      wallets = *wallets.CheckedAdd(balance);
    }
    EXPECT_EQ(*held, inside) << "token balance of the contract != vaults + pending + claimable + pools + stakes";
    EXPECT_EQ(d.total_supply, *wallets.CheckedAdd(*held)) << "supply != wallets + what the contract holds";
  }

  static inline std::unique_ptr<evm::AnvilNode> anvil_;
  static inline std::string skip_reason_;
  std::unique_ptr<evm::TxSender> relayer_;
  std::unique_ptr<evm::ComputeContractClient> client_;
  evm::Deployment deployment_;
  evm::GasReport deploy_gas_;
  ledger::LedgerDomain domain_;
  ledger::Genesis genesis_;
  std::string token_contract_ = "MorToken";
  uint64_t day_seconds_ = 1000;
  uint64_t now_ = 0;
  std::vector<crypto::Address> accounts_;
  crypto::PrivateKey alice_ = TestKey(1), bob_ = TestKey(2), router_ = TestKey(3), provider_ = TestKey(4),
                     builder_ = TestKey(5), carol_ = TestKey(6), builder2_ = TestKey(7);
  Hash32 manifest_{};
};

}  // namespace lt::chaintest

#endif  // LT_TESTS_CHAIN_CHAIN_WORLD_H_
