// The builtin backend keeps the KV cache of a finished turn (engine reuse_prefix): the next turn
// of the same conversation reports reused prompt tokens and answers as a fresh backend does.
// With tools, the answer comes whole at the end (one chunk), parsed for tool calls.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "provider/backend.h"
#include "provider/backend_test_support.h"

namespace lt::provider {
namespace {

using nlohmann::json;

using testing::Outcome;
using testing::RunOnce;

std::unique_ptr<Backend> Shipped() {
  BuiltinBackendOptions o;
  o.model_path = std::string(LT_MODELS_DIR) + "/stories260K.bin";
  o.tokenizer_path = std::string(LT_MODELS_DIR) + "/tok512.bin";
  o.threads = 1;
  o.slots = 2;
  o.seed = 7;
  auto b = MakeBuiltinBackend(o);
  if (!b.ok()) return nullptr;
  return std::move(*b);
}

json Msg(const std::string& role, const std::string& content) { return {{"role", role}, {"content", content}}; }

TEST(BuiltinBackendTest, NextTurnReusesTheConversationsCacheAndMatchesAFreshBackend) {
  auto warm = Shipped();
  if (warm == nullptr) GTEST_SKIP() << "this build of lt has no builtin engine";
  json conv = json::array({Msg("user", "Once upon a time")});
  Outcome t1 = RunOnce(*warm, {{"messages", conv}, {"temperature", 0}, {"max_tokens", 40}});
  ASSERT_TRUE(t1.done.ok()) << t1.done.error().message;
  EXPECT_EQ(t1.done->cached_tokens, 0u);
  conv.push_back(Msg("assistant", t1.text));
  conv.push_back(Msg("user", "One day, Lily"));
  json req2 = {{"messages", conv}, {"temperature", 0}, {"max_tokens", 40}};
  Outcome t2 = RunOnce(*warm, req2);
  ASSERT_TRUE(t2.done.ok()) << t2.done.error().message;
  EXPECT_GT(t2.done->cached_tokens, t1.done->prompt_tokens);  // the first prompt and part of the reply
  EXPECT_LT(t2.done->cached_tokens, t2.done->prompt_tokens);

  auto fresh = Shipped();
  ASSERT_NE(fresh, nullptr);
  Outcome c2 = RunOnce(*fresh, req2);
  ASSERT_TRUE(c2.done.ok()) << c2.done.error().message;
  EXPECT_EQ(c2.done->cached_tokens, 0u);
  EXPECT_EQ(c2.done->prompt_tokens, t2.done->prompt_tokens);
  EXPECT_EQ(c2.text, t2.text);
  EXPECT_FALSE(t2.text.empty());
}

// The tiny model cannot be steered into a call (engine/tool_calls_test.cc tests the parser):
// the tools reach the prompt, the text is the same the model writes without them in one chunk,
// and a forced tool_choice is refused at Start.
TEST(BuiltinBackendTest, ToolsReachThePromptAndTheAnswerComesWhole) {
  auto b = Shipped();
  if (b == nullptr) GTEST_SKIP() << "this build of lt has no builtin engine";
  json tools = json::parse(R"([{"type":"function","function":{"name":"get_weather",
      "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}])");
  json req = {{"messages", json::array({Msg("user", "Once upon a time")})}, {"temperature", 0}, {"max_tokens", 7}};
  Outcome plain = RunOnce(*b, req);
  ASSERT_TRUE(plain.done.ok()) << plain.done.error().message;
  req["tools"] = tools;
  std::vector<std::string> chunks;
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  Result<GenerationResult> done = MakeError(ErrorCode::kInternal, "not finished");
  GenerationCallbacks cb;
  cb.on_chunk = [&](std::string_view d) {
    std::lock_guard<std::mutex> l(mu);
    chunks.emplace_back(d);
    return true;
  };
  cb.on_done = [&](Result<GenerationResult> r) {
    std::lock_guard<std::mutex> l(mu);
    done = std::move(r);
    finished = true;
    cv.notify_all();
  };
  ASSERT_TRUE(b->Start(req, cb).ok());
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::seconds(60), [&] { return finished; });
  }
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_GT(done->prompt_tokens, plain.done->prompt_tokens + 20);
  EXPECT_EQ(done->completion_tokens, 7u);
  if (done->tool_calls.is_array()) {
    EXPECT_EQ(done->finish_reason, "tool_calls");
  } else {
    EXPECT_EQ(done->finish_reason, "length");
    EXPECT_LE(chunks.size(), 1u);
    EXPECT_FALSE(chunks.empty());
  }
  req["tool_choice"] = "required";
  Outcome forced = RunOnce(*b, req);
  ASSERT_FALSE(forced.done.ok());
  EXPECT_NE(forced.done.error().message.find("tool_choice"), std::string::npos) << forced.done.error().message;
}

}  // namespace
}  // namespace lt::provider
