// The Compute Contract on anvil, through ComputeContractClient: every worked example of
// doc/ledger.md, with the numbers of the ledger conformance suite (src/ledger/
// ledger_conformance_test.cc), so the contract is held to the embedded ledger's results.
#include "chain/chain_world.h"
#include "crypto/eip712.h"
#include "crypto/keccak.h"

namespace lt::chaintest {
namespace {

using ledger::TxType;

class ComputeContractTest : public ChainWorld {};

TEST_F(ComputeContractTest, AllowanceIsProRataToVaultOverCirculating) {
  // B = 1% of 100,000 = 1,000; users get 900; circulating = 300 + 700 + 990 + 10 = 2,000.
  EXPECT_EQ(Acct(alice_).allowance_total, Mor("135"));
  EXPECT_EQ(Acct(bob_).allowance_total, Mor("270"));
  EXPECT_EQ(Acct(router_).allowance_total, U256());
  EXPECT_EQ(Acct(carol_).allowance_total, U256());
  EXPECT_EQ(Day().circulating, Mor("2000"));
  CheckInvariant();
}

TEST_F(ComputeContractTest, DailyBudgetIsOnePercentOfTheComputePool) {
  evm::ChainDay d = Day();
  EXPECT_EQ(d.budget, Mor("1000"));
  EXPECT_EQ(d.builders_share, Mor("100"));
  NextDay();
  d = Day();
  EXPECT_EQ(d.compute_pool, Mor("103456"));
  EXPECT_EQ(d.budget, Mor("1034.56"));
  NextDay();
  EXPECT_EQ(Day().compute_pool, *Mor("103456").CheckedAdd(Mor("3455.40744127176")));
}

TEST_F(ComputeContractTest, IdleDaysCloseAtOnceWithTheirEmissions) {
  // Five days pass without a transaction: one closeDays closes them all (O(1)), minting the
  // emissions of days 0..4 as the embedded ledger closes them one by one.
  now_ += 5 * day_seconds_;
  Tick();
  auto r = client_->CloseDays();
  ASSERT_TRUE(r.ok()) << r.error().message;
  U256 pool = Mor("100000");
  for (uint64_t k = 0; k < 5; ++k) pool = *pool.CheckedAdd(genesis_.compute_emission.At(k));
  evm::ChainDay d = Day();
  EXPECT_EQ(d.day, genesis_.FirstDay() + 5);
  EXPECT_EQ(d.compute_pool, pool);
  EXPECT_EQ(d.budget, *U256::MulDiv(pool, U256(100), U256(10000)));
  CheckInvariant();
}

TEST_F(ComputeContractTest, AllowanceIsSpentBeforeTheVault) {
  SetUpMarket();
  auto r = Settle({R(alice_, 100, 1)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->receipts.size(), 1u);
  EXPECT_TRUE(r->receipts[0].ok);
  EXPECT_EQ(r->receipts[0].from_allowance, Mor("100"));
  EXPECT_EQ(Acct(alice_).vault, Mor("300"));
  EXPECT_EQ(Acct(alice_).allowance_left, Mor("35"));
  r = Settle({R(alice_, 100, 2)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->receipts[0].from_allowance, Mor("35"));
  EXPECT_EQ(r->receipts[0].from_vault, Mor("65"));
  EXPECT_EQ(Acct(alice_).vault, Mor("235"));
  EXPECT_EQ(Acct(alice_).allowance_left, U256());
  EXPECT_EQ(Day().allowance_spent, Mor("135"));
}

TEST_F(ComputeContractTest, AllowanceResetsAtTheDayBoundary) {
  SetUpMarket();
  ASSERT_TRUE(Settle({R(alice_, 100, 1)}).ok());
  EXPECT_EQ(Acct(alice_).allowance_left, Mor("35"));
  NextDay();
  evm::ChainAccount a = Acct(alice_);
  EXPECT_EQ(a.allowance_left, a.allowance_total);
  EXPECT_GT(a.allowance_total, U256());
  evm::ChainDay d = Day();
  EXPECT_EQ(a.allowance_total, *U256::MulDiv(d.users_share, Mor("300"), d.circulating));
}

TEST_F(ComputeContractTest, WithdrawalTakesEffectOnlyAtTheNextDay) {
  MustSend(alice_, Simple(TxType::kWithdraw, Mor("100")));
  evm::ChainAccount a = Acct(alice_);
  EXPECT_EQ(a.vault, Mor("200"));
  EXPECT_EQ(a.wallet, U256());
  EXPECT_EQ(a.pending_withdrawal, Mor("100"));
  EXPECT_EQ(a.allowance_total, Mor("135"));  // the vault at the start of the day
  ledger::Tx t = Simple(TxType::kTransfer, Mor("1"));
  t.to = bob_.GetAddress();
  auto r = Send(alice_, t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("insufficient funds"), std::string::npos) << r.error().message;
  MustSend(bob_, Simple(TxType::kDeposit, Mor("100")));
  EXPECT_EQ(Acct(bob_).allowance_total, Mor("270"));  // intraday deposits do not count today
  NextDay();
  a = Acct(alice_);
  EXPECT_EQ(a.wallet, Mor("100"));
  EXPECT_EQ(a.pending_withdrawal, U256());
  MustSend(alice_, t);  // the matured withdrawal is paid out, then 1 MOR moves
  EXPECT_EQ(*client_->TokenBalance(alice_.GetAddress()), Mor("99"));
  EXPECT_GT(Acct(bob_).allowance_total, Mor("270"));
}

TEST_F(ComputeContractTest, BuilderFeeSplitsTheCost) {
  SetUpMarket(1500);
  auto r = Settle({R(alice_, 100, 1)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->receipts[0].builder_fee, Mor("15"));
  EXPECT_EQ(Acct(builder_).claimable, Mor("15"));
  EXPECT_EQ(Acct(provider_).claimable, Mor("85"));
  MustSend(provider_, Simple(TxType::kClaim));
  EXPECT_EQ(Acct(provider_).wallet, Mor("95"));
  EXPECT_EQ(Acct(provider_).claimable, U256());
  auto again = Send(provider_, Simple(TxType::kClaim));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "nothing to claim");
}

TEST_F(ComputeContractTest, BuildersShareIsPaidAtCloseDayProRataToSessionSeconds) {
  SetUpMarket(0);
  ledger::Tx reg;
  reg.type = TxType::kRegisterModel;
  reg.name = "beta/qwen";
  reg.kind = "model";
  MustSend(builder2_, reg);
  ledger::Tx tag;
  tag.type = TxType::kSetTag;
  tag.name = "beta/qwen";
  tag.tag = "v1";
  Hash32 m2{};
  m2[0] = 0xcd;
  tag.manifest = m2;
  MustSend(builder2_, tag);
  ledger::Receipt r1 = R(alice_, 100, 1, Mor("0.01"));
  ledger::Receipt r2 = ledger::testing::MakeReceipt(domain_, router_, bob_, provider_.GetAddress(), m2, Mor("0.01"), 0,
                                                    100000, 300, 2);
  ASSERT_TRUE(Settle({r1, r2}).ok());
  EXPECT_EQ(Acct(builder_).claimable, U256());
  NextDay();
  // beta * B(d) = 100 MOR split 100 : 300 session-seconds (credited lazily, shown at once).
  EXPECT_EQ(Acct(builder_).claimable, Mor("25"));
  EXPECT_EQ(Acct(builder2_).claimable, Mor("75"));
  EXPECT_EQ(Day().builder_escrow, Mor("100"));
  MustSend(builder2_, Simple(TxType::kClaim));
  EXPECT_EQ(*client_->TokenBalance(builder2_.GetAddress()), Mor("75"));
  EXPECT_EQ(Day().builder_escrow, Mor("25"));
}

TEST_F(ComputeContractTest, MinimumSecondsAndMaximumSeconds) {
  SetUpMarket(0);
  auto r = Settle({R(alice_, 5, 1, Mor("0.1"), 60, 300), R(alice_, 500, 2, Mor("0.1"), 60, 300)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->receipts.size(), 2u);
  EXPECT_EQ(r->receipts[0].billed_seconds, 60u);
  EXPECT_EQ(r->receipts[1].billed_seconds, 300u);
  EXPECT_EQ(Acct(provider_).claimable, Mor("36"));
}

TEST_F(ComputeContractTest, RouterStakePaysWhatTheUserCannotCover) {
  SetUpMarket(0);
  auto r = Settle({R(carol_, 100, 1)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->receipts[0].from_router_stake, Mor("100"));
  EXPECT_EQ(Acct(router_).router_stake, Mor("400"));
  EXPECT_EQ(Acct(provider_).claimable, Mor("100"));
}

TEST_F(ComputeContractTest, ASessionSettledTwiceIsRefusedInTheSameAndTheNextBatch) {
  SetUpMarket(0);
  ledger::Receipt once = R(alice_, 10, 1);
  // Same batch: the second copy is refused, the first settles.
  auto first = Settle({once, once});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->settled, 1u);
  ASSERT_EQ(first->receipts.size(), 2u);
  EXPECT_EQ(first->receipts[1].refusal, evm::Refusal::kAlreadySettled);
  EXPECT_TRUE(*client_->IsSettled(once.ticket.ticket.session_id));
  // Next batch: refused as a whole (nothing settles), nothing changes.
  U256 claim = Acct(provider_).claimable;
  auto again = Settle({once});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already settled"), std::string::npos) << again.error().message;
  EXPECT_EQ(Acct(provider_).claimable, claim);
  // Next day, mixed with a new receipt: the replay is reported, the new one settles.
  NextDay();
  auto mixed = Settle({once, R(alice_, 10, 2)});
  ASSERT_TRUE(mixed.ok()) << mixed.error().message;
  EXPECT_EQ(mixed->settled, 1u);
  EXPECT_EQ(mixed->refused, 1u);
  EXPECT_FALSE(mixed->receipts[0].ok);
  auto stats = *client_->Stats();
  EXPECT_EQ(stats.sessions_settled, 2u);
}

TEST_F(ComputeContractTest, ProvidersOffersRoutersAndModelsAreListed) {
  SetUpMarket(100);
  ledger::Tx reg;
  reg.type = TxType::kRegisterProvider;
  reg.endpoint = "127.0.0.1:7000";
  reg.amount = Mor("5");
  MustSend(provider_, reg);
  ledger::Tx offer;
  offer.type = TxType::kSetOffer;
  offer.manifest = manifest_;
  offer.price_per_second = Mor("0.001");
  offer.min_seconds = 30;
  offer.tps = 50;
  offer.slots = 4;
  MustSend(provider_, offer);
  auto providers = *client_->Providers();
  ASSERT_EQ(providers.size(), 1u);
  EXPECT_EQ(providers[0].endpoint, "127.0.0.1:7000");
  EXPECT_EQ(providers[0].stake, Mor("5"));
  ASSERT_EQ(providers[0].offers.size(), 1u);
  EXPECT_EQ(providers[0].offers[0].model, "acme/llama");
  EXPECT_EQ(providers[0].offers[0].slots, 4u);
  auto model = *client_->Model("acme/llama");
  ASSERT_EQ(model.tags.size(), 1u);
  EXPECT_EQ(model.tags[0].first, "latest");
  EXPECT_EQ(model.tags[0].second, manifest_);
  EXPECT_EQ(model.builder_fee_bps, 100u);
  EXPECT_EQ(*client_->Resolve("acme/llama", "latest"), manifest_);
  auto missing = client_->Model("acme/none");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  // A staked router publishes its endpoint, so clients can find it on the chain.
  auto ep = client_->SetRouterEndpoint(router_.GetAddress(), "10.0.0.1:7600", Acct(router_).nonce,
                                       router_.Sign(crypto::Eip712Digest(
                                           domain_.separator,
                                           crypto::StructHasher(crypto::Keccak(std::string_view(
                                                                    "RouterEndpoint(address router,string endpoint,uint64 nonce)")))
                                               .Add(crypto::WordAddress(router_.GetAddress()))
                                               .Add(crypto::WordString("10.0.0.1:7600"))
                                               .Add(crypto::WordUint(Acct(router_).nonce))
                                               .Finish())));
  ASSERT_TRUE(ep.ok()) << ep.error().message;
  auto routers = *client_->Routers();
  ASSERT_EQ(routers.size(), 1u);
  EXPECT_EQ(routers[0].endpoint, "10.0.0.1:7600");
  EXPECT_EQ(routers[0].stake, Mor("500"));
  // Withdrawing the offer, then unstaking everything, deregisters the provider.
  offer.slots = 0;
  MustSend(provider_, offer);
  EXPECT_TRUE(client_->Providers()->at(0).offers.empty());
  ledger::Tx un = Simple(TxType::kUnstake, Mor("5"));
  un.role = "provider";
  MustSend(provider_, un);
  EXPECT_TRUE(client_->Providers()->empty());
  EXPECT_EQ(Acct(provider_).pending_withdrawal, Mor("5"));
}

TEST_F(ComputeContractTest, AProviderMaySettleItsOwnTicketsButNotOthers) {
  SetUpMarket(0);
  auto r = Settle({R(alice_, 10, 1)}, &provider_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(Acct(provider_).claimable, Mor("10"));
  r = Settle({R(alice_, 10, 2)}, &carol_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("neither the ticket's router nor its provider"), std::string::npos)
      << r.error().message;
}

TEST_F(ComputeContractTest, AgentBuildersShareTheCommunityEmission) {
  SetUpMarket(0);
  ledger::Tx reg;
  reg.type = TxType::kRegisterModel;
  reg.name = "agents/helper";
  reg.kind = "agent";
  MustSend(builder2_, reg);
  ledger::Tx tag;
  tag.type = TxType::kSetTag;
  tag.name = "agents/helper";
  tag.tag = "latest";
  Hash32 m2{};
  m2[0] = 0xee;
  tag.manifest = m2;
  MustSend(builder2_, tag);
  ledger::Receipt r = ledger::testing::MakeReceipt(domain_, router_, bob_, provider_.GetAddress(), m2, Mor("0.01"), 0,
                                                   1000, 100, 9);
  ASSERT_TRUE(Settle({r}).ok());
  NextDay();
  EXPECT_EQ(Acct(builder2_).claimable, Mor("345.6"));
  EXPECT_EQ(Acct(builder_).claimable, U256());
}

TEST_F(ComputeContractTest, UnstakedMoneyReturnsAtTheNextDay) {
  MustSend(router_, Simple(TxType::kStakeRouter, Mor("200")));
  ledger::Tx un = Simple(TxType::kUnstake, Mor("150"));
  un.role = "router";
  MustSend(router_, un);
  evm::ChainAccount a = Acct(router_);
  EXPECT_EQ(a.router_stake, Mor("50"));
  EXPECT_EQ(a.pending_withdrawal, Mor("150"));
  EXPECT_EQ(a.wallet, Mor("790"));
  NextDay();
  EXPECT_EQ(Acct(router_).wallet, Mor("940"));
  un.amount = Mor("51");
  EXPECT_FALSE(Send(router_, un).ok());
  // release() pays the matured withdrawal out to the wallet (anyone may call it).
  Tick();
  ASSERT_TRUE(client_->Release(router_.GetAddress()).ok());
  EXPECT_EQ(*client_->TokenBalance(router_.GetAddress()), Mor("940"));
  CheckInvariant();
}

TEST_F(ComputeContractTest, CloseDayIsIdempotent) {
  now_ = (now_ / day_seconds_ + 1) * day_seconds_;
  ledger::Tx t = Simple(TxType::kCloseDay);
  t.day = genesis_.FirstDay();
  MustSend(carol_, t);
  evm::ChainDay after = Day();
  Tick();
  ASSERT_TRUE(client_->CloseDays().ok());
  EXPECT_EQ(Day().compute_pool, after.compute_pool);
  EXPECT_EQ(Day().day, after.day);
  t.day = genesis_.FirstDay() + 1;
  auto r = Send(carol_, t);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("has not ended"), std::string::npos) << r.error().message;
  EXPECT_EQ(Day().day, genesis_.FirstDay() + 1);
}

TEST_F(ComputeContractTest, DepositWithPermitNeedsNoApprove) {
  // bob (a wallet with ETH for gas) deposits from his own account with an EIP-2612 permit.
  ASSERT_TRUE(anvil_->SetBalance(bob_.GetAddress(), OneMor()).ok());
  evm::TxSender bob(&anvil_->rpc(), bob_, 31337);
  auto c = evm::ComputeContractClient::Create(&anvil_->rpc(), deployment_.contract, &bob);
  ASSERT_TRUE(c.ok());
  Tick();
  auto r = c->DepositWithPermit(Mor("40"), now_ + 100);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(Acct(bob_).vault, Mor("640"));
  EXPECT_EQ(*client_->TokenBalance(bob_.GetAddress()), Mor("60"));
  CheckInvariant();
}

}  // namespace
}  // namespace lt::chaintest
