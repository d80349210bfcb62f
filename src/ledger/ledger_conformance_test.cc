// The ledger conformance suite: DESIGN §3's worked examples and bad input, written against the
// Ledger interface and run on every backend (embedded in memory, embedded on a file, the HTTP API
// through RemoteLedger, and the Compute Contract on an anvil the test starts, through EvmLedger).
// The EVM backend is skipped, not failed, where anvil or the compiled contracts are missing.
#include <gtest/gtest.h>

#include <filesystem>

#include "ledger/test_fixture.h"

namespace lt::ledger {
namespace {

using testing::MakeReceipt;
using testing::Mor;
using testing::TestKey;

class LedgerConformance : public ::testing::TestWithParam<testing::BackendKind> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lt-ledger-conf-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    if (GetParam() == testing::BackendKind::kEvm) testing::AlignClockForEvm(clock_);
    genesis_ = DevGenesis(1000, clock_.NowSeconds(),
                          {{alice_.GetAddress(), U256(), Mor("300")},
                           {bob_.GetAddress(), Mor("100"), Mor("600")},
                           {router_.GetAddress(), Mor("990"), U256()},
                           {provider_.GetAddress(), Mor("10"), U256()}});
    genesis_.compute_pool = Mor("100000");
    genesis_.community_pool = Mor("10000");
    genesis_.params.min_router_stake = Mor("100");
    h_ = testing::MakeHarness(GetParam(), genesis_, &clock_, dir_.string());
    ASSERT_NE(h_, nullptr);
    if (!h_->skip.empty()) GTEST_SKIP() << h_->skip;
  }
  void TearDown() override {
    h_.reset();
    std::filesystem::remove_all(dir_);
  }

  Ledger& L() { return h_->ledger(); }

  Result<SubmitResult> Send(const crypto::PrivateKey& key, Tx tx) {
    auto r = SignAndSubmit(L(), std::move(tx), key);
    auto st = L().GetStateInfo();
    EXPECT_TRUE(st.ok() && st->invariant_ok) << (st.ok() ? st->invariant_error : st.error().message);
    return r;
  }
  void MustSend(const crypto::PrivateKey& key, Tx tx) {
    auto r = Send(key, std::move(tx));
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  AccountInfo Acct(const crypto::PrivateKey& k) { return *L().GetAccount(k.GetAddress()); }
  Hash32 StateHash() { return L().GetStateInfo()->state_hash; }

  Tx Simple(TxType type, U256 amount = U256()) {
    Tx t;
    t.type = type;
    t.amount = amount;
    return t;
  }
  // builder registers acme/llama (fee_bps) tagged latest -> manifest_; router stakes 500.
  void SetUpMarket(uint32_t fee_bps = 1500) {
    Tx reg;
    reg.type = TxType::kRegisterModel;
    reg.name = "acme/llama";
    reg.kind = "model";
    reg.builder_fee_bps = fee_bps;
    MustSend(builder_, reg);
    Tx tag;
    tag.type = TxType::kSetTag;
    tag.name = "acme/llama";
    tag.tag = "latest";
    manifest_[0] = 0xab;
    tag.manifest = manifest_;
    MustSend(builder_, tag);
    MustSend(router_, Simple(TxType::kStakeRouter, Mor("500")));
  }
  Result<SubmitResult> Settle(std::vector<Receipt> receipts, const crypto::PrivateKey* sender = nullptr) {
    Tx t;
    t.type = TxType::kSettleBatch;
    t.receipts = std::move(receipts);
    return Send(sender ? *sender : router_, std::move(t));
  }
  Receipt R(const crypto::PrivateKey& user, uint32_t seconds, uint8_t session, U256 price = Mor("1"),
            uint32_t min_s = 0, uint32_t max_s = 100000) {
    return MakeReceipt(L().domain(), router_, user, provider_.GetAddress(), manifest_, price, min_s, max_s,
                       seconds, session);
  }
  void NextDay() {
    clock_.AdvanceSeconds(genesis_.day_seconds);
    auto r = L().CloseDays();
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, 1u);
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  FakeClock clock_;
  Genesis genesis_;
  std::unique_ptr<testing::Harness> h_;
  crypto::PrivateKey alice_ = TestKey(1), bob_ = TestKey(2), router_ = TestKey(3), provider_ = TestKey(4),
                     builder_ = TestKey(5), carol_ = TestKey(6), builder2_ = TestKey(7);
  Hash32 manifest_{};
};

TEST_P(LedgerConformance, AllowanceIsProRataToVaultOverCirculating) {
  // B = 1% of 100,000 = 1,000; users get 90% = 900; circulating = 300 + 700 + 990 + 10 = 2,000.
  EXPECT_EQ(Acct(alice_).allowance_total, Mor("135"));  // 900 * 300 / 2000
  EXPECT_EQ(Acct(bob_).allowance_total, Mor("270"));    // 900 * 600 / 2000
  EXPECT_EQ(Acct(router_).allowance_total, U256());     // nothing in the vault
  EXPECT_EQ(Acct(carol_).allowance_total, U256());
}

TEST_P(LedgerConformance, DailyBudgetIsOnePercentOfTheComputePool) {
  auto day = *L().GetDay();
  EXPECT_EQ(day.budget, Mor("1000"));
  EXPECT_EQ(day.builders_share, Mor("100"));
  NextDay();
  // The pool received E(0) = 3456 MOR at the close; B(1) = 1% of 103,456.
  day = *L().GetDay();
  EXPECT_EQ(day.compute_pool, Mor("103456"));
  EXPECT_EQ(day.budget, Mor("1034.56"));
  // Emission decreases by 0.59255872824 MOR per day.
  NextDay();
  day = *L().GetDay();
  EXPECT_EQ(day.compute_pool, *Mor("103456").CheckedAdd(Mor("3455.40744127176")));
}

TEST_P(LedgerConformance, AllowanceIsSpentBeforeTheVault) {
  SetUpMarket();
  auto r = Settle({R(alice_, 100, 1)});  // 100 MOR, allowance 135
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->outcome.receipts[0].from_allowance, Mor("100"));
  EXPECT_EQ(Acct(alice_).vault, Mor("300"));
  EXPECT_EQ(Acct(alice_).allowance_left, Mor("35"));
  r = Settle({R(alice_, 100, 2)});  // 35 from the allowance, 65 from the vault
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->outcome.receipts[0].from_allowance, Mor("35"));
  EXPECT_EQ(r->outcome.receipts[0].from_vault, Mor("65"));
  EXPECT_EQ(Acct(alice_).vault, Mor("235"));
  EXPECT_EQ(Acct(alice_).allowance_left, U256());
  auto day = *L().GetDay();
  EXPECT_EQ(day.allowance_spent, Mor("135"));
}

TEST_P(LedgerConformance, AllowanceResetsAtTheDayBoundary) {
  SetUpMarket();
  ASSERT_TRUE(Settle({R(alice_, 100, 1)}).ok());
  EXPECT_EQ(Acct(alice_).allowance_left, Mor("35"));
  NextDay();
  AccountInfo a = Acct(alice_);
  EXPECT_EQ(a.allowance_left, a.allowance_total);
  EXPECT_GT(a.allowance_total, U256());
  // A(alice, d+1) = (1 - beta) * B(d+1) * 300 / circulating(d+1), floor.
  auto day = *L().GetDay();
  U256 users = day.users_share;
  U256 circ = day.circulating;
  EXPECT_EQ(a.allowance_total, *U256::MulDiv(users, Mor("300"), circ));
}

TEST_P(LedgerConformance, WithdrawalTakesEffectOnlyAtTheNextDay) {
  MustSend(alice_, Simple(TxType::kWithdraw, Mor("100")));
  AccountInfo a = Acct(alice_);
  EXPECT_EQ(a.vault, Mor("200"));
  EXPECT_EQ(a.wallet, U256());
  EXPECT_EQ(a.pending_withdrawal, Mor("100"));
  // Today's allowance still counts the vault at the start of the day: no recycling, no loss.
  EXPECT_EQ(a.allowance_total, Mor("135"));
  // The MOR cannot move today.
  Tx t = Simple(TxType::kTransfer, Mor("1"));
  t.to = bob_.GetAddress();
  auto r = Send(alice_, t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  // Bob deposits intraday: his allowance today does not grow (snapshot at the day start).
  MustSend(bob_, Simple(TxType::kDeposit, Mor("100")));
  EXPECT_EQ(Acct(bob_).allowance_total, Mor("270"));
  NextDay();
  a = Acct(alice_);
  EXPECT_EQ(a.wallet, Mor("100"));
  EXPECT_EQ(a.pending_withdrawal, U256());
  MustSend(alice_, t);
  EXPECT_GT(Acct(bob_).allowance_total, Mor("270"));
}

TEST_P(LedgerConformance, BuilderFeeSplitsTheCost) {
  SetUpMarket(1500);
  auto r = Settle({R(alice_, 100, 1)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(Acct(builder_).claimable, Mor("15"));
  EXPECT_EQ(Acct(provider_).claimable, Mor("85"));
  MustSend(provider_, Simple(TxType::kClaim));
  EXPECT_EQ(Acct(provider_).wallet, Mor("95"));
  EXPECT_EQ(Acct(provider_).claimable, U256());
  auto again = Send(provider_, Simple(TxType::kClaim));
  EXPECT_FALSE(again.ok());
}

TEST_P(LedgerConformance, BuildersShareIsPaidAtCloseDayProRataToSessionSeconds) {
  SetUpMarket(0);
  Tx reg;
  reg.type = TxType::kRegisterModel;
  reg.name = "beta/qwen";
  reg.kind = "model";
  MustSend(builder2_, reg);
  Tx tag;
  tag.type = TxType::kSetTag;
  tag.name = "beta/qwen";
  tag.tag = "v1";
  Hash32 m2{};
  m2[0] = 0xcd;
  tag.manifest = m2;
  MustSend(builder2_, tag);
  Receipt r1 = R(alice_, 100, 1, Mor("0.01"));
  Receipt r2 =
      MakeReceipt(L().domain(), router_, bob_, provider_.GetAddress(), m2, Mor("0.01"), 0, 100000, 300, 2);
  ASSERT_TRUE(Settle({r1, r2}).ok());
  EXPECT_EQ(Acct(builder_).claimable, U256());  // fee 0: nothing yet
  NextDay();
  // beta * B(d) = 10% of 1000 = 100 MOR, split 100 : 300 session-seconds.
  EXPECT_EQ(Acct(builder_).claimable, Mor("25"));
  EXPECT_EQ(Acct(builder2_).claimable, Mor("75"));
}

TEST_P(LedgerConformance, MinimumSecondsAndMaximumSeconds) {
  SetUpMarket(0);
  auto r = Settle({R(alice_, 5, 1, Mor("0.1"), 60, 300), R(alice_, 500, 2, Mor("0.1"), 60, 300)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->outcome.receipts[0].seconds, 60);  // max(5, minSeconds 60)
  EXPECT_EQ(r->outcome.receipts[0].cost, Mor("6"));
  EXPECT_EQ(r->outcome.receipts[1].seconds, 300);  // capped by maxSeconds
  EXPECT_EQ(r->outcome.receipts[1].cost, Mor("30"));
  EXPECT_EQ(Acct(provider_).claimable, Mor("36"));
}

// H1: a provider's 100,000 s minimum billed a 5 s session 40 MOR. The ledger caps an offer's
// minSeconds (genesis max_min_seconds, 3600 by default) and refuses tickets whose minimum
// exceeds the cap or their own maximum, so nobody pays more than price × maxSeconds.
TEST_P(LedgerConformance, H1_MinimumSecondsAreCappedAndNeverExceedTheMaximum) {
  SetUpMarket(100);
  Tx reg;
  reg.type = TxType::kRegisterProvider;
  reg.endpoint = "127.0.0.1:7000";
  reg.amount = Mor("5");
  MustSend(provider_, reg);
  Tx offer;
  offer.type = TxType::kSetOffer;
  offer.manifest = manifest_;
  offer.price_per_second = Mor("0.0004");
  offer.min_seconds = 100000;
  offer.tps = 50;
  offer.slots = 4;
  offer.nonce = Acct(provider_).nonce;
  Hash32 before = StateHash();
  auto refused = L().Submit(SignTx(offer, provider_, L().domain()));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("max_min_seconds"), std::string::npos) << refused.error().message;
  EXPECT_EQ(StateHash(), before);
  offer.min_seconds = 3600;
  MustSend(provider_, offer);
  // Receipts: minimum above the cap; minimum above the maximum; a good one.
  auto r = Settle({R(alice_, 5, 1, Mor("0.0004"), 100000, 100000), R(alice_, 5, 2, Mor("0.0004"), 100000, 5),
                   R(alice_, 5, 3, Mor("0.0004"), 60, 600)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->outcome.settled.value_or(99), 1);
  EXPECT_NE(r->outcome.receipts[0].message.find("cap of 3600"), std::string::npos);
  EXPECT_NE(r->outcome.receipts[1].message.find("exceeds its maxSeconds"), std::string::npos);
  EXPECT_EQ(r->outcome.receipts[0].code, wire::SettleCode::kMinAboveCap);
  EXPECT_EQ(r->outcome.receipts[1].code, wire::SettleCode::kMinAboveMax);
  EXPECT_EQ(r->outcome.receipts[2].seconds, 60);
}

TEST_P(LedgerConformance, RouterStakePaysWhatTheUserCannotCover) {
  SetUpMarket(0);
  // Carol has no allowance and no vault: the router that signed her ticket pays.
  auto r = Settle({R(carol_, 100, 1)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->outcome.receipts[0].from_router_stake, Mor("100"));
  EXPECT_EQ(Acct(router_).router_stake, Mor("400"));
  EXPECT_EQ(Acct(provider_).claimable, Mor("100"));
}

TEST_P(LedgerConformance, ASessionSettledTwiceIsRefused) {
  SetUpMarket(0);
  Receipt once = R(alice_, 10, 1);
  ASSERT_TRUE(Settle({once}).ok());
  Hash32 before = StateHash();
  auto again = Settle({once});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("already settled"), std::string::npos) << again.error().message;
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);  // what routers and providers decide by
  EXPECT_EQ(StateHash(), before);
  // Mixed batch: the new receipt settles, the replayed one is reported.
  auto mixed = Settle({once, R(alice_, 10, 2)});
  ASSERT_TRUE(mixed.ok()) << mixed.error().message;
  EXPECT_EQ(mixed->outcome.settled.value_or(99), 1);
  EXPECT_EQ(mixed->outcome.refused.value_or(99), 1);
  EXPECT_FALSE(mixed->outcome.receipts[0].ok());
  EXPECT_EQ(mixed->outcome.receipts[0].code, wire::SettleCode::kAlreadySettled);
  EXPECT_TRUE(wire::SettleDone(mixed->outcome.receipts[0].code));
  auto stats = *L().GetStats();
  EXPECT_EQ(stats.sessions_settled, 2);
}

TEST_P(LedgerConformance, ReceiptsWithBadSignaturesAreRefused) {
  SetUpMarket(0);
  Receipt forged = R(alice_, 10, 1);
  forged.voucher.voucher.seconds = 1000;  // the user signed 10
  Receipt wrong_router =
      MakeReceipt(L().domain(), carol_, alice_, provider_.GetAddress(), manifest_, Mor("1"), 0, 1000, 10, 2);
  wrong_router.ticket.ticket.router = router_.GetAddress();  // claims our router, signed by carol
  auto r = Settle({forged, wrong_router, R(alice_, 10, 3)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->outcome.settled.value_or(99), 1);
  EXPECT_EQ(r->outcome.receipts[0].message, "the voucher is not signed by the ticket's user");
  EXPECT_EQ(r->outcome.receipts[1].message, "the ticket is not signed by its router");
  EXPECT_EQ(r->outcome.receipts[0].code, wire::SettleCode::kBadVoucherSignature);
  EXPECT_EQ(r->outcome.receipts[1].code, wire::SettleCode::kBadTicketSignature);
  EXPECT_EQ(r->outcome.receipts[2].code, wire::SettleCode::kSettled);
}

TEST_P(LedgerConformance, BadInputChangesNothing) {
  SetUpMarket(0);
  Hash32 before = StateHash();
  Tx t = Simple(TxType::kTransfer, Mor("1"));
  t.to = bob_.GetAddress();
  t.nonce = Acct(alice_).nonce;
  // Bad signature: signed by carol, claims alice.
  SignedTx forged = SignTx(t, carol_, L().domain());
  forged.tx.sender = alice_.GetAddress();
  auto r = L().Submit(forged);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  // Wrong chain id, wrong contract.
  r = L().Submit(SignTx(t, alice_, LedgerDomain::Make(genesis_.chain_id + 1, genesis_.verifying_contract)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  r = L().Submit(SignTx(t, alice_, LedgerDomain::Make(genesis_.chain_id, bob_.GetAddress())));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  // Stale and future nonces.
  Tx future = t;
  future.nonce = t.nonce + 1;
  r = L().Submit(SignTx(future, alice_, L().domain()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("future nonce"), std::string::npos);
  MustSend(router_, Simple(TxType::kStakeRouter, Mor("1")));
  before = StateHash();
  Tx stale = Simple(TxType::kStakeRouter, Mor("1"));
  stale.nonce = 0;
  r = L().Submit(SignTx(stale, router_, L().domain()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("stale nonce"), std::string::npos);
  // Insufficient funds.
  Tx big = Simple(TxType::kTransfer, Mor("1000000"));
  big.to = bob_.GetAddress();
  r = Send(bob_, big);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("insufficient funds"), std::string::npos);
  // A namespace owned by someone else.
  Tx reg;
  reg.type = TxType::kRegisterModel;
  reg.name = "acme/other";
  reg.kind = "model";
  r = Send(carol_, reg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  Tx tag;
  tag.type = TxType::kSetTag;
  tag.name = "acme/llama";
  tag.tag = "latest";
  tag.manifest[5] = 1;
  r = Send(carol_, tag);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  // Invalid names and tags.
  for (const char* bad : {"Acme/llama", "acme", "acme//x", "acme/-x", "acme/x_", ""}) {
    reg.name = bad;
    r = Send(carol_, reg);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  tag.tag = ".bad";
  r = Send(builder_, tag);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  tag.tag = std::string(129, 'a');
  r = Send(builder_, tag);
  ASSERT_FALSE(r.ok());
  // Builder fee above the maximum.
  reg.name = "acme/llama";
  reg.builder_fee_bps = 2001;
  r = Send(builder_, reg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(StateHash(), before);
}

TEST_P(LedgerConformance, CloseDayIsIdempotent) {
  clock_.AdvanceSeconds(genesis_.day_seconds);
  Tx t = Simple(TxType::kCloseDay);
  t.day = genesis_.FirstDay();
  MustSend(carol_, t);  // closes day 0 (lazily, before the tx)
  Hash32 after_first = StateHash();
  EXPECT_EQ(*L().CloseDays(), 0u);
  EXPECT_EQ(StateHash(), after_first);
  t.day = genesis_.FirstDay() + 1;  // today: not ended
  auto r = Send(carol_, t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(L().GetDay()->day, genesis_.FirstDay() + 1);
}

TEST_P(LedgerConformance, ProvidersOffersAndModelsAreListed) {
  SetUpMarket(100);
  Tx reg;
  reg.type = TxType::kRegisterProvider;
  reg.endpoint = "127.0.0.1:7000";
  reg.amount = Mor("5");
  MustSend(provider_, reg);
  Tx offer;
  offer.type = TxType::kSetOffer;
  offer.manifest = manifest_;
  offer.price_per_second = Mor("0.001");
  offer.min_seconds = 30;
  offer.tps = 50;
  offer.slots = 4;
  MustSend(provider_, offer);
  auto providers = *L().GetProviders();
  ASSERT_EQ(providers.size(), 1u);
  EXPECT_EQ(providers[0].endpoint, "127.0.0.1:7000");
  ASSERT_EQ(providers[0].offers.size(), 1u);
  EXPECT_EQ(providers[0].offers[0].model, "acme/llama");
  EXPECT_EQ(providers[0].offers[0].slots, 4u);
  auto model = *L().GetModel("acme/llama");
  EXPECT_EQ(model.Tag("latest"), manifest_);
  EXPECT_EQ(model.builder_fee_bps, 100u);
  auto missing = L().GetModel("acme/none");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto txs = *L().GetTxs(0, 100);
  EXPECT_EQ(txs.size(), 5u);
  EXPECT_EQ(txs[0].type, "register_model");
}

TEST_P(LedgerConformance, AProviderMaySettleItsOwnTicketsButNotOthers) {
  SetUpMarket(0);
  auto r = Settle({R(alice_, 10, 1)}, &provider_);  // the router is gone: the provider settles
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(Acct(provider_).claimable, Mor("10"));
  r = Settle({R(alice_, 10, 2)}, &carol_);  // neither router nor provider of the ticket
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("neither the ticket's router nor its provider"), std::string::npos);
}

TEST_P(LedgerConformance, AgentBuildersShareTheCommunityEmission) {
  SetUpMarket(0);
  Tx reg;
  reg.type = TxType::kRegisterModel;
  reg.name = "agents/helper";
  reg.kind = "agent";
  MustSend(builder2_, reg);
  Tx tag;
  tag.type = TxType::kSetTag;
  tag.name = "agents/helper";
  tag.tag = "latest";
  Hash32 m2{};
  m2[0] = 0xee;
  tag.manifest = m2;
  MustSend(builder2_, tag);
  Receipt r =
      MakeReceipt(L().domain(), router_, bob_, provider_.GetAddress(), m2, Mor("0.01"), 0, 1000, 100, 9);
  ASSERT_TRUE(Settle({r}).ok());
  NextDay();
  // agent_share_bps (10%) of E_community(0) = 345.6 MOR, all to the only agent builder.
  EXPECT_EQ(Acct(builder2_).claimable, Mor("345.6"));
  EXPECT_EQ(Acct(builder_).claimable, U256());  // no model sessions that day
}

TEST_P(LedgerConformance, UnstakedMoneyReturnsAtTheNextDay) {
  MustSend(router_, Simple(TxType::kStakeRouter, Mor("200")));
  Tx un = Simple(TxType::kUnstake, Mor("150"));
  un.role = "router";
  MustSend(router_, un);
  AccountInfo a = Acct(router_);
  EXPECT_EQ(a.router_stake, Mor("50"));
  EXPECT_EQ(a.pending_withdrawal, Mor("150"));
  EXPECT_EQ(a.wallet, Mor("790"));
  NextDay();
  EXPECT_EQ(Acct(router_).wallet, Mor("940"));
  un.amount = Mor("51");
  EXPECT_FALSE(Send(router_, un).ok());
}

// set_router_endpoint: a router with at least the minimum stake publishes where clients reach it.
TEST_P(LedgerConformance, AStakedRouterPublishesItsEndpoint) {
  Tx ep;
  ep.type = TxType::kSetRouterEndpoint;
  ep.endpoint = "10.0.0.1:7600";
  auto r = Send(router_, ep);  // no stake yet
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("router stake"), std::string::npos) << r.error().message;
  MustSend(router_, Simple(TxType::kStakeRouter, Mor("500")));
  ep.endpoint = "10.0.0.1 7600";
  r = Send(router_, ep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  ep.endpoint = "10.0.0.1:7600";
  MustSend(router_, ep);
  auto routers = L().GetRouters();
  ASSERT_TRUE(routers.ok()) << routers.error().message;
  ASSERT_EQ(routers->size(), 1u);
  EXPECT_EQ((*routers)[0].address, router_.GetAddress());
  EXPECT_EQ((*routers)[0].endpoint, "10.0.0.1:7600");
  EXPECT_EQ((*routers)[0].stake, Mor("500"));
  auto txs = *L().GetTxs(0, 100);
  ASSERT_FALSE(txs.empty());
  EXPECT_EQ(txs.back().type, "set_router_endpoint");
}

// A session id is its ticket's router's address and a sequence (doc/wire.md "Session ids"): a
// receipt whose id starts with anything else is refused with code 12, on both backends.
TEST_P(LedgerConformance, ASessionIdMustStartWithItsTicketsRouter) {
  SetUpMarket(0);
  Receipt foreign = R(alice_, 10, 1);
  foreign.ticket.ticket.session_id[0] ^= 0x5a;  // another router's prefix
  foreign.ticket.router_sig = router_.Sign(wire::Digest(foreign.ticket.ticket, L().domain().separator));
  foreign.voucher.voucher.session_id = foreign.ticket.ticket.session_id;
  foreign.voucher.user_sig = alice_.Sign(wire::Digest(foreign.voucher.voucher, L().domain().separator));
  auto r = Settle({foreign, R(alice_, 10, 2)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->outcome.receipts.size(), 2u);
  EXPECT_EQ(r->outcome.receipts[0].code, wire::SettleCode::kSessionIdNotRouters);
  EXPECT_EQ(r->outcome.receipts[0].message, "the session id does not start with its ticket's router address");
  EXPECT_EQ(r->outcome.receipts[1].code, wire::SettleCode::kSettled);
  EXPECT_EQ(Acct(provider_).claimable, Mor("10"));
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerConformance,
                         ::testing::Values(testing::BackendKind::kEmbeddedMemory,
                                           testing::BackendKind::kEmbeddedFile,
                                           testing::BackendKind::kRemoteHttp, testing::BackendKind::kEvm),
                         [](const auto& info) {
                           switch (info.param) {
                             case testing::BackendKind::kEmbeddedMemory:
                               return std::string("EmbeddedMemory");
                             case testing::BackendKind::kEmbeddedFile:
                               return std::string("EmbeddedFile");
                             case testing::BackendKind::kRemoteHttp:
                               return std::string("RemoteHttp");
                             default:
                               return std::string("Evm");
                           }
                         });

}  // namespace
}  // namespace lt::ledger
