// The engine thread: sessions interleaved give the same output as alone; limits and shutdown.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <future>

#include "engine/tokenizer.h"

namespace lt::engine {
namespace {

std::shared_ptr<const Model> Shipped() {
  auto m = Model::Load(std::string(LT_MODELS_DIR) + "/stories260K.bin", std::string(LT_MODELS_DIR) + "/tok512.bin");
  EXPECT_TRUE(m.ok());
  return *m;
}

struct Out {
  std::string text;
  Completion done;
};

std::future<Out> Start(Engine& e, const std::string& prompt, SamplingParams sp, int max_tokens) {
  auto promise = std::make_shared<std::promise<Out>>();
  auto out = std::make_shared<Out>();
  Request r;
  r.prompt_tokens = e.model().tokenizer().Encode(prompt, true, false);
  r.max_new_tokens = max_tokens;
  r.sampling = sp;
  r.on_token = [out](int, std::string_view piece) {
    out->text += piece;
    return true;
  };
  r.on_done = [out, promise](const Completion& c) {
    out->done = c;
    promise->set_value(*out);
  };
  Status s = e.Submit(std::move(r));
  EXPECT_TRUE(s.ok()) << s.error().message;
  return promise->get_future();
}

TEST(EngineTest, InterleavedSessionsMatchEachAlone) {
  auto m = Shipped();
  const std::vector<std::pair<std::string, SamplingParams>> jobs = {
      {"Once upon a time", {0.0f, 0.9f, 1}},
      {"The dog", {1.0f, 0.9f, 7}},
      {"", {0.8f, 1.0f, 99}},
      {"Tom and Sue", {1.0f, 0.5f, 12345}},
  };
  std::vector<Out> alone;
  {
    Engine e(m, {1, 1, 64});
    for (const auto& [p, sp] : jobs) alone.push_back(Start(e, p, sp, 60).get());
  }
  Engine e(m, {2, 4, 64});
  std::vector<std::future<Out>> together;
  for (const auto& [p, sp] : jobs) together.push_back(Start(e, p, sp, 60));
  for (size_t i = 0; i < jobs.size(); ++i) {
    Out o = together[i].get();
    EXPECT_EQ(o.text, alone[i].text) << "job " << i;
    EXPECT_EQ(o.done.completion_tokens, alone[i].done.completion_tokens);
    EXPECT_TRUE(o.done.status.ok());
    EXPECT_FALSE(o.text.empty());
  }
}

TEST(EngineTest, GreedyOutputContinuesThePrompt) {
  Engine e(Shipped(), {1, 2, 8});
  Out o = Start(e, "Once upon a time", {0.0f, 0.9f, 1}, 20).get();
  EXPECT_EQ(o.text.rfind(", there was a little girl named Lily.", 0), 0u) << o.text;
  EXPECT_EQ(o.done.prompt_tokens, 5);
  EXPECT_EQ(o.done.completion_tokens, 20);
  EXPECT_EQ(o.done.reason, FinishReason::kLength);
}

TEST(EngineTest, OnTokenFalseStopsTheSession) {
  Engine e(Shipped(), {1, 2, 8});
  std::promise<Completion> p;
  int seen = 0;
  Request r;
  r.prompt_tokens = {1};
  r.max_new_tokens = 100;
  r.sampling = {0.0f, 0.9f, 1};
  r.on_token = [&seen](int, std::string_view) { return ++seen < 3; };
  r.on_done = [&p](const Completion& c) { p.set_value(c); };
  ASSERT_TRUE(e.Submit(std::move(r)).ok());
  Completion c = p.get_future().get();
  EXPECT_EQ(seen, 3);
  EXPECT_TRUE(c.cancelled);
  EXPECT_EQ(c.completion_tokens, 3);
}

TEST(EngineTest, RefusesPromptLongerThanContext) {
  Engine e(Shipped(), {1, 2, 8});
  Request r;
  r.prompt_tokens.assign(600, 300);
  Status s = e.Submit(std::move(r));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
}

TEST(EngineTest, ShutdownFinishesWaitingRequests) {
  std::vector<std::future<Out>> fs;
  {
    Engine e(Shipped(), {1, 1, 64});
    for (int i = 0; i < 5; ++i) fs.push_back(Start(e, "Hi", {1.0f, 0.9f, static_cast<uint64_t>(i + 1)}, 400));
  }
  int failed = 0;
  for (auto& f : fs) failed += f.get().done.status.ok() ? 0 : 1;
  EXPECT_GE(failed, 1);  // at least the waiting ones were told the engine shut down
}

}  // namespace
}  // namespace lt::engine
