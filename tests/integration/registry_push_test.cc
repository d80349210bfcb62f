// Publishing and finding models by name with real processes: `lt ledger serve`, `lt router serve`
// and the builder's `lt store serve` gateway. `lt model push` writes the manifest, sets the tag
// (bytes32 = SHA-256 of the manifest block) and announces to the router; `lt model pull NAME:TAG`
// on another store resolves on the ledger, finds the holder through the router and gets
// byte-identical files. A non-owner's push or tag is refused; a provider whose [[model]] has no
// path pulls it, serves /ipfs/<root> and runs a session.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "crypto/keys.h"
#include "ledger/client.h"
#include "ledger/genesis.h"
#include "net/http.h"
#include "ledger_process.h"
#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

using json = nlohmann::json;

std::string NewKey(const std::string& dir, const std::string& name) {
  auto r = RunLt({"--json", "key", "new", "--keystore", dir + "/" + name + ".json", "--password-file",
                  dir + "/pw", "--light"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out, nullptr, false).value("address", "");
}

class RegistryPushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("lt-regpush");
    WriteFile(dir_ + "/pw", "pw\n");
    builder_ = NewKey(dir_, "builder");
    other_ = NewKey(dir_, "other");
    router_ = NewKey(dir_, "router");
    provider_ = NewKey(dir_, "provider");
    user_ = NewKey(dir_, "user");
    auto mor = [](const char* s) { return *U256::FromMor(s); };
    std::vector<ledger::Allocation> alloc;
    for (const auto& [a, w, v] :
         std::vector<std::tuple<std::string, const char*, const char*>>{{builder_, "10", "0"},
                                                                        {other_, "10", "0"},
                                                                        {router_, "100", "0"},
                                                                        {provider_, "100", "0"},
                                                                        {user_, "10", "100"}}) {
      alloc.push_back({*crypto::ParseAddress(a), mor(w), mor(v)});
    }
    auto g = ledger::DevGenesis(86400, 0, alloc);
    g.start_time = 0;
    ASSERT_EQ(StartLedger(dir_, g, &lport_, &ledger_), "");
    rport_ = FreePort();
    router_proc_ = std::make_unique<LtProcess>(
        std::vector<std::string>{"router", "serve", "--datadir", dir_ + "/router", "--listen",
                                 "127.0.0.1:" + std::to_string(rport_), "--ledger", LedgerUrl(), "--keystore",
                                 dir_ + "/router.json", "--password-file", dir_ + "/pw", "--stake", "10"});
    ASSERT_TRUE(WaitForHttp("127.0.0.1", rport_, "/health")) << router_proc_->Stderr();
    gport_ = FreePort();
    gateway_ = std::make_unique<LtProcess>(std::vector<std::string>{
        "--datadir", dir_ + "/builder", "store", "serve", "--listen", "127.0.0.1:" + std::to_string(gport_)});
    ASSERT_TRUE(WaitForHttp("127.0.0.1", gport_, "/ipfs/x")) << gateway_->Stderr();
  }

  std::string LedgerUrl() const { return "http://127.0.0.1:" + std::to_string(lport_); }
  std::string RouterUrl() const { return "http://127.0.0.1:" + std::to_string(rport_); }
  std::string GatewayUrl() const { return "http://127.0.0.1:" + std::to_string(gport_); }

  RunResult Push(const std::string& who, const std::string& name_tag) {
    return RunLt({"--datadir",
                  dir_ + "/builder",
                  "--json",
                  "model",
                  "push",
                  name_tag,
                  ModelsDir() + "/stories260K.bin",
                  "--tokenizer",
                  ModelsDir() + "/tok512.bin",
                  "--format",
                  "llama2c",
                  "--architecture",
                  "llama",
                  "--ledger",
                  LedgerUrl(),
                  "--keystore",
                  dir_ + "/" + who + ".json",
                  "--password-file",
                  dir_ + "/pw",
                  "--router",
                  RouterUrl(),
                  "--gateway",
                  GatewayUrl()});
  }

  json LedgerModel(const std::string& name) {
    auto c = net::HttpClient::Create(LedgerUrl());
    auto r = c->Get("/models/" + name);
    return r.ok() ? json::parse(r->body, nullptr, false) : json();
  }

  std::string HttpGet(int port, const std::string& path, int* status = nullptr) {
    auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port));
    auto r = c->Get(path);
    if (status) *status = r.ok() ? r->status : 0;
    return r.ok() ? r->body : "";
  }

  std::string dir_, builder_, other_, router_, provider_, user_;
  int lport_ = 0, rport_ = 0, gport_ = 0;
  std::unique_ptr<LtProcess> ledger_, router_proc_, gateway_;
};

// Issue 21: `lt model push --kind agent --format agent NAME AGENT.json` publishes an agent: the
// ledger registers the name with kind agent, the manifest carries the validated agent object.
TEST_F(RegistryPushTest, AgentPushCarriesTheAgentObject) {
  json agent = {{"name", "acme/helper"},
                {"kind", "agent"},
                {"agent",
                 {{"base_model", "demo/stories:260k"},
                  {"system_prompt", "You help with Lake Travis money."},
                  {"tools", json::array({{{"type", "function"}, {"function", {{"name", "propose_transaction"}}}}})},
                  {"trusted_contracts", {"ComputeContract"}}}}};
  WriteFile(dir_ + "/agent.json", agent.dump());
  auto push = [&](const std::string& file, const std::string& kind) {
    return RunLt({"--datadir", dir_ + "/builder", "--json", "model", "push", "acme/helper:v1", file, "--kind", kind,
                  "--format", "agent", "--builder-fee-bps", "300", "--ledger", LedgerUrl(), "--keystore",
                  dir_ + "/builder.json", "--password-file", dir_ + "/pw"});
  };
  auto bad_kind = push(dir_ + "/agent.json", "model");
  EXPECT_NE(bad_kind.exit_code, 0);
  EXPECT_NE(bad_kind.err.find("--kind agent --format agent"), std::string::npos) << bad_kind.err;
  json broken = agent;
  broken["agent"]["base_model"] = "demo/stories@bafy";
  WriteFile(dir_ + "/broken.json", broken.dump());
  auto bad_spec = push(dir_ + "/broken.json", "agent");
  EXPECT_NE(bad_spec.exit_code, 0);
  EXPECT_NE(bad_spec.err.find("agent.base_model: expected NAME:TAG"), std::string::npos) << bad_spec.err;
  EXPECT_TRUE(LedgerModel("acme/helper").is_discarded() || !LedgerModel("acme/helper").contains("kind"));

  auto r = push(dir_ + "/agent.json", "agent");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json p = json::parse(r.out);
  EXPECT_TRUE(p["registered"].get<bool>());
  json row = LedgerModel("acme/helper");
  EXPECT_EQ(row["kind"], "agent") << row.dump();
  EXPECT_EQ(row["tags"]["v1"], p["bytes32"]);
  // The manifest block in the builder's store holds the agent object.
  int status = 0;
  std::string block = HttpGet(gport_, "/ipfs/" + p["manifest"].get<std::string>() + "?format=raw", &status);
  ASSERT_EQ(status, 200);
  json m = json::parse(block);
  EXPECT_EQ(m["kind"], "agent");
  EXPECT_EQ(m["builder_fee_bps"], 300);
  EXPECT_EQ(m["agent"]["base_model"], "demo/stories:260k");
  EXPECT_EQ(m["agent"]["trusted_contracts"], json::array({"ComputeContract"}));
}

TEST_F(RegistryPushTest, PushThenPullByNameThroughTheRouterGivesIdenticalFiles) {
  auto push = Push("builder", "demo/stories:260k");
  ASSERT_EQ(push.exit_code, 0) << push.err;
  json p = json::parse(push.out);
  std::string manifest = p["manifest"], bytes32 = p["bytes32"], root = p["root"];
  EXPECT_TRUE(p["registered"].get<bool>());
  EXPECT_EQ(p["announced"].size(), 1u);

  // The ledger's tag is the SHA-256 of the manifest block the gateway serves.
  EXPECT_EQ(LedgerModel("demo/stories")["tags"]["260k"], bytes32);
  int status = 0;
  std::string block = HttpGet(gport_, "/ipfs/" + manifest + "?format=raw", &status);
  ASSERT_EQ(status, 200);
  WriteFile(dir_ + "/manifest.json", block);
  auto sum = lt::test::Run(FindProgram("sha256sum"), {dir_ + "/manifest.json"});
  ASSERT_EQ(sum.exit_code, 0);
  EXPECT_EQ("0x" + sum.out.substr(0, 64), bytes32);
  json m = json::parse(block);
  EXPECT_EQ(m["name"], "demo/stories");
  EXPECT_EQ(m["format"], "llama2c");
  EXPECT_EQ(m["root"], root);
  EXPECT_EQ(m["builder"].get<std::string>().size(), 42u);

  // The router knows the builder's gateway as a holder of both.
  json holders = json::parse(HttpGet(rport_, "/holders/" + root));
  ASSERT_EQ(holders["holders"].size(), 1u) << holders.dump();
  EXPECT_EQ(holders["holders"][0]["http"], GatewayUrl());

  // Pull on a second store: only the ledger and the router are given.
  auto pull = RunLt({"--datadir", dir_ + "/puller", "--json", "model", "pull", "demo/stories:260k",
                     "--ledger", LedgerUrl(), "--router", RouterUrl(), "--quiet"});
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  json r = json::parse(pull.out);
  EXPECT_EQ(r["manifest"], manifest);
  EXPECT_EQ(r["root"], root);
  ASSERT_EQ(r["files"].size(), 2u);
  for (const auto& f : r["files"]) {
    std::string want = ReadFileOrEmpty(ModelsDir() + "/" + f["name"].get<std::string>());
    ASSERT_FALSE(want.empty()) << f.dump();
    EXPECT_TRUE(ReadFileOrEmpty(f["path"]) == want) << f.dump();
  }

  // ls and inspect see it locally; rm --gc frees it.
  auto ls = RunLt({"--datadir", dir_ + "/puller", "--json", "model", "ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  json l = json::parse(ls.out);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]["ref"], "demo/stories:260k");
  EXPECT_EQ(l[0]["manifest"], manifest);
  EXPECT_TRUE(l[0]["complete"].get<bool>());
  auto ins = RunLt({"--datadir", dir_ + "/puller", "--json", "model", "inspect", "demo/stories:260k"});
  ASSERT_EQ(ins.exit_code, 0) << ins.err;
  json in = json::parse(ins.out);
  EXPECT_EQ(in["bytes32"], bytes32);
  EXPECT_EQ(in["dag"]["type"], "directory");
  auto rm = RunLt({"--datadir", dir_ + "/puller", "--json", "model", "rm", "demo/stories:260k", "--gc"});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_GT(json::parse(rm.out)["gc"]["bytes_freed"].get<uint64_t>(), 500000u);
  EXPECT_EQ(json::parse(RunLt({"--datadir", dir_ + "/puller", "--json", "model", "ls"}).out).size(), 0u);

  // Inspect from the network (not local any more).
  auto ins2 = RunLt({"--datadir", dir_ + "/puller", "--json", "model", "inspect", "demo/stories:260k",
                     "--ledger", LedgerUrl(), "--router", RouterUrl()});
  ASSERT_EQ(ins2.exit_code, 0) << ins2.err;
  EXPECT_FALSE(json::parse(ins2.out)["dag"]["local"].get<bool>());
}

TEST_F(RegistryPushTest, OnlyTheOwnerPushesOrMovesTags) {
  ASSERT_EQ(Push("builder", "demo/stories:260k").exit_code, 0);
  auto evil = Push("other", "demo/stories:latest");
  EXPECT_EQ(evil.exit_code, 1);
  EXPECT_NE(evil.err.find("owned by"), std::string::npos) << evil.err;
  EXPECT_FALSE(LedgerModel("demo/stories")["tags"].contains("latest"));

  std::vector<std::string> tag = {
      "--datadir",           dir_ + "/builder",   "--json",   "model",     "tag",
      "demo/stories:stable", "demo/stories:260k", "--ledger", LedgerUrl(), "--password-file",
      dir_ + "/pw",          "--keystore"};
  auto t_other = RunLt([&] {
    auto a = tag;
    a.push_back(dir_ + "/other.json");
    return a;
  }());
  EXPECT_EQ(t_other.exit_code, 1);
  EXPECT_NE(t_other.err.find("owned by"), std::string::npos) << t_other.err;
  auto t_owner = RunLt([&] {
    auto a = tag;
    a.push_back(dir_ + "/builder.json");
    return a;
  }());
  ASSERT_EQ(t_owner.exit_code, 0) << t_owner.err;
  json tags = LedgerModel("demo/stories")["tags"];
  EXPECT_EQ(tags["stable"], tags["260k"]);
}

TEST_F(RegistryPushTest, BadInputGetsClearErrors) {
  auto bad_name = Push("builder", "Demo/Stories:1");
  EXPECT_EQ(bad_name.exit_code, 1);
  EXPECT_NE(bad_name.err.find("Demo/Stories"), std::string::npos) << bad_name.err;
  auto bad_tag = Push("builder", "demo/stories:-x");
  EXPECT_EQ(bad_tag.exit_code, 1);
  EXPECT_NE(bad_tag.err.find("tag"), std::string::npos) << bad_tag.err;
  auto missing = RunLt({"--datadir", dir_ + "/builder", "model", "push", "demo/stories:1", dir_ + "/nope.bin",
                        "--format", "llama2c", "--ledger", LedgerUrl(), "--keystore", dir_ + "/builder.json",
                        "--password-file", dir_ + "/pw"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
  auto down =
      RunLt({"--datadir", dir_ + "/builder", "model", "push", "demo/stories:1", ModelsDir() + "/tok512.bin",
             "--format", "tokenizer", "--ledger", "http://127.0.0.1:" + std::to_string(FreePort()),
             "--keystore", dir_ + "/builder.json", "--password-file", dir_ + "/pw"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("unreachable"), std::string::npos) << down.err;
  auto unknown = RunLt({"--datadir", dir_ + "/puller", "model", "pull", "demo/none:1", "--ledger",
                        LedgerUrl(), "--router", RouterUrl()});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("not registered"), std::string::npos) << unknown.err;
}

TEST_F(RegistryPushTest, StoreServeAnnouncesWhatItHolds) {
  // Pushed without --router: nobody knows the holder until a gateway announces itself.
  auto push = RunLt({"--datadir", dir_ + "/builder", "--json", "model", "push", "demo/tok:1",
                     ModelsDir() + "/tok512.bin", "--format", "tokenizer", "--ledger", LedgerUrl(),
                     "--keystore", dir_ + "/builder.json", "--password-file", dir_ + "/pw"});
  ASSERT_EQ(push.exit_code, 0) << push.err;
  std::string manifest = json::parse(push.out)["manifest"];
  EXPECT_EQ(json::parse(HttpGet(rport_, "/holders/" + manifest))["holders"].size(), 0u);
  int port = FreePort();
  LtProcess serve({"--datadir", dir_ + "/builder", "store", "serve", "--listen",
                   "127.0.0.1:" + std::to_string(port), "--router", RouterUrl(), "--ledger", LedgerUrl(),
                   "--keystore", dir_ + "/builder.json", "--password-file", dir_ + "/pw"});
  bool found = false;
  for (int i = 0; i < 100 && !found; ++i) {
    json h = json::parse(HttpGet(rport_, "/holders/" + manifest), nullptr, false);
    found = h.is_object() && h["holders"].size() == 1 &&
            h["holders"][0]["http"] == "http://127.0.0.1:" + std::to_string(port);
    if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(found) << serve.Stderr();
}

TEST_F(RegistryPushTest, ProviderPullsAModelWithoutPathThenServesIt) {
  auto push = Push("builder", "demo/stories:260k");
  ASSERT_EQ(push.exit_code, 0) << push.err;
  json p = json::parse(push.out);
  auto l = ledger::RemoteLedger::Connect(LedgerUrl());
  ASSERT_TRUE(l.ok());
  std::string contract = (*l)->domain().verifying_contract.ToChecksumHex();
  std::string chain = std::to_string((*l)->domain().chain_id);
  int sport = FreePort(), hport = FreePort();
  WriteFile(dir_ + "/provider.toml",
            "keystore = \"provider.json\"\npassword_file = \"pw\"\n"
            "listen = \"127.0.0.1:" +
                std::to_string(sport) +
                "\"\n"
                "http_listen = \"127.0.0.1:" +
                std::to_string(hport) +
                "\"\n"
                "endpoint = \"127.0.0.1:" +
                std::to_string(sport) +
                "\"\n"
                "ledger = \"" +
                LedgerUrl() +
                "\"\n"
                "routers = [\"" +
                RouterUrl() +
                "\"]\n"
                "accepted_routers = [\"" +
                router_ +
                "\"]\n"
                "meter_interval_seconds = 1\n"
                "\n[[model]]\nname = \"demo/stories:260k\"\nprice = \"0.001\"\nmin_seconds = 1\nslots = "
                "2\nthreads = 1\n");
  LtProcess prov({"--datadir", dir_ + "/provider", "provider", "serve", "--config", dir_ + "/provider.toml"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", hport, "/health", 60000)) << prov.Stderr();
  int status = 0;
  HttpGet(hport, "/ipfs/" + p["root"].get<std::string>() + "?format=raw", &status);
  EXPECT_EQ(status, 200);
  // It announced itself: the router lists it as a second holder.
  bool two = false;
  for (int i = 0; i < 100 && !two; ++i) {
    json h = json::parse(HttpGet(rport_, "/holders/" + p["root"].get<std::string>()), nullptr, false);
    two = h.is_object() && h["holders"].size() == 2;
    if (!two) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(two) << prov.Stderr();

  // A session on the ledger's manifest bytes32.
  std::string ticket = dir_ + "/t.json";
  auto t = RunLt({"session",
                  "ticket",
                  "--keystore",
                  dir_ + "/router.json",
                  "--password-file",
                  dir_ + "/pw",
                  "--chain-id",
                  chain,
                  "--verifying-contract",
                  contract,
                  "--user",
                  user_,
                  "--provider",
                  provider_,
                  "--manifest",
                  p["bytes32"],
                  "--price",
                  "0.001",
                  "--min-seconds",
                  "1",
                  "--max-seconds",
                  "60",
                  "--out",
                  ticket});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  auto chat = RunLt({"--json",
                     "session",
                     "chat",
                     "--keystore",
                     dir_ + "/user.json",
                     "--password-file",
                     dir_ + "/pw",
                     "--chain-id",
                     chain,
                     "--verifying-contract",
                     contract,
                     "--provider",
                     "127.0.0.1:" + std::to_string(sport),
                     "--ticket",
                     ticket,
                     "--prompt",
                     "Once upon a time",
                     "--max-tokens",
                     "20",
                     "--seed",
                     "7"});
  ASSERT_EQ(chat.exit_code, 0) << chat.err << "\nprovider: " << prov.Stderr();
  EXPECT_FALSE(json::parse(chat.out, nullptr, false).value("text", "").empty()) << chat.out;
}

}  // namespace
}  // namespace lt::test
