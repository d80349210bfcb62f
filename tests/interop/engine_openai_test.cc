// `lt engine serve` against the official OpenAI SDK for node (tests/interop/engine_openai.mjs):
// it lists the models, gets a plain and a streamed chat completion with the golden greedy text,
// and sees a 400 as an APIError; with tools, the answer whole and streamed is well-formed for the
// SDK, with the tools in the prompt (more prompt tokens) and an agent's tool-call history
// accepted. Skipped, with a message, when node or the SDK is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

TEST(EngineOpenAiInteropTest, OfficialSdkListsCompletesAndStreams) {
  std::string node = FindProgram("node");
  if (node.empty()) GTEST_SKIP() << "node is not installed: OpenAI SDK interop test skipped (make deps)";
  if (::access((std::string(LT_INTEROP_DIR) + "/node_modules/openai").c_str(), F_OK) != 0) {
    GTEST_SKIP() << "the openai package is not installed in " LT_INTEROP_DIR "/node_modules (make npm-deps)";
  }
  int port = FreePort();
  LtProcess server({"engine", "serve", "--model", ModelsDir() + "/stories260K.bin", "--tokenizer",
                    ModelsDir() + "/tok512.bin", "--listen", "127.0.0.1:" + std::to_string(port), "--threads", "1"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", port, "/health")) << server.Stderr();
  auto r = lt::test::Run(node, {std::string(LT_INTEROP_DIR) + "/engine_openai.mjs", "http://127.0.0.1:" + std::to_string(port) + "/v1"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["models"], nlohmann::json::array({"stories260K"}));
  const std::string want = ", there was a little girl named Lily.";
  std::string plain = j["plain"]["content"];
  EXPECT_EQ(plain.rfind(want, 0), 0u) << r.out;
  EXPECT_EQ(j["plain"]["finish_reason"], "length");
  EXPECT_EQ(j["plain"]["usage"]["completion_tokens"], 30);
  EXPECT_EQ(j["stream"]["content"], j["plain"]["content"]);
  int chunks = j["stream"]["chunks"];
  EXPECT_GE(chunks, 3);  // role, content (how many depends on timing), finish
  EXPECT_EQ(j["stream"]["finish_reason"], "length");
  EXPECT_EQ(j["error"]["status"], 400);
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  const auto& t = j["tools"];
  EXPECT_GT(t["plain"]["usage"]["prompt_tokens"].get<int>(), j["plain"]["usage"]["prompt_tokens"].get<int>() + 20) << t;
  EXPECT_EQ(t["plain"]["usage"]["completion_tokens"], 30) << t;
  EXPECT_EQ(t["stream"]["usage"], t["plain"]["usage"]) << t;
  EXPECT_EQ(t["stream"]["finish_reason"], t["plain"]["finish_reason"]) << t;
  if (t["plain"]["message"].contains("tool_calls")) {  // the model cannot be steered: either shape
    EXPECT_EQ(t["plain"]["finish_reason"], "tool_calls") << t;
    EXPECT_EQ(t["stream"]["toolCalls"].size(), t["plain"]["message"]["tool_calls"].size()) << t;
  } else {
    EXPECT_EQ(t["plain"]["finish_reason"], "length") << t;
    EXPECT_EQ(t["stream"]["content"], t["plain"]["message"]["content"]) << t;
    EXPECT_TRUE(t["stream"]["toolCalls"].empty()) << t;
  }
  EXPECT_GT(t["history"]["usage"]["prompt_tokens"].get<int>(), t["plain"]["usage"]["prompt_tokens"].get<int>()) << t;
  EXPECT_EQ(t["history"]["usage"]["completion_tokens"], 5) << t;
  EXPECT_EQ(server.Stop(), 0) << server.Stderr();
}

}  // namespace
}  // namespace lt::test
