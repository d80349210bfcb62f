// The engine's OpenAI handlers, called directly (the HTTP path is covered by tests/integration).
#include "engine_server/openai_server.h"

#include <gtest/gtest.h>

#include <thread>

#include "engine/tokenizer.h"
#include "net/http_test_support.h"

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


net::HttpRequest Post(const std::string& body, const std::string& path = "/v1/chat/completions") {
  net::HttpRequest r;
  r.method = "POST";
  r.path = path;
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

// Issue 18: max_tokens and max_completion_tokens are exact (the smaller applies).
TEST(OpenAiServerTest, CompletionTokensAreExactlyTheBudget) {
  Engine e(Shipped(), {1, 2, 8});
  OpenAiServer s(&e, {"m"});
  for (int n : {1, 7, 23}) {
    for (const char* field : {"max_tokens", "max_completion_tokens"}) {
      json body = {{"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}}, {field, n}};
      auto resp = s.ChatCompletions(Post(body.dump()));
      ASSERT_EQ(resp.status, 200) << resp.body;
      EXPECT_EQ(json::parse(resp.body)["usage"]["completion_tokens"], n) << field << " " << n;
    }
  }
}

TEST(OpenAiServerTest, LegacyCompletionsContinueThePromptWithEchoAndUsage) {
  Engine e(Shipped(), {1, 2, 8});
  OpenAiServer s(&e, {"m"});
  auto resp = s.Completions(Post(R"({"prompt":"Once upon a time","temperature":0,"max_tokens":5})", "/v1/completions"));
  ASSERT_EQ(resp.status, 200) << resp.body;
  auto j = json::parse(resp.body);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  EXPECT_EQ(j["choices"][0]["text"].get<std::string>().rfind(", there was", 0), 0u) << resp.body;
  EXPECT_EQ(j["usage"]["completion_tokens"], 5);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");

  auto def = json::parse(s.Completions(Post(R"({"prompt":["Once upon a time"]})", "/v1/completions")).body);
  EXPECT_EQ(def["usage"]["completion_tokens"], 16) << def;  // OpenAI's default for this route

  auto echo = json::parse(
      s.Completions(Post(R"({"prompt":"Once upon a time","temperature":0,"max_tokens":3,"echo":true})", "/v1/completions"))
          .body);
  EXPECT_EQ(echo["choices"][0]["text"].get<std::string>().rfind("Once upon a time, there", 0), 0u) << echo;

  auto st = s.Completions(Post(R"({"prompt":"Once upon a time","max_tokens":4,"stream":true,
      "stream_options":{"include_usage":true}})", "/v1/completions"));
  ASSERT_TRUE(st.stream);
  Sink sink;
  st.stream(sink);
  EXPECT_NE(sink.data.find("\"object\":\"text_completion\""), std::string::npos) << sink.data;
  EXPECT_NE(sink.data.find("\"completion_tokens\":4"), std::string::npos) << sink.data;
  EXPECT_NE(sink.data.find("data: [DONE]"), std::string::npos);

  for (const char* bad : {R"({"prompt":["a","b"]})", R"({"prompt":"a","n":5})", R"({"prompt":"a","suffix":"b"})",
                          R"({"messages":[{"role":"user","content":"x"}]})"}) {
    auto r = s.Completions(Post(bad, "/v1/completions"));
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
  }
}

TEST(OpenAiServerTest, ToolsAndJsonModeAreAClear400) {
  Engine e(Shipped(), {1, 2, 8});
  OpenAiServer s(&e, {"m"});
  auto r = s.ChatCompletions(Post(R"({"messages":[{"role":"user","content":"x"}],
      "tools":[{"type":"function","function":{"name":"f"}}]})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "tools");
  r = s.ChatCompletions(Post(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "response_format");
}

// Unknown route, wrong method and a body over the limit in OpenAI's shape, through a real
// server and client.
TEST(OpenAiServerTest, UnknownRoutesWrongMethodsAndHugeBodiesAnswerInOpenAisShape) {
  Engine e(Shipped(), {1, 2, 8});
  OpenAiServer s(&e, {"m"});
  net::HttpServerOptions ho;
  ho.max_body_bytes = 4 << 20;
  net::HttpServer http(ho);
  s.Register(http);
  int port = http.Listen("127.0.0.1", 0).value();
  std::thread t([&] { http.Run(); });
  auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(port)).value();
  auto shape = [](const net::HttpClientResponse& r) {
    auto j = json::parse(r.body);
    return j["error"].is_object() && j["error"]["message"].is_string() && j["error"]["type"].is_string() &&
           j["error"].contains("param") && j["error"].contains("code");
  };
  auto r404 = c.Get("/v1/nothing").value();
  EXPECT_EQ(r404.status, 404);
  EXPECT_TRUE(shape(r404)) << r404.body;
  auto r405 = c.Get("/v1/chat/completions").value();
  EXPECT_EQ(r405.status, 405);
  EXPECT_TRUE(shape(r405)) << r405.body;
  EXPECT_EQ(json::parse(r405.body)["error"]["code"], "method_not_allowed");
  auto r413 = c.Post("/v1/chat/completions", std::string(2 << 20, 'x')).value();
  EXPECT_EQ(r413.status, 413);
  EXPECT_TRUE(shape(r413)) << r413.body;
  EXPECT_EQ(json::parse(r413.body)["error"]["code"], "request_too_large");
  // What the HTTP layer refuses by itself: a body over its own cap, a method no route has.
  auto huge = c.Post("/v1/chat/completions", std::string(5 << 20, 'x')).value();
  EXPECT_EQ(huge.status, 413);
  EXPECT_TRUE(shape(huge)) << huge.body;
  net::testing::RawConn raw(port);
  ASSERT_TRUE(raw.Send("PUT /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  auto put = raw.Read();
  ASSERT_TRUE(put.has_value());
  EXPECT_EQ(put->status, 404);
  EXPECT_EQ(json::parse(put->body)["error"]["code"], "unknown_url") << put->body;
  http.Stop();
  t.join();
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
