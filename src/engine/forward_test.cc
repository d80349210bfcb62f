// Batched prefill against step-by-step decoding, prompt caching against a cold start, the
// architectures of random models, and the refusal of inconsistent GGUF files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/engine.h"
#include "engine/forward.h"
#include "engine/model.h"
#include "engine/random_model.h"
#include "engine/session.h"

namespace lt::engine {
namespace {

std::filesystem::path TempDir() {
  static const struct Dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("lt-forward-test-" + std::to_string(::getpid()));
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } dir;
  return dir.path;
}

std::string TempPath(const std::string& name) {
  std::filesystem::create_directories(TempDir());
  return (TempDir() / name).string();
}

std::string RandomFile(const std::string& kind, const std::string& type, int layers = 2) {
  std::string path = TempPath(kind + "-" + type + "-" + std::to_string(layers) + ".gguf");
  if (!std::filesystem::exists(path)) {
    RandomModelSpec s;
    s.kind = kind;
    s.type = type;
    s.dim = 256;
    s.hidden = 512;
    s.layers = layers;
    s.heads = 4;
    s.vocab = 600;
    s.context = 1024;
    Status st = WriteRandomModel(s, path);
    EXPECT_TRUE(st.ok()) << st.error().message;
  }
  return path;
}

std::shared_ptr<const Model> LoadOrDie(const std::string& path) {
  auto m = Model::Load(path);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? *m : nullptr;
}

std::vector<int> SomeTokens(const Model& m, int n) {
  std::vector<int> t;
  t.push_back(std::max(0, m.tokenizer().bos_id()));
  for (int x : m.tokenizer().Tokenize(RandomModelCorpus(), false, false)) {
    if (static_cast<int>(t.size()) < n) t.push_back(x);
  }
  return t;
}

// Prefill of a whole prompt gives the logits step-by-step decoding gives, at every position.
void ExpectPrefillEqualsSteps(const std::shared_ptr<const Model>& m, int n, int threads) {
  ThreadPool pool(threads);
  std::vector<int> tokens = SomeTokens(*m, n);
  const int vocab = m->config().vocab_size;
  RunState batch(m), steps(m);
  std::vector<float> all;
  {
    float* l = batch.Forward(tokens.data(), static_cast<int>(tokens.size()), 0, &pool, true);
    all.assign(l, l + tokens.size() * static_cast<size_t>(vocab));
  }
  float worst = 0;
  for (size_t p = 0; p < tokens.size(); ++p) {
    float* l = steps.Forward(tokens[p], static_cast<int>(p), &pool);
    for (int v = 0; v < vocab; ++v) worst = std::max(worst, std::fabs(l[v] - all[p * vocab + static_cast<size_t>(v)]));
  }
  EXPECT_LE(worst, 1e-4f) << "largest |prefill - step| logit difference";
}

TEST(ForwardTest, PrefillGivesTheLogitsOfStepByStepDecoding) {
  for (const char* kind : {"llama", "llama3", "qwen2", "mistral"}) {
    for (const char* type : {"f32", "q8_0", "q4_k"}) {
      SCOPED_TRACE(std::string(kind) + " " + type);
      auto m = LoadOrDie(RandomFile(kind, type));
      ASSERT_NE(m, nullptr);
      ExpectPrefillEqualsSteps(m, 70, 2);
    }
  }
}

TEST(ForwardTest, PrefillOfTheShippedModelGivesStepLogits) {
  auto m = Model::Load(std::string(LT_MODELS_DIR) + "/stories260K.bin", std::string(LT_MODELS_DIR) + "/tok512.bin");
  ASSERT_TRUE(m.ok());
  ExpectPrefillEqualsSteps(*m, 100, 1);
}

TEST(ForwardTest, PromptLongerThanABatchIsSplit) {
  auto m = LoadOrDie(RandomFile("llama3", "f32", 1));
  ASSERT_NE(m, nullptr);
  ThreadPool pool(2);
  std::vector<int> tokens(static_cast<size_t>(kMaxBatch + 37));
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int>((i * 31) % 500);
  RunState a(m), b(m);
  const int vocab = m->config().vocab_size;
  float* la = a.Forward(tokens.data(), static_cast<int>(tokens.size()), 0, &pool);
  std::vector<float> ca(la, la + vocab);
  b.Forward(tokens.data(), 300, 0, &pool);
  float* lb = b.Forward(tokens.data() + 300, static_cast<int>(tokens.size()) - 300, 300, &pool);
  for (int v = 0; v < vocab; ++v) ASSERT_NEAR(ca[static_cast<size_t>(v)], lb[v], 1e-4f);
}

std::vector<int> RunSession(Session& s, ThreadPool* pool) {
  std::vector<int> out;
  Session::Step st;
  while (s.Next(pool, &st)) {
    if (!st.prompt) out.push_back(st.token);
  }
  return out;
}

TEST(ForwardTest, PromptCachingGivesTheTokensOfAColdStart) {
  auto m = LoadOrDie(RandomFile("mistral", "q8_0"));
  ASSERT_NE(m, nullptr);
  ThreadPool pool(2);
  SamplingParams greedy{0.0f, 1.0f, 1};
  const Tokenizer& tok = m->tokenizer();
  std::vector<int> turn1 = tok.Tokenize("[INST] Once upon a time [/INST]", true, true);
  Session first(m, turn1, static_cast<int>(turn1.size()) + 20, greedy);
  std::vector<int> reply = RunSession(first, &pool);
  KvCache cache = first.TakeCache();
  EXPECT_GE(cache.tokens.size(), turn1.size());
  // Turn 2 extends turn 1 and its reply.
  std::vector<int> turn2 = turn1;
  turn2.insert(turn2.end(), reply.begin(), reply.end());
  for (int t : tok.Tokenize("</s>[INST] and then? [/INST]", false, true)) turn2.push_back(t);
  const int steps = static_cast<int>(turn2.size()) + 24;
  Session warm(m, std::move(cache), turn2, steps, greedy);
  std::vector<int> warm_out = RunSession(warm, &pool);
  Session cold(m, turn2, steps, greedy);
  std::vector<int> cold_out = RunSession(cold, &pool);
  EXPECT_GT(warm.reused_tokens(), static_cast<int>(turn1.size()) - 1);
  EXPECT_EQ(cold.reused_tokens(), 0);
  EXPECT_EQ(warm_out, cold_out);
  EXPECT_FALSE(cold_out.empty()) << "reply 1 had " << reply.size() << " tokens";
}

TEST(ForwardTest, EngineReusesTheCacheOfAKey) {
  auto m = LoadOrDie(RandomFile("qwen2", "q8_0"));
  ASSERT_NE(m, nullptr);
  Engine e(m, {1, 2, 8, 4});
  auto run = [&](const std::vector<int>& prompt, const std::string& key) {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Completion c;
    std::vector<int> out;
    Request r;
    r.prompt_tokens = prompt;
    r.max_new_tokens = 12;
    r.sampling = {0.0f, 1.0f, 1};
    r.cache_key = key;
    r.on_token = [&](int t, std::string_view) {
      out.push_back(t);
      return true;
    };
    r.on_done = [&](const Completion& x) {
      std::lock_guard<std::mutex> lk(mu);
      c = x;
      done = true;
      cv.notify_all();
    };
    EXPECT_TRUE(e.Submit(std::move(r)).ok());
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return done; });
    return std::make_pair(c, out);
  };
  std::vector<int> p1 = m->tokenizer().Tokenize("<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n", true, true);
  auto [c1, out1] = run(p1, "chat-1");
  EXPECT_EQ(c1.cached_tokens, 0);
  EXPECT_EQ(e.cached(), 1);
  std::vector<int> p2 = p1;
  p2.insert(p2.end(), out1.begin(), out1.end());
  for (int t : m->tokenizer().Tokenize("<|im_end|>\n<|im_start|>user\nMore<|im_end|>\n", false, true)) p2.push_back(t);
  auto [c2, out2] = run(p2, "chat-1");
  EXPECT_GE(c2.cached_tokens, static_cast<int>(p1.size()));
  auto [c3, out3] = run(p2, "");  // no key: cold
  EXPECT_EQ(c3.cached_tokens, 0);
  EXPECT_EQ(out2, out3);
  e.DropCache("chat-1");
  EXPECT_EQ(e.cached(), 0);
}

TEST(ForwardTest, ModelsExposeSpecialTokensAndChatTemplate) {
  auto l3 = LoadOrDie(RandomFile("llama3", "q8_0"));
  ASSERT_NE(l3, nullptr);
  const Tokenizer& t = l3->tokenizer();
  EXPECT_EQ(t.kind(), TokenizerKind::kBpe);
  EXPECT_EQ(t.text(t.bos_id()), "<|begin_of_text|>");
  EXPECT_EQ(t.text(t.eot_id()), "<|eot_id|>");
  EXPECT_TRUE(t.IsEog(t.eot_id()));
  EXPECT_TRUE(t.IsEog(t.eos_id()));
  EXPECT_TRUE(t.IsControl(t.Find("<|start_header_id|>")));
  EXPECT_NE(t.chat_template().find("<|start_header_id|>"), std::string::npos);
  EXPECT_TRUE(t.add_bos());
  EXPECT_EQ(t.Tokenize("hi", true, false).front(), t.bos_id());
  EXPECT_NE(l3->rope_freq_factors(), nullptr);
  auto q = LoadOrDie(RandomFile("qwen2", "q8_0"));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->config().arch, Arch::kQwen2);
  EXPECT_EQ(q->config().rope_style, RopeStyle::kHalves);
  EXPECT_NE(q->layers()[0].bq, nullptr);
  EXPECT_FALSE(q->tokenizer().add_bos());
  EXPECT_TRUE(q->tokenizer().IsEog(q->tokenizer().Find("<|im_end|>")));
  auto mi = LoadOrDie(RandomFile("mistral", "q8_0"));
  ASSERT_NE(mi, nullptr);
  EXPECT_EQ(mi->config().n_kv_heads, 1);
  std::vector<int> inst = mi->tokenizer().Tokenize("[INST] hi [/INST]", true, true);
  EXPECT_EQ(inst[1], mi->tokenizer().Find("[INST]"));
  EXPECT_EQ(mi->tokenizer().Tokenize("[INST]", false, false).size() > 1, true);  // not parsed without special
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string LoadError(const std::string& bytes) {
  auto m = Model::LoadGgufFromMemory(bytes);
  return m.ok() ? "(loaded)" : m.error().message;
}

TEST(ForwardTest, RefusesInconsistentFiles) {
  std::string l3 = ReadAll(RandomFile("llama3", "q8_0"));
  // A gpt2 vocabulary without merges (the key renamed, same length).
  std::string bad = l3;
  size_t p = bad.find("tokenizer.ggml.merges");
  ASSERT_NE(p, std::string::npos);
  bad.replace(p, 21, "tokenizer.ggml.mergez");
  EXPECT_NE(LoadError(bad).find("needs tokenizer.ggml.merges"), std::string::npos) << LoadError(bad);
  // An architecture the engine does not run.
  bad = l3;
  p = bad.find("llama");
  bad.replace(p, 5, "gemma");
  EXPECT_NE(LoadError(bad).find("architecture 'gemma' is not supported"), std::string::npos) << LoadError(bad);
  // Truncated tensor data.
  bad = l3.substr(0, l3.size() - 1000);
  EXPECT_NE(LoadError(bad).find("past the end"), std::string::npos) << LoadError(bad);
  // A pre-tokenizer we do not know.
  bad = l3;
  p = bad.find("llama-bpe");
  ASSERT_NE(p, std::string::npos);
  bad.replace(p, 9, "falcon-xx");
  EXPECT_NE(LoadError(bad).find("pre-tokenizer 'falcon-xx'"), std::string::npos) << LoadError(bad);
}

}  // namespace
}  // namespace lt::engine
