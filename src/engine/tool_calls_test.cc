// engine/tool_calls.h: tool calls out of a model's answer, per syntax; malformed, unknown, too
// deep or too large call text stays content.
#include "engine/tool_calls.h"

#include <gtest/gtest.h>

#include <set>

#include "engine/tool_json.h"

namespace lt::engine {
namespace {

using nlohmann::json;

const std::vector<std::string> kNames = {"get_weather", "search"};

TEST(ToolCallsTest, TaggedCallsBecomeCallsAndTheRestContent) {
  ParsedAnswer a = ParseToolCalls(ToolSyntax::kTagged,
                                  "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
                                  "{\"city\": \"Paris\", \"days\": [1, 2]}}\n</tool_call>\n<tool_call>{\"name\": "
                                  "\"search\", \"arguments\": {}}</tool_call>",
                                  kNames);
  EXPECT_EQ(a.content, "Let me check.");
  ASSERT_EQ(a.calls.size(), 2u);
  EXPECT_EQ(a.calls[0].name, "get_weather");
  EXPECT_EQ(a.calls[0].arguments, R"({"city":"Paris","days":[1,2]})");  // the model's key order
  EXPECT_EQ(a.calls[1].name, "search");
  EXPECT_EQ(a.calls[1].arguments, "{}");
  // Only calls: content "". A last block cut off by the end of generation still counts.
  a = ParseToolCalls(ToolSyntax::kTagged, "<tool_call>\n{\"name\": \"search\", \"arguments\": {\"q\": \"x\"}}\n", kNames);
  EXPECT_EQ(a.content, "");
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls[0].arguments, R"({"q":"x"})");
  // "parameters" for "arguments", arguments as a JSON string, no arguments.
  a = ParseToolCalls(ToolSyntax::kTagged,
                     "<tool_call>{\"name\": \"search\", \"parameters\": {\"q\": 1}}</tool_call>"
                     "<tool_call>{\"name\": \"search\", \"arguments\": \"{\\\"q\\\": 2}\"}</tool_call>"
                     "<tool_call>{\"name\": \"search\"}</tool_call>",
                     kNames);
  ASSERT_EQ(a.calls.size(), 3u);
  EXPECT_EQ(a.calls[0].arguments, R"({"q":1})");
  EXPECT_EQ(a.calls[1].arguments, R"({"q":2})");
  EXPECT_EQ(a.calls[2].arguments, "{}");
}

TEST(ToolCallsTest, MalformedOrUnknownCallsStayText) {
  const std::string bad[] = {
      "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": }</tool_call>",  // bad JSON
      "<tool_call>{\"name\": \"rm_rf\", \"arguments\": {}}</tool_call>",               // unknown tool
      "<tool_call>{\"arguments\": {}}</tool_call>",                                    // no name
      "<tool_call>{\"name\": 5}</tool_call>",
      "<tool_call>{\"name\": \"search\", \"arguments\": [1]}</tool_call>",             // not an object
      "<tool_call>{\"name\": \"search\", \"arguments\": \"[1]\"}</tool_call>",
      "<tool_call>[\"search\"]</tool_call>",
      "<tool_call></tool_call>",
      "<tool_call>",
      "</tool_call>{\"name\": \"search\"}",
  };
  for (const std::string& text : bad) {
    ParsedAnswer a = ParseToolCalls(ToolSyntax::kTagged, "Hi " + text, kNames);
    EXPECT_TRUE(a.calls.empty()) << text;
    EXPECT_EQ(a.content, "Hi " + text) << text;
  }
  // A bad block stays text next to a good one.
  ParsedAnswer a = ParseToolCalls(ToolSyntax::kTagged,
                                  "<tool_call>{\"name\": \"nope\"}</tool_call> <tool_call>{\"name\": \"search\"}</tool_call>",
                                  kNames);
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.content, "<tool_call>{\"name\": \"nope\"}</tool_call>");
  // No tools offered: nothing is a call.
  EXPECT_TRUE(ParseToolCalls(ToolSyntax::kTagged, "<tool_call>{\"name\": \"search\"}</tool_call>", {}).calls.empty());
}

TEST(ToolCallsTest, DeepOrHugeArgumentsStayText) {
  std::string deep = "<tool_call>{\"name\": \"search\", \"arguments\": {\"a\": " + std::string(5000, '[') +
                     std::string(5000, ']') + "}}</tool_call>";
  ParsedAnswer a = ParseToolCalls(ToolSyntax::kTagged, deep, kNames);
  EXPECT_TRUE(a.calls.empty());
  EXPECT_EQ(a.content, deep);
  std::string huge = "<tool_call>{\"name\": \"search\", \"arguments\": {\"a\": \"" +
                     std::string(kMaxToolArgumentsBytes + 10, 'x') + "\"}}</tool_call>";
  EXPECT_TRUE(ParseToolCalls(ToolSyntax::kTagged, huge, kNames).calls.empty());
  std::string json_deep = std::string(100000, '{');  // never closes: text, and no stack is spent on it
  EXPECT_TRUE(ParseToolCalls(ToolSyntax::kJson, json_deep, kNames).calls.empty());
  std::string over(kMaxToolAnswerBytes + 1, ' ');
  EXPECT_EQ(ParseToolCalls(ToolSyntax::kJson, over, kNames).content.size(), over.size());  // not parsed at all
  // Many calls: at most openai::kMaxToolCalls become calls.
  std::string many;
  for (int i = 0; i < 200; ++i) many += "<tool_call>{\"name\": \"search\"}</tool_call>";
  EXPECT_EQ(ParseToolCalls(ToolSyntax::kTagged, many, kNames).calls.size(), 128u);
}

TEST(ToolCallsTest, Llama3JsonCalls) {
  ParsedAnswer a = ParseToolCalls(ToolSyntax::kJson,
                                  "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}",
                                  kNames);
  EXPECT_EQ(a.content, "");
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.calls[0].name, "get_weather");
  EXPECT_EQ(a.calls[0].arguments, R"({"city":"Paris"})");
  a = ParseToolCalls(ToolSyntax::kJson,
                     "{\"type\": \"function\", \"name\": \"search\", \"parameters\": {\"q\": \"}{\"}}; "
                     "{\"name\": \"get_weather\", \"parameters\": {}}",
                     kNames);
  ASSERT_EQ(a.calls.size(), 2u);
  EXPECT_EQ(a.calls[0].arguments, R"({"q":"}{"})");  // braces inside strings do not count
  EXPECT_EQ(a.content, "");
  // Text with a JSON object that is no call stays whole.
  std::string text = "The answer is {\"x\": 1} and {\"name\": \"unknown\", \"parameters\": {}}.";
  a = ParseToolCalls(ToolSyntax::kJson, text, kNames);
  EXPECT_TRUE(a.calls.empty());
  EXPECT_EQ(a.content, text);
}

TEST(ToolCallsTest, MistralCalls) {
  ParsedAnswer a = ParseToolCalls(ToolSyntax::kMistral,
                                  "[TOOL_CALLS] [{\"name\": \"search\", \"arguments\": {\"q\": \"a\"}, \"id\": \"abc123def\"}, "
                                  "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}]",
                                  kNames);
  EXPECT_EQ(a.content, "");
  ASSERT_EQ(a.calls.size(), 2u);
  EXPECT_EQ(a.calls[1].arguments, R"({"city":"Rome"})");
  // One bad entry: the whole array stays text.
  std::string bad = "[TOOL_CALLS] [{\"name\": \"search\"}, {\"name\": \"nope\"}]";
  a = ParseToolCalls(ToolSyntax::kMistral, bad, kNames);
  EXPECT_TRUE(a.calls.empty());
  EXPECT_EQ(a.content, bad);
  EXPECT_TRUE(ParseToolCalls(ToolSyntax::kMistral, "[TOOL_CALLS] [{\"name\": ", kNames).calls.empty());
  EXPECT_TRUE(ParseToolCalls(ToolSyntax::kMistral, "[TOOL_CALLS]", kNames).calls.empty());
}

TEST(ToolCallsTest, ToolCallsJsonHasOpenAisShapeWithFreshIds) {
  SeededRandom random(7);
  json calls = ToolCallsJson({{"search", R"({"q":"x"})"}, {"search", "{}"}}, random);
  ASSERT_EQ(calls.size(), 2u);
  std::set<std::string> ids;
  for (const auto& c : calls) {
    std::string id = c["id"];
    EXPECT_EQ(id.rfind("call_", 0), 0u);
    EXPECT_EQ(id.size(), 5u + 24u);
    ids.insert(id);
    EXPECT_EQ(c["type"], "function");
    EXPECT_EQ(c["function"]["name"], "search");
    EXPECT_TRUE(c["function"]["arguments"].is_string());
  }
  EXPECT_EQ(ids.size(), 2u);
}

}  // namespace
}  // namespace lt::engine
