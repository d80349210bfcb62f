// The answers of the OpenAI-facing servers (openai/response.h): whole answers and stream events
// for chats and text completions, usage, tool calls merged from stream deltas, and the 404/405
// and refusal errors.
#include "openai/response.h"

#include <gtest/gtest.h>

#include <vector>

namespace lt::openai {
namespace {

using nlohmann::json;

// The JSON of every "data:" event but [DONE].
std::vector<json> Events(const std::string& sse) {
  std::vector<json> out;
  size_t at = 0;
  while ((at = sse.find("data: ", at)) != std::string::npos) {
    size_t end = sse.find("\n\n", at);
    std::string payload = sse.substr(at + 6, end - at - 6);
    if (payload != "[DONE]") out.push_back(json::parse(payload));
    at = end;
  }
  return out;
}

TEST(ResponseTest, ChatAndTextAnswersHaveOpenAisShape) {
  AnswerHead chat{Kind::kChat, AnswerId(Kind::kChat, "x1"), 7, "m", ""};
  json a = Answer(chat, "hello", "length", nullptr, {5, 3});
  EXPECT_EQ(a["id"], "chatcmpl-x1");
  EXPECT_EQ(a["object"], "chat.completion");
  EXPECT_EQ(a["choices"][0]["message"]["content"], "hello");
  EXPECT_EQ(a["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(a["usage"], (json{{"prompt_tokens", 5}, {"completion_tokens", 3}, {"total_tokens", 8}}));
  EXPECT_FALSE(a["choices"][0]["message"].contains("tool_calls"));
  EXPECT_FALSE(a.contains("system_fingerprint"));

  json calls = json::array({{{"id", "call_1"}, {"type", "function"}, {"function", {{"name", "f"}, {"arguments", "{}"}}}}});
  json t = Answer(chat, "", "tool_calls", calls, {});
  EXPECT_EQ(t["choices"][0]["message"]["tool_calls"], calls);
  EXPECT_TRUE(t["choices"][0]["message"]["content"].is_null());

  AnswerHead text{Kind::kText, AnswerId(Kind::kText, "x2"), 7, "m", "lt-engine"};
  json c = Answer(text, "Once", "stop", nullptr, {1, 1});
  EXPECT_EQ(c["id"], "cmpl-x2");
  EXPECT_EQ(c["object"], "text_completion");
  EXPECT_EQ(c["choices"][0]["text"], "Once");
  EXPECT_EQ(c["system_fingerprint"], "lt-engine");
}

TEST(ResponseTest, StreamsOpenWithARoleAndCloseWithFinishUsageAndDone) {
  AnswerHead chat{Kind::kChat, "chatcmpl-1", 7, "m", ""};
  std::string s = StreamStart(chat) + StreamDelta(chat, "Hi") + StreamEnd(chat, "stop", true, {2, 1});
  auto ev = Events(s);
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0]["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(ev[1]["object"], "chat.completion.chunk");
  EXPECT_EQ(ev[1]["choices"][0]["delta"]["content"], "Hi");
  EXPECT_TRUE(ev[1]["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(ev[2]["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(ev[3]["choices"].empty());
  EXPECT_EQ(ev[3]["usage"]["total_tokens"], 3);
  EXPECT_EQ(s.substr(s.size() - 14), "data: [DONE]\n\n");
  EXPECT_EQ(Events(StreamEnd(chat, "stop", false, {})).size(), 1u);

  AnswerHead text{Kind::kText, "cmpl-1", 7, "m", ""};
  EXPECT_EQ(StreamStart(text), "");
  auto tv = Events(StreamDelta(text, "x") + StreamEnd(text, "length", false, {}));
  EXPECT_EQ(tv[0]["object"], "text_completion");
  EXPECT_EQ(tv[0]["choices"][0]["text"], "x");
  EXPECT_EQ(tv[1]["choices"][0]["finish_reason"], "length");
}

TEST(ResponseTest, ToolCallDeltasMergeIntoWholeCallsAndStreamBackIndexed) {
  json calls;
  ASSERT_TRUE(MergeToolCallDeltas(
      &calls, json::parse(R"([{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}])")));
  ASSERT_TRUE(MergeToolCallDeltas(&calls, json::parse(R"([{"index":0,"function":{"arguments":"{\"city\":"}}])")));
  ASSERT_TRUE(MergeToolCallDeltas(&calls, json::parse(R"([{"index":0,"function":{"arguments":"\"Paris\"}"}},
                                                          {"index":1,"id":"call_b","type":"function","function":{"name":"now","arguments":"{}"}}])")));
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0]["id"], "call_a");
  EXPECT_EQ(calls[0]["function"]["name"], "get_weather");
  EXPECT_EQ(calls[0]["function"]["arguments"], "{\"city\":\"Paris\"}");
  EXPECT_EQ(calls[1]["function"]["name"], "now");
  EXPECT_FALSE(calls[0].contains("index"));
  auto ev = Events(StreamToolCalls({Kind::kChat, "c", 1, "m", ""}, calls));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["choices"][0]["delta"]["tool_calls"][1]["index"], 1);
  EXPECT_EQ(ev[0]["choices"][0]["delta"]["tool_calls"][1]["id"], "call_b");

  json bad;
  EXPECT_FALSE(MergeToolCallDeltas(&bad, json::parse(R"([{"index":-1}])")));
  EXPECT_FALSE(MergeToolCallDeltas(&bad, json::parse(R"([{"index":100000}])")));
  EXPECT_FALSE(MergeToolCallDeltas(&bad, json::parse(R"({"index":0})")));
  EXPECT_FALSE(MergeToolCallDeltas(&bad, json::parse(R"([{"index":0,"function":"f"}])")));
}

TEST(ResponseTest, UnknownRoutesAre404AndOtherMethodsOnAKnownRoute405) {
  const Route routes[] = {{"GET", "/v1/models"}, {"GET", "/v1/models/", true}, {"POST", "/v1/chat/completions"}};
  std::string allow;
  ApiError e = NoRoute("GET", "/v1/chat/completions", routes, &allow);
  EXPECT_EQ(e.status, 405);
  EXPECT_EQ(e.code, "method_not_allowed");
  EXPECT_EQ(allow, "POST");
  e = NoRoute("DELETE", "/v1/models/abc", routes, &allow);
  EXPECT_EQ(e.status, 405);
  EXPECT_EQ(allow, "GET");
  e = NoRoute("GET", "/v1/nothing", routes, &allow);
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.code, "unknown_url");
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_TRUE(allow.empty());
  EXPECT_EQ(NoRoute("POST", "/v1/models/", routes, &allow).status, 404);  // a prefix route needs an id after it
  ApiError big = FromHttpRefusal(413, "resource_exhausted", "request body larger than 4194304 bytes");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.code, "request_too_large");
  EXPECT_EQ(big.Body()["error"]["type"], "invalid_request_error");
  EXPECT_TRUE(big.Body()["error"]["param"].is_null());
  EXPECT_EQ(FromHttpRefusal(503, "unavailable", "busy").type, "server_error");
}

}  // namespace
}  // namespace lt::openai
