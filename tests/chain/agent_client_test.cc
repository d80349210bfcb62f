// Agents in a real `lt client serve` process (issue 21): --chain names the deployment on the
// test's anvil, --agent an agent file, --agent-chat-url a scripted OpenAI-compatible upstream
// (in this test process) that answers with a propose_transaction tool call. The user's turn at
// /v1/lt/agents/chat makes a pending action; confirming it over the API sends one transaction
// signed by the user's keystore key, and the vault grows by 5 MOR.
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "chain/chain_world.h"
#include "crypto/keystore.h"
#include "net/http.h"
#include "support/ports.h"
#include "support/process.h"

namespace lt::chaintest {
namespace {

using json = nlohmann::json;

class AgentClient : public ChainWorld {
 protected:
  void SetUp() override {
    ChainWorld::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(anvil_->SetBalance(bob_.GetAddress(), *U256::Parse("10000000000000000000")).ok());
    upstream_.emplace();
    upstream_->Post("/v1/chat/completions", [this](const net::HttpRequest& req) {
      std::lock_guard lock(mu_);
      requests_.push_back(json::parse(req.body));
      json answer = {{"choices", json::array({{{"index", 0}, {"finish_reason", "stop"},
                                               {"message", {{"role", "assistant"}, {"content", "done"}}}}})}};
      if (!script_.empty()) {
        answer = script_.front();
        script_.pop_front();
      }
      return net::HttpResponse::Json(200, answer);
    });
    upstream_port_ = *upstream_->Listen("127.0.0.1", 0);
    upstream_thread_ = std::thread([this] { upstream_->Run(); });
  }
  void TearDown() override {
    if (upstream_) {
      upstream_->Stop();
      if (upstream_thread_.joinable()) upstream_thread_.join();
    }
  }
  // A fresh folder with deployment.json, bob's keystore bob.json (password file pw) and
  // agent.json: acme/helper on `base_model` with the listed built-in tools.
  std::string WriteClientFiles(const std::string& prefix, const std::string& base_model,
                               const std::vector<std::string>& tools) {
    std::string dir = test::TempDir(prefix);
    test::WriteFile(dir + "/deployment.json", deployment_.ToJson().dump());
    test::WriteFile(dir + "/pw", "agent\n");
    SeededRandom rng(7);
    auto ks = crypto::EncryptKeystore(bob_, ByteSpan(reinterpret_cast<const uint8_t*>("agent"), 5),
                                      crypto::LightKdfParams(), rng);
    EXPECT_TRUE(ks.ok());
    test::WriteFile(dir + "/bob.json", ks.ok() ? *ks : "");
    json tool_list = json::array();
    for (const auto& t : tools) tool_list.push_back({{"type", "function"}, {"function", {{"name", t}}}});
    test::WriteFile(dir + "/agent.json", json{{"name", "acme/helper"},
                                              {"kind", "agent"},
                                              {"agent",
                                               {{"base_model", base_model},
                                                {"system_prompt", "You help with Lake Travis money."},
                                                {"tools", tool_list},
                                                {"trusted_contracts", {"ComputeContract", "MorToken"}}}}}
                                             .dump());
    return dir;
  }
  std::mutex mu_;
  std::deque<json> script_;
  std::vector<json> requests_;
  std::optional<net::HttpServer> upstream_;
  std::thread upstream_thread_;
  int upstream_port_ = 0;
};

TEST_F(AgentClient, ConfirmedDepositThroughLtClientServe) {
  std::string dir = WriteClientFiles("lt-agent-client", "acme/llama:latest", {"propose_transaction", "get_balance"});
  json call = {{"contract", "ComputeContract"}, {"function", "deposit"}, {"args", {{"amount", "5"}}}};
  script_.push_back(
      {{"choices",
        json::array({{{"index", 0},
                      {"finish_reason", "tool_calls"},
                      {"message",
                       {{"role", "assistant"},
                        {"content", nullptr},
                        {"tool_calls", json::array({{{"id", "call_1"},
                                                     {"type", "function"},
                                                     {"function", {{"name", "propose_transaction"},
                                                                   {"arguments", call.dump()}}}}})}}}}})}});
  int port = test::FreePort();
  test::LtProcess client({"client", "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--chain",
                          dir + "/deployment.json", "--router", "http://127.0.0.1:1", "--keystore", dir + "/bob.json",
                          "--password-file", dir + "/pw", "--agent", dir + "/agent.json", "--agent-chat-url",
                          "http://127.0.0.1:" + std::to_string(upstream_port_)});
  ASSERT_TRUE(test::WaitForHttp("127.0.0.1", port, "/health")) << client.Stderr();
  auto http = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port));
  auto agents = http->Get("/v1/lt/agents");
  ASSERT_TRUE(agents.ok());
  EXPECT_EQ((*agents->Json())["data"][0]["id"], "acme/helper") << agents->body;

  uint64_t before_txs = *anvil_->rpc().TransactionCount(bob_.GetAddress(), "latest");
  json turn_req = {{"model", "acme/helper"},
                   {"messages", json::array({{{"role", "user"}, {"content", "deposit 5 MOR into my vault"}}})}};
  auto turn = http->Post("/v1/lt/agents/chat", turn_req.dump());
  ASSERT_TRUE(turn.ok());
  ASSERT_EQ(turn->status, 200) << turn->body << client.Stderr();
  json t = *turn->Json();
  ASSERT_EQ(t["actions"].size(), 1u) << t.dump();
  json a = t["actions"][0];
  EXPECT_EQ(a["function"], "deposit");
  EXPECT_EQ(a["contract"]["address"], deployment_.contract.ToChecksumHex());
  EXPECT_EQ(a["args"]["amount"], "5 MOR");
  EXPECT_EQ(a["from"], bob_.GetAddress().ToChecksumHex());
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(requests_.size(), 1u);
    EXPECT_EQ(requests_[0]["model"], "acme/llama:latest");
    EXPECT_NE(requests_[0]["messages"][0]["content"].get<std::string>().find("ComputeContract.deposit"),
              std::string::npos);
    EXPECT_EQ(requests_[0]["tools"].size(), 2u);
  }
  EXPECT_EQ(*anvil_->rpc().TransactionCount(bob_.GetAddress(), "latest"), before_txs);

  Tick();
  auto confirmed = http->Post("/v1/lt/actions/" + a["id"].get<std::string>() + "/confirm", "{}");
  ASSERT_TRUE(confirmed.ok());
  ASSERT_EQ(confirmed->status, 200) << confirmed->body;
  EXPECT_EQ((*confirmed->Json())["state"], "confirmed") << confirmed->body;
  EXPECT_EQ(*anvil_->rpc().TransactionCount(bob_.GetAddress(), "latest"), before_txs + 1);
  EXPECT_EQ(Acct(bob_).vault, Mor("605"));
  CheckInvariant();
  EXPECT_EQ(client.Stop(), 0) << client.Stderr();
}

// --local: the model runs in the client; requests naming it and the agent's completions never
// reach a router (the only one given does not exist) nor the scripted upstream.
TEST_F(AgentClient, LocalModelServesTheAgentAndItsOwnRequestsInProcess) {
  std::string dir = WriteClientFiles("lt-agent-local", "demo/stories:260k", {"get_balance"});
  int port = test::FreePort();
  test::LtProcess client({"client", "serve", "--listen", "127.0.0.1:" + std::to_string(port), "--chain",
                          dir + "/deployment.json", "--router", "http://127.0.0.1:1", "--keystore", dir + "/bob.json",
                          "--password-file", dir + "/pw", "--agent", dir + "/agent.json", "--local",
                          test::ModelsDir() + "/stories260K.bin", "--local-tokenizer",
                          test::ModelsDir() + "/tok512.bin", "--local-name", "demo/stories:260k", "--local-threads", "1"});
  ASSERT_TRUE(test::WaitForHttp("127.0.0.1", port, "/health")) << client.Stderr();
  auto http = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port));
  auto models = http->Get("/v1/models");
  ASSERT_TRUE(models.ok());
  json catalog = *models->Json();
  std::set<std::string> ids;
  for (const auto& m : catalog["data"]) ids.insert(m["id"].get<std::string>());
  EXPECT_TRUE(ids.count("demo/stories:260k") && ids.count("acme/helper")) << models->body;
  auto one = http->Get("/v1/models/demo/stories:260k");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->status, 200) << one->body;
  EXPECT_EQ((*one->Json())["owned_by"], "local") << one->body;

  json plain = {{"model", "demo/stories:260k"},
                {"max_tokens", 8},
                {"messages", json::array({{{"role", "user"}, {"content", "Once upon a time"}}})}};
  auto r = http->Post("/v1/chat/completions", plain.dump());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body << client.Stderr();
  json a = *r->Json();
  EXPECT_EQ(a["usage"]["completion_tokens"], 8) << r->body;
  EXPECT_FALSE(a["choices"][0]["message"]["content"].get<std::string>().empty());

  json turn = {{"model", "acme/helper"},
               {"max_tokens", 16},
               {"messages", json::array({{{"role", "user"}, {"content", "what is my balance?"}}})}};
  auto t = http->Post("/v1/chat/completions", turn.dump());
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->status, 200) << t->body << client.Stderr();
  json ta = *t->Json();
  EXPECT_GT(ta["usage"]["prompt_tokens"].get<int>(), 0) << t->body;
  {
    std::lock_guard lock(mu_);
    EXPECT_TRUE(requests_.empty()) << "the local agent's completions reached the network upstream";
  }
  EXPECT_EQ(client.Stop(), 0) << client.Stderr();
}

}  // namespace
}  // namespace lt::chaintest
