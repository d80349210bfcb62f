// The openai backend against an in-process OpenAI-shaped upstream (net::HttpServer).
#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>

#include "net/http.h"
#include "provider/backend.h"
#include "provider/backend_test_support.h"

namespace lt::provider {
namespace {

using nlohmann::json;

using testing::Outcome;
using testing::RunOnce;

class OpenAiBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server.Post("/v1/chat/completions", [this](const net::HttpRequest& req) {
      json body = json::parse(req.body);
      seen_model = body.value("model", "");
      seen_stream = body.value("stream", false);
      seen_body = body;
      std::string prompt = body["messages"].back()["content"];
      if (prompt == "tools") {  // a scripted tool call in pieces, then no usage at all
        net::HttpResponse r;
        r.content_type = "text/event-stream";
        r.stream = [](net::ChunkSink& sink) {
          for (const char* d : {R"({"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}})",
                                R"({"index":0,"function":{"arguments":"{\"city\":\"Paris\"}"}})"}) {
            sink.Write(std::string("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[") + d +
                       "]},\"finish_reason\":null}]}\n\n");
          }
          sink.Write("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                     "data: [DONE]\n\n");
        };
        return r;
      }
      if (prompt == "500") return net::HttpResponse::ErrorJson(500, "internal", "model not loaded");
      net::HttpResponse r;
      r.content_type = "text/event-stream";
      r.stream = [prompt](net::ChunkSink& sink) {
        for (const char* w : {"Hello", " there"}) {
          json c = {{"choices", {{{"index", 0}, {"delta", {{"content", w}}}, {"finish_reason", nullptr}}}}};
          sink.Write("data: " + c.dump() + "\n\n");
        }
        if (prompt == "cut") return;  // the upstream dies mid-stream
        if (prompt == "inband") {
          sink.Write("data: {\"error\":{\"message\":\"out of memory\"}}\n\n");
          return;
        }
        json end = {{"choices", {{{"index", 0}, {"delta", json::object()}, {"finish_reason", "length"}}}},
                    {"usage", {{"prompt_tokens", 3}, {"completion_tokens", 2}}}};
        sink.Write("data: " + end.dump() + "\n\ndata: [DONE]\n\n");
      };
      return r;
    });
    server.Post("/v1/completions", [this](const net::HttpRequest& req) {
      seen_body = json::parse(req.body);
      net::HttpResponse r;
      r.content_type = "text/event-stream";
      r.stream = [](net::ChunkSink& sink) {
        sink.Write("data: {\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\" there\",\"finish_reason\":null}]}\n\n"
                   "data: {\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"\",\"finish_reason\":\"length\"}]}\n\n"
                   "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":12,\"total_tokens\":16}}\n\n"
                   "data: [DONE]\n\n");
      };
      return r;
    });
    port = server.Listen("127.0.0.1", 0).value();
    thread = std::thread([this] { server.Run(); });
    OpenAiBackendOptions o;
    o.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1/";
    o.upstream_model = "upstream-name";
    backend = std::move(MakeOpenAiBackend(o).value());
  }
  void TearDown() override {
    server.Stop();
    thread.join();
  }
  json Req(const std::string& p) { return {{"model", "lt/name"}, {"messages", {{{"role", "user"}, {"content", p}}}}}; }

  net::HttpServer server;
  std::thread thread;
  int port = 0;
  std::unique_ptr<Backend> backend;
  std::string seen_model;
  bool seen_stream = false;
  json seen_body;
};

TEST_F(OpenAiBackendTest, StreamsDeltasAndUsage) {
  auto o = RunOnce(*backend, Req("hi"));
  ASSERT_TRUE(o.done.ok()) << o.done.error().message;
  EXPECT_EQ(o.text, "Hello there");
  EXPECT_EQ(o.done->finish_reason, "length");
  EXPECT_EQ(o.done->completion_tokens, 2u);
  EXPECT_EQ(o.done->prompt_tokens, 3u);
  EXPECT_EQ(seen_model, "upstream-name");
  EXPECT_TRUE(seen_stream);
}

// Issue 18: the upstream is asked for its usage (stream_options.include_usage) and the fields a
// builtin engine cannot honour go through unchanged; tool-call deltas come back whole.
TEST_F(OpenAiBackendTest, ToolsGoThroughUnchangedAndToolCallsComeBackWhole) {
  json req = Req("tools");
  req["tools"] = json::array({{{"type", "function"},
                               {"function", {{"name", "get_weather"}, {"parameters", {{"type", "object"}}}}}}});
  req["tool_choice"] = "auto";
  req["response_format"] = {{"type", "json_object"}};
  auto o = RunOnce(*backend, req);
  ASSERT_TRUE(o.done.ok()) << o.done.error().message;
  EXPECT_EQ(seen_body["tools"], req["tools"]);
  EXPECT_EQ(seen_body["tool_choice"], "auto");
  EXPECT_EQ(seen_body["response_format"], req["response_format"]);
  EXPECT_EQ(seen_body["stream_options"]["include_usage"], true);
  EXPECT_EQ(o.done->finish_reason, "tool_calls");
  ASSERT_TRUE(o.done->tool_calls.is_array());
  ASSERT_EQ(o.done->tool_calls.size(), 1u);
  EXPECT_EQ(o.done->tool_calls[0]["id"], "call_1");
  EXPECT_EQ(o.done->tool_calls[0]["function"]["name"], "get_weather");
  EXPECT_EQ(o.done->tool_calls[0]["function"]["arguments"], "{\"city\":\"Paris\"}");
  EXPECT_EQ(o.text, "");
}

TEST_F(OpenAiBackendTest, TextCompletionsGoToTheCompletionsRouteWithTheUpstreamsUsage) {
  json req = {{"model", "lt/name"}, {"prompt", "Hello"}, {"max_tokens", 12}};
  auto o = RunOnce(*backend, req);
  ASSERT_TRUE(o.done.ok()) << o.done.error().message;
  EXPECT_EQ(seen_body["prompt"], "Hello");
  EXPECT_EQ(seen_body["max_tokens"], 12);
  EXPECT_EQ(o.text, " there");
  EXPECT_EQ(o.done->finish_reason, "length");
  EXPECT_EQ(o.done->completion_tokens, 12u);  // the upstream's count, not the one delta
  EXPECT_EQ(o.done->prompt_tokens, 4u);
}

TEST_F(OpenAiBackendTest, UpstreamHttpErrorIsPassedOnWithItsMessage) {
  auto o = RunOnce(*backend, Req("500"));
  ASSERT_FALSE(o.done.ok());
  EXPECT_NE(o.done.error().message.find("HTTP 500"), std::string::npos) << o.done.error().message;
  EXPECT_NE(o.done.error().message.find("model not loaded"), std::string::npos) << o.done.error().message;
}

TEST_F(OpenAiBackendTest, StreamCutBeforeTheEndIsAnErrorNotAnEmptySuccess) {
  auto o = RunOnce(*backend, Req("cut"));
  ASSERT_FALSE(o.done.ok());
  EXPECT_NE(o.done.error().message.find("before it finished"), std::string::npos) << o.done.error().message;
}

TEST_F(OpenAiBackendTest, InBandStreamErrorIsPassedOn) {
  auto o = RunOnce(*backend, Req("inband"));
  ASSERT_FALSE(o.done.ok());
  EXPECT_NE(o.done.error().message.find("out of memory"), std::string::npos) << o.done.error().message;
}

TEST_F(OpenAiBackendTest, UnreachableUpstreamIsUnavailable) {
  OpenAiBackendOptions o;
  o.base_url = "http://127.0.0.1:1";
  auto b = MakeOpenAiBackend(o).value();
  auto out = RunOnce(*b, Req("hi"));
  ASSERT_FALSE(out.done.ok());
  EXPECT_NE(out.done.error().message.find("upstream http://127.0.0.1:1"), std::string::npos) << out.done.error().message;
}

TEST(SseChatParserTest, HandlesSplitLinesCrLfAndComments) {
  SseChatParser p;
  std::string got;
  auto on = [&](std::string_view d) {
    got += d;
    return true;
  };
  std::string stream =
      ": keep-alive\r\n\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"ab\"}}]}\r\n\r\n"
      "data:{\"choices\":[{\"delta\":{\"content\":\"cd\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
  for (char c : stream) ASSERT_TRUE(p.Feed(std::string_view(&c, 1), on).ok());
  EXPECT_EQ(got, "abcd");
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.finish_reason(), "stop");
  EXPECT_FALSE(p.Feed("data: {not json}\n", on).ok());
}

}  // namespace
}  // namespace lt::provider
