// Every kernel level this CPU can run (portable, AVX2, AVX-512 with packed weights), forced with
// SetIsa before the model loads as LT_ENGINE_ISA would: each gives the portable path's logits
// for a whole forward pass (to the rounding of 8-bit activations), and on each one a batched
// prefill gives the logits of step-by-step decoding. Models are shaped so every matrix, the classifier included, has a packed layout.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/forward.h"
#include "engine/kernels.h"
#include "engine/model.h"
#include "engine/random_model.h"
#include "engine/thread_pool.h"

namespace lt::engine {
namespace {

std::string ModelFile(const std::string& kind, const std::string& type) {
  static const struct Dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("lt-dispatch-test-" + std::to_string(::getpid()));
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } dir;
  std::filesystem::create_directories(dir.path);
  const std::string path = (dir.path / (kind + "-" + type + ".gguf")).string();
  if (!std::filesystem::exists(path)) {
    RandomModelSpec s;
    s.kind = kind;
    s.type = type;
    s.dim = 256;
    s.hidden = 512;
    s.layers = 2;
    s.heads = 4;
    s.vocab = 640;  // a multiple of 16: the classifier is packed too
    s.context = 256;
    Status st = WriteRandomModel(s, path);
    EXPECT_TRUE(st.ok()) << st.error().message;
  }
  return path;
}

std::vector<Isa> AvailableIsas() {
  std::vector<Isa> out = {Isa::kPortable};
  if (DetectIsa() != Isa::kPortable) out.push_back(Isa::kAvx2);
  if (DetectIsa() == Isa::kAvx512) out.push_back(Isa::kAvx512);
  return out;
}

struct IsaGuard {
  explicit IsaGuard(Isa isa) { SetIsa(isa); }
  ~IsaGuard() { ResetIsa(); }
};

// The logits of every position: one batch (all_logits) or one token per step.
std::vector<float> Logits(const std::shared_ptr<const Model>& m, const std::vector<int>& tokens, bool batch,
                          ThreadPool* pool) {
  const size_t vocab = static_cast<size_t>(m->config().vocab_size);
  RunState st(m);
  std::vector<float> out;
  if (batch) {
    const float* l = st.Forward(tokens.data(), static_cast<int>(tokens.size()), 0, pool, true);
    out.assign(l, l + tokens.size() * vocab);
  } else {
    for (size_t p = 0; p < tokens.size(); ++p) {
      const float* l = st.Forward(tokens[p], static_cast<int>(p), pool);
      out.insert(out.end(), l, l + vocab);
    }
  }
  return out;
}

TEST(DispatchTest, IsaFromNameKnowsTheLevels) {
  EXPECT_EQ(IsaFromName("portable"), Isa::kPortable);
  EXPECT_EQ(IsaFromName("avx2"), Isa::kAvx2);
  EXPECT_EQ(IsaFromName("avx512"), Isa::kAvx512);
  EXPECT_EQ(IsaFromName("sse"), std::nullopt);
  {
    IsaGuard g(Isa::kPortable);
    EXPECT_EQ(ActiveIsa(), Isa::kPortable);
  }
  IsaGuard g(Isa::kAvx512);  // more than the CPU has falls back to what it has
  EXPECT_EQ(ActiveIsa(), DetectIsa());
}

TEST(DispatchTest, EveryLevelGivesThePortableLogitsAndPrefillEqualsSteps) {
  ThreadPool pool(2);
  for (const char* kind : {"llama3", "qwen2"}) {
    for (const char* type : {"q8_0", "q4_k", "q4_0", "q5_k", "q6_k", "f16"}) {
      const std::string path = ModelFile(kind, type);
      std::vector<int> tokens;
      std::vector<float> reference;  // portable, step by step
      for (Isa isa : AvailableIsas()) {
        SCOPED_TRACE(std::string(kind) + " " + type + " on " + std::string(IsaName(isa)));
        IsaGuard g(isa);
        auto loaded = Model::Load(path);
        ASSERT_TRUE(loaded.ok()) << loaded.error().message;
        std::shared_ptr<const Model> m = *loaded;
        const Matrix& wq = m->layers()[0].wq;
        EXPECT_EQ(wq.packed != nullptr, isa == Isa::kAvx512 && wq.type != DType::kF16);  // every quantized type packs
        if (tokens.empty()) {
          tokens.push_back(std::max(0, m->tokenizer().bos_id()));
          for (int t : m->tokenizer().Tokenize(RandomModelCorpus(), false, false)) {
            if (tokens.size() < 25) tokens.push_back(t);
          }
        }
        std::vector<float> steps = Logits(m, tokens, false, &pool);
        std::vector<float> batch = Logits(m, tokens, true, &pool);
        ASSERT_EQ(steps.size(), batch.size());
        float worst = 0;
        for (size_t i = 0; i < steps.size(); ++i) worst = std::max(worst, std::fabs(steps[i] - batch[i]));
        EXPECT_LE(worst, 1e-4f) << "largest |prefill - step| logit difference";
        if (reference.empty()) {
          reference = steps;
          continue;
        }
        // The products agree to float rounding (KernelsTest). Over a forward pass, an 8-bit
        // activation that sits on a rounding boundary can round the other way after such a
        // difference, and random weights amplify that to ~1% of the logits' range (a 3e-7
        // relative nudge of the portable path's products does the same). A wrong kernel is off
        // by the whole range.
        const size_t vocab = static_cast<size_t>(m->config().vocab_size);
        const bool float_acts = ActivationType(wq.type) == DType::kF32;
        int same_argmax = 0;
        for (size_t p = 0; p < tokens.size(); ++p) {
          const float* a = steps.data() + p * vocab;
          const float* r = reference.data() + p * vocab;
          float diff = 0, range = 0;
          for (size_t v = 0; v < vocab; ++v) {
            diff = std::max(diff, std::fabs(a[v] - r[v]));
            range = std::max(range, std::fabs(r[v]));
          }
          EXPECT_LE(diff, (float_acts ? 1e-4f : 2e-2f) * range) << "position " << p;
          same_argmax += std::max_element(a, a + vocab) == a + (std::max_element(r, r + vocab) - r);
        }
        EXPECT_GE(same_argmax * 10, static_cast<int>(tokens.size()) * 9) << "positions whose argmax is the portable one";
      }
    }
  }
}

}  // namespace
}  // namespace lt::engine
