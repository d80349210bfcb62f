// RouterReceiptSink with direct settlement (a fake ledger): receipts no router takes are spooled,
// settled directly, retried while the ledger is down, never dropped, and a refused one ends in
// <spool>.refused after max_attempts.
#include "provider/receipts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "util/random.h"

namespace lt::provider {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class DirectSettleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lt-receipts-XXXXXX";
    dir_ = mkdtemp(tmpl);
    spool_ = dir_ + "/receipts.jsonl";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  Receipt Make(uint8_t id) {
    wire::Ticket t;
    t.session_id[0] = id;
    t.user = user_.GetAddress();
    t.router = router_.GetAddress();
    t.price_per_second = U256(1000);
    t.min_seconds = 1;
    t.max_seconds = 60;
    wire::Voucher v;
    v.session_id = t.session_id;
    v.seconds = 10;
    v.is_final = true;
    Receipt r;
    r.ticket = {t, t.Sign(router_, domain_)};
    r.voucher = wire::SignVoucher(user_, domain_, v);
    return r;
  }

  template <typename F>
  bool WaitFor(F f, int ms = 5000) {
    for (int i = 0; i < ms / 20; ++i) {
      if (f()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return f();
  }

  std::string dir_, spool_;
  SeededRandom rng_{7};
  crypto::PrivateKey user_ = crypto::PrivateKey::Generate(rng_);
  crypto::PrivateKey router_ = crypto::PrivateKey::Generate(rng_);
  wire::Domain domain_{U256(31337), crypto::ParseAddress("0x00000000000000000000000000000000000000aa").value()};
};

TEST_F(DirectSettleTest, ReceiptFromJsonRoundTrips) {
  Receipt r = Make(1);
  r.close_reason = "client closed";
  nlohmann::json j = ReceiptToJson(r);
  j["spooledAt"] = 5;
  auto back = ReceiptFromJson(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->ticket.ticket.session_id, r.ticket.ticket.session_id);
  EXPECT_EQ(back->voucher.user_sig, r.voucher.user_sig);
  EXPECT_EQ(back->close_reason, "client closed");
  EXPECT_FALSE(ReceiptFromJson(nlohmann::json{{"ticket", 1}}).ok());
}

// A spool written before the one receipt form spelled the signatures "ticketSig"/"voucherSig":
// those receipts are still read (and paid), and written back in the one form.
TEST_F(DirectSettleTest, SpoolLineOfTheOldSpellingIsRead) {
  Receipt r = Make(1);
  nlohmann::json j = ReceiptToJson(r);
  ASSERT_TRUE(j.contains("ticketSignature"));
  j["ticketSig"] = j["ticketSignature"];
  j["voucherSig"] = j["voucherSignature"];
  j.erase("ticketSignature");
  j.erase("voucherSignature");
  auto back = ReceiptFromJson(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->ticket.router_sig, r.ticket.router_sig);
  EXPECT_EQ(back->voucher.user_sig, r.voucher.user_sig);
  EXPECT_EQ(ReceiptToJson(*back)["ticketSignature"], ReceiptToJson(r)["ticketSignature"]);
  j.erase("voucherSig");
  auto missing = ReceiptFromJson(j);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("voucherSig"), std::string::npos) << missing.error().message;
}

TEST_F(DirectSettleTest, NoRouterSettlesDirectlyAndRetriesWhileTheLedgerIsDown) {
  std::atomic<bool> ledger_up{false};
  std::atomic<int> calls{0}, settled{0};
  ReceiptSinkOptions o;
  o.spool_path = spool_;
  o.retry_seconds = 1;
  o.settle_direct = [&](const std::vector<Receipt>& rs) -> Result<std::vector<SettleVerdict>> {
    ++calls;
    if (!ledger_up) return MakeError(ErrorCode::kUnavailable, "ledger down");
    std::vector<SettleVerdict> out;
    for (size_t i = 0; i < rs.size(); ++i) {
      out.push_back(SettleVerdict{true, ""});
      ++settled;
    }
    return out;
  };
  RouterReceiptSink sink(std::move(o));
  sink.Submit(Make(1));
  sink.Submit(Make(2));
  ASSERT_TRUE(WaitFor([&] { return calls >= 1; }));
  // The ledger is down: both wait in the spool.
  EXPECT_NE(Slurp(spool_).find("spooledAt"), std::string::npos);
  ledger_up = true;
  ASSERT_TRUE(WaitFor([&] { return sink.Describe()["settled_directly"] == 2; })) << sink.Describe().dump();
  EXPECT_EQ(Slurp(spool_), "");
  EXPECT_EQ(settled, 2);
  int before = calls;
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  EXPECT_EQ(calls, before);  // nothing left: never submitted again
}

TEST_F(DirectSettleTest, RefusedReceiptIsKeptThenMovedAside) {
  ReceiptSinkOptions o;
  o.spool_path = spool_;
  o.retry_seconds = 1;
  o.max_attempts = 2;
  o.settle_direct = [&](const std::vector<Receipt>& rs) -> Result<std::vector<SettleVerdict>> {
    return std::vector<SettleVerdict>(rs.size(), SettleVerdict{false, "the ticket's router has no stake"});
  };
  RouterReceiptSink sink(std::move(o));
  sink.Submit(Make(3));
  ASSERT_TRUE(WaitFor([&] { return sink.Describe()["refused"] == 1; }, 6000)) << sink.Describe().dump();
  EXPECT_EQ(Slurp(spool_), "");
  std::string refused = Slurp(spool_ + ".refused");
  EXPECT_NE(refused.find("has no stake"), std::string::npos) << refused;
}

TEST_F(DirectSettleTest, SpoolLeftByAnEarlierRunIsSettled) {
  {
    RouterReceiptSink sink(std::vector<std::string>{}, spool_);  // no router, no ledger: spool only
    sink.Submit(Make(4));
  }
  ASSERT_NE(Slurp(spool_).find("sessionId"), std::string::npos);
  std::atomic<int> settled{0};
  ReceiptSinkOptions o;
  o.spool_path = spool_;
  o.settle_direct = [&](const std::vector<Receipt>& rs) -> Result<std::vector<SettleVerdict>> {
    settled += static_cast<int>(rs.size());
    return std::vector<SettleVerdict>(rs.size(), SettleVerdict{true, ""});
  };
  RouterReceiptSink sink(std::move(o));
  ASSERT_TRUE(WaitFor([&] { return settled == 1; }));
  ASSERT_TRUE(WaitFor([&] { return Slurp(spool_).empty(); }));
}

}  // namespace
}  // namespace lt::provider
