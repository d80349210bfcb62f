// Golden values of ../shared/models/SOURCES.md on the shipped stories260K model, and refusal of
// damaged checkpoints.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/forward.h"
#include "engine/model.h"
#include "engine/session.h"
#include "engine/tokenizer.h"

namespace lt::engine {
namespace {

const std::string kModel = std::string(LT_MODELS_DIR) + "/stories260K.bin";
const std::string kTok = std::string(LT_MODELS_DIR) + "/tok512.bin";

std::shared_ptr<const Model> LoadShipped() {
  auto m = Model::Load(kModel, kTok);
  EXPECT_TRUE(m.ok()) << m.error().message;
  return m.ok() ? *m : nullptr;
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string WriteTemp(const std::string& name, const std::string& bytes) {
  auto dir = std::filesystem::temp_directory_path() / ("lt-engine-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string p = (dir / name).string();
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

// Runs run.c's generate loop and returns every token after the first (prompt tokens included).
std::vector<int> Continue(std::shared_ptr<const Model> m, const std::string& prompt, int steps,
                          SamplingParams sp, std::string* text = nullptr, ThreadPool* pool = nullptr) {
  Session s(m, m->tokenizer().Encode(prompt, true, false), steps, sp);
  std::vector<int> ids;
  Session::Step st;
  while (s.Next(pool, &st)) {
    ids.push_back(st.token);
    if (text) *text += Tokenizer::SafePiece(st.piece);
  }
  return ids;
}

TEST(ModelTest, LoadsShippedCheckpointHeader) {
  auto m = LoadShipped();
  ASSERT_TRUE(m);
  const auto& c = m->config();
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.seq_len, 512);
  EXPECT_TRUE(m->shared_classifier());
  EXPECT_EQ(m->tokenizer().vocab_size(), 512);
}

TEST(ModelTest, PromptEncodesToGoldenIds) {
  auto m = LoadShipped();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tokenizer().Encode("Once upon a time", true, false), (std::vector<int>{1, 403, 407, 261, 378}));
}

TEST(ModelTest, FirstLogitsMatchGoldenWithinOneE5) {
  auto m = LoadShipped();
  ASSERT_TRUE(m);
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    RunState st(m);
    float* logits = st.Forward(1, 0, &pool);
    const float want[5] = {-6.222911f, 8.404342f, -6.223737f, -6.222542f, -6.221951f};
    for (int i = 0; i < 5; ++i) EXPECT_NEAR(logits[i], want[i], 1e-5) << "logit " << i << " threads " << threads;
  }
}

TEST(ModelTest, PortableKernelsGiveTheSameFirstLogits) {
  auto m = LoadShipped();
  ASSERT_TRUE(m);
  SetIsa(Isa::kPortable);
  RunState st(m);
  float* logits = st.Forward(1, 0, nullptr);
  EXPECT_NEAR(logits[0], -6.222911f, 1e-5);
  EXPECT_NEAR(logits[1], 8.404342f, 1e-5);
  ResetIsa();
}

TEST(ModelTest, GreedyContinuationMatchesGoldenIds) {
  auto m = LoadShipped();
  ASSERT_TRUE(m);
  std::vector<int> want = {403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317,
                           426, 338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282,
                           295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352};
  SamplingParams greedy{0.0f, 0.9f, 1};
  EXPECT_EQ(Continue(m, "Once upon a time", 40, greedy), want);
  ThreadPool pool(2);
  EXPECT_EQ(Continue(m, "Once upon a time", 40, greedy, nullptr, &pool), want);
}

TEST(ModelTest, GreedyTextFrom256StepsBeginsWithLilyStory) {
  auto m = LoadShipped();
  ASSERT_TRUE(m);
  const std::string want =
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One "
      "day, she saw a big, red ball. She wanted to play with it, but it was too high.";
  std::string text;
  Continue(m, "Once upon a time", 256, {0.0f, 0.9f, 1}, &text);
  EXPECT_EQ(text.substr(0, want.size()), want);
  std::string no_prompt;
  Continue(m, "", 256, {0.0f, 0.9f, 1}, &no_prompt);
  EXPECT_EQ(no_prompt.substr(0, want.size()), want);
}

TEST(ModelTest, SeededTopPStoryIsTimmy) {
  auto m = LoadShipped();
  ASSERT_TRUE(m);
  std::string text;
  Continue(m, "", 256, {1.0f, 0.9f, 133742}, &text);
  EXPECT_EQ(text.rfind("Once upon a time, there was a little boy named Timmy", 0), 0u) << text;
}

TEST(ModelTest, SeededSamplingIsReproducibleAndSeedMatters) {
  auto m = LoadShipped();
  ASSERT_TRUE(m);
  SamplingParams a{0.8f, 0.95f, 42};
  auto one = Continue(m, "The cat", 80, a);
  auto two = Continue(m, "The cat", 80, a);
  EXPECT_EQ(one, two);
  SamplingParams b = a;
  b.seed = 43;
  EXPECT_NE(Continue(m, "The cat", 80, b), one);
}

TEST(ModelTest, RefusesTruncatedCheckpoint) {
  std::string bytes = ReadAll(kModel);
  ASSERT_EQ(bytes.size(), 1056540u);
  auto p = WriteTemp("trunc.bin", bytes.substr(0, bytes.size() - 4));
  auto m = Model::LoadCheckpoint(p, kTok);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("1056536 bytes"), std::string::npos) << m.error().message;
  EXPECT_NE(m.error().message.find("implies 1056540"), std::string::npos) << m.error().message;
}

TEST(ModelTest, RefusesCheckpointWithExtraBytes) {
  auto p = WriteTemp("long.bin", ReadAll(kModel) + "xx");
  EXPECT_FALSE(Model::LoadCheckpoint(p, kTok).ok());
}

TEST(ModelTest, RefusesForeignBytes) {
  auto p = WriteTemp("foreign.bin", std::string(4096, '\x7f'));
  auto m = Model::Load(p, kTok);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("not a valid llama2.c checkpoint"), std::string::npos) << m.error().message;
  auto tiny = WriteTemp("tiny.bin", "abc");
  ASSERT_FALSE(Model::Load(tiny, kTok).ok());
  EXPECT_NE(Model::Load(tiny, kTok).error().message.find("truncated"), std::string::npos);
}

TEST(ModelTest, RefusesInconsistentHeader) {
  std::string bytes = ReadAll(kModel);
  int32_t heads = 7;  // dim 64 is not a multiple of 7
  std::memcpy(bytes.data() + 12, &heads, 4);
  auto p = WriteTemp("heads.bin", bytes);
  auto m = Model::LoadCheckpoint(p, kTok);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("not a multiple"), std::string::npos) << m.error().message;
}

TEST(ModelTest, RefusesWrongTokenizer) {
  std::string tok = ReadAll(kTok);
  auto p = WriteTemp("tok-trunc.bin", tok.substr(0, tok.size() / 2));
  auto m = Model::LoadCheckpoint(kModel, p);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("truncated tokenizer"), std::string::npos) << m.error().message;
  EXPECT_FALSE(Model::LoadCheckpoint(kModel, kModel).ok());
}

TEST(ModelTest, MissingFileIsNotFound) {
  auto m = Model::Load("/nonexistent/model.bin");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace lt::engine
