// The runtime loop without a chain: a scripted chat function, the shipped trusted set, a wallet
// whose JSON-RPC endpoint is down (balances and simulation fail as values; nothing is sent).
#include "agent/actions_http.h"
#include "agent/runtime.h"

#include <gtest/gtest.h>

#include <deque>

namespace lt::agent {
namespace {

using json = nlohmann::json;

json Call(const std::string& id, const std::string& name, const json& args) {
  return {{"choices", json::array({{{"message", {{"role", "assistant"}, {"content", nullptr},
                                                 {"tool_calls", json::array({{{"id", id}, {"type", "function"},
                                                                              {"function", {{"name", name}, {"arguments", args.dump()}}}}})}}}}})}};
}
json Text(const std::string& t) {
  return {{"choices", json::array({{{"message", {{"role", "assistant"}, {"content", t}}}}})}};
}

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_ = *TrustedSet::LoadDir(LT_TRUSTED_DIR_FOR_TESTS);
    index_ = DocIndex::Build(set_);
    evm::Deployment d;
    d.chain_id = 31337;
    d.contract = *crypto::ParseAddress("0x00000000000000000000000000000000000000c1");
    d.token = *crypto::ParseAddress("0x00000000000000000000000000000000000000c2");
    auto rpc = evm::EthRpc::Connect("http://127.0.0.1:1", {.connect_timeout_ms = 500, .timeout_ms = 500});
    rpc_ = std::move(rpc.value());
    wallet_ = std::make_unique<Wallet>(rpc_.get(), *crypto::PrivateKey::FromHex(std::string(64, '1')),
                                       *Bind(set_, 31337, &d));
    store_ = std::make_unique<ActionStore>(wallet_.get(), &clock_, ActionOptions{.ttl_seconds = 60, .max_actions = 2});
    spec_ = *AgentSpec::FromJson({{"base_model", "acme/llama:latest"}, {"system_prompt", "Be brief."},
                                  {"tools", BuiltinTools()}});
  }
  AgentRuntime Make(ScreenFn screen = nullptr) {
    return AgentRuntime(
        spec_, &set_, &index_, store_.get(),
        [this](const json& req) -> Result<json> {
          sent_.push_back(req);
          if (script_.empty()) return Text("ok");
          json a = script_.front();
          script_.pop_front();
          return a;
        },
        std::move(screen));
  }
  std::vector<json> User(const std::string& t) { return {{{"role", "user"}, {"content", t}}}; }

  TrustedSet set_;
  DocIndex index_;
  std::unique_ptr<evm::EthRpc> rpc_;
  std::unique_ptr<Wallet> wallet_;
  FakeClock clock_;
  std::unique_ptr<ActionStore> store_;
  AgentSpec spec_;
  std::deque<json> script_;
  std::vector<json> sent_;
};

TEST_F(RuntimeTest, SystemPromptToolsAndRetrievedDocsAreSent) {
  auto t = Make().Turn(User("how much allowance do I have today"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->reply, "ok");
  ASSERT_EQ(sent_.size(), 1u);
  std::string system = sent_[0]["messages"][0]["content"];
  EXPECT_EQ(system.rfind("Be brief.", 0), 0u);
  EXPECT_NE(system.find("ComputeContract.account(address who) [read-only]"), std::string::npos) << system;
  EXPECT_EQ(sent_[0]["tools"], BuiltinTools());
  EXPECT_EQ(sent_[0]["messages"][1]["content"], "how much allowance do I have today");
}

TEST_F(RuntimeTest, ProposalBecomesAPendingActionAndTheTurnEnds) {
  script_.push_back(Call("c1", "propose_transaction",
                         {{"contract", "ComputeContract"}, {"function", "deposit"}, {"args", {{"amount", "5"}}}}));
  auto t = Make().Turn(User("deposit 5 MOR"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->actions.size(), 1u);
  EXPECT_EQ(sent_.size(), 1u);
  json a = t->actions[0];
  EXPECT_EQ(a["state"], "pending");
  EXPECT_EQ(a["tool_call_id"], "c1");
  EXPECT_TRUE(a["simulation"]["ok"].is_null());  // deposit carries the user's signature: not before confirmation
  EXPECT_TRUE(a["balances_error"].is_string());  // the chain is down: said, not hidden
  EXPECT_NE(a["text"].get<std::string>().find("could not be read"), std::string::npos);
  EXPECT_EQ(t->messages.size(), 2u);        // the assistant's call and the tool's result
  // Reject sends nothing; a second reject or a confirm is refused.
  auto r = store_->Reject(a["id"]);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["state"], "rejected");
  EXPECT_EQ(store_->Confirm(a["id"]).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store_->Reject(a["id"]).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store_->Get("nope").error().code, ErrorCode::kNotFound);
}

TEST_F(RuntimeTest, ActionsExpireAndTheStoreIsBounded) {
  auto p = ParseProposal({{"contract", "MorToken"}, {"function", "approve"},
                          {"args", {{"spender", "0x00000000000000000000000000000000000000c1"}, {"value", "1"}}}},
                         set_, wallet_->chain());
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto a1 = store_->Add(*p);
  auto a2 = store_->Add(*p);
  ASSERT_TRUE(a1.ok() && a2.ok());
  EXPECT_EQ(store_->Add(*p).error().code, ErrorCode::kResourceExhausted);  // two pending: full
  clock_.AdvanceSeconds(61);
  EXPECT_EQ((*store_->Get((*a1)["id"]))["state"], "expired");
  EXPECT_EQ(store_->Confirm((*a1)["id"]).error().code, ErrorCode::kFailedPrecondition);
  auto a3 = store_->Add(*p);  // an expired one makes room
  ASSERT_TRUE(a3.ok());
  EXPECT_EQ(store_->List().size(), 2u);
  EXPECT_EQ(store_->List()[0]["id"], (*a3)["id"]);  // newest first
}

TEST_F(RuntimeTest, ReadOnlyToolsRunAtOnceAndErrorsGoBackToTheAgent) {
  script_.push_back(Call("c1", "get_contract", {{"contract", "MorToken"}}));
  script_.push_back(Call("c2", "propose_transaction", {{"contract", "Evil"}, {"function", "drain"}}));
  script_.push_back(Call("c3", "run_shell", {{"cmd", "ls"}}));
  script_.push_back(Text("sorry"));
  auto t = Make().Turn(User("do something"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_TRUE(t->actions.empty());
  EXPECT_EQ(t->reply, "sorry");
  ASSERT_EQ(sent_.size(), 4u);
  json contract = json::parse(sent_[1]["messages"].back()["content"].get<std::string>());
  EXPECT_EQ(contract["name"], "MorToken");
  EXPECT_EQ(contract["address"], crypto::ParseAddress("0x00000000000000000000000000000000000000c2")->ToChecksumHex());
  EXPECT_NE(sent_[2]["messages"].back()["content"].get<std::string>().find("'Evil' is not in the trusted set"),
            std::string::npos);
  EXPECT_NE(sent_[3]["messages"].back()["content"].get<std::string>().find("'run_shell' is not one of this agent's tools"),
            std::string::npos);
}

TEST_F(RuntimeTest, TheScreenStopsARequestBeforeItIsSent) {
  auto screen = [](const json& body) -> std::optional<std::string> {
    if (body.dump().find("SECRET") != std::string::npos) return "refused: a secret";
    return std::nullopt;
  };
  auto t = Make(screen).Turn(User("my SECRET is here"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->refused, "refused: a secret");
  EXPECT_TRUE(sent_.empty());
  script_.push_back(Text("the SECRET"));
  auto t2 = Make(screen).Turn(User("hello"));
  ASSERT_TRUE(t2.ok());
  EXPECT_NE(t2->refused.find("dropped"), std::string::npos);
  EXPECT_TRUE(t2->messages.empty());
}

TEST_F(RuntimeTest, MalformedAnswersAreErrorsNotCrashes) {
  script_.push_back(json::array());
  EXPECT_FALSE(Make().Turn(User("x")).ok());
  script_.push_back({{"choices", json::array({{{"message", {{"tool_calls", "nope"}}}}})}});
  EXPECT_FALSE(Make().Turn(User("x")).ok());
  // Arguments that are not JSON come back to the agent as an error.
  script_.push_back({{"choices", json::array({{{"message", {{"role", "assistant"}, {"tool_calls", json::array({
      {{"id", "c"}, {"type", "function"}, {"function", {{"name", "estimate"}, {"arguments", "{not json"}}}}})}}}}})}});
  auto t = Make().Turn(User("x"));
  ASSERT_TRUE(t.ok());
  EXPECT_NE(t->messages[1]["content"].get<std::string>().find("must be a JSON object"), std::string::npos);
}

TEST(AgentSpecTest, ValidatesFields) {
  EXPECT_TRUE(AgentSpec::FromJson({{"base_model", "a/b:latest"}, {"system_prompt", "x"}}).ok());
  EXPECT_EQ(AgentSpec::FromJson({{"base_model", "a/b@bafy"}, {"system_prompt", "x"}}).error().message,
            "agent.base_model: expected NAME:TAG, got 'a/b@bafy'");
  EXPECT_EQ(AgentSpec::FromJson({{"base_model", "a/b:t"}}).error().message, "agent.system_prompt: missing");
  EXPECT_EQ(AgentSpec::FromJson({{"base_model", "a/b:t"}, {"system_prompt", "x"}, {"key", "0x"}}).error().message,
            "agent.key: unknown field");
  json two = json::array({{{"type", "function"}, {"function", {{"name", "t"}}}},
                          {{"type", "function"}, {"function", {{"name", "t"}}}}});
  EXPECT_EQ(AgentSpec::FromJson({{"base_model", "a/b:t"}, {"system_prompt", "x"}, {"tools", two}}).error().message,
            "agent.tools[1].function.name: 't' twice");
  auto s = AgentSpec::FromJson({{"base_model", "a/b:t"}, {"system_prompt", "x"}, {"trusted_contracts", {"Nope"}}});
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->CheckAgainst(*TrustedSet::LoadDir(LT_TRUSTED_DIR_FOR_TESTS)).ok());
}

}  // namespace
}  // namespace lt::agent

namespace lt::agent {
namespace {

TEST(ActionsHttp, ApiKeysCompareWholly) {
  EXPECT_TRUE(ConstantTimeEquals("Bearer k1", "Bearer k1"));
  EXPECT_FALSE(ConstantTimeEquals("Bearer k1", "Bearer k2"));
  EXPECT_FALSE(ConstantTimeEquals("Bearer k", "Bearer k1"));
  EXPECT_FALSE(ConstantTimeEquals("", "Bearer k1"));
}

TEST(ActionsHttp, PageHasButtonsAndNoExternalResources) {
  const std::string& page = ActionsPageHtml();
  EXPECT_NE(page.find("class=\"confirm\""), std::string::npos);
  EXPECT_NE(page.find("class=\"reject\""), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
}

}  // namespace
}  // namespace lt::agent
