// The ledger through real `lt` processes: `lt ledger init/serve/verify/txs/close-day`, the user
// commands (balance, transfer, deposit, withdraw, claim), and crash safety: kill -9 the serving
// process at random points of a transaction stream, ten times; after each restart the invariant
// holds, every acknowledged transaction is in the log, and `lt ledger verify` passes.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

using json = nlohmann::json;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

class LedgerCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("lt-ledger");
    pw_ = dir_ + "/pw";
    WriteFile(pw_, "pw\n");
  }
  // A new light keystore; returns its address.
  std::string NewKey(const std::string& name) {
    auto r = RunLt({"key", "new", "--keystore", Ks(name), "--password-file", pw_, "--light"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Trim(r.out);
  }
  std::string Ks(const std::string& name) { return dir_ + "/" + name + ".json"; }
  void Init(const std::vector<std::pair<std::string, std::pair<std::string, std::string>>>& alloc,
            uint64_t day_seconds = 86400) {
    json a = json::array();
    for (const auto& [addr, wv] : alloc)
      a.push_back({{"address", addr}, {"wallet", wv.first}, {"vault", wv.second}});
    json g = {{"chain_id", 31337},
              {"verifying_contract", "0x000000000000000000000000000000000000a11c"},
              {"day_seconds", day_seconds},
              {"pools", {{"compute", "1000000"}, {"community", "100000"}}},
              {"allocations", a}};
    WriteFile(dir_ + "/genesis.json", g.dump());
    auto r = RunLt({"ledger", "init", "--datadir", dir_ + "/data", "--genesis", dir_ + "/genesis.json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void Serve() {
    port_ = FreePort();
    server_ = std::make_unique<LtProcess>(std::vector<std::string>{
        "ledger", "serve", "--datadir", dir_ + "/data", "--listen", "127.0.0.1:" + std::to_string(port_)});
    ASSERT_TRUE(WaitForHttp("127.0.0.1", port_, "/health")) << server_->Stderr();
  }
  std::string Url() { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> As(const std::string& name) {
    return {"--ledger", Url(), "--keystore", Ks(name), "--password-file", pw_};
  }
  RunResult Lt(std::vector<std::string> args, const std::vector<std::string>& extra) {
    args.insert(args.end(), extra.begin(), extra.end());
    return RunLt(args);
  }
  json BalanceJson(const std::string& addr) {
    auto r = RunLt({"--json", "balance", "--ledger", Url(), "--address", addr});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  std::string dir_, pw_;
  int port_ = 0;
  std::unique_ptr<LtProcess> server_;
};

TEST_F(LedgerCli, UserCommandsMoveMoneyAndFailClearly) {
  std::string alice = NewKey("alice"), bob = NewKey("bob");
  Init({{alice, {"100", "50"}}});
  Serve();
  auto r = RunLt({"balance", "--ledger", Url(), "--keystore", Ks("alice")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wallet       100 MOR"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("vault        50 MOR"), std::string::npos) << r.out;

  r = Lt({"transfer", "--to", bob, "--amount", "10.5"}, As("alice"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(BalanceJson(bob)["wallet"], "10500000000000000000");
  r = Lt({"deposit", "--amount", "20"}, As("alice"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Lt({"withdraw", "--amount", "5"}, As("alice"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json a = BalanceJson(alice);
  EXPECT_EQ(a["wallet"], "69500000000000000000");
  EXPECT_EQ(a["vault"], "65000000000000000000");
  EXPECT_EQ(a["pending_withdrawal"], "5000000000000000000");
  EXPECT_EQ(a["nonce"], 3);

  r = Lt({"claim"}, As("alice"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("lt: error: nothing to claim"), std::string::npos) << r.err;
  r = Lt({"transfer", "--to", bob, "--amount", "1000"}, As("alice"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("insufficient funds"), std::string::npos) << r.err;
  r = Lt({"transfer", "--to", "0x123", "--amount", "1"}, As("alice"));
  EXPECT_EQ(r.exit_code, 1);
  r = Lt({"transfer", "--to", bob, "--amount", "1"}, {"--ledger", Url(), "--keystore", Ks("alice")});
  EXPECT_EQ(r.exit_code, 1);  // no password file and no terminal

  r = RunLt({"ledger", "txs", "--ledger", Url()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("#0 "), std::string::npos);
  EXPECT_NE(r.out.find("transfer"), std::string::npos);
  EXPECT_NE(r.out.find("withdraw"), std::string::npos);
  r = RunLt({"--json", "ledger", "txs", "--ledger", Url(), "--from", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json txs = json::parse(r.out, nullptr, false);
  ASSERT_EQ(txs["txs"].size(), 2u);
  EXPECT_EQ(txs["txs"][0]["type"], "deposit");

  r = RunLt({"ledger", "close-day", "--ledger", Url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = RunLt({"ledger", "state", "--ledger", Url()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server_->Stop(), 0);
  r = RunLt({"ledger", "verify", "--datadir", dir_ + "/data"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ok: 3 tx log entries"), std::string::npos) << r.out;
}

TEST_F(LedgerCli, WithdrawalReachesTheWalletAtTheNextDay) {
  std::string alice = NewKey("alice");
  Init({{alice, {"0", "50"}}}, /*day_seconds=*/2);
  Serve();
  auto r = Lt({"withdraw", "--amount", "50"}, As("alice"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(BalanceJson(alice)["wallet"], "0");
  // The server closes ended days by itself (every second).
  json a;
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    a = BalanceJson(alice);
    if (a["wallet"] != "0") break;
  }
  EXPECT_EQ(a["wallet"], "50000000000000000000");
  EXPECT_EQ(a["pending_withdrawal"], "0");
  EXPECT_EQ(server_->Stop(), 0);
  r = RunLt({"ledger", "verify", "--datadir", dir_ + "/data"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(LedgerCli, SurvivesKillNineWithEveryAcknowledgedTransaction) {
  constexpr int kSenders = 3;
  std::string bob = NewKey("bob");
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> alloc;
  for (int i = 0; i < kSenders; ++i) alloc.push_back({NewKey("s" + std::to_string(i)), {"1000", "0"}});
  Init(alloc);
  unsigned seed = static_cast<unsigned>(std::time(nullptr));
  std::cout << "crash test seed " << seed << std::endl;
  std::mt19937 rng(seed);
  std::map<uint64_t, std::string> acknowledged;  // log index -> amount in MOR
  int counter = 0;
  for (int round = 0; round < 10; ++round) {
    Serve();
    // A stream of transfers from kSenders senders at once; kill -9 at a random moment.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(100 + rng() % 400);
    std::vector<std::unique_ptr<LtProcess>> running(kSenders);
    std::vector<std::string> amounts(kSenders);
    auto collect = [&](int i) {
      int code = running[i]->Stop(15, 20000);
      if (code == 0) {
        json j = json::parse(running[i]->Stdout(), nullptr, false);
        ASSERT_TRUE(j.is_object()) << running[i]->Stdout();
        acknowledged[j["index"].get<uint64_t>()] = amounts[i];
      }
      running[i].reset();
    };
    while (std::chrono::steady_clock::now() < deadline) {
      for (int i = 0; i < kSenders; ++i) {
        if (running[i] && running[i]->Running()) continue;
        if (running[i]) collect(i);
        amounts[i] = "0.00" + std::to_string(1 + (++counter % 9));
        std::vector<std::string> args = {"--json", "transfer", "--to", bob, "--amount", amounts[i]};
        for (const auto& a : As("s" + std::to_string(i))) args.push_back(a);
        running[i] = std::make_unique<LtProcess>(args);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    server_->Kill9();
    for (int i = 0; i < kSenders; ++i) {
      if (running[i]) {
        while (running[i]->Running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        collect(i);
      }
    }
    // Restart: the invariant holds and every acknowledged transaction is in the log.
    Serve();
    auto st = RunLt({"ledger", "state", "--ledger", Url()});
    ASSERT_EQ(st.exit_code, 0) << "round " << round << ": " << st.err;
    auto r = RunLt({"--json", "ledger", "txs", "--ledger", Url(), "--limit", "1000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json log = json::parse(r.out, nullptr, false);
    std::map<uint64_t, json> by_index;
    for (const auto& e : log["txs"]) by_index[e["index"].get<uint64_t>()] = e;
    for (const auto& [idx, amount] : acknowledged) {
      ASSERT_TRUE(by_index.count(idx)) << "round " << round << ": acknowledged tx #" << idx << " is lost";
      EXPECT_EQ(by_index[idx]["type"], "transfer");
    }
    EXPECT_EQ(server_->Stop(), 0);
    auto v = RunLt({"ledger", "verify", "--datadir", dir_ + "/data"});
    ASSERT_EQ(v.exit_code, 0) << "round " << round << ": " << v.err;
  }
  std::cout << acknowledged.size() << " acknowledged transfers across 10 kill -9 rounds" << std::endl;
  EXPECT_GT(acknowledged.size(), 10u);
}

}  // namespace
}  // namespace lt::test
