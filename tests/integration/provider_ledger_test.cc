// `lt provider serve` against a real `lt ledger serve` (and `lt router serve`): the provider
// registers and publishes its offer with a measured tps (once: a restart sends no transaction),
// accepts tickets of any router staked on the ledger, and gets paid on the full path
// RFC -> router ticket -> session -> receipt -> settle_batch -> claimable -> `lt claim`; with no
// router reachable it settles its receipts directly.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "crypto/keystore.h"
#include "ledger/client.h"
#include "ledger/genesis.h"
#include "testkit/router_world.h"
#include "ledger_process.h"
#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

using json = nlohmann::json;
using testkit::Key;

U256 Mor(const char* s) { return *U256::FromMor(s); }

class ProviderLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("lt-provider-ledger");
    WriteFile(dir_ + "/pw", "pw\n");
    std::vector<ledger::Allocation> alloc = {{user_.GetAddress(), Mor("10"), Mor("1000")},
                                             {builder_.GetAddress(), Mor("10"), U256()},
                                             {router_.GetAddress(), Mor("1000"), U256()},
                                             {provider_.GetAddress(), Mor("100"), U256()}};
    auto g = ledger::DevGenesis(86400, SystemClock::Default()->NowSeconds() - 10, alloc);
    ASSERT_EQ(StartLedger(dir_, g, &lport_, &ledger_proc_), "");
    auto l = ledger::RemoteLedger::Connect(LedgerUrl());
    ASSERT_TRUE(l.ok()) << l.error().message;
    ledger_ = std::move(l).value();
    uint64_t seed = 0;
    for (auto [k, name] : {std::pair{&user_, "user"}, {&builder_, "builder"}, {&router_, "router"}, {&provider_, "provider"}}) {
      ASSERT_EQ(WriteLightKeystore(*k, dir_ + "/" + name + ".json", "pw", ++seed), "");
    }
    // The builder publishes the model by CLI; the tag is NOT the model file's SHA-256, so an
    // offer with this manifest proves the provider took the ledger's tag.
    manifest_ = "0x7777777777777777777777777777777777777777777777777777777777777777";
    auto reg = RunLt({"ledger", "register-model", "demo/stories", "--builder-fee-bps", "500", "--ledger", LedgerUrl(),
                      "--keystore", dir_ + "/builder.json", "--password-file", dir_ + "/pw"});
    ASSERT_EQ(reg.exit_code, 0) << reg.err;
    auto tag = RunLt({"ledger", "set-tag", "demo/stories:260k", "--manifest", manifest_, "--ledger", LedgerUrl(),
                      "--keystore", dir_ + "/builder.json", "--password-file", dir_ + "/pw"});
    ASSERT_EQ(tag.exit_code, 0) << tag.err;
    sport_ = FreePort();
    hport_ = FreePort();
  }

  std::string LedgerUrl() const { return "http://127.0.0.1:" + std::to_string(lport_); }
  std::string Domain() const { return "0x000000000000000000000000000000000000a11c"; }

  void WriteConfig(const std::vector<std::string>& routers, const std::string& extra = "") {
    json rs = routers;
    WriteFile(dir_ + "/provider.toml",
              "keystore = \"provider.json\"\npassword_file = \"pw\"\n"
              "listen = \"127.0.0.1:" + std::to_string(sport_) + "\"\nhttp_listen = \"127.0.0.1:" +
                  std::to_string(hport_) + "\"\nendpoint = \"127.0.0.1:" + std::to_string(sport_) +
                  "\"\nledger = \"" + LedgerUrl() + "\"\nstake = \"10\"\nrouters = " + rs.dump() +
                  "\nmeter_interval_seconds = 1\n" + extra +
                  "\n[[model]]\nname = \"demo/stories:260k\"\nbackend = \"builtin\"\npath = \"" + ModelsDir() +
                  "/stories260K.bin\"\ntokenizer = \"" + ModelsDir() +
                  "/tok512.bin\"\nprice = \"0.001\"\nmin_seconds = 2\nslots = 4\nthreads = 1\n");
  }

  std::unique_ptr<LtProcess> StartProvider() {
    auto p = std::make_unique<LtProcess>(std::vector<std::string>{"--datadir", dir_ + "/provider", "provider", "serve",
                                                                  "--config", dir_ + "/provider.toml"});
    EXPECT_TRUE(WaitForHttp("127.0.0.1", hport_, "/health")) << p->Stderr();
    return p;
  }

  json ProviderStatus() {
    auto r = RunLt({"--json", "provider", "status", "--url", "http://127.0.0.1:" + std::to_string(hport_)});
    return r.exit_code == 0 ? json::parse(r.out, nullptr, false) : json();
  }

  // Waits until the provider says its registration round finished.
  bool WaitRegistered(int timeout_ms = 60000) {
    for (int waited = 0; waited < timeout_ms; waited += 200) {
      json s = ProviderStatus();
      if (s.is_object() && s.contains("registration") && s["registration"]["state"] == "registered") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  json MyRow() {
    auto ps = ledger_->GetProviders();
    if (!ps.ok()) return json();
    for (const auto& p : *ps) {
      if (p.address == provider_.GetAddress()) return p.ToJson();  // its HTTP form
    }
    return json();
  }

  uint64_t TxCount() { return ledger_->GetStats()->transactions; }
  U256 Claimable(const crypto::Address& a) { return ledger_->GetAccount(a)->claimable; }

  bool WaitClaimable(int timeout_ms = 30000) {
    for (int waited = 0; waited < timeout_ms; waited += 200) {
      if (!Claimable(provider_.GetAddress()).IsZero()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }

  RunResult Chat(const std::string& ticket_file) {
    return RunLt({"--json", "session", "chat", "--keystore", dir_ + "/user.json", "--password-file", dir_ + "/pw",
                  "--chain-id", "31337", "--verifying-contract", Domain(), "--ticket", ticket_file, "--prompt",
                  "Once upon a time", "--max-tokens", "30", "--hold-seconds", "1"});
  }

  std::string dir_;
  int lport_ = 0, sport_ = 0, hport_ = 0;
  std::string manifest_;
  std::unique_ptr<LtProcess> ledger_proc_;
  std::unique_ptr<ledger::RemoteLedger> ledger_;
  crypto::PrivateKey user_ = Key(1, 7), builder_ = Key(2, 7), router_ = Key(3, 7), provider_ = Key(4, 7);
};

TEST_F(ProviderLedgerTest, RegistersOnceAndGetsPaidThroughTheRouter) {
  int rport = FreePort();
  std::string router_url = "http://127.0.0.1:" + std::to_string(rport);
  auto router = std::make_unique<LtProcess>(std::vector<std::string>{
      "router", "serve", "--datadir", dir_ + "/router", "--listen", "127.0.0.1:" + std::to_string(rport), "--ledger",
      LedgerUrl(), "--keystore", dir_ + "/router.json", "--password-file", dir_ + "/pw", "--stake", "200",
      "--settle-every-seconds", "1"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", rport, "/health")) << router->Stderr();
  WriteConfig({router_url});  // no accepted_routers: staked routers are accepted
  auto provider = StartProvider();
  ASSERT_TRUE(WaitRegistered()) << provider->Stderr();

  // Registration and offer on the ledger, with the ledger's manifest and a measured tps.
  json row = MyRow();
  ASSERT_TRUE(row.is_object()) << provider->Stderr();
  EXPECT_EQ(row["endpoint"], "127.0.0.1:" + std::to_string(sport_) + ";http://127.0.0.1:" + std::to_string(hport_));
  EXPECT_EQ(row["stake"], Mor("10").ToDecimal());
  ASSERT_EQ(row["offers"].size(), 1u);
  EXPECT_EQ(row["offers"][0]["manifest"], manifest_);
  EXPECT_EQ(row["offers"][0]["model"], "demo/stories");
  EXPECT_GT(row["offers"][0]["tps"].get<uint32_t>(), 0u);
  EXPECT_EQ(row["offers"][0]["slots"], 4);
  EXPECT_EQ(ProviderStatus()["registration"]["transactions"], 2);

  // A restart with the same config sends no transaction.
  uint64_t txs = TxCount();
  EXPECT_EQ(provider->Stop(), 0);
  provider = StartProvider();
  ASSERT_TRUE(WaitRegistered()) << provider->Stderr();
  EXPECT_EQ(TxCount(), txs) << provider->Stderr();
  EXPECT_EQ(ProviderStatus()["registration"]["transactions"], 0);

  // The full path: a user's RFC to the router, the router's ticket, a session, the receipt.
  RunResult rfc;
  for (int i = 0; i < 50; ++i) {
    rfc = RunLt({"--json", "session", "rfc", "--keystore", dir_ + "/user.json", "--password-file", dir_ + "/pw",
                 "--chain-id", "31337", "--verifying-contract", Domain(), "--router", router_url, "--model",
                 "demo/stories:260k", "--max-price", "0.01", "--want-seconds", "60", "--out", dir_ + "/grant.json"});
    if (rfc.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the router caches offers 5 s
  }
  ASSERT_EQ(rfc.exit_code, 0) << rfc.err << router->Stderr();
  json grant = json::parse(rfc.out);
  EXPECT_EQ(grant["ticket"]["provider"], provider_.GetAddress().ToChecksumHex());
  EXPECT_EQ(grant["ticket"]["router"], router_.GetAddress().ToChecksumHex());
  EXPECT_EQ(grant["endpoint"], "127.0.0.1:" + std::to_string(sport_));
  auto chat = Chat(dir_ + "/grant.json");
  ASSERT_EQ(chat.exit_code, 0) << chat.err << provider->Stderr();
  json out = json::parse(chat.out);
  EXPECT_FALSE(out["text"].get<std::string>().empty());

  ASSERT_TRUE(WaitClaimable()) << provider->Stderr() << router->Stderr();
  json st = ProviderStatus();
  EXPECT_EQ(st["receipts"]["to_routers"], 1);
  EXPECT_EQ(st["receipts"]["settled_directly"], 0);
  EXPECT_NE(st["ledger"]["claimable"], "0");
  // The router that matched it lists the provider, passed its liveness check, and bans nothing.
  ASSERT_EQ(st["routers"].size(), 1u) << st.dump();
  EXPECT_EQ(st["routers"][0]["listed"], true) << st.dump();
  EXPECT_EQ(st["routers"][0]["banned_ms"], 0) << st.dump();
  EXPECT_GE(st["routers"][0]["liveness_ok"].get<int>(), 1) << st.dump();

  // `lt claim` moves the provider's earnings to its wallet.
  U256 claimable = Claimable(provider_.GetAddress());
  U256 wallet = ledger_->GetAccount(provider_.GetAddress())->wallet;
  auto claim = RunLt({"claim", "--ledger", LedgerUrl(), "--keystore", dir_ + "/provider.json", "--password-file", dir_ + "/pw"});
  ASSERT_EQ(claim.exit_code, 0) << claim.err;
  auto acct = ledger_->GetAccount(provider_.GetAddress());
  EXPECT_TRUE(acct->claimable.IsZero());
  EXPECT_EQ(acct->wallet, *wallet.CheckedAdd(claimable));
}

TEST_F(ProviderLedgerTest, SettlesDirectlyWhenNoRouterTakesTheReceipt) {
  // The router is staked on the ledger but its server is down: tickets it signed are accepted
  // (staked router) and the receipt goes straight to the ledger.
  ASSERT_TRUE(testkit::StakeRouter(*ledger_, router_, Mor("100")).ok());
  WriteConfig({"http://127.0.0.1:" + std::to_string(FreePort())}, "direct_settle_after_seconds = 1\n");
  auto provider = StartProvider();
  ASSERT_TRUE(WaitRegistered()) << provider->Stderr();
  auto ticket = RunLt({"session", "ticket", "--keystore", dir_ + "/router.json", "--password-file", dir_ + "/pw",
                       "--chain-id", "31337", "--verifying-contract", Domain(), "--user",
                       user_.GetAddress().ToChecksumHex(), "--provider", provider_.GetAddress().ToChecksumHex(),
                       "--manifest", manifest_, "--price", "0.001", "--min-seconds", "2", "--max-seconds", "60", "--out",
                       dir_ + "/ticket.json"});
  ASSERT_EQ(ticket.exit_code, 0) << ticket.err;
  // No --provider: give the endpoint in the ticket file like a grant does.
  json t = json::parse(ReadFileOrEmpty(dir_ + "/ticket.json"));
  t["endpoint"] = "127.0.0.1:" + std::to_string(sport_);
  WriteFile(dir_ + "/ticket.json", t.dump());
  auto chat = Chat(dir_ + "/ticket.json");
  ASSERT_EQ(chat.exit_code, 0) << chat.err << provider->Stderr();

  ASSERT_TRUE(WaitClaimable()) << provider->Stderr();
  json st = ProviderStatus();
  EXPECT_EQ(st["receipts"]["settled_directly"], 1) << st.dump();
  EXPECT_EQ(st["receipts"]["to_routers"], 0);
  // Nothing is left in the spool, and the session counts once on the ledger.
  EXPECT_EQ(ReadFileOrEmpty(dir_ + "/provider/receipts.jsonl"), "");
  EXPECT_EQ(ledger_->GetStats()->sessions_settled, 1u);
}

TEST_F(ProviderLedgerTest, UnstakedRouterTicketIsRefused) {
  // No router stake on the ledger and no accepted_routers: the ticket is refused clearly.
  WriteConfig({});
  auto provider = StartProvider();
  auto ticket = RunLt({"session", "ticket", "--keystore", dir_ + "/router.json", "--password-file", dir_ + "/pw",
                       "--chain-id", "31337", "--verifying-contract", Domain(), "--user",
                       user_.GetAddress().ToChecksumHex(), "--provider", provider_.GetAddress().ToChecksumHex(),
                       "--manifest", manifest_, "--price", "0.001", "--min-seconds", "2", "--out", dir_ + "/ticket.json"});
  ASSERT_EQ(ticket.exit_code, 0) << ticket.err;
  auto chat = RunLt({"session", "chat", "--keystore", dir_ + "/user.json", "--password-file", dir_ + "/pw", "--chain-id",
                     "31337", "--verifying-contract", Domain(), "--provider", "127.0.0.1:" + std::to_string(sport_),
                     "--ticket", dir_ + "/ticket.json", "--prompt", "hi"});
  EXPECT_NE(chat.exit_code, 0);
  EXPECT_NE(chat.err.find("is not accepted by this provider"), std::string::npos) << chat.err;
}

}  // namespace
}  // namespace lt::test
