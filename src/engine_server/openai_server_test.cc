// The engine's OpenAI handlers, called directly (the HTTP path is covered by tests/integration).
#include "engine_server/openai_server.h"

#include <gtest/gtest.h>

#include "engine/tokenizer.h"

namespace lt::engine_server {
namespace {

using engine::Engine;
using engine::Model;
using nlohmann::json;

std::shared_ptr<const Model> Shipped() {
  auto m = Model::Load(std::string(LT_MODELS_DIR) + "/stories260K.bin", std::string(LT_MODELS_DIR) + "/tok512.bin");
  EXPECT_TRUE(m.ok());
  return *m;
}


net::HttpRequest Post(const std::string& body) {
  net::HttpRequest r;
  r.method = "POST";
  r.path = "/v1/chat/completions";
  r.body = body;
  return r;
}

class Sink : public net::ChunkSink {
 public:
  bool Write(std::string_view d) override {
    data += d;
    return true;
  }
  std::string data;
};

TEST(OpenAiServerTest, PlainCompletionHasMessageAndUsage) {
  Engine e(Shipped(), {1, 2, 8});
  OpenAiServer s(&e, {"stories260K"});
  auto resp = s.ChatCompletions(Post(R"({"model":"stories260K","messages":[{"role":"system","content":"ignored"},
      {"role":"user","content":"Once upon a time"}],"temperature":0,"max_tokens":12})"));
  ASSERT_EQ(resp.status, 200) << resp.body;
  auto j = nlohmann::json::parse(resp.body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["choices"][0]["message"]["content"].get<std::string>().rfind(", there was a little girl", 0), 0u)
      << resp.body;
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["prompt_tokens"], 5);
  EXPECT_EQ(j["usage"]["completion_tokens"], 12);
}

TEST(OpenAiServerTest, StopStringCutsTheText) {
  Engine e(Shipped(), {1, 2, 8});
  OpenAiServer s(&e, {"m"});
  auto resp = s.ChatCompletions(Post(R"({"messages":[{"role":"user","content":"Once upon a time"}],
      "temperature":0,"max_tokens":60,"stop":["Lily"]})"));
  ASSERT_EQ(resp.status, 200) << resp.body;
  auto j = nlohmann::json::parse(resp.body);
  EXPECT_EQ(j["choices"][0]["message"]["content"], ", there was a little girl named ");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
}

TEST(OpenAiServerTest, StreamSendsChunksThenDone) {
  Engine e(Shipped(), {1, 2, 8});
  OpenAiServer s(&e, {"m"});
  auto resp = s.ChatCompletions(Post(R"({"messages":[{"role":"user","content":"Once upon a time"}],
      "temperature":0,"max_tokens":12,"stream":true,"stream_options":{"include_usage":true}})"));
  ASSERT_EQ(resp.status, 200);
  ASSERT_TRUE(resp.stream);
  EXPECT_EQ(resp.content_type, "text/event-stream");
  Sink sink;
  resp.stream(sink);
  std::string text, finish;
  int usage_completion = -1;
  size_t pos = 0;
  bool saw_done = false;
  while ((pos = sink.data.find("data: ", pos)) != std::string::npos) {
    size_t end = sink.data.find("\n\n", pos);
    std::string payload = sink.data.substr(pos + 6, end - pos - 6);
    pos = end;
    if (payload == "[DONE]") {
      saw_done = true;
      break;
    }
    auto j = nlohmann::json::parse(payload);
    EXPECT_EQ(j["object"], "chat.completion.chunk");
    if (j.contains("usage")) usage_completion = j["usage"]["completion_tokens"];
    if (j["choices"].empty()) continue;
    auto& c = j["choices"][0];
    if (c["delta"].contains("content")) text += c["delta"]["content"].get<std::string>();
    if (!c["finish_reason"].is_null()) finish = c["finish_reason"];
  }
  EXPECT_TRUE(saw_done);
  EXPECT_EQ(text.rfind(", there was a little girl named Lily", 0), 0u) << text;
  EXPECT_EQ(finish, "length");
  EXPECT_EQ(usage_completion, 12);
}

TEST(OpenAiServerTest, BadRequestsAreOpenAiShaped4xx) {
  Engine e(Shipped(), {1, 2, 8});
  OpenAiServer s(&e, {"stories260K", 4096});
  struct Case {
    std::string body;
    int status;
    std::string param;
  };
  std::vector<Case> cases = {
      {"not json", 400, ""},
      {R"({"model":"stories260K"})", 400, "messages"},
      {R"({"messages":[]})", 400, "messages"},
      {R"({"messages":[{"role":"system","content":"x"}]})", 400, "messages"},
      {R"({"messages":[{"role":"user","content":"x"}],"temperature":3})", 400, "temperature"},
      {R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})", 400, "temperature"},
      {R"({"messages":[{"role":"user","content":"x"}],"top_p":0})", 400, "top_p"},
      {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":0})", 400, "max_tokens"},
      {R"({"messages":[{"role":"user","content":"x"}],"stop":[1]})", 400, "stop"},
      {R"({"messages":[{"role":"user","content":"x"}],"n":2})", 400, "n"},
      {R"({"model":"gpt-4","messages":[{"role":"user","content":"x"}]})", 404, "model"},
      {std::string(R"({"messages":[{"role":"user","content":")") + std::string(5000, 'a') + "\"}]}", 413, ""},
  };
  for (const auto& c : cases) {
    auto resp = s.ChatCompletions(Post(c.body));
    EXPECT_EQ(resp.status, c.status) << c.body.substr(0, 80) << " -> " << resp.body;
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    ASSERT_TRUE(j.contains("error")) << resp.body;
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_TRUE(j["error"]["type"].is_string());
    EXPECT_TRUE(j["error"].contains("code"));
    if (!c.param.empty()) {
      EXPECT_EQ(j["error"]["param"], c.param) << resp.body;
    }
  }
}

TEST(OpenAiServerTest, ModelsListsTheServedModel) {
  Engine e(Shipped(), {1, 2, 8});
  OpenAiServer s(&e, {"stories260K"});
  auto j = nlohmann::json::parse(s.Models({}).body);
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 1u);
  EXPECT_EQ(j["data"][0]["id"], "stories260K");
  EXPECT_EQ(j["data"][0]["object"], "model");
}

}  // namespace
}  // namespace lt::engine_server
