// The built-in engine through the real binary: `lt generate` prints llama2.c's golden story,
// `lt model convert` makes GGUF files that generate the same text, and `lt engine serve` answers
// the OpenAI-compatible API (models, plain and streamed completions, 4xx for bad bodies).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "net/http.h"
#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

const char* kLily =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she "
    "saw a big, red ball. She wanted to play with it, but it was too high.";

std::string Model() { return ModelsDir() + "/stories260K.bin"; }
std::string Tok() { return ModelsDir() + "/tok512.bin"; }

TEST(EngineCliTest, GeneratePrintsGoldenGreedyStory) {
  auto r = RunLt({"generate", "--model", Model(), "--tokenizer", Tok(), "--prompt", "Once upon a time", "--steps",
                  "256", "--temperature", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind(kLily, 0), 0u) << r.out;
  EXPECT_EQ(r.out.back(), '\n');
  EXPECT_NE(r.err.find("achieved tok/s:"), std::string::npos) << r.err;
}

TEST(EngineCliTest, GenerateSeededTopPIsTimmyAndDefaultTokenizerIsFound) {
  auto r = RunLt({"generate", "--model", Model(), "--steps", "256", "--temperature", "1.0", "--top-p", "0.9",
                  "--seed", "133742"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("Once upon a time, there was a little boy named Timmy", 0), 0u) << r.out;
}

TEST(EngineCliTest, ConvertedGgufGeneratesTheSameText) {
  std::string dir = TempDir("lt-engine-convert");
  auto ref = RunLt({"generate", "--model", Model(), "--prompt", "Once upon a time", "--steps", "120",
                    "--temperature", "0"});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  std::string out = dir + "/s.gguf";
  auto c = RunLt({"model", "convert", "--checkpoint", Model(), "--tokenizer", Tok(), "--out", out, "--type", "f32"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto g = RunLt({"generate", "--model", out, "--prompt", "Once upon a time", "--steps", "120", "--temperature", "0"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(g.out, ref.out);
  auto q = RunLt({"model", "convert", "--checkpoint", Model(), "--out", dir + "/q.gguf", "--type", "q8_0"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto gq = RunLt({"generate", "--model", dir + "/q.gguf", "--prompt", "Once upon a time", "--steps", "30",
                   "--temperature", "0"});
  ASSERT_EQ(gq.exit_code, 0) << gq.err;
  EXPECT_EQ(gq.out.rfind("Once upon a time, there was a little", 0), 0u) << gq.out;
}

TEST(EngineCliTest, BadModelFileIsAClearError) {
  std::string dir = TempDir("lt-engine-bad");
  WriteFile(dir + "/bad.bin", std::string(100, 'x'));
  auto r = RunLt({"generate", "--model", dir + "/bad.bin", "--tokenizer", Tok(), "--prompt", "x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("lt: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.bin"), std::string::npos) << r.err;
  auto t = RunLt({"model", "convert", "--checkpoint", Model(), "--out", dir + "/x.gguf", "--type", "q4"});
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_NE(t.err.find("--type"), std::string::npos);
}

class EngineServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = FreePort();
    proc_ = std::make_unique<LtProcess>(std::vector<std::string>{
        "engine", "serve", "--model", Model(), "--tokenizer", Tok(), "--listen", "127.0.0.1:" + std::to_string(port_),
        "--threads", "1", "--slots", "2"});
    ASSERT_TRUE(WaitForHttp("127.0.0.1", port_, "/health")) << proc_->Stderr();
    auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port_));
    ASSERT_TRUE(c.ok());
    client_ = std::make_unique<net::HttpClient>(std::move(*c));
  }
  void TearDown() override {
    client_.reset();  // close the keep-alive connection first
    if (proc_) {
      EXPECT_EQ(proc_->Stop(), 0) << proc_->Stderr();
    }
  }
  int port_ = 0;
  std::unique_ptr<LtProcess> proc_;
  std::unique_ptr<net::HttpClient> client_;
};

TEST_F(EngineServeTest, ListsModels) {
  auto r = client_->Get("/v1/models");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["data"][0]["id"], "stories260K");
}

TEST_F(EngineServeTest, PlainCompletion) {
  auto r = client_->Post("/v1/chat/completions",
                         R"({"model":"stories260K","messages":[{"role":"user","content":"Once upon a time"}],
                             "temperature":0,"max_tokens":30})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["choices"][0]["message"]["content"].get<std::string>().rfind(", there was a little girl named Lily.", 0),
            0u);
  EXPECT_EQ(j["usage"]["completion_tokens"], 30);
}

TEST_F(EngineServeTest, StreamedCompletion) {
  std::string raw;
  auto r = client_->PostStream("/v1/chat/completions",
                               R"({"messages":[{"role":"user","content":"Once upon a time"}],"temperature":0,
                                   "max_tokens":30,"stream":true})",
                               [&raw](std::string_view d) {
                                 raw += d;
                                 return true;
                               });
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200);
  std::string text;
  size_t pos = 0;
  int chunks = 0;
  while ((pos = raw.find("data: ", pos)) != std::string::npos) {
    size_t end = raw.find("\n\n", pos);
    ASSERT_NE(end, std::string::npos);
    std::string payload = raw.substr(pos + 6, end - pos - 6);
    pos = end;
    if (payload == "[DONE]") break;
    auto j = nlohmann::json::parse(payload);
    ++chunks;
    if (j["choices"][0]["delta"].contains("content")) text += j["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_GE(chunks, 3);  // role, content (how many depends on timing), finish
  EXPECT_NE(raw.find("data: [DONE]"), std::string::npos);
  EXPECT_EQ(text.rfind(", there was a little girl named Lily.", 0), 0u) << text;
}

TEST_F(EngineServeTest, BadBodyIs400) {
  auto r = client_->Post("/v1/chat/completions", R"({"messages":"hello"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  auto t = client_->Post("/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}],"temperature":-1})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->status, 400);
}

}  // namespace
}  // namespace lt::test
