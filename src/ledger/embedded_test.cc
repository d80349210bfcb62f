// The embedded backend: concurrent submitters share group commits and lose nothing; the state
// survives reopening; verify detects a tampered state.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "ledger/test_fixture.h"

namespace lt::ledger {
namespace {

using testing::Mor;
using testing::TestKey;

class EmbeddedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("lt-ledger-emb-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    opts_.db_path = (dir_ / "ledger.db").string();
    opts_.clock = &clock_;
    std::vector<Allocation> alloc;
    for (uint8_t i = 1; i <= kThreads; ++i) alloc.push_back({TestKey(i).GetAddress(), Mor("100"), U256()});
    genesis_ = DevGenesis(1000, clock_.NowSeconds(), alloc);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static constexpr int kThreads = 8;
  std::filesystem::path dir_;
  FakeClock clock_;
  EmbeddedOptions opts_;
  Genesis genesis_;
};

TEST_F(EmbeddedTest, ConcurrentSubmittersLoseNothing) {
  auto l = EmbeddedLedger::Create(opts_, genesis_);
  ASSERT_TRUE(l.ok()) << l.error().message;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      crypto::PrivateKey key = TestKey(static_cast<uint8_t>(t + 1));
      for (int i = 0; i < kPerThread; ++i) {
        Tx tx;
        tx.type = TxType::kTransfer;
        tx.to = TestKey(static_cast<uint8_t>((t + 1) % kThreads + 1)).GetAddress();
        tx.amount = Mor("1");
        tx.nonce = static_cast<uint64_t>(i);
        if (!(*l)->Submit(SignTx(tx, key, (*l)->domain())).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto info = *(*l)->GetStateInfo();
  EXPECT_TRUE(info.invariant_ok);
  EXPECT_EQ(info.tx_log_size, static_cast<uint64_t>(kThreads * kPerThread));
  for (int t = 1; t <= kThreads; ++t) {
    EXPECT_EQ((*l)->GetAccount(TestKey(static_cast<uint8_t>(t)).GetAddress())->nonce, uint64_t{kPerThread});
  }
  l->reset();
  auto report = EmbeddedLedger::Verify(opts_.db_path);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->ok);
}

TEST_F(EmbeddedTest, VerifyDetectsATamperedState) {
  {
    auto l = EmbeddedLedger::Create(opts_, genesis_);
    ASSERT_TRUE(l.ok());
    Tx tx;
    tx.type = TxType::kDeposit;
    tx.amount = Mor("10");
    ASSERT_TRUE((*l)->Submit(SignTx(tx, TestKey(1), (*l)->domain())).ok());
  }
  ASSERT_TRUE(EmbeddedLedger::Verify(opts_.db_path)->ok);
  // Someone edits a balance behind the ledger's back.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(opts_.db_path.c_str(), &db), SQLITE_OK);
  std::string key = TestKey(2).GetAddress().ToLowerHex();
  std::string sql =
      "UPDATE state SET v = replace(v, '\"wallet\":\"100000000000000000000\"', "
      "'\"wallet\":\"900000000000000000000\"') WHERE tbl = 'accounts' AND k = '" +
      key + "'";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
  auto report = EmbeddedLedger::Verify(opts_.db_path);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok);
  EXPECT_NE(report->replayed_hash, report->stored_hash);
}

TEST_F(EmbeddedTest, CreateRefusesAnExistingLedgerAndOpenNeedsOne) {
  ASSERT_TRUE(EmbeddedLedger::Create(opts_, genesis_).ok());
  auto again = EmbeddedLedger::Create(opts_, genesis_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EmbeddedOptions other = opts_;
  other.db_path = (dir_ / "empty.db").string();
  auto missing = EmbeddedLedger::Open(other);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace lt::ledger
