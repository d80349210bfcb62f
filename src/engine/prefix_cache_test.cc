// Engine prompt caching without a key (Request::reuse_prefix), as the provider's builtin backend
// uses it: a chat's second turn, rendered through the chat template, starts from the first
// turn's KV cache, prefills only the new tokens and answers as a cold start does.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <future>

#include "engine/chat.h"
#include "engine/engine.h"
#include "engine/random_model.h"
#include "engine/random_model_test_support.h"

namespace lt::engine {
namespace {

std::shared_ptr<const Model> RandomLlama3() {
  RandomModelSpec s;
  s.kind = "llama3";
  s.type = "q8_0";
  s.dim = 128;
  s.hidden = 256;
  s.layers = 2;
  s.heads = 4;
  s.vocab = 800;
  s.context = 512;
  s.seed = 3;
  return testing::LoadRandomModel(s);
}

struct Turn {
  std::vector<int> prompt;
  std::vector<int> tokens;
  std::string text;
  Completion done;
};

Turn RunTurn(Engine& e, const nlohmann::json& messages, bool reuse) {
  openai::ChatRequest chat;
  openai::ApiError err;
  nlohmann::json body = {{"messages", messages}, {"temperature", 0}, {"max_tokens", 16}};
  EXPECT_TRUE(openai::ParseChatRequest(body, &chat, &err)) << err.message;
  Request r;
  EXPECT_TRUE(ChatToRequest(e.model(), chat, 1, &r, &err)) << err.message;
  r.reuse_prefix = reuse;
  auto out = std::make_shared<Turn>();
  out->prompt = r.prompt_tokens;
  auto promise = std::make_shared<std::promise<void>>();
  r.on_token = [out](int t, std::string_view piece) {
    out->tokens.push_back(t);
    out->text += piece;
    return true;
  };
  r.on_done = [out, promise](const Completion& c) {
    out->done = c;
    promise->set_value();
  };
  Status s = e.Submit(std::move(r));
  EXPECT_TRUE(s.ok()) << s.error().message;
  promise->get_future().wait();
  return *out;
}

nlohmann::json Msg(const std::string& role, const std::string& content) { return {{"role", role}, {"content", content}}; }

TEST(PrefixCacheTest, SecondTurnPrefillsOnlyTheNewTurnAndMatchesAColdStart) {
  auto m = RandomLlama3();
  ASSERT_NE(m, nullptr);
  Engine warm(m, {1, 2, 64, 4});
  nlohmann::json conv = {Msg("system", "You are a storyteller."), Msg("user", "Tell me about Lily and her red ball.")};
  Turn t1 = RunTurn(warm, conv, true);
  EXPECT_EQ(t1.done.cached_tokens, 0);
  ASSERT_FALSE(t1.tokens.empty());
  EXPECT_EQ(warm.cached(), 1);

  // Another conversation sharing only the system prompt starts cold and leaves the first cache.
  Turn other = RunTurn(warm, nlohmann::json{Msg("system", "You are a storyteller."), Msg("user", "Now a long story about a dog.")}, true);
  EXPECT_EQ(other.done.cached_tokens, 0);
  EXPECT_EQ(warm.cached(), 2);

  conv.push_back(Msg("assistant", t1.text));
  conv.push_back(Msg("user", "What happened next?"));
  Turn t2 = RunTurn(warm, conv, true);
  // The whole first prompt (and whatever of the reply re-tokenizes the same) came from the cache.
  EXPECT_GE(t2.done.cached_tokens, static_cast<int>(t1.prompt.size()));
  EXPECT_LT(t2.done.cached_tokens, static_cast<int>(t2.prompt.size()));
  EXPECT_EQ(t2.done.prompt_tokens, static_cast<int>(t2.prompt.size()));  // usage counts the whole prompt
  std::printf("second turn: %d prompt tokens, %d of them from the first turn's cache (first prompt %zu)\n",
              t2.done.prompt_tokens, t2.done.cached_tokens, t1.prompt.size());

  Engine cold(m, {1, 1, 64, 0});
  Turn c2 = RunTurn(cold, conv, false);
  EXPECT_EQ(c2.done.cached_tokens, 0);
  EXPECT_EQ(c2.prompt, t2.prompt);
  EXPECT_EQ(c2.tokens, t2.tokens);
  EXPECT_EQ(c2.text, t2.text);
}

}  // namespace
}  // namespace lt::engine
