// The OpenAI chat request parser (openai/chat_request.h): every field's type and range, row by
// row, with the parameter OpenAI's error names (issue 15, C1 and L1; issue 18's list of values
// that used to be ignored).
#include "openai/chat_request.h"

#include <gtest/gtest.h>

#include <string>

#include "util/json.h"

namespace lt::openai {
namespace {

using nlohmann::json;

json Base() { return json{{"model", "demo/stories:260k"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}}; }

TEST(ChatRequestTest, AValidRequestParsesEveryField) {
  json b = Base();
  b["messages"] = json::array({{{"role", "system"}, {"content", "be brief"}},
                               {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "Once "}},
                                                                           {{"type", "text"}, {"text", "upon"}}})}},
                               {{"role", "assistant"}, {"content", nullptr}},
                               {{"role", "user"}, {"content", "a time"}}});
  b["max_tokens"] = 20;
  b["max_completion_tokens"] = 7;
  b["temperature"] = 0;
  b["top_p"] = 0.5;
  b["seed"] = 42;
  b["n"] = 1;
  b["stop"] = json::array({"\n", "", "The end"});
  b["stream"] = true;
  b["stream_options"] = {{"include_usage", true}};
  b["tools"] = json::array();  // forwarded, not checked here
  ChatRequest r;
  ApiError e;
  ASSERT_TRUE(ParseChatRequest(b, &r, &e)) << e.message;
  EXPECT_EQ(r.model, "demo/stories:260k");
  ASSERT_EQ(r.messages.size(), 4u);
  EXPECT_EQ(r.messages[1].text, "Once upon");
  EXPECT_EQ(r.messages[2].text, "");
  EXPECT_EQ(r.LastUserText(), "a time");
  EXPECT_EQ(r.max_tokens, 7);  // the smaller of the two
  EXPECT_EQ(r.temperature, 0.0);
  EXPECT_EQ(r.top_p, 0.5);
  EXPECT_EQ(r.seed, 42);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"\n", "The end"}));
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
}

TEST(ChatRequestTest, NullMeansAbsent) {
  json b = Base();
  for (const char* k : {"max_tokens", "temperature", "top_p", "seed", "n", "stop", "stream", "stream_options"}) b[k] = nullptr;
  ChatRequest r;
  ApiError e;
  ASSERT_TRUE(ParseChatRequest(b, &r, &e)) << e.message;
  EXPECT_FALSE(r.max_tokens.has_value());
  EXPECT_FALSE(r.stream);
}

// Each row: a change to a valid request, and the parameter the 400 must name.
TEST(ChatRequestTest, C1_L1_EveryBadValueIsA400NamingItsParameter) {
  struct Row {
    const char* what;
    std::function<void(json&)> change;
    const char* param;
  };
  std::vector<Row> rows = {
      {"role a number (C1)", [](json& b) { b["messages"][0]["role"] = 5; }, "messages[0].role"},
      {"role unknown", [](json& b) { b["messages"][0]["role"] = "wizard"; }, "messages[0].role"},
      {"role missing", [](json& b) { b["messages"][0].erase("role"); }, "messages[0].role"},
      {"message not an object", [](json& b) { b["messages"][0] = "hi"; }, "messages[0]"},
      {"content a number", [](json& b) { b["messages"][0]["content"] = 3; }, "messages[0].content"},
      {"content part not text", [](json& b) { b["messages"][0]["content"] = json::array({{{"type", "image_url"}}}); },
       "messages[0].content"},
      {"content part text a number",
       [](json& b) { b["messages"][0]["content"] = json::array({{{"type", "text"}, {"text", 1}}}); }, "messages[0].content"},
      {"messages empty", [](json& b) { b["messages"] = json::array(); }, "messages"},
      {"messages an object", [](json& b) { b["messages"] = json::object(); }, "messages"},
      {"model a number", [](json& b) { b["model"] = 1; }, "model"},
      {"max_tokens a string", [](json& b) { b["max_tokens"] = "10"; }, "max_tokens"},
      {"max_tokens -1", [](json& b) { b["max_tokens"] = -1; }, "max_tokens"},
      {"max_tokens 0", [](json& b) { b["max_tokens"] = 0; }, "max_tokens"},
      {"max_tokens 1.5", [](json& b) { b["max_tokens"] = 1.5; }, "max_tokens"},
      {"max_completion_tokens huge", [](json& b) { b["max_completion_tokens"] = 1ll << 40; }, "max_completion_tokens"},
      {"temperature a word", [](json& b) { b["temperature"] = "hot"; }, "temperature"},
      {"temperature an object", [](json& b) { b["temperature"] = json::object(); }, "temperature"},
      {"temperature 3", [](json& b) { b["temperature"] = 3; }, "temperature"},
      {"top_p 0", [](json& b) { b["top_p"] = 0; }, "top_p"},
      {"presence_penalty 9", [](json& b) { b["presence_penalty"] = 9; }, "presence_penalty"},
      {"seed a string", [](json& b) { b["seed"] = "1"; }, "seed"},
      {"n 5", [](json& b) { b["n"] = 5; }, "n"},
      {"n 0", [](json& b) { b["n"] = 0; }, "n"},
      {"stop a number", [](json& b) { b["stop"] = 1; }, "stop"},
      {"stop five strings", [](json& b) { b["stop"] = json::array({"a", "b", "c", "d", "e"}); }, "stop"},
      {"stream a string", [](json& b) { b["stream"] = "yes"; }, "stream"},
      {"include_usage a string (L1)", [](json& b) { b["stream_options"] = {{"include_usage", "yes"}}; },
       "stream_options.include_usage"},
      {"stream_options a string", [](json& b) { b["stream_options"] = "x"; }, "stream_options"},
      {"tool_calls an object", [](json& b) { b["messages"][0]["tool_calls"] = json::object(); },
       "messages[0].tool_calls"},
      {"tool call without a name", [](json& b) { b["messages"][0]["tool_calls"] = {{{"function", json::object()}}}; },
       "messages[0].tool_calls[0]"},
      {"tool call a string", [](json& b) { b["messages"][0]["tool_calls"] = {"f"}; }, "messages[0].tool_calls[0]"},
      {"function tool_choice without a name",
       [](json& b) { b["tool_choice"] = {{"type", "function"}, {"function", json::object()}}; },
       "tool_choice.function.name"},
      {"tool_choice an object without a type", [](json& b) { b["tool_choice"] = json::object(); }, "tool_choice"},
      {"tool call arguments a number",
       [](json& b) { b["messages"][0]["tool_calls"] = {{{"function", {{"name", "f"}, {"arguments", 1}}}}}; },
       "messages[0].tool_calls[0].function.arguments"},
      {"tool call id a number",
       [](json& b) { b["messages"][0]["tool_calls"] = {{{"id", 1}, {"function", {{"name", "f"}}}}}; },
       "messages[0].tool_calls[0].id"},
      {"tool_call_id a number", [](json& b) { b["messages"][0]["tool_call_id"] = 5; }, "messages[0].tool_call_id"},
      {"tool_choice a number", [](json& b) { b["tool_choice"] = 5; }, "tool_choice"},
  };
  for (const auto& row : rows) {
    json b = Base();
    row.change(b);
    ChatRequest r;
    ApiError e;
    EXPECT_FALSE(ParseChatRequest(b, &r, &e)) << row.what;
    EXPECT_EQ(e.status, 400) << row.what;
    EXPECT_EQ(e.param, row.param) << row.what;
    EXPECT_FALSE(e.message.empty()) << row.what;
    EXPECT_EQ(e.Body()["error"]["type"], "invalid_request_error") << row.what;
  }
}

// An agent's history: assistant tool calls (arguments a string, or an object) and tool results.
TEST(ChatRequestTest, ToolCallsAndToolResultsOfTheHistoryAreRead) {
  json b = json::parse(R"({"messages":[{"role":"user","content":"Weather?"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
        "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
        {"id":"call_2","function":{"name":"g","arguments":{"x":1}}},{"function":{"name":"h"}},
        {"id":"call_4","type":"custom","custom":{"name":"c","input":"x"}}]},
      {"role":"tool","tool_call_id":"call_1","name":"get_weather","content":"sunny"}],
      "tools":[{"type":"function","function":{"name":"get_weather"}}],"tool_choice":"auto"})");
  ChatRequest r;
  ApiError e;
  ASSERT_TRUE(ParseChatRequest(b, &r, &e)) << e.message;
  ASSERT_EQ(r.messages.size(), 3u);
  ASSERT_EQ(r.messages[1].tool_calls.size(), 3u);
  EXPECT_EQ(r.messages[1].text, "");
  EXPECT_EQ(r.messages[1].tool_calls[0].id, "call_1");
  EXPECT_EQ(r.messages[1].tool_calls[0].name, "get_weather");
  EXPECT_EQ(r.messages[1].tool_calls[0].arguments, R"({"city":"Paris"})");
  EXPECT_EQ(r.messages[1].tool_calls[1].arguments, R"({"x":1})");
  EXPECT_EQ(r.messages[1].tool_calls[2].arguments, "{}");  // the custom call is not the engine's
  EXPECT_EQ(r.messages[2].tool_call_id, "call_1");
  EXPECT_EQ(r.messages[2].name, "get_weather");
  EXPECT_TRUE(r.wants_tools);
  EXPECT_EQ(r.tool_choice, "auto");
  EXPECT_EQ(r.tools.size(), 1u);
}

TEST(ChatRequestTest, NotAnObjectIsInvalidJson) {
  ChatRequest r;
  ApiError e;
  EXPECT_FALSE(ParseChatRequest(json::array(), &r, &e));
  EXPECT_EQ(e.code, "invalid_json");
  EXPECT_TRUE(e.Body()["error"]["param"].is_null());
}

}  // namespace
}  // namespace lt::openai
