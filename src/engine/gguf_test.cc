// GGUF: files written by WriteGguf from the shipped checkpoint load back and infer like the
// checkpoint (F32 identically; F16/Q8_0 within a stated error), and damaged files are refused.
#include "engine/gguf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/forward.h"
#include "engine/session.h"

namespace lt::engine {
namespace {

const std::string kModel = std::string(LT_MODELS_DIR) + "/stories260K.bin";
const std::string kTok = std::string(LT_MODELS_DIR) + "/tok512.bin";

std::string TempPath(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("lt-gguf-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::shared_ptr<const Model> Checkpoint() {
  auto m = Model::Load(kModel, kTok);
  EXPECT_TRUE(m.ok()) << m.error().message;
  return *m;
}

// Converted once per type for the whole test binary.
std::string Converted(DType t) {
  std::string p = TempPath(std::string("stories260K-") + std::string(DTypeName(t)) + ".gguf");
  if (!std::filesystem::exists(p)) {
    Status s = WriteGguf(*Checkpoint(), t, p, "stories260K");
    EXPECT_TRUE(s.ok()) << s.error().message;
  }
  return p;
}

std::vector<int> Greedy(std::shared_ptr<const Model> m, const std::string& prompt, int steps) {
  Session s(m, m->tokenizer().Encode(prompt, true, false), steps, {0.0f, 0.9f, 1});
  std::vector<int> ids;
  Session::Step st;
  while (s.Next(nullptr, &st)) ids.push_back(st.token);
  return ids;
}

TEST(GgufTest, F32ConversionGivesIdenticalGreedyIds) {
  auto ref = Checkpoint();
  auto m = Model::Load(Converted(DType::kF32));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ((*m)->format(), "gguf");
  EXPECT_EQ((*m)->config().n_kv_heads, 4);
  EXPECT_EQ((*m)->tokenizer().Encode("Once upon a time", true, false), (std::vector<int>{1, 403, 407, 261, 378}));
  EXPECT_EQ(Greedy(*m, "Once upon a time", 256), Greedy(ref, "Once upon a time", 256));
  EXPECT_EQ(Greedy(*m, "", 256), Greedy(ref, "", 256));
}

TEST(GgufTest, TokenizerSurvivesConversion) {
  auto ref = Checkpoint();
  auto m = Model::Load(Converted(DType::kF32));
  ASSERT_TRUE(m.ok());
  for (int i = 3; i < 512; ++i) {  // 0..2 (<unk>, BOS, EOS) are control tokens and print nothing
    ASSERT_EQ((*m)->tokenizer().Piece(i), ref->tokenizer().Piece(i)) << i;
    ASSERT_EQ((*m)->tokenizer().score(i), ref->tokenizer().score(i)) << i;
  }
  std::string text = "Lily's dog ran fast! \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80";
  EXPECT_EQ((*m)->tokenizer().Encode(text, true, true), ref->tokenizer().Encode(text, true, true));
}

// The measure for F16 and Q8_0: teacher-forced along the checkpoint's 128-step greedy sequence,
// the largest absolute logit difference at any position, and the share of positions whose
// argmax agrees with the checkpoint's.
struct Closeness {
  float max_abs_diff = 0;
  double argmax_agreement = 0;
};

Closeness Compare(std::shared_ptr<const Model> ref, std::shared_ptr<const Model> m) {
  auto tokens = Greedy(ref, "Once upon a time", 128);
  tokens.insert(tokens.begin(), 1);
  RunState a(ref), b(m);
  Closeness c;
  int agree = 0;
  const int n = static_cast<int>(tokens.size()) - 1;
  for (int pos = 0; pos < n; ++pos) {
    float* la = a.Forward(tokens[static_cast<size_t>(pos)], pos, nullptr);
    float* lb = b.Forward(tokens[static_cast<size_t>(pos)], pos, nullptr);
    int ia = 0, ib = 0;
    for (int i = 0; i < 512; ++i) {
      c.max_abs_diff = std::max(c.max_abs_diff, std::fabs(la[i] - lb[i]));
      if (la[i] > la[ia]) ia = i;
      if (lb[i] > lb[ib]) ib = i;
    }
    agree += ia == ib;
  }
  c.argmax_agreement = static_cast<double>(agree) / n;
  return c;
}

TEST(GgufTest, F16StaysClose) {
  auto m = Model::Load(Converted(DType::kF16));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ((*m)->weight_type(), DType::kF16);
  Closeness c = Compare(Checkpoint(), *m);
  RecordProperty("max_abs_logit_diff", std::to_string(c.max_abs_diff));
  EXPECT_LT(c.max_abs_diff, 0.05f);
  EXPECT_GE(c.argmax_agreement, 0.98);
}

TEST(GgufTest, Q8StaysClose) {
  auto m = Model::Load(Converted(DType::kQ8_0));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ((*m)->weight_type(), DType::kQ8_0);
  EXPECT_EQ((*m)->layers()[0].w2.type, DType::kF16);  // rows of 172 cannot be Q8_0
  Closeness c = Compare(Checkpoint(), *m);
  RecordProperty("max_abs_logit_diff", std::to_string(c.max_abs_diff));
  EXPECT_LT(c.max_abs_diff, 0.5f);
  EXPECT_GE(c.argmax_agreement, 0.95);
  // and it still tells the story
  auto ids = Greedy(*m, "Once upon a time", 40);
  auto want = Greedy(Checkpoint(), "Once upon a time", 40);
  int same = 0;
  while (same < 40 && ids[static_cast<size_t>(same)] == want[static_cast<size_t>(same)]) ++same;
  EXPECT_GE(same, 20);
}

TEST(GgufTest, PortableAndSimdKernelsAgreeOnEveryType) {
  for (DType t : {DType::kF32, DType::kF16, DType::kQ8_0}) {
    auto m = Model::Load(Converted(t));
    ASSERT_TRUE(m.ok());
    RunState a(*m), b(*m);
    SetIsa(Isa::kPortable);
    std::vector<float> la(a.Forward(1, 0, nullptr), a.Forward(1, 0, nullptr) + 512);
    ResetIsa();
    float* lb = b.Forward(1, 0, nullptr);
    for (int i = 0; i < 512; ++i) ASSERT_NEAR(la[static_cast<size_t>(i)], lb[i], 1e-3) << DTypeName(t) << " " << i;
  }
}

TEST(GgufTest, LoadsFromMemoryLikeFromFile) {
  std::string bytes = ReadAll(Converted(DType::kQ8_0));
  auto m = Model::LoadGgufFromMemory(bytes);
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto f = Model::Load(Converted(DType::kQ8_0));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(Greedy(*m, "Once", 30), Greedy(*f, "Once", 30));
}

std::string ErrorOf(const std::string& bytes) {
  auto m = Model::LoadGgufFromMemory(bytes);
  return m.ok() ? "" : m.error().message;
}

TEST(GgufTest, RefusesBadMagicAndVersion) {
  std::string bytes = ReadAll(Converted(DType::kF32));
  std::string bad = bytes;
  bad[0] = 'X';
  EXPECT_NE(ErrorOf(bad).find("bad magic"), std::string::npos);
  for (uint32_t v : {1u, 2u, 4u}) {
    bad = bytes;
    std::memcpy(bad.data() + 4, &v, 4);
    EXPECT_NE(ErrorOf(bad).find("version " + std::to_string(v)), std::string::npos) << ErrorOf(bad);
  }
}

TEST(GgufTest, RefusesTruncatedFiles) {
  std::string bytes = ReadAll(Converted(DType::kF16));
  for (size_t cut : {size_t{3}, size_t{20}, size_t{100}, size_t{5000}, bytes.size() / 2, bytes.size() - 1}) {
    std::string e = ErrorOf(bytes.substr(0, cut));
    EXPECT_FALSE(e.empty()) << "accepted a file cut to " << cut << " bytes";
  }
  EXPECT_NE(ErrorOf(bytes.substr(0, bytes.size() - 1)).find("past the end"), std::string::npos);
}

// Finds the tensor info of `name` and returns the byte offset just after its name.
size_t TensorInfoAt(const std::string& bytes, const std::string& name) {
  std::string key(8, '\0');
  uint64_t len = name.size();
  std::memcpy(key.data(), &len, 8);
  key += name;
  size_t p = bytes.find(key);
  // metadata strings come first; the tensor info is the occurrence followed by n_dims 1..4
  while (p != std::string::npos) {
    uint32_t nd;
    std::memcpy(&nd, bytes.data() + p + key.size(), 4);
    if (nd >= 1 && nd <= 4) return p + key.size();
    p = bytes.find(key, p + 1);
  }
  return std::string::npos;
}

TEST(GgufTest, RefusesWrongShapeTypeAndOffset) {
  std::string bytes = ReadAll(Converted(DType::kF32));
  size_t at = TensorInfoAt(bytes, "blk.0.attn_k.weight");
  ASSERT_NE(at, std::string::npos);
  // layout after the name: u32 n_dims, u64 ne0, u64 ne1, u32 type, u64 offset
  std::string bad = bytes;
  uint64_t rows = 64;  // k has kv_dim = 32 rows
  std::memcpy(bad.data() + at + 12, &rows, 8);
  std::string e = ErrorOf(bad);
  EXPECT_NE(e.find("blk.0.attn_k.weight"), std::string::npos) << e;

  bad = bytes;
  uint32_t type = 3;  // Q4_1: not a type the engine reads
  std::memcpy(bad.data() + at + 20, &type, 4);
  EXPECT_NE(ErrorOf(bad).find("not supported"), std::string::npos) << ErrorOf(bad);

  bad = bytes;
  type = 12;  // Q4_K, but the rows of 64 do not divide into blocks of 256
  std::memcpy(bad.data() + at + 20, &type, 4);
  EXPECT_NE(ErrorOf(bad).find("not a multiple of its block of 256"), std::string::npos) << ErrorOf(bad);

  bad = bytes;
  uint64_t offset;
  std::memcpy(&offset, bad.data() + at + 24, 8);
  offset += 4;
  std::memcpy(bad.data() + at + 24, &offset, 8);
  EXPECT_NE(ErrorOf(bad).find("alignment"), std::string::npos) << ErrorOf(bad);

  bad = bytes;
  offset = 1ull << 40;
  std::memcpy(bad.data() + at + 24, &offset, 8);
  EXPECT_NE(ErrorOf(bad).find("past the end"), std::string::npos) << ErrorOf(bad);
}

TEST(GgufTest, RefusesForeignArchitecture) {
  std::string bytes = ReadAll(Converted(DType::kF32));
  size_t p = bytes.find("llama");  // value of general.architecture comes first
  ASSERT_NE(p, std::string::npos);
  bytes.replace(p, 5, "gpt2x");
  EXPECT_NE(ErrorOf(bytes).find("architecture 'gpt2x'"), std::string::npos) << ErrorOf(bytes);
}

}  // namespace
}  // namespace lt::engine
