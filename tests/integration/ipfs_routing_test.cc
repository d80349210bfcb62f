// A router answers the IPFS Delegated Routing V1 HTTP API (doc/router.md "Delegated routing") with
// real processes: `lt ledger serve`, `lt router serve` and a holder's `lt store serve` that
// announces. Holders are listed for a root and for any block under it, as
// transport-ipfs-gateway-http peers whose multiaddr is the gateway; JSON and NDJSON; IPIP-484
// filters; the spec's statuses. `lt model pull --routing` finds holders through it.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "ledger/genesis.h"
#include "ledger_process.h"
#include "net/http.h"
#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

using json = nlohmann::json;

std::string NewKey(const std::string& dir, const std::string& name) {
  auto r = RunLt({"--json", "key", "new", "--keystore", dir + "/" + name + ".json", "--password-file", dir + "/pw",
                  "--light"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out, nullptr, false).value("address", "");
}

class IpfsRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("lt-iroute");
    WriteFile(dir_ + "/pw", "pw\n");
    std::string holder = NewKey(dir_, "holder"), router = NewKey(dir_, "router");
    std::vector<ledger::Allocation> alloc{{*crypto::ParseAddress(holder), *U256::FromMor("1"), *U256::FromMor("0")},
                                          {*crypto::ParseAddress(router), *U256::FromMor("100"), *U256::FromMor("0")}};
    auto g = ledger::DevGenesis(86400, 0, alloc);
    g.start_time = 0;
    ASSERT_EQ(StartLedger(dir_, g, &lport_, &ledger_), "");
    rport_ = FreePort();
    router_ = std::make_unique<LtProcess>(std::vector<std::string>{
        "router", "serve", "--datadir", dir_ + "/router", "--listen", "127.0.0.1:" + std::to_string(rport_), "--ledger",
        "http://127.0.0.1:" + std::to_string(lport_), "--keystore", dir_ + "/router.json", "--password-file",
        dir_ + "/pw", "--stake", "10"});
    ASSERT_TRUE(WaitForHttp("127.0.0.1", rport_, "/health")) << router_->Stderr();
    // What the holder keeps: a model directory of a 2.5 MiB file (three leaves) and a config.
    std::string m = dir_ + "/model";
    std::filesystem::create_directories(m);
    std::string w(5 * (1 << 19) + 11, '\0');
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<char>(i * 31 + i / 4096);
    WriteFile(m + "/weights.bin", w);
    WriteFile(m + "/config.json", "{\"dim\": 8}");
    auto add = RunLt({"--datadir", dir_ + "/holder", "--json", "store", "add", m});
    ASSERT_EQ(add.exit_code, 0) << add.err;
    root_ = json::parse(add.out)["cid"];
    gport_ = FreePort();
    gateway_ = std::make_unique<LtProcess>(std::vector<std::string>{
        "--datadir", dir_ + "/holder", "store", "serve", "--listen", "127.0.0.1:" + std::to_string(gport_),
        "--router", RouterUrl(), "--ledger", "http://127.0.0.1:" + std::to_string(lport_), "--keystore",
        dir_ + "/holder.json", "--password-file", dir_ + "/pw"});
    for (int i = 0; i < 100 && Providers(root_).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_FALSE(Providers(root_).empty()) << gateway_->Stderr();
  }

  std::string RouterUrl() const { return "http://127.0.0.1:" + std::to_string(rport_); }

  net::HttpClientResponse Get(const std::string& path, const std::multimap<std::string, std::string>& h = {}) {
    auto c = net::HttpClient::Create(RouterUrl()).value();
    auto r = c.Get(path, h);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : net::HttpClientResponse{};
  }
  json Providers(const std::string& cid, const std::string& query = "") {
    auto r = Get("/routing/v1/providers/" + cid + query);
    auto j = json::parse(r.body, nullptr, false);
    return r.status == 200 && j.is_object() ? j["Providers"] : json::array();
  }

  std::string dir_, root_;
  int lport_ = 0, rport_ = 0, gport_ = 0;
  std::unique_ptr<LtProcess> ledger_, router_, gateway_;
};

TEST_F(IpfsRoutingTest, ListsTheHoldersOfARootAndOfAnyBlockUnderIt) {
  json p = Providers(root_);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]["Schema"], "peer");
  EXPECT_EQ(p[0]["Protocols"], json::array({"transport-ipfs-gateway-http"}));
  EXPECT_EQ(p[0]["Addrs"], json::array({"/ip4/127.0.0.1/tcp/" + std::to_string(gport_) + "/http"}));
  std::string id = p[0]["ID"];
  EXPECT_EQ(id.rfind("Qm", 0), 0u);
  EXPECT_EQ(id.size(), 46u);
  // Any block of the model, via the router's block index: the file under the directory (its CID
  // is what `lt cid` gives the same file) and one of its leaves.
  auto file_cid = RunLt({"cid", dir_ + "/model/weights.bin"});
  ASSERT_EQ(file_cid.exit_code, 0);
  std::string file = file_cid.out.substr(0, file_cid.out.size() - 1);
  json pf = Providers(file);
  ASSERT_EQ(pf.size(), 1u);
  EXPECT_EQ(pf[0]["ID"], id);  // the same holder, the same ID
  // A leaf: the first MiB of weights.bin as a raw block.
  std::string first(1 << 20, '\0');
  for (size_t i = 0; i < first.size(); ++i) first[i] = static_cast<char>(i * 31 + i / 4096);
  WriteFile(dir_ + "/leaf", first);
  auto leaf = RunLt({"cid", dir_ + "/leaf"});
  std::string leaf_cid = leaf.out.substr(0, leaf.out.size() - 1);
  EXPECT_EQ(Providers(leaf_cid).size(), 1u);
  // Unknown content: 200 with no record, and a short cache life.
  std::string absent = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
  auto none = Get("/routing/v1/providers/" + absent);
  EXPECT_EQ(none.status, 200);
  EXPECT_EQ(json::parse(none.body)["Providers"], json::array());
  EXPECT_NE(none.Header("Cache-Control").find("max-age=15"), std::string::npos);
  EXPECT_EQ(Get("/routing/v1/providers/not-a-cid").status, 422);
  EXPECT_EQ(Get("/routing/v1/peers/" + id).status, 501);
}

TEST_F(IpfsRoutingTest, NdjsonAndIpip484Filters) {
  auto nd = Get("/routing/v1/providers/" + root_, {{"Accept", "application/x-ndjson"}});
  EXPECT_EQ(nd.status, 200);
  EXPECT_EQ(nd.Header("Content-Type"), "application/x-ndjson");
  ASSERT_FALSE(nd.body.empty());
  EXPECT_EQ(nd.body.back(), '\n');
  EXPECT_EQ(json::parse(nd.body.substr(0, nd.body.find('\n')))["Schema"], "peer");
  EXPECT_EQ(Get("/routing/v1/providers/" + root_).Header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(Providers(root_, "?filter-protocols=transport-bitswap").size(), 0u);
  EXPECT_EQ(Providers(root_, "?filter-protocols=transport-bitswap,transport-ipfs-gateway-http").size(), 1u);
  EXPECT_EQ(Providers(root_, "?filter-addrs=!ip4").size(), 0u);
  EXPECT_EQ(Providers(root_, "?filter-addrs=http").size(), 1u);
  EXPECT_EQ(Providers(root_, "?filter-addrs=tls,webtransport").size(), 0u);
}

TEST_F(IpfsRoutingTest, PullFindsHoldersThroughDelegatedRouting) {
  auto pull = RunLt({"--datadir", dir_ + "/puller", "--json", "model", "pull", root_, "--routing", RouterUrl() + "/routing/v1"},
                    "", 60000);
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_GE(json::parse(pull.out)["blocks_fetched"].get<int>(), 5);
  auto none = RunLt({"--datadir", dir_ + "/puller2", "model", "pull",
                     "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", "--routing", RouterUrl()},
                    "", 60000);
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no holder"), std::string::npos) << none.err;
  auto https = RunLt({"--datadir", dir_ + "/puller3", "model", "pull", root_, "--peer", "https://ipfs.example"});
  EXPECT_EQ(https.exit_code, 1);
  EXPECT_NE(https.err.find("no TLS"), std::string::npos) << https.err;
}

}  // namespace
}  // namespace lt::test
