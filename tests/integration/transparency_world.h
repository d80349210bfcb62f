// Shared set-up of transparency_test.cc and dashboard_test.cc: a real `lt ledger serve` with
// short days, one `lt router serve`, providers whose liveness endpoints are in-test Pong
// responders (as in router_test.cc), and helpers that run settled sessions through the router
// (RFC -> ticket -> receipt with the final voucher's tokens and ttft -> settle_batch).
#ifndef LT_TESTS_INTEGRATION_TRANSPARENCY_WORLD_H_
#define LT_TESTS_INTEGRATION_TRANSPARENCY_WORLD_H_

#include <gtest/gtest.h>

#include <chrono>
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

class TransparencyWorld : public ::testing::Test {
 protected:
  static constexpr uint64_t kDaySeconds = 6;

  void SetUp() override {
    using testkit::Key;
    dir_ = TempDir("lt-transparency");
    WriteFile(dir_ + "/pw", "pw\n");
    auto mor = [](const char* s) { return *U256::FromMor(s); };
    std::vector<ledger::Allocation> alloc = {{user_.GetAddress(), mor("10"), mor("1000")},
                                             {builder_.GetAddress(), mor("10"), U256()},
                                             {router_key_.GetAddress(), mor("100"), U256()},
                                             {pa_.GetAddress(), mor("10"), U256()}};
    auto g = ledger::DevGenesis(kDaySeconds, SystemClock::Default()->NowSeconds(), alloc);  // not 0: days since 1970
    ASSERT_EQ(StartLedger(dir_, g, &lport_, &ledger_proc_), "");
    auto l = ledger::RemoteLedger::Connect(LedgerUrl());
    ASSERT_TRUE(l.ok()) << l.error().message;
    ledger_ = std::move(l).value();
    domain_ = wire::Domain(U256(ledger_->domain().chain_id), ledger_->domain().verifying_contract);
    manifest_[0] = 0x78;
    auto published = testkit::PublishModel(*ledger_, builder_, "acme/tiny", "latest", manifest_);
    ASSERT_TRUE(published.ok()) << published.error().message;
    ASSERT_EQ(WriteLightKeystore(router_key_, dir_ + "/router.json", "pw", 7), "");
    pong_ = std::make_unique<testkit::PongServer>(*crypto::PrivateKey::FromBytes(pa_.secret().span()), domain_);
    ASSERT_TRUE(pong_->Start().ok());
    ASSERT_TRUE(testkit::RegisterProvider(*ledger_, pa_, "127.0.0.1:1;" + pong_->Url(), mor("2")).ok());
    ASSERT_TRUE(testkit::SetOffer(*ledger_, pa_, manifest_, U256(1000), 0, 50, 4).ok());
    port_ = FreePort();
    router_ = std::make_unique<LtProcess>(std::vector<std::string>{
        "router", "serve", "--datadir", dir_ + "/r", "--listen", "127.0.0.1:" + std::to_string(port_), "--ledger",
        LedgerUrl(), "--keystore", dir_ + "/router.json", "--password-file", dir_ + "/pw", "--settle-every-seconds",
        "1", "--stake", "10"});
    ASSERT_TRUE(WaitForHttp("127.0.0.1", port_, "/health")) << router_->Stderr();
  }

  std::string LedgerUrl() const { return "http://127.0.0.1:" + std::to_string(lport_); }
  net::HttpClient Client() const { return std::move(net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port_)).value()); }

  nlohmann::json Get(const std::string& path) {
    auto r = Client().Get(path);
    return r.ok() ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
  }
  std::string GetText(const std::string& path, int* status = nullptr) {
    auto r = Client().Get(path);
    if (status) *status = r.ok() ? r->status : -1;
    return r.ok() ? r->body : "";
  }

  // One session through the router: RFC, ticket, receipt (final voucher with tokens and ttft).
  void RunSession(uint64_t nonce, const std::string& model, uint32_t seconds, uint32_t tokens, uint32_t ttft_ms) {
    wire::Rfc rfc;
    rfc.user = user_.GetAddress();
    rfc.model = model;
    rfc.max_price_per_second = U256(10000);
    rfc.want_seconds = 120;
    rfc.nonce = nonce;
    rfc.expires_at = SystemClock::Default()->NowSeconds() + 60;
    auto res = Client().Post("/rfc", wire::RfcRequest::Make(rfc, user_, domain_).ToJson().dump());
    ASSERT_TRUE(res.ok());
    ASSERT_EQ(res->status, 200) << res->body;
    auto g = wire::TicketGrant::FromJson(*res->Json());
    ASSERT_TRUE(g.ok());
    wire::Receipt rb;
    rb.ticket = g->ticket;
    wire::Voucher v;
    v.session_id = g->ticket.ticket.session_id;
    v.seconds = seconds;
    v.tokens_out = tokens;
    v.ttft_ms = ttft_ms;
    v.is_final = true;
    rb.voucher = wire::SignVoucher(user_, domain_, v);
    rb.provider_sig = wire::CountersignReceipt(pa_, rb, domain_);  // its provider posts it
    auto ack = Client().Post("/receipts", rb.ToJson().dump());
    ASSERT_TRUE(ack.ok());
    ASSERT_EQ(ack->status, 200) << ack->body;
  }

  // An RFC for a model nobody published: counted as unmet.
  void AskUnknown(uint64_t nonce, const std::string& model) {
    wire::Rfc rfc;
    rfc.user = user_.GetAddress();
    rfc.model = model;
    rfc.max_price_per_second = U256(10000);
    rfc.want_seconds = 60;
    rfc.nonce = nonce;
    rfc.expires_at = SystemClock::Default()->NowSeconds() + 60;
    auto res = Client().Post("/rfc", wire::RfcRequest::Make(rfc, user_, domain_).ToJson().dump());
    ASSERT_TRUE(res.ok());
    EXPECT_NE(res->status, 200) << res->body;
  }

  bool WaitFor(const std::function<bool()>& cond, int timeout_ms = 30000) {
    for (int waited = 0; waited < timeout_ms; waited += 200) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  std::string dir_;
  int lport_ = 0, port_ = 0;
  std::unique_ptr<LtProcess> ledger_proc_, router_;
  std::unique_ptr<ledger::RemoteLedger> ledger_;
  wire::Domain domain_;
  Hash32 manifest_{};
  crypto::PrivateKey user_ = testkit::Key(1, 0x31), builder_ = testkit::Key(2, 0x31);
  crypto::PrivateKey router_key_ = testkit::Key(3, 0x31), pa_ = testkit::Key(5, 0x31);
  std::unique_ptr<testkit::PongServer> pong_;
};

}  // namespace lt::test

#endif  // LT_TESTS_INTEGRATION_TRANSPARENCY_WORLD_H_
