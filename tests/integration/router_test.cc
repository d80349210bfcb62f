// `lt router serve` with real processes: a real `lt ledger serve`, one or two routers, and
// in-test Pong responders on 127.0.0.1 standing in for providers' liveness endpoints (the
// matching path needs only a provider's signed Pong, not inference). Covers: an RFC gets a
// ticket; a provider failing liveness is skipped and banned; kill -9 after receipts were
// acknowledged loses none (they settle after a restart); two routers settle without
// double-paying.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "crypto/keystore.h"
#include "ledger/client.h"
#include "ledger/genesis.h"
#include "testkit/router_world.h"
#include "ledger_process.h"
#include "support/ports.h"
#include "support/process.h"
#include "wire/router_api.h"

namespace lt::test {
namespace {

using json = nlohmann::json;
using testkit::Key;

U256 Mor(const char* s) { return *U256::FromMor(s); }

class RouterIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("lt-router");
    WriteFile(dir_ + "/pw", "pw\n");
    std::vector<ledger::Allocation> alloc = {{user_.GetAddress(), Mor("10"), Mor("1000")},
                                             {builder_.GetAddress(), Mor("10"), U256()},
                                             {r1_.GetAddress(), Mor("100"), U256()},
                                             {r2_.GetAddress(), Mor("100"), U256()},
                                             {pa_.GetAddress(), Mor("10"), U256()},
                                             {pb_.GetAddress(), Mor("10"), U256()}};
    auto g = ledger::DevGenesis(86400, 0, alloc);
    g.start_time = 0;
    ASSERT_EQ(StartLedger(dir_, g, &lport_, &ledger_proc_), "");
    auto l = ledger::RemoteLedger::Connect(LedgerUrl());
    ASSERT_TRUE(l.ok()) << l.error().message;
    ledger_ = std::move(l).value();
    domain_ = wire::Domain(U256(ledger_->domain().chain_id), ledger_->domain().verifying_contract);
    manifest_[0] = 0x77;
    ASSERT_TRUE(testkit::PublishModel(*ledger_, builder_, "acme/tiny", "latest", manifest_).ok());
    ASSERT_EQ(WriteLightKeystore(r1_, dir_ + "/r1.json", "pw", 1), "");
    ASSERT_EQ(WriteLightKeystore(r2_, dir_ + "/r2.json", "pw", 2), "");
  }

  std::string LedgerUrl() const { return "http://127.0.0.1:" + std::to_string(lport_); }

  // A provider whose liveness endpoint is an in-test Pong responder.
  testkit::PongServer& AddProvider(const crypto::PrivateKey& k, uint64_t price) {
    pongs_.push_back(std::make_unique<testkit::PongServer>(*crypto::PrivateKey::FromBytes(k.secret().span()), domain_));
    auto port = pongs_.back()->Start();
    EXPECT_TRUE(port.ok());
    EXPECT_TRUE(testkit::RegisterProvider(*ledger_, k, "127.0.0.1:1;" + pongs_.back()->Url(), Mor("2")).ok());
    EXPECT_TRUE(testkit::SetOffer(*ledger_, k, manifest_, U256(price), 0, 50, 4).ok());
    return *pongs_.back();
  }

  std::unique_ptr<LtProcess> StartRouter(const std::string& name, int port, const std::string& settle_seconds) {
    auto p = std::make_unique<LtProcess>(std::vector<std::string>{
        "router", "serve", "--datadir", dir_ + "/" + name, "--listen", "127.0.0.1:" + std::to_string(port), "--ledger",
        LedgerUrl(), "--keystore", dir_ + "/" + name + ".json", "--password-file", dir_ + "/pw",
        "--settle-every-seconds", settle_seconds, "--stake", "10"});
    EXPECT_TRUE(WaitForHttp("127.0.0.1", port, "/health")) << p->Stderr();
    return p;
  }

  static net::HttpClient Client(int port) { return std::move(net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port)).value()); }

  Result<wire::TicketGrant> Ticket(int port, uint64_t nonce) {
    wire::Rfc rfc;
    rfc.user = user_.GetAddress();
    rfc.model = "acme/tiny:latest";
    rfc.max_price_per_second = U256(10000);
    rfc.want_seconds = 120;
    rfc.nonce = nonce;
    rfc.expires_at = SystemClock::Default()->NowSeconds() + 60;
    auto res = Client(port).Post("/rfc", wire::RfcRequest::Make(rfc, user_, domain_).ToJson().dump());
    if (!res.ok()) return res.error();
    if (res->status != 200) return InvalidArgument("HTTP " + std::to_string(res->status) + ": " + res->body);
    return wire::TicketGrant::FromJson(*res->Json());
  }

  std::string Receipt(const wire::TicketGrant& g, uint32_t seconds) {
    wire::Receipt rb;
    rb.ticket = g.ticket;
    wire::Voucher v;
    v.session_id = g.ticket.ticket.session_id;
    v.seconds = seconds;
    v.tokens_out = 40;
    v.is_final = true;
    rb.voucher = wire::SignVoucher(user_, domain_, v);
    for (const crypto::PrivateKey* p : {&pa_, &pb_}) {  // countersigned by its provider, as one posts it
      if (p->GetAddress() == g.ticket.ticket.provider) rb.provider_sig = wire::CountersignReceipt(*p, rb, domain_);
    }
    return rb.ToJson().dump();
  }

  json Get(int port, const std::string& path) {
    auto r = Client(port).Get(path);
    return r.ok() ? json::parse(r->body, nullptr, false) : json();
  }

  bool WaitSettled(int port, int n, int timeout_ms = 20000) {
    for (int waited = 0; waited < timeout_ms; waited += 100) {
      json s = Get(port, "/stats");
      if (s.is_object() && s["receipts"]["settled"] == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  U256 Claimable(const crypto::Address& a) { return ledger_->GetAccount(a)->claimable; }

  std::string dir_;
  int lport_ = 0;
  std::unique_ptr<LtProcess> ledger_proc_;
  std::unique_ptr<ledger::RemoteLedger> ledger_;
  wire::Domain domain_;
  Hash32 manifest_{};
  crypto::PrivateKey user_ = Key(1, 9), builder_ = Key(2, 9), r1_ = Key(3, 9), r2_ = Key(4, 9);
  crypto::PrivateKey pa_ = Key(5, 9), pb_ = Key(6, 9);
  std::vector<std::unique_ptr<testkit::PongServer>> pongs_;
};

TEST_F(RouterIntegrationTest, RfcGetsTicketAndDeadProviderIsSkippedAndBanned) {
  auto& dead = AddProvider(pa_, 100);  // cheapest, but its liveness endpoint fails
  AddProvider(pb_, 200);
  dead.set_fail(true);
  int port = FreePort();
  auto router = StartRouter("r1", port, "1");
  auto g = Ticket(port, 1);
  ASSERT_TRUE(g.ok()) << g.error().message << router->Stderr();
  EXPECT_EQ(g->ticket.ticket.provider, pb_.GetAddress());
  EXPECT_EQ(g->ticket.ticket.router, r1_.GetAddress());
  EXPECT_EQ(*g->ticket.ticket.Recover(domain_, g->ticket.router_sig), r1_.GetAddress());
  EXPECT_EQ(dead.requests(), 1u);
  json providers = Get(port, "/providers")["providers"];
  bool found = false;
  for (const auto& p : providers) {
    if (p["address"] == pa_.GetAddress().ToChecksumHex()) {
      found = true;
      EXPECT_GT(p["banned_ms"].get<uint64_t>(), 10000u) << p.dump();
      EXPECT_EQ(p["liveness_failed"], 1);
    }
  }
  EXPECT_TRUE(found) << providers.dump();
  // While banned it is not asked again.
  ASSERT_TRUE(Ticket(port, 2).ok());
  EXPECT_EQ(dead.requests(), 1u);
}

TEST_F(RouterIntegrationTest, KillNineLosesNoAcknowledgedReceiptOrSpentNonce) {
  AddProvider(pa_, 1000);
  int port = FreePort();
  auto router = StartRouter("r1", port, "3600");  // would not settle for an hour
  U256 before = Claimable(pa_.GetAddress());
  for (uint64_t n = 1; n <= 3; ++n) {
    auto g = Ticket(port, n);
    ASSERT_TRUE(g.ok()) << g.error().message;
    auto ack = Client(port).Post("/receipts", Receipt(*g, 10 * static_cast<uint32_t>(n)));
    ASSERT_TRUE(ack.ok());
    ASSERT_EQ(ack->status, 200) << ack->body;
  }
  // Killed right after answering: this RFC's nonce and ticket are at most in the intake journal.
  ASSERT_TRUE(Ticket(port, 4).ok());
  router->Kill9();
  EXPECT_EQ(Claimable(pa_.GetAddress()), before);
  auto again = StartRouter("r1", port, "1");
  for (uint64_t n = 1; n <= 4; ++n) {
    auto replay = Ticket(port, n);
    ASSERT_FALSE(replay.ok()) << "nonce " << n << " was spent before the crash";
    EXPECT_NE(replay.error().message.find("replayed"), std::string::npos) << replay.error().message;
  }
  for (const char* k : {".0", ".1"}) {
    EXPECT_EQ(std::filesystem::file_size(dir_ + "/r1/router/router.db-intake" + k), 0u) << "replayed into the database";
  }
  ASSERT_TRUE(WaitSettled(port, 3)) << Get(port, "/stats").dump() << again->Stderr();
  // 60 s at 1000 per second, minus the builder's 5%.
  EXPECT_EQ(*Claimable(pa_.GetAddress()).CheckedSub(before), U256(60000 - 3000));
  json records = Get(port, "/records?since=0");
  EXPECT_EQ(records["records"].size(), 3u);
}

TEST_F(RouterIntegrationTest, TwoRoutersSettleWithoutDoublePaying) {
  AddProvider(pa_, 1000);
  int p1 = FreePort(), p2 = FreePort();
  auto a = StartRouter("r1", p1, "1");
  auto b = StartRouter("r2", p2, "1");
  U256 before = Claimable(pa_.GetAddress());
  std::vector<std::string> receipts_a, receipts_b;
  for (uint64_t n = 1; n <= 2; ++n) {
    auto ga = Ticket(p1, n);
    auto gb = Ticket(p2, n);  // nonces are per router: the same number is fine at another router
    ASSERT_TRUE(ga.ok() && gb.ok());
    receipts_a.push_back(Receipt(*ga, 10));
    receipts_b.push_back(Receipt(*gb, 20));
  }
  // A provider that is unsure posts everywhere: each router takes only its own tickets, and
  // the same receipt twice is acknowledged once.
  for (const auto& r : receipts_a) {
    EXPECT_EQ(Client(p1).Post("/receipts", r)->status, 200);
    EXPECT_EQ(Client(p1).Post("/receipts", r)->status, 200);
    EXPECT_EQ(Client(p2).Post("/receipts", r)->status, 403);
  }
  for (const auto& r : receipts_b) {
    EXPECT_EQ(Client(p2).Post("/receipts", r)->status, 200);
    EXPECT_EQ(Client(p1).Post("/receipts", r)->status, 403);
  }
  ASSERT_TRUE(WaitSettled(p1, 2)) << Get(p1, "/stats").dump();
  ASSERT_TRUE(WaitSettled(p2, 2)) << Get(p2, "/stats").dump();
  // 2 x 10 s + 2 x 20 s at 1000 per second, paid once, minus the builder's 5%.
  EXPECT_EQ(*Claimable(pa_.GetAddress()).CheckedSub(before), U256(60000 - 3000));
  EXPECT_EQ(Get(p1, "/stats")["receipts"]["refused"], 0);
  EXPECT_EQ(Get(p2, "/stats")["receipts"]["refused"], 0);
}

// `lt bench router` end to end (figures are not asserted: machines are noisy): real provider
// processes come up, every RFC gets a ticket, and liveness checks were batched.
TEST(RouterBenchTest, SmokeRunAgainstRealProviderProcesses) {
  auto r = RunLt({"--json", "bench", "router", "--runs", "1", "--rfcs", "300", "--providers", "2", "--clients", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["provider_kind"], "lt provider serve processes");
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["rounds"][0]["rfcs"], 300);
  EXPECT_GT(j["ratio"].get<double>(), 0);
  EXPECT_GT(j["rounds"][0]["cpu_seconds_providers"].get<double>(), 0) << "the providers signed the Pongs";
  EXPECT_GE(j["liveness_challenges"].get<uint64_t>(), 300u);
  EXPECT_LE(j["liveness_requests"].get<uint64_t>(), j["liveness_challenges"].get<uint64_t>());
}

}  // namespace
}  // namespace lt::test
