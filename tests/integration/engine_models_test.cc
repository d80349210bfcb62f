// The engine's model formats through the real binary: `lt model random` writes GGUFs of every
// family the engine runs, `lt generate` runs them (deterministically at temperature 0, on 1 and 2
// threads alike), `lt model convert` re-quantizes them, and bad input is a clear error.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "support/process.h"

namespace lt::test {
namespace {

std::string RandomModel(const std::string& dir, const std::string& arch, const std::string& type) {
  std::string out = dir + "/" + arch + "-" + type + ".gguf";
  auto r = RunLt({"--json", "model", "random", "--arch", arch, "--type", type, "--dim", "256", "--hidden", "512",
                  "--layers", "2", "--heads", "4", "--vocab", "800", "--context", "256", "--out", out});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code == 0) {
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["vocab"], 800);
    EXPECT_EQ(j["arch"], arch == "qwen2" ? "qwen2" : "llama");
  }
  return out;
}

TEST(EngineModelsTest, EveryFamilyGeneratesDeterministically) {
  std::string dir = TempDir("lt-engine-models");
  for (const char* arch : {"llama", "llama3", "qwen2", "mistral"}) {
    SCOPED_TRACE(arch);
    std::string model = RandomModel(dir, arch, "q4_k_m");
    std::vector<std::string> args = {"generate", "--model", model, "--prompt", "Once upon a time", "--steps", "40",
                                     "--temperature", "0", "--threads", "1"};
    auto a = RunLt(args);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out.rfind("Once upon a time", 0), 0u) << a.out;
    EXPECT_GT(a.out.size(), std::string("Once upon a time\n").size()) << "nothing generated";
    args.back() = "2";
    auto b = RunLt(args);
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(a.out, b.out);
  }
}

TEST(EngineModelsTest, ConvertRequantizesAGguf) {
  std::string dir = TempDir("lt-engine-models");
  std::string src = RandomModel(dir, "qwen2", "f16");
  auto c = RunLt({"model", "convert", "--checkpoint", src, "--out", dir + "/q6.gguf", "--type", "q6_k"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto g = RunLt({"generate", "--model", dir + "/q6.gguf", "--prompt", "Hello", "--steps", "16", "--temperature", "0"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(g.out.rfind("Hello", 0), 0u) << g.out;
}

TEST(EngineModelsTest, BadInputIsAClearError) {
  std::string dir = TempDir("lt-engine-models");
  auto arch = RunLt({"model", "random", "--arch", "gemma", "--out", dir + "/x.gguf"});
  EXPECT_NE(arch.exit_code, 0);
  EXPECT_NE(arch.err.find("--arch must be llama, llama3, qwen2 or mistral"), std::string::npos) << arch.err;
  auto type = RunLt({"model", "random", "--type", "q3_k", "--out", dir + "/x.gguf"});
  EXPECT_NE(type.exit_code, 0);
  EXPECT_NE(type.err.find("--type must be"), std::string::npos) << type.err;

  std::string model = RandomModel(dir, "llama3", "q8_0");
  std::ifstream in(model, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  WriteFile(dir + "/cut.gguf", bytes.substr(0, bytes.size() / 2));
  auto cut = RunLt({"generate", "--model", dir + "/cut.gguf", "--prompt", "x"});
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_NE(cut.err.find("runs past the end of the file"), std::string::npos) << cut.err;
}

}  // namespace
}  // namespace lt::test
