// Differential: one seeded random sequence of valid and invalid ledger transactions over several
// days, applied to the embedded ledger (in memory) and to the Compute Contract on anvil, signed
// once for the shared EIP-712 domain {31337, contract}. After every step both must agree on the
// outcome (success, or the same ErrorCode), on every receipt's result, and on every account's
// wallet, vault, claimable, pending withdrawal, allowance, stakes and nonce, and on the pools,
// budget and circulating supply; the money invariant holds on both.
// The builders' and agents' shares are 10% (beta_bps, agent_share_bps): both backends pay them at
// floor(share / T) per session-second (doc/ledger.md "Day close"); beta/qwen is an agent.
#include <random>

#include "chain/chain_world.h"
#include "ledger/embedded.h"

namespace lt::chaintest {
namespace {

using ledger::TxType;

class DifferentialTest : public ChainWorld {
 protected:
  void CustomizeGenesis(ledger::Genesis& g) override {
    // Nonzero builders' and agents' shares: both backends pay them at floor(share / T) per
    // session-second (doc/ledger.md "Day close").
    g.params.beta_bps = 1000;
    g.params.agent_share_bps = 1000;
    g.params.min_provider_stake = Mor("5");
  }

  void MakeEmbedded() {
    ledger::Genesis g = genesis_;
    g.chain_id = 31337;
    g.verifying_contract = deployment_.contract;
    clock_ = std::make_unique<FakeClock>(now_ * 1000);
    ledger::EmbeddedOptions o;
    o.clock = clock_.get();
    o.db_path = ":memory:";
    auto l = ledger::EmbeddedLedger::Create(o, g);
    ASSERT_TRUE(l.ok()) << l.error().message;
    embedded_ = std::move(*l);
    ASSERT_EQ(embedded_->domain().separator, domain_.separator);
  }

  // Applies one signed transaction to both; compares outcomes.
  void Both(const ledger::SignedTx& stx, const std::string& what) {
    Tick();
    clock_->AdvanceMillis(now_ * 1000 - clock_->NowMillis());
    auto e = embedded_->Submit(stx);
    auto c = Submit(*client_, stx);
    ASSERT_EQ(e.ok(), c.ok()) << what << ": embedded " << (e.ok() ? "ok" : e.error().message) << ", chain "
                              << (c.ok() ? "ok" : c.error().message);
    if (!e.ok()) {
      EXPECT_EQ(e.error().code, c.error().code) << what << ": " << e.error().message << " / " << c.error().message;
      ++refused_;
      if (getenv("LT_DIFF_VERBOSE")) std::cout << what << ": " << e.error().message << "\n";
      return;
    }
    ++applied_;
    if (stx.tx.type == TxType::kSettleBatch) {
      const auto& rs = e->outcome.receipts;
      ASSERT_EQ(rs.size(), c->receipts.size()) << what;
      for (size_t i = 0; i < rs.size(); ++i) {
        ASSERT_EQ(rs[i].ok(), c->receipts[i].ok) << what << " receipt " << i;
        if (!c->receipts[i].ok) {
          // One code table for both backends (wire/settle.h, doc/contracts.md).
          EXPECT_EQ(static_cast<int>(rs[i].code), static_cast<int>(c->receipts[i].refusal)) << what << " receipt " << i;
          ++receipts_refused_;
          continue;
        }
        ++receipts_settled_;
        EXPECT_EQ(rs[i].seconds, c->receipts[i].billed_seconds);
        EXPECT_EQ(rs[i].from_allowance, c->receipts[i].from_allowance) << what;
        EXPECT_EQ(rs[i].from_vault, c->receipts[i].from_vault) << what;
        EXPECT_EQ(rs[i].from_router_stake, c->receipts[i].from_router_stake) << what;
        EXPECT_EQ(rs[i].builder_fee, c->receipts[i].builder_fee) << what;
      }
    }
  }

  void Compare(const std::string& when) {
    for (const auto& a : accounts_) {
      auto e = *embedded_->GetAccount(a);
      auto c = *client_->Account(a);
      SCOPED_TRACE(when + " account " + a.ToChecksumHex());
      EXPECT_EQ(e.wallet, c.wallet);
      EXPECT_EQ(e.vault, c.vault);
      EXPECT_EQ(e.claimable, c.claimable);
      EXPECT_EQ(e.pending_withdrawal, c.pending_withdrawal);
      EXPECT_EQ(e.allowance_total, c.allowance_total);
      EXPECT_EQ(e.allowance_left, c.allowance_left);
      EXPECT_EQ(e.router_stake, c.router_stake);
      EXPECT_EQ(e.provider_stake, c.provider_stake);
      EXPECT_EQ(e.nonce, c.nonce);
      EXPECT_EQ(e.day, c.day);
    }
    auto ed = *embedded_->GetDay();
    evm::ChainDay cd = Day();
    EXPECT_EQ(ed.compute_pool, cd.compute_pool) << when;
    EXPECT_EQ(ed.community_pool, cd.community_pool) << when;
    EXPECT_EQ(ed.budget, cd.budget) << when;
    EXPECT_EQ(ed.circulating, cd.circulating) << when;
    EXPECT_EQ(ed.allowance_spent, cd.allowance_spent) << when;
    EXPECT_EQ(ed.total_minted, cd.total_supply) << when;
    auto st = *embedded_->GetStateInfo();
    EXPECT_TRUE(st.invariant_ok) << st.invariant_error;
  }

  std::unique_ptr<FakeClock> clock_;
  std::unique_ptr<ledger::EmbeddedLedger> embedded_;
  int applied_ = 0, refused_ = 0, receipts_settled_ = 0, receipts_refused_ = 0;
};

TEST_F(DifferentialTest, ARandomSequenceGivesTheSameResultsOnBothBackends) {
  MakeEmbedded();
  std::mt19937_64 rng(20260517);
  auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  std::vector<const crypto::PrivateKey*> keys = {&alice_, &bob_, &router_, &provider_, &builder_, &carol_, &builder2_};
  std::map<crypto::Address, uint64_t> nonce;  // next nonce per key, as the signer believes it
  auto amount = [&] { return *U256::FromMor(std::to_string(pick(40)) + (pick(2) ? ".5" : "")); };
  std::vector<ledger::Receipt> settled;  // for replays
  std::vector<Hash32> manifests;
  uint8_t session = 0;
  auto sign = [&](const crypto::PrivateKey& k, ledger::Tx tx) {
    uint64_t& n = nonce[k.GetAddress()];
    tx.nonce = pick(20) == 0 ? n + 1 : (pick(25) == 0 && n > 0 ? n - 1 : n);  // a few bad nonces
    ledger::SignedTx stx = ledger::SignTx(std::move(tx), k, domain_);
    return stx;
  };
  auto after = [&](const crypto::PrivateKey& k, const ledger::SignedTx& stx) {
    nonce[k.GetAddress()] = embedded_->GetAccount(k.GetAddress())->nonce;
    (void)stx;
  };
  // A market: two models, a staked router, a registered provider.
  for (auto [owner, name, byte] : {std::tuple{&builder_, "acme/llama", 0xab}, std::tuple{&builder2_, "beta/qwen", 0xcd}}) {
    ledger::Tx reg;
    reg.type = TxType::kRegisterModel;
    reg.name = name;
    reg.kind = byte == 0xcd ? "agent" : "model";
    reg.builder_fee_bps = static_cast<uint32_t>(pick(2001));
    reg.nonce = nonce[owner->GetAddress()]++;
    Both(ledger::SignTx(reg, *owner, domain_), "register_model");
    Hash32 m{};
    m[0] = static_cast<uint8_t>(byte);
    ledger::Tx tag;
    tag.type = TxType::kSetTag;
    tag.name = name;
    tag.tag = "latest";
    tag.manifest = m;
    tag.nonce = nonce[owner->GetAddress()]++;
    Both(ledger::SignTx(tag, *owner, domain_), "set_tag");
    manifests.push_back(m);
  }
  {
    ledger::Tx stake = Simple(TxType::kStakeRouter, Mor("500"));
    stake.nonce = nonce[router_.GetAddress()]++;
    Both(ledger::SignTx(stake, router_, domain_), "stake_router");
    ledger::Tx prov;
    prov.type = TxType::kRegisterProvider;
    prov.endpoint = "127.0.0.1:7000";
    prov.amount = Mor("5");
    prov.nonce = nonce[provider_.GetAddress()]++;
    Both(ledger::SignTx(prov, provider_, domain_), "register_provider");
  }
  const int steps = 240;
  for (int step = 0; step < steps; ++step) {
    std::string what = "step " + std::to_string(step);
    int kind = static_cast<int>(pick(16));
    const crypto::PrivateKey& k = *keys[pick(keys.size())];
    ledger::Tx tx;
    if (kind == 0 && step % 3 == 0) {
      NextDay();
      clock_->AdvanceMillis(now_ * 1000 - clock_->NowMillis());
      ASSERT_TRUE(embedded_->CloseDays().ok());
      Compare(what + " (next day)");
      continue;
    }
    switch (kind) {
      case 0:
      case 1:
        tx = Simple(TxType::kTransfer, amount());
        tx.to = keys[pick(keys.size())]->GetAddress();
        break;
      case 2:
      case 3:
        tx = Simple(TxType::kDeposit, amount());
        break;
      case 4:
        tx = Simple(TxType::kWithdraw, amount());
        break;
      case 5:
        tx = Simple(TxType::kStakeRouter, amount());
        break;
      case 6:
        tx = Simple(TxType::kUnstake, amount());
        tx.role = pick(2) ? "router" : "provider";
        break;
      case 7:
        tx.type = TxType::kRegisterProvider;
        tx.endpoint = "127.0.0.1:" + std::to_string(7000 + pick(100));
        tx.amount = amount();
        break;
      case 8:
        tx.type = TxType::kSetOffer;
        tx.manifest = manifests[pick(manifests.size())];
        tx.price_per_second = pick(5) ? Mor("0.01") : U256();
        tx.slots = static_cast<uint32_t>(pick(3));
        tx.tps = 10;
        break;
      case 9:
        tx = Simple(TxType::kClaim);
        break;
      default: {
        // A batch of 1-4 receipts from random users, some invalid; sent by the router, the
        // provider, or someone else.
        std::vector<ledger::Receipt> rs;
        size_t n = 1 + pick(4);
        for (size_t i = 0; i < n; ++i) {
          int r = static_cast<int>(pick(12));
          if (r == 0 && !settled.empty()) {
            rs.push_back(settled[pick(settled.size())]);  // replay
            continue;
          }
          const crypto::PrivateKey& user = *keys[pick(keys.size())];
          const crypto::PrivateKey& signer = r == 1 ? carol_ : router_;  // carol is not staked
          Hash32 m = r == 2 ? Hash32{0x77} : manifests[pick(manifests.size())];
          ledger::Receipt rc = ledger::testing::MakeReceipt(domain_, signer, user, provider_.GetAddress(), m,
                                                            *U256::FromMor("0.00" + std::to_string(1 + pick(9))),
                                                            static_cast<uint32_t>(pick(30)), static_cast<uint32_t>(200 + pick(400)),
                                                            static_cast<uint32_t>(pick(600)), ++session);
          rc.ticket.ticket.session_id[20] = static_cast<uint8_t>(step);  // in the sequence, after the router
          rc.ticket.router_sig = signer.Sign(wire::Digest(rc.ticket.ticket, domain_.separator));
          rc.voucher.voucher.session_id = rc.ticket.ticket.session_id;
          if (r == 3) rc.voucher.voucher.seconds += 1;  // the user did not sign this
          rc.voucher.user_sig = user.Sign(wire::Digest(rc.voucher.voucher, domain_.separator));
          if (r == 3) rc.voucher.voucher.seconds += 1;
          rs.push_back(rc);
        }
        tx.type = TxType::kSettleBatch;
        tx.receipts = rs;
        const crypto::PrivateKey& sender = pick(6) == 0 ? provider_ : (pick(10) == 0 ? carol_ : router_);
        ledger::SignedTx stx = sign(sender, tx);
        Both(stx, what + " settle_batch");
        after(sender, stx);
        for (const auto& r : rs) settled.push_back(r);
        if (settled.size() > 50) settled.erase(settled.begin());
        Compare(what);
        continue;
      }
    }
    ledger::SignedTx stx = sign(k, tx);
    Both(stx, what + " " + std::string(ledger::TxTypeName(tx.type)));
    after(k, stx);
    Compare(what);
    if (HasFatalFailure()) return;
  }
  // The sequence exercised both paths of most rules.
  EXPECT_GT(applied_, 60);
  EXPECT_GT(refused_, 20);
  EXPECT_GT(receipts_settled_, 40);
  EXPECT_GT(receipts_refused_, 10);
  std::cout << "differential: " << applied_ << " applied, " << refused_ << " refused, " << receipts_settled_
            << " receipts settled, " << receipts_refused_ << " refused\n";
}

}  // namespace
}  // namespace lt::chaintest
