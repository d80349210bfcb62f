// Multi-turn prompts through `lt engine serve` (engine/chat_template.h): every message of a
// conversation reaches the model through its chat template, so a 4-message conversation (system,
// user, assistant, user) reports the rendered template's prompt tokens, not the last message's.
//  - stories260K (no template: the story so far, doc/engine.md "Prompt format");
//  - a llama3 GGUF from `lt model random` (Meta's Llama-3 template: headers, <|eot_id|>).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/chat_template.h"
#include "engine/model.h"
#include "net/http.h"
#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

using nlohmann::json;

class Server {
 public:
  explicit Server(std::vector<std::string> model_args) {
    port_ = FreePort();
    std::vector<std::string> args = {"engine", "serve"};
    args.insert(args.end(), model_args.begin(), model_args.end());
    for (const std::string& a : std::vector<std::string>{"--listen", "127.0.0.1:" + std::to_string(port_), "--threads", "1"}) {
      args.push_back(a);
    }
    proc_ = std::make_unique<LtProcess>(args);
    EXPECT_TRUE(WaitForHttp("127.0.0.1", port_, "/health")) << proc_->Stderr();
    auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port_));
    EXPECT_TRUE(c.ok());
    if (c.ok()) client_ = std::make_unique<net::HttpClient>(std::move(*c));
  }
  ~Server() {
    client_.reset();
    EXPECT_EQ(proc_->Stop(), 0) << proc_->Stderr();
  }
  // usage.prompt_tokens of a 1-token, greedy completion of `messages`.
  int PromptTokens(const json& messages) {
    if (!client_) return -1;
    json body = {{"messages", messages}, {"temperature", 0}, {"max_tokens", 1}};
    auto r = client_->Post("/v1/chat/completions", body.dump());
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return -1;
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body)["usage"]["prompt_tokens"].get<int>();
  }

 private:
  int port_ = 0;
  std::unique_ptr<LtProcess> proc_;
  std::unique_ptr<net::HttpClient> client_;
};

json Msg(const std::string& role, const std::string& content) { return {{"role", role}, {"content", content}}; }

TEST(EngineChatTest, StoriesModelReadsTheStorySoFar) {
  Server s({"--model", ModelsDir() + "/stories260K.bin", "--tokenizer", ModelsDir() + "/tok512.bin"});
  json four = {Msg("system", "You tell stories."), Msg("user", "Once upon a time"),
               Msg("assistant", ", there was a little girl named Lily."), Msg("user", "She had a red ball")};
  int all = s.PromptTokens(four);
  int last = s.PromptTokens(json::array({Msg("user", "She had a red ball")}));
  int joined = s.PromptTokens(json::array({Msg("user", "Once upon a time, there was a little girl named Lily. She had a red ball")}));
  EXPECT_EQ(all, joined);  // the default template: user and assistant texts in order, system left out
  EXPECT_GT(all, last);
}

TEST(EngineChatTest, Llama3GgufCountsTheRenderedTemplate) {
  std::string dir = TempDir("lt-engine-chat");
  std::string model = dir + "/llama3.gguf";
  auto w = RunLt({"model", "random", "--arch", "llama3", "--type", "q8_0", "--dim", "64", "--hidden", "128",
                  "--layers", "1", "--heads", "2", "--vocab", "800", "--context", "256", "--out", model});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  auto m = engine::Model::Load(model);
  ASSERT_TRUE(m.ok()) << m.error().message;
  const engine::Tokenizer& tok = (*m)->tokenizer();
  ASSERT_EQ(engine::ChatFamilyOf(tok), engine::ChatFamily::kLlama3);
  std::vector<engine::ChatTurn> turns = {{"system", "You are terse."},
                                         {"user", "Hello there"},
                                         {"assistant", "Hi."},
                                         {"user", "Tell me a story"}};
  const int rendered = static_cast<int>(engine::RenderChat(tok, engine::ChatFamily::kLlama3, turns).tokens.size());
  const int last_only =
      static_cast<int>(engine::RenderChat(tok, engine::ChatFamily::kLlama3, {turns.back()}).tokens.size());

  Server s({"--model", model});
  json four = json::array();
  for (const auto& t : turns) four.push_back(Msg(t.role, t.text));
  EXPECT_EQ(s.PromptTokens(four), rendered);
  EXPECT_EQ(s.PromptTokens(json::array({Msg("user", "Tell me a story")})), last_only);
  EXPECT_NE(rendered, last_only);
  EXPECT_NE(rendered, static_cast<int>(tok.Tokenize("Tell me a story", true, false).size()));  // the old prompt
  // BOS, 4 turns of header (start, role, end, "\n\n"), text and <|eot_id|>, the assistant header.
  EXPECT_GT(rendered, 1 + 4 * 5 + 4);
}

}  // namespace
}  // namespace lt::test
