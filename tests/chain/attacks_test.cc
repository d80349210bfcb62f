// Attacks on the Compute Contract, refused on-chain (issue 17): a receipt replayed (same and next
// batch: compute_contract_test.cc), a voucher or ticket signed by another key, a high-s signature,
// a signature for another chain id or contract, a tag moved by a non-owner, reentrancy through
// the token, an unstaked router's tickets; and bad input that must change nothing.
#include "chain/chain_world.h"

namespace lt::chaintest {
namespace {

using ledger::TxType;

class AttackTest : public ChainWorld {
 protected:
  // The malleable twin of a low-s signature: s' = n - s, v flipped. Same signer mathematically.
  static crypto::Signature HighS(const crypto::Signature& sig) {
    static const U256 n = *U256::FromHex("0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");
    FixedBytes<32> s;
    std::copy(sig.begin() + 32, sig.begin() + 64, s.begin());
    FixedBytes<32> high = n.CheckedSub(U256::FromBigEndian(s))->ToBigEndian();
    crypto::Signature out = sig;
    std::copy(high.begin(), high.end(), out.begin() + 32);
    out[64] = sig[64] == 27 ? 28 : 27;
    return out;
  }
  // Everything a test may compare to see that nothing changed.
  std::string Snapshot() {
    std::string s;
    for (const auto& a : accounts_) {
      evm::ChainAccount v = *client_->Account(a);
      s += v.wallet.ToDecimal() + "/" + v.vault.ToDecimal() + "/" + v.claimable.ToDecimal() + "/" +
           v.router_stake.ToDecimal() + "/" + v.provider_stake.ToDecimal() + "/" + std::to_string(v.nonce) + ";";
    }
    evm::ChainDay d = Day();
    return s + d.compute_pool.ToDecimal() + "/" + d.allowance_spent.ToDecimal();
  }
};

TEST_F(AttackTest, VouchersAndTicketsSignedByAnotherKeyAreRefused) {
  SetUpMarket(0);
  ledger::Receipt forged = R(alice_, 10, 1);
  forged.voucher.voucher.seconds = 1000;  // alice signed 10
  ledger::Receipt wrong_router = ledger::testing::MakeReceipt(domain_, carol_, alice_, provider_.GetAddress(), manifest_,
                                                              Mor("1"), 0, 1000, 10, 2);
  wrong_router.ticket.ticket.router = router_.GetAddress();  // claims our router, signed by carol
  ledger::Receipt wrong_user = R(alice_, 10, 3);
  wrong_user.voucher.user_sig = bob_.Sign(wire::Digest(wrong_user.voucher.voucher, domain_.separator));  // bob signs alice's
  ledger::Receipt other_session = R(alice_, 10, 4);
  other_session.voucher.voucher.session_id[5] = 9;
  other_session.voucher.user_sig = alice_.Sign(wire::Digest(other_session.voucher.voucher, domain_.separator));
  auto r = Settle({forged, wrong_router, wrong_user, other_session, R(alice_, 10, 5)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->settled, 1u);
  ASSERT_EQ(r->receipts.size(), 5u);
  EXPECT_EQ(r->receipts[0].refusal, evm::Refusal::kVoucherNotByUser);
  EXPECT_EQ(r->receipts[1].refusal, evm::Refusal::kTicketNotByRouter);
  EXPECT_EQ(r->receipts[2].refusal, evm::Refusal::kVoucherNotByUser);
  EXPECT_EQ(r->receipts[3].refusal, evm::Refusal::kVoucherOtherSession);
  EXPECT_TRUE(r->receipts[4].ok);
  EXPECT_EQ(evm::RefusalText(r->receipts[0].refusal), "the voucher is not signed by the ticket's user");
  EXPECT_EQ(Acct(provider_).claimable, Mor("10"));
  EXPECT_EQ(client_->Stats()->receipts_refused, 4u);
}

TEST_F(AttackTest, HighSSignaturesAreRefused) {
  SetUpMarket(0);
  ledger::Receipt t = R(alice_, 10, 1);
  t.ticket.router_sig = HighS(t.ticket.router_sig);
  ledger::Receipt v = R(alice_, 10, 2);
  v.voucher.user_sig = HighS(v.voucher.user_sig);
  auto r = Settle({t, v, R(alice_, 10, 3)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->receipts[0].refusal, evm::Refusal::kTicketNotByRouter);
  EXPECT_EQ(r->receipts[1].refusal, evm::Refusal::kVoucherNotByUser);
  EXPECT_TRUE(r->receipts[2].ok);
  // A ledger transaction with a high-s signature: refused, the nonce stays.
  ledger::Tx dep = Simple(TxType::kDeposit, Mor("1"));
  dep.nonce = Acct(bob_).nonce;
  ledger::SignedTx stx = ledger::SignTx(dep, bob_, domain_);
  stx.signature = HighS(stx.signature);
  auto s = SendSigned(stx);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(Acct(bob_).nonce, dep.nonce);
}

TEST_F(AttackTest, SignaturesForAnotherChainOrContractAreRefused) {
  SetUpMarket(0);
  for (const auto& other : {ledger::LedgerDomain::Make(1, deployment_.contract),
                            ledger::LedgerDomain::Make(31337, carol_.GetAddress())}) {
    ledger::Receipt r = ledger::testing::MakeReceipt(other, router_, alice_, provider_.GetAddress(), manifest_, Mor("1"),
                                                     0, 1000, 10, 7);
    auto s = Settle({r});
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("not signed by its router"), std::string::npos) << s.error().message;
    ledger::Tx dep = Simple(TxType::kDeposit, Mor("1"));
    dep.nonce = Acct(bob_).nonce;
    auto d = SendSigned(ledger::SignTx(dep, bob_, other));
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().code, ErrorCode::kUnauthenticated);
    EXPECT_NE(d.error().message.find("bad signature"), std::string::npos);
  }
  // The contract's domain is {LakeTravis, 1, 31337, contract}: the one the network signs.
  EXPECT_EQ(*client_->DomainSeparator(), domain_.separator);
}

TEST_F(AttackTest, ATagMovedByANonOwnerIsRefused) {
  SetUpMarket(0);
  ledger::Tx tag;
  tag.type = TxType::kSetTag;
  tag.name = "acme/llama";
  tag.tag = "latest";
  tag.manifest[5] = 1;
  auto r = Send(carol_, tag);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(r.error().message.find("is owned by " + builder_.GetAddress().ToChecksumHex()), std::string::npos);
  EXPECT_EQ(*client_->Resolve("acme/llama", "latest"), manifest_);
  ledger::Tx reg;
  reg.type = TxType::kRegisterModel;
  reg.name = "acme/other";
  reg.kind = "model";
  r = Send(carol_, reg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
  // Nor may carol bind the owner's manifest to her own model.
  reg.name = "carol/llama";
  MustSend(carol_, reg);
  tag.name = "carol/llama";
  tag.manifest = manifest_;
  r = Send(carol_, tag);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(AttackTest, AnUnstakedRoutersTicketsAreRefused) {
  SetUpMarket(0);
  // carol has no router stake: tickets she signs (and settles herself) are refused.
  ledger::Receipt own = ledger::testing::MakeReceipt(domain_, carol_, alice_, provider_.GetAddress(), manifest_, Mor("1"),
                                                     0, 1000, 10, 1);
  auto r = Settle({own}, &carol_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("the ticket's router " + carol_.GetAddress().ToChecksumHex() + " has no stake"),
            std::string::npos)
      << r.error().message;
  // A router whose stake falls below the minimum during a batch: later receipts are refused.
  auto drain = Settle({R(carol_, 450, 2), R(carol_, 10, 3)});  // carol cannot pay: the stake pays 450
  ASSERT_TRUE(drain.ok()) << drain.error().message;
  EXPECT_TRUE(drain->receipts[0].ok);
  EXPECT_EQ(drain->receipts[1].refusal, evm::Refusal::kRouterNotStaked);
  EXPECT_EQ(Acct(router_).router_stake, Mor("50"));
}

TEST_F(AttackTest, ReentrancyThroughTheTokenIsRefused) {
  // A world whose token calls back into the contract from transfer and transferFrom.
  token_contract_ = "EvilToken";
  SetUp();
  SetUpMarket(0);
  ASSERT_TRUE(Settle({R(alice_, 10, 1)}).ok());
  // The callback: a valid, signed withdraw by bob that would succeed on its own.
  ledger::Tx w = Simple(TxType::kWithdraw, Mor("1"));
  w.nonce = Acct(bob_).nonce;
  ledger::SignedTx stx = ledger::SignTx(w, bob_, domain_);
  const evm::Artifact* compute = *evm::GetArtifact("ComputeContract");
  const evm::Artifact* evil = *evm::GetArtifact("EvilToken");
  Hash32 r, s;
  std::copy(stx.signature.begin(), stx.signature.begin() + 32, r.begin());
  std::copy(stx.signature.begin() + 32, stx.signature.begin() + 64, s.begin());
  using V = evm::AbiValue;
  Bytes payload = *compute->abi.EncodeCall(
      "withdraw", {V::Addr(bob_.GetAddress()), V::Uint(w.amount), V::Uint(U256(w.nonce)),
                   V::List({V::Bytes32(r), V::Bytes32(s), V::Uint(U256(stx.signature[64]))})});
  Tick();
  ASSERT_TRUE(evm::CallContract(*relayer_, deployment_.token, "EvilToken", "arm",
                                {V::Addr(deployment_.contract), V::Blob(payload)})
                  .ok());
  // The provider claims: the token's transfer tries to re-enter with bob's withdraw.
  MustSend(provider_, Simple(TxType::kClaim));
  EXPECT_EQ(*client_->TokenBalance(provider_.GetAddress()), Mor("20"));  // 10 wallet + 10 claimed
  auto view = [&](const char* fn) {
    evm::CallRequest c;
    c.to = deployment_.token;
    c.data = *evil->abi.EncodeCall(fn, {});
    auto out = anvil_->rpc().Call(c);
    EXPECT_TRUE(out.ok() && !out->reverted);
    return *evil->abi.DecodeResult(fn, out->data);
  };
  EXPECT_TRUE(view("attempted")[0].AsBool());
  EXPECT_FALSE(view("reentryOk")[0].AsBool());
  evm::DecodedRevert why = compute->abi.DecodeRevert(view("reentryResult")[0].bytes);
  EXPECT_EQ(why.name, "Reentrancy");
  EXPECT_EQ(Acct(bob_).vault, Mor("600"));  // the withdraw did not happen
  EXPECT_EQ(Acct(bob_).nonce, w.nonce);
  // Sent on its own, the same withdraw works.
  ASSERT_TRUE(SendSigned(stx).ok());
  EXPECT_EQ(Acct(bob_).vault, Mor("599"));
}

TEST_F(AttackTest, BadInputChangesNothing) {
  SetUpMarket(0);
  std::string before = Snapshot();
  ledger::Tx t = Simple(TxType::kTransfer, Mor("1"));
  t.to = bob_.GetAddress();
  t.nonce = Acct(alice_).nonce;
  // Signed by carol, claims alice.
  ledger::SignedTx forged = ledger::SignTx(t, carol_, domain_);
  forged.tx.sender = alice_.GetAddress();
  auto r = SendSigned(forged);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  // Future and stale nonces (a replayed transaction is a stale one).
  ledger::Tx dep = Simple(TxType::kDeposit, Mor("1"));
  dep.nonce = Acct(bob_).nonce + 1;
  r = Send(bob_, dep, /*keep_nonce=*/true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("future nonce"), std::string::npos) << r.error().message;
  dep.nonce -= 1;
  ledger::SignedTx once = ledger::SignTx(dep, bob_, domain_);
  ASSERT_TRUE(SendSigned(once).ok());
  before = Snapshot();
  r = SendSigned(once);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("stale nonce"), std::string::npos) << r.error().message;
  // Insufficient funds, zero amounts, invalid names, tags and fees, unknown roles.
  ledger::Tx big = Simple(TxType::kTransfer, Mor("1000000"));
  big.to = alice_.GetAddress();
  r = Send(bob_, big);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("insufficient funds: wallet holds 99 MOR, needs 1000000 MOR"), std::string::npos)
      << r.error().message;
  r = Send(bob_, Simple(TxType::kDeposit));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  ledger::Tx reg;
  reg.type = TxType::kRegisterModel;
  reg.kind = "model";
  for (const char* bad : {"Acme/llama", "acme", "acme//x", "acme/-x", "acme/x_", ""}) {
    reg.name = bad;
    r = Send(carol_, reg);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  reg.name = "acme/llama";
  reg.builder_fee_bps = 2001;
  r = Send(builder_, reg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  reg.builder_fee_bps = 0;
  reg.kind = "robot";
  EXPECT_EQ(Send(builder_, reg).error().code, ErrorCode::kInvalidArgument);
  ledger::Tx tag;
  tag.type = TxType::kSetTag;
  tag.name = "acme/llama";
  tag.manifest[3] = 3;
  for (std::string bad : {std::string(".bad"), std::string(129, 'a'), std::string("a b")}) {
    tag.tag = bad;
    r = Send(builder_, tag);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  }
  ledger::Tx un = Simple(TxType::kUnstake, Mor("1"));
  un.role = "king";
  EXPECT_EQ(Send(router_, un).error().code, ErrorCode::kInvalidArgument);
  ledger::Tx mint = Simple(TxType::kMint, Mor("1"));
  mint.to = carol_.GetAddress();
  EXPECT_EQ(Send(carol_, mint).error().code, ErrorCode::kPermissionDenied);  // no minter in this genesis
  EXPECT_EQ(Snapshot(), before);
}

}  // namespace
}  // namespace lt::chaintest
