// The engine's OpenAI handlers, called directly (the HTTP path is covered by tests/integration).
#include "engine_server/openai_server.h"

#include <gtest/gtest.h>

#include <thread>

#include "engine/tokenizer.h"
#include "net/http_test_support.h"
#include "openai/http_test_support.h"

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

TEST(OpenAiServerTest, ForcedToolChoiceAndJsonModeAreAClear400) {
  Engine e(Shipped(), {1, 2, 8});
  OpenAiServer s(&e, {"m"});
  for (const char* choice : {R"("required")", R"({"type":"function","function":{"name":"f"}})"}) {
    auto r = s.ChatCompletions(Post(std::string(R"({"messages":[{"role":"user","content":"x"}],
        "tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":)") + choice + "}"));
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(json::parse(r.body)["error"]["param"], "tool_choice") << r.body;
  }
  auto r = s.ChatCompletions(Post(R"({"messages":[{"role":"user","content":"x"}],
      "tools":[{"type":"function","function":{"name":7}}]})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "tools[0]") << r.body;
  r = s.ChatCompletions(Post(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "response_format");
  // Logprobs are not computed: asking for them is a 400 naming the field, not "logprobs": null.
  r = s.ChatCompletions(Post(R"({"messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":2})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "logprobs") << r.body;
  r = s.ChatCompletions(Post(R"({"messages":[{"role":"user","content":"x"}],"logit_bias":{"5":-100}})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "logit_bias") << r.body;
}

// The model cannot be steered into a call (engine/tool_calls_test.cc tests the parser); here the
// tools reach the prompt and the answer stays well-formed, whole and streamed, with exact usage.
TEST(OpenAiServerTest, ToolsReachThePromptAndTheAnswerIsWellFormedWholeAndStreamed) {
  Engine e(Shipped(), {1, 2, 8});
  OpenAiServer s(&e, {"m"});
  const json tools = json::parse(R"([{"type":"function","function":{"name":"get_weather","description":"The weather",
      "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}])");
  json body = {{"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}}, {"temperature", 0}, {"max_tokens", 9}};
  auto plain = s.ChatCompletions(Post(body.dump()));
  ASSERT_EQ(plain.status, 200) << plain.body;
  const json pj = json::parse(plain.body);
  body["tools"] = tools;
  auto with = s.ChatCompletions(Post(body.dump()));
  ASSERT_EQ(with.status, 200) << with.body;
  const json wj = json::parse(with.body);
  EXPECT_GT(wj["usage"]["prompt_tokens"].get<int>(), pj["usage"]["prompt_tokens"].get<int>() + 20) << with.body;
  EXPECT_EQ(wj["usage"]["completion_tokens"], 9);
  const json& msg = wj["choices"][0]["message"];
  EXPECT_EQ(msg["role"], "assistant");
  const std::string reason = wj["choices"][0]["finish_reason"];
  if (msg.contains("tool_calls")) {  // whatever the model wrote: either shape is whole
    EXPECT_EQ(reason, "tool_calls");
    for (const auto& c : msg["tool_calls"]) {
      EXPECT_EQ(c["type"], "function");
      EXPECT_EQ(c["function"]["name"], "get_weather");
      EXPECT_TRUE(json::parse(c["function"]["arguments"].get<std::string>()).is_object());
    }
  } else {
    EXPECT_EQ(reason, "length");
    EXPECT_TRUE(msg["content"].is_string()) << with.body;
  }
  // tool_choice "none": the prompt of no tools.
  body["tool_choice"] = "none";
  auto none = s.ChatCompletions(Post(body.dump()));
  EXPECT_EQ(json::parse(none.body)["usage"]["prompt_tokens"], pj["usage"]["prompt_tokens"]) << none.body;
  body.erase("tool_choice");

  // Streamed: held back, then the same answer in one content delta, the closing chunk, usage.
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  auto st = s.ChatCompletions(Post(body.dump()));
  ASSERT_EQ(st.status, 200);
  ASSERT_TRUE(st.stream);
  Sink sink;
  st.stream(sink);
  std::string text, finish;
  json usage, calls;
  size_t pos = 0;
  while ((pos = sink.data.find("data: ", pos)) != std::string::npos) {
    size_t end = sink.data.find("\n\n", pos);
    std::string ev = sink.data.substr(pos + 6, end - pos - 6);
    pos = end;
    if (ev == "[DONE]") break;
    json c = json::parse(ev);
    if (c.contains("usage") && !c["usage"].is_null()) usage = c["usage"];
    if (c["choices"].empty()) continue;
    const json& d = c["choices"][0]["delta"];
    if (d.contains("content") && d["content"].is_string()) text += d["content"].get<std::string>();
    if (d.contains("tool_calls")) calls = d["tool_calls"];
    if (c["choices"][0]["finish_reason"].is_string()) finish = c["choices"][0]["finish_reason"];
  }
  EXPECT_EQ(finish, reason) << sink.data;
  EXPECT_EQ(usage["prompt_tokens"], wj["usage"]["prompt_tokens"]) << sink.data;
  EXPECT_EQ(usage["completion_tokens"], 9) << sink.data;
  if (!msg.contains("tool_calls")) {
    EXPECT_EQ(text, msg["content"].get<std::string>()) << sink.data;
  }
  EXPECT_EQ(calls.is_array(), msg.contains("tool_calls")) << sink.data;
}

// An agent's history: an assistant turn with tool_calls (content null) and the tool's result.
TEST(OpenAiServerTest, ToolCallHistoryIsRenderedIntoThePrompt) {
  Engine e(Shipped(), {1, 2, 8});
  OpenAiServer s(&e, {"m"});
  json body = {{"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}}, {"temperature", 0}, {"max_tokens", 3}};
  const int base = json::parse(s.ChatCompletions(Post(body.dump())).body)["usage"]["prompt_tokens"];
  body["messages"].push_back(json::parse(R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_1",
      "type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]})"));
  body["messages"].push_back({{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "sunny"}});
  auto r = s.ChatCompletions(Post(body.dump()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_GT(json::parse(r.body)["usage"]["prompt_tokens"].get<int>(), base + 10) << r.body;
  body["messages"][1]["tool_calls"] = "nope";
  r = s.ChatCompletions(Post(body.dump()));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "messages[1].tool_calls") << r.body;
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
  auto shape = [](const net::HttpClientResponse& r) { return openai::testing::IsOpenAiError(r.body); };
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
  openai::testing::ExpectHttpLayerRefusalsInOpenAiShape(c, port);
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
