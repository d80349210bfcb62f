// Agents against a real chain (issue 21): a scripted model proposes through tool calls; the
// pending action is shown in plain words, rejected (nothing sent) or confirmed over the local
// API (one transaction signed by the user; the vault grows by 5 MOR). Refusals are reported to
// the agent; the secret guard keeps keys out of the agent's context.
#include <deque>
#include <mutex>
#include <thread>

#include "agent/actions_http.h"
#include "agent/runtime.h"
#include "chain/chain_world.h"
#include "client/secret_guard.h"
#include "net/http_test_support.h"
#include "support/process.h"

namespace lt::chaintest {
namespace {

using json = nlohmann::json;

json ToolCallAnswer(const std::string& id, const std::string& name, const json& args) {
  return {{"id", "chatcmpl-1"},
          {"object", "chat.completion"},
          {"choices",
           json::array({{{"index", 0},
                         {"finish_reason", "tool_calls"},
                         {"message",
                          {{"role", "assistant"},
                           {"content", nullptr},
                           {"tool_calls", json::array({{{"id", id},
                                                        {"type", "function"},
                                                        {"function", {{"name", name}, {"arguments", args.dump()}}}}})}}}}})}};
}

json TextAnswer(const std::string& text) {
  return {{"choices", json::array({{{"index", 0}, {"finish_reason", "stop"},
                                    {"message", {{"role", "assistant"}, {"content", text}}}}})}};
}

class AgentChain : public ChainWorld {
 protected:
  void SetUp() override {
    ChainWorld::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(anvil_->SetBalance(bob_.GetAddress(), *U256::Parse("10000000000000000000")).ok());
    auto set = agent::TrustedSet::LoadDir(LT_SOURCE_DIR "/contracts/trusted");
    ASSERT_TRUE(set.ok()) << set.error().message;
    set_ = *set;
    index_ = agent::DocIndex::Build(set_);
    chain_ = *agent::Bind(set_, 31337, &deployment_);
    wallet_ = std::make_unique<agent::Wallet>(&anvil_->rpc(), bob_, chain_);
    store_ = std::make_unique<agent::ActionStore>(wallet_.get(), &clock_);
    spec_ = *agent::AgentSpec::FromJson(json{{"base_model", "acme/llama:latest"},
                                             {"system_prompt", "You help with Lake Travis money."},
                                             {"tools", agent::BuiltinTools()},
                                             {"trusted_contracts", {"ComputeContract", "MorToken"}}});
    http_.emplace();
    agent::RegisterActionRoutes(*http_, store_.get());
    port_ = *http_->Listen("127.0.0.1", 0);
    server_ = std::thread([this] { http_->Run(); });
  }
  void TearDown() override {
    if (http_) {
      http_->Stop();
      if (server_.joinable()) server_.join();
    }
  }

  // The runtime over the scripted model, its actions in `store` (default: store_).
  agent::AgentRuntime Runtime(agent::ActionStore* store = nullptr) {
    return agent::AgentRuntime(
        spec_, &set_, &index_, store ? store : store_.get(),
        [this](const json& req) -> Result<json> {
          requests_.push_back(req);
          if (script_.empty()) return TextAnswer("done");
          json a = script_.front();
          script_.pop_front();
          return a;
        },
        [this](const json& body) -> std::optional<std::string> {
          auto f = guard_.ScanRequest(body);
          if (f) return f->Message();
          return std::nullopt;
        });
  }
  std::vector<json> Ask(const std::string& text) { return {json{{"role", "user"}, {"content", text}}}; }
  uint64_t BobTxCount() { return *anvil_->rpc().TransactionCount(bob_.GetAddress(), "latest"); }
  net::HttpClientResponse Post(const std::string& path) {
    auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port_));
    auto r = c->Post(path, "{}");
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : net::HttpClientResponse{};
  }

  agent::TrustedSet set_;
  agent::DocIndex index_;
  agent::ChainBinding chain_;
  std::unique_ptr<agent::Wallet> wallet_;
  FakeClock clock_;
  std::unique_ptr<agent::ActionStore> store_;
  agent::AgentSpec spec_;
  client::SecretGuard guard_{client::BuiltinBip39Wordlist()};
  std::deque<json> script_;
  std::vector<json> requests_;
  std::optional<net::HttpServer> http_;
  std::thread server_;
  int port_ = 0;
};

TEST_F(AgentChain, ConfirmedDepositSendsOneTransactionSignedByTheUser) {
  script_.push_back(ToolCallAnswer("call_1", "propose_transaction",
                                   {{"contract", "ComputeContract"}, {"function", "deposit"}, {"args", {{"amount", "5"}}}}));
  auto rt = Runtime();
  uint64_t before_txs = BobTxCount();
  auto turn = rt.Turn(Ask("Please deposit 5 MOR into my vault"));
  ASSERT_TRUE(turn.ok()) << turn.error().message;
  ASSERT_EQ(requests_.size(), 1u);  // back to the user right after the proposal
  std::string system = requests_[0]["messages"][0]["content"];
  EXPECT_NE(system.find("ComputeContract.deposit(uint256 amount [MOR, decimal])"), std::string::npos) << system;
  EXPECT_EQ(requests_[0]["model"], "acme/llama:latest");
  EXPECT_EQ(requests_[0]["tools"].size(), 4u);
  // The pending action in plain words.
  ASSERT_EQ(turn->actions.size(), 1u);
  json a = turn->actions[0];
  EXPECT_EQ(a["state"], "pending");
  EXPECT_EQ(a["chain_id"], 31337);
  EXPECT_EQ(a["contract"]["name"], "ComputeContract");
  EXPECT_EQ(a["contract"]["address"], deployment_.contract.ToChecksumHex());
  EXPECT_EQ(a["function"], "deposit");
  EXPECT_EQ(a["args"], json::parse(R"({"amount":"5 MOR"})"));
  // deposit carries the user's signature: not simulated before the user confirms.
  EXPECT_TRUE(a["simulation"]["ok"].is_null()) << a.dump();
  EXPECT_TRUE(a["simulation"]["skipped"].is_string()) << a.dump();
  EXPECT_FALSE(a.contains("gas_estimate")) << a.dump();
  EXPECT_NE(a["text"].get<std::string>().find("Not simulated before you confirm"), std::string::npos) << a.dump();
  ASSERT_EQ(a["effects"].size(), 2u);
  EXPECT_EQ(a["effects"][0], json::parse(R"({"balance":"wallet","before":"100 MOR","after":"95 MOR","change":"-5 MOR"})"));
  EXPECT_EQ(a["effects"][1], json::parse(R"({"balance":"vault","before":"600 MOR","after":"605 MOR","change":"+5 MOR"})"));
  EXPECT_EQ(turn->messages.back()["role"], "tool");
  EXPECT_NE(turn->messages.back()["content"].get<std::string>().find("pending_user_confirmation"), std::string::npos);
  EXPECT_EQ(BobTxCount(), before_txs) << "nothing is sent before the user confirms";
  // The agent's context never held the key.
  std::string key_hex = HexEncode(bob_.secret().span());
  for (const auto& r : requests_) EXPECT_EQ(r.dump().find(key_hex), std::string::npos);

  // The page lists it with its buttons; the API confirms it.
  auto list = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port_))->Get("/v1/lt/actions");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list->Json())["data"][0]["id"], a["id"]);
  Tick();
  auto r = Post("/v1/lt/actions/" + a["id"].get<std::string>() + "/confirm");
  ASSERT_EQ(r.status, 200) << r.body;
  json done = *r.Json();
  EXPECT_EQ(done["state"], "confirmed") << done.dump();
  auto hash = HexDecodeFixed<32>(done["tx_hash"].get<std::string>());
  ASSERT_TRUE(hash.ok());
  auto receipt = anvil_->rpc().Receipt(*hash);
  ASSERT_TRUE(receipt.ok() && receipt->has_value());
  EXPECT_EQ((*receipt)->from, bob_.GetAddress()) << "signed by the user";
  EXPECT_EQ((*receipt)->to, deployment_.contract);
  EXPECT_EQ(BobTxCount(), before_txs + 1) << "exactly one transaction";
  EXPECT_EQ(Acct(bob_).vault, Mor("605"));
  EXPECT_EQ(Acct(bob_).wallet, Mor("95"));
  CheckInvariant();
  // The agent gets the hash as its tool's result: the conversation goes on, past the screen.
  ASSERT_TRUE(done.contains("tool_message")) << done.dump();
  EXPECT_EQ(done["tool_message"]["tool_call_id"], "call_1");
  std::vector<json> convo = {json{{"role", "user"}, {"content", "Please deposit 5 MOR into my vault"}},
                             turn->messages[0], done["tool_message"]};
  auto next = rt.Turn(convo);
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->refused, "") << "the secret guard took the transaction hash for a key";
  EXPECT_EQ(requests_.back()["messages"].back()["content"].get<std::string>(),
            json({{"status", "confirmed"}, {"tx_hash", done["tx_hash"]}}).dump());
  // A second confirm sends nothing.
  EXPECT_EQ(Post("/v1/lt/actions/" + a["id"].get<std::string>() + "/confirm").status, 409);
  EXPECT_EQ(BobTxCount(), before_txs + 1);
}

TEST_F(AgentChain, RejectedOrExpiredActionSendsNothing) {
  script_.push_back(ToolCallAnswer("call_1", "propose_transaction",
                                   {{"contract", "ComputeContract"}, {"function", "deposit"}, {"args", {{"amount", "5"}}}}));
  script_.push_back(ToolCallAnswer("call_2", "propose_transaction",
                                   {{"contract", "MorToken"}, {"function", "transfer"},
                                    {"args", {{"to", carol_.GetAddress().ToChecksumHex()}, {"value", "1"}}}}));
  auto rt = Runtime();
  uint64_t before_txs = BobTxCount();
  auto t1 = rt.Turn(Ask("deposit 5 MOR"));
  auto t2 = rt.Turn(Ask("send 1 MOR to carol"));
  ASSERT_TRUE(t1.ok() && t2.ok());
  ASSERT_EQ(t1->actions.size(), 1u);
  ASSERT_EQ(t2->actions.size(), 1u);
  auto r = Post("/v1/lt/actions/" + t1->actions[0]["id"].get<std::string>() + "/reject");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ((*r.Json())["state"], "rejected");
  EXPECT_EQ(Post("/v1/lt/actions/" + t1->actions[0]["id"].get<std::string>() + "/confirm").status, 409);
  clock_.AdvanceSeconds(601);
  auto e = Post("/v1/lt/actions/" + t2->actions[0]["id"].get<std::string>() + "/confirm");
  EXPECT_EQ(e.status, 409) << e.body;
  EXPECT_NE(e.body.find("expired"), std::string::npos);
  EXPECT_EQ(Post("/v1/lt/actions/nosuchid/confirm").status, 404);
  EXPECT_EQ(BobTxCount(), before_txs);
  EXPECT_EQ(Acct(bob_).vault, Mor("600"));
  EXPECT_EQ(*client_->TokenBalance(carol_.GetAddress()), U256());
}

TEST_F(AgentChain, RefusedProposalsAreReportedToTheAgentAndReadOnlyToolsRunAtOnce) {
  script_.push_back(ToolCallAnswer("c1", "get_balance", json::object()));
  script_.push_back(ToolCallAnswer("c2", "propose_transaction",
                                   {{"contract", "UniswapRouter"}, {"function", "swap"}, {"args", json::object()}}));
  script_.push_back(ToolCallAnswer("c3", "propose_transaction",
                                   {{"contract", "MorToken"}, {"function", "mint"}, {"args", json::object()}}));
  script_.push_back(ToolCallAnswer("c4", "propose_transaction",
                                   {{"contract", "ComputeContract"}, {"function", "deposit"}, {"args", {{"amount", "five"}}}}));
  script_.push_back(ToolCallAnswer("c5", "get_contract",
                                   {{"contract", "ComputeContract"}, {"function", "account"},
                                    {"args", {{"who", bob_.GetAddress().ToChecksumHex()}}}}));
  script_.push_back(TextAnswer("I could not do that."));
  auto rt = Runtime();
  uint64_t before_txs = BobTxCount();
  auto t = rt.Turn(Ask("swap my MOR on uniswap"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_TRUE(t->actions.empty());
  EXPECT_EQ(t->reply, "I could not do that.");
  ASSERT_EQ(requests_.size(), 6u);
  std::vector<std::string> tool_results;
  for (const auto& m : t->messages) {
    if (m["role"] == "tool") tool_results.push_back(m["content"]);
  }
  ASSERT_EQ(tool_results.size(), 5u);
  json bal = json::parse(tool_results[0]);
  EXPECT_EQ(bal["wallet"], "100");
  EXPECT_EQ(bal["vault"], "600");
  EXPECT_NE(tool_results[1].find("'UniswapRouter' is not one of this agent's trusted contracts"), std::string::npos)
      << tool_results[1];
  EXPECT_NE(tool_results[2].find("function 'mint' of MorToken is not in the trusted set"), std::string::npos)
      << tool_results[2];
  EXPECT_NE(tool_results[3].find("'five' is not a MOR amount"), std::string::npos) << tool_results[3];
  json account = json::parse(tool_results[4]);
  EXPECT_EQ(account["result"][1], Mor("600").ToDecimal()) << tool_results[4];  // vault
  // The refusals went back to the agent in the next request.
  EXPECT_EQ(requests_[3]["messages"].back()["content"], tool_results[2]);
  EXPECT_EQ(BobTxCount(), before_txs);
  EXPECT_TRUE(store_->List().empty());
}

TEST_F(AgentChain, KeysNeverReachTheAgent) {
  script_.push_back(TextAnswer("sure"));
  auto rt = Runtime();
  // The user pastes a key: refused before anything is sent.
  auto t = rt.Turn(Ask(std::string("use my key ") + evm::AnvilNode::kDevKeyHex + " to sign it yourself"));
  ASSERT_TRUE(t.ok());
  EXPECT_NE(t->refused.find("private key"), std::string::npos) << t->refused;
  EXPECT_TRUE(requests_.empty());
  // Asked to reveal the key, the agent has none to reveal: no request carries it.
  auto t2 = rt.Turn(Ask("what is my private key? print it"));
  ASSERT_TRUE(t2.ok());
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].dump().find(HexEncode(bob_.secret().span())), std::string::npos);
  // An answer that carries a key is dropped.
  script_.push_back(TextAnswer(std::string("here: ") + evm::AnvilNode::kDevKeyHex));
  auto t3 = rt.Turn(Ask("hello"));
  ASSERT_TRUE(t3.ok());
  EXPECT_NE(t3->refused.find("dropped"), std::string::npos);
  EXPECT_TRUE(t3->messages.empty());
}

// The local web page in headless Chromium: the action is listed in plain words with its
// buttons; pressing Confirm sends the one transaction, signed by the user.
TEST_F(AgentChain, WebPageConfirmButtonSendsTheDeposit) {
  std::string chromium = test::FindProgram("chromium");
  std::string node = test::FindProgram("node");
  if (chromium.empty() || node.empty()) GTEST_SKIP() << "chromium or node is not installed";
  script_.push_back(ToolCallAnswer("call_1", "propose_transaction",
                                   {{"contract", "ComputeContract"}, {"function", "deposit"}, {"args", {{"amount", "5"}}}}));
  auto rt = Runtime();
  auto turn = rt.Turn(Ask("deposit 5 MOR into my vault"));
  ASSERT_TRUE(turn.ok() && turn->actions.size() == 1u);
  std::string id = turn->actions[0]["id"];
  uint64_t before_txs = BobTxCount();
  Tick();
  auto r = test::Run(node, {LT_SOURCE_DIR "/tests/chain/click_page.mjs", chromium,
                            "http://127.0.0.1:" + std::to_string(port_) + "/lt/actions", "#action-" + id + " .confirm",
                            "#action-" + id,
                            "Transaction: 0x", test::TempDir("lt-chromium")},
                     "", 90000);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("confirmed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("amount = 5 MOR"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Your vault: 600 -> 605 MOR"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(deployment_.contract.ToChecksumHex()), std::string::npos) << r.out;
  EXPECT_EQ(BobTxCount(), before_txs + 1);
  EXPECT_EQ(Acct(bob_).vault, Mor("605"));
  EXPECT_EQ((*store_->Get(id))["state"], "confirmed");
}

// Only a confirmation signs: before it, no JSON-RPC request carries a call of a function that
// needs the user's signature (a signed deposit or transfer could be relayed by whoever sees it).
// The wallet talks to anvil through a recording proxy.
TEST_F(AgentChain, NothingSignedReachesTheChainBeforeConfirmation) {
  std::mutex mu;
  std::vector<json> seen;
  net::HttpServer proxy;
  const std::string anvil_url = anvil_->url();
  proxy.Post("/", [&](const net::HttpRequest& req) {
    {
      std::lock_guard lock(mu);
      seen.push_back(json::parse(req.body, nullptr, false));
    }
    auto c = net::HttpClient::Create(anvil_url);
    auto r = c.ok() ? c->Post("/", req.body, "application/json") : Result<net::HttpClientResponse>(c.error());
    if (!r.ok()) return net::HttpResponse::ErrorJson(502, "proxy", r.error().message);
    net::HttpResponse out;
    out.status = r->status;
    out.body = r->body;
    return out;
  });
  int pport = *proxy.Listen("127.0.0.1", 0);
  std::thread pthread([&] { proxy.Run(); });
  auto rpc = evm::EthRpc::Connect("http://127.0.0.1:" + std::to_string(pport));
  ASSERT_TRUE(rpc.ok()) << rpc.error().message;
  agent::Wallet wallet(rpc->get(), bob_, chain_);
  agent::ActionStore store(&wallet, &clock_);
  script_.push_back(ToolCallAnswer("call_1", "propose_transaction",
                                   {{"contract", "ComputeContract"}, {"function", "deposit"}, {"args", {{"amount", "5"}}}}));
  script_.push_back(ToolCallAnswer("call_2", "estimate",
                                   {{"contract", "ComputeContract"},
                                    {"function", "transfer"},
                                    {"args", {{"to", alice_.GetAddress().ToChecksumHex()}, {"amount", "50"}}}}));
  script_.push_back(ToolCallAnswer("call_3", "propose_transaction",
                                   {{"contract", "ComputeContract"},
                                    {"function", "transfer"},
                                    {"args", {{"to", alice_.GetAddress().ToChecksumHex()}, {"amount", "50"}}}}));
  auto rt = Runtime(&store);
  auto t1 = rt.Turn(Ask("deposit 5 MOR"));
  ASSERT_TRUE(t1.ok()) << t1.error().message;
  ASSERT_EQ(t1->actions.size(), 1u);
  auto t2 = rt.Turn(Ask("send 50 MOR to alice"));
  ASSERT_TRUE(t2.ok()) << t2.error().message;
  ASSERT_EQ(t2->actions.size(), 1u);
  // The estimate tool said why it did not simulate.
  bool estimate_said = false;
  for (const auto& m : t2->messages) {
    if (m["role"] == "tool" && m["tool_call_id"] == "call_2")
      estimate_said = m["content"].get<std::string>().find("\"would_succeed\":null") != std::string::npos;
  }
  EXPECT_TRUE(estimate_said);

  const agent::TrustedContract* cc = set_.Find("ComputeContract");
  auto carries = [&](const std::string& fn) {
    std::string sel = HexEncode0x(cc->Find(fn)->abi->selector);
    std::lock_guard lock(mu);
    for (const auto& r : seen) {
      std::string body = r.dump();
      if (body.find(sel.substr(2)) != std::string::npos || r.value("method", "") == "eth_sendRawTransaction") return true;
    }
    return false;
  };
  EXPECT_FALSE(carries("deposit")) << "a signed deposit reached the JSON-RPC endpoint before confirmation";
  EXPECT_FALSE(carries("transfer")) << "a signed transfer reached the JSON-RPC endpoint before confirmation";
  {
    std::lock_guard lock(mu);
    EXPECT_FALSE(seen.empty());  // balances were read through the proxy
  }

  Tick();
  auto c = store.Confirm(t1->actions[0]["id"]);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ((*c)["state"], "confirmed") << c->dump();
  EXPECT_TRUE(carries("deposit"));
  EXPECT_EQ(Acct(bob_).vault, Mor("605"));
  proxy.Stop();
  pthread.join();
}

// The routes are local: another origin, a form post and an unknown action are refused.
TEST_F(AgentChain, ActionRoutesRefuseOtherOriginsAndFormPosts) {
  auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port_));
  auto evil = c->Post("/v1/lt/actions/x/confirm", "{}", "application/json", {{"Origin", "http://evil.example"}});
  ASSERT_TRUE(evil.ok());
  EXPECT_EQ(evil->status, 403);
  auto form = c->Post("/v1/lt/actions/x/confirm", "a=b", "application/x-www-form-urlencoded");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->status, 415);
  auto page = c->Get("/lt/actions", {{"Origin", "http://127.0.0.1:" + std::to_string(port_)}});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("Confirm"), std::string::npos);
  // DNS rebinding: a page of evil.example that resolved to 127.0.0.1 sends Host and Origin both
  // naming evil.example; it may neither list nor confirm.
  const std::string evil_host = "evil.example:" + std::to_string(port_);
  for (const std::string& request :
       {"GET /v1/lt/actions HTTP/1.1\r\nHost: " + evil_host + "\r\n\r\n",
        "POST /v1/lt/actions/x/confirm HTTP/1.1\r\nHost: " + evil_host + "\r\nOrigin: http://" + evil_host +
            "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"}) {
    net::testing::RawConn raw(port_);
    ASSERT_TRUE(raw.Send(request));
    auto answer = raw.Read();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 403) << answer->body;
  }
  auto local = c->Get("/v1/lt/actions");  // by address: allowed
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->status, 200);
}

}  // namespace
}  // namespace lt::chaintest

