// Property tests: long random sequences of valid and invalid transactions (seed logged; rerun
// with LT_SEED=<seed>). After every transaction the invariant holds; an invalid transaction
// changes nothing (state hash before == after); the tx log re-executes to the same state.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "ledger/state.h"
#include "ledger/test_fixture.h"
#include "util/random.h"

namespace lt::ledger {
namespace {

using testing::MakeReceipt;
using testing::Mor;
using testing::TestKey;

uint64_t Seed() {
  const char* s = std::getenv("LT_SEED");
  uint64_t seed = s != nullptr ? std::strtoull(s, nullptr, 10) : SecureRandom::Default()->NextU64();
  std::cout << "property test seed: LT_SEED=" << seed << std::endl;
  return seed;
}

class RandomTxs {
 public:
  RandomTxs(uint64_t seed, const LedgerDomain& domain) : rng_(seed), domain_(domain) {
    for (uint8_t i = 1; i <= kActors; ++i) keys_.push_back(TestKey(i));
  }
  static constexpr int kActors = 6;
  static Genesis MakeGenesis(uint64_t start) {
    std::vector<Allocation> alloc;
    for (uint8_t i = 1; i <= kActors; ++i)
      alloc.push_back({TestKey(i).GetAddress(), Mor("1000"), Mor("500")});
    Genesis g = DevGenesis(100, start, alloc);
    g.compute_pool = Mor("50000");
    g.minter = TestKey(1).GetAddress();
    g.params.min_router_stake = Mor("10");
    return g;
  }

  U256 Amount() {
    switch (rng_.Uniform(4)) {
      case 0:
        return U256(rng_.Uniform(1000));
      case 1:
        return *U256::MulDiv(Mor("1"), U256(rng_.Uniform(100000)), U256(1000));
      case 2:
        return Mor(std::to_string(rng_.Uniform(3000)));
      default:
        return U256::Max();  // always too much
    }
  }

  // A signed transaction; `nonces` are the ledger's current nonces (sometimes deliberately off).
  SignedTx Next(const std::function<uint64_t(const crypto::Address&)>& nonce_of) {
    size_t who = rng_.Uniform(keys_.size());
    const crypto::PrivateKey& key = keys_[who];
    Tx tx;
    tx.type = static_cast<TxType>(rng_.Uniform(kTxTypeCount));
    tx.to = keys_[rng_.Uniform(keys_.size())].GetAddress();
    tx.amount = Amount();
    static const char* kNames[] = {"ns1/model", "ns1/other", "ns2/model",
                                   "ns3/a.b-c", "BAD/name",  "ns2/x__y"};
    tx.name = kNames[rng_.Uniform(6)];
    tx.kind = rng_.Uniform(5) == 0 ? "agent" : (rng_.Uniform(10) == 0 ? "robot" : "model");
    tx.builder_fee_bps = static_cast<uint32_t>(rng_.Uniform(2300));
    tx.tag = rng_.Uniform(8) == 0 ? "-bad" : "v" + std::to_string(rng_.Uniform(3));
    tx.manifest[0] = static_cast<uint8_t>(rng_.Uniform(4));
    tx.endpoint = "127.0.0.1:" + std::to_string(7000 + who);
    tx.role = rng_.Uniform(2) ? "router" : "provider";
    tx.price_per_second = U256(rng_.Uniform(3) * 1'000'000'000'000'000ULL);
    tx.min_seconds = static_cast<uint32_t>(rng_.Uniform(60));
    tx.tps = 10;
    tx.slots = static_cast<uint32_t>(rng_.Uniform(3));
    tx.day = rng_.Uniform(2) ? 0 : UINT64_MAX / 2;
    if (tx.type == TxType::kSettleBatch) {
      size_t n = 1 + rng_.Uniform(4);
      for (size_t i = 0; i < n; ++i) {
        const auto& router = rng_.Uniform(4) == 0 ? keys_[rng_.Uniform(keys_.size())] : key;
        const auto& user = keys_[rng_.Uniform(keys_.size())];
        Hash32 manifest{};
        manifest[0] = static_cast<uint8_t>(rng_.Uniform(4));
        Receipt r =
            MakeReceipt(domain_, router, user, keys_[rng_.Uniform(keys_.size())].GetAddress(), manifest,
                        U256(rng_.Uniform(5) * 100'000'000'000'000'000ULL),
                        static_cast<uint32_t>(rng_.Uniform(30)), static_cast<uint32_t>(rng_.Uniform(2000)),
                        static_cast<uint32_t>(rng_.Uniform(3000)), static_cast<uint8_t>(rng_.Uniform(40)));
        if (rng_.Uniform(10) == 0) r.voucher.voucher.seconds += 1;  // forged
        tx.receipts.push_back(r);
      }
    }
    uint64_t nonce = nonce_of(key.GetAddress());
    switch (rng_.Uniform(12)) {
      case 0:
        tx.nonce = nonce + 1;
        break;
      case 1:
        tx.nonce = nonce > 0 ? nonce - 1 : nonce + 2;
        break;
      default:
        tx.nonce = nonce;
    }
    if (rng_.Uniform(15) == 0) {  // signed by somebody else
      SignedTx s = SignTx(tx, keys_[(who + 1) % keys_.size()], domain_);
      s.tx.sender = key.GetAddress();
      return s;
    }
    return SignTx(tx, key, domain_);
  }
  uint64_t Advance() { return rng_.Uniform(20) == 0 ? 50 + rng_.Uniform(300) : rng_.Uniform(3); }

 private:
  SeededRandom rng_;
  LedgerDomain domain_;
  std::vector<crypto::PrivateKey> keys_;
};

TEST(LedgerProperty, InvariantHoldsAndInvalidTransactionsChangeNothing) {
  uint64_t seed = Seed();
  uint64_t t = 1'700'000'000;
  Genesis g = RandomTxs::MakeGenesis(t);
  LedgerDomain domain = LedgerDomain::Make(g.chain_id, g.verifying_contract);
  LedgerState s = LedgerState::FromGenesis(g);
  RandomTxs gen(seed, domain);
  int ok = 0, refused = 0;
  for (int i = 0; i < 2000; ++i) {
    t += gen.Advance();
    s.AdvanceTo(t);
    ASSERT_TRUE(s.CheckInvariant().ok()) << "seed " << seed << " after closing days at step " << i;
    SignedTx stx = gen.Next([&](const crypto::Address& a) { return s.GetAccount(a).nonce; });
    Hash32 before = s.StateHash();
    auto v = VerifyTx(stx, domain);
    Result<Outcome> r = v.ok() ? s.Apply(*v, t) : Result<Outcome>(v.error());
    if (r.ok()) {
      ++ok;
    } else {
      ++refused;
      ASSERT_EQ(s.StateHash(), before)
          << "seed " << seed << " step " << i << ": refused " << TxTypeName(stx.tx.type)
          << " changed the state (" << r.error().message << ")";
    }
    Status inv = s.CheckInvariant();
    ASSERT_TRUE(inv.ok()) << "seed " << seed << " step " << i << " " << TxTypeName(stx.tx.type) << ": "
                          << inv.error().message;
  }
  std::cout << "applied " << ok << ", refused " << refused << ", sessions " << s.globals().sessions_settled
            << ", days " << s.globals().day - g.FirstDay() << std::endl;
  EXPECT_GT(ok, 300);
  EXPECT_GT(refused, 300);
  EXPECT_GT(s.globals().sessions_settled, 0u);
}

TEST(LedgerProperty, EmbeddedLedgerReplaysToTheSameState) {
  uint64_t seed = Seed();
  auto dir = std::filesystem::temp_directory_path() / ("lt-ledger-prop-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  FakeClock clock;
  Genesis g = RandomTxs::MakeGenesis(clock.NowSeconds());
  EmbeddedOptions o;
  o.db_path = (dir / "ledger.db").string();
  o.clock = &clock;
  auto l = EmbeddedLedger::Create(o, g);
  ASSERT_TRUE(l.ok()) << l.error().message;
  RandomTxs gen(seed, (*l)->domain());
  for (int i = 0; i < 300; ++i) {
    clock.AdvanceSeconds(gen.Advance());
    std::vector<SignedTx> group;
    size_t n = 1 + i % 4;  // groups commit together
    for (size_t k = 0; k < n; ++k) {
      group.push_back(gen.Next([&](const crypto::Address& a) { return (*l)->GetAccount(a)->nonce + k / 2; }));
    }
    (void)(*l)->SubmitMany(group);
    auto st = (*l)->GetStateInfo();
    ASSERT_TRUE(st->invariant_ok) << "seed " << seed << ": " << st->invariant_error;
  }
  Hash32 live = (*l)->GetStateInfo()->state_hash;
  l->reset();
  auto report = EmbeddedLedger::Verify(o.db_path);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->ok) << report->message;
  EXPECT_EQ(report->replayed_hash, live);
  // Reopening loads the same state.
  auto again = EmbeddedLedger::Open(o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->GetStateInfo()->state_hash, live);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lt::ledger
