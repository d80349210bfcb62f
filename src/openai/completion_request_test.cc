// The legacy text-completion request (openai/completion_request.h): the prompt's forms, the
// default budget of 16 tokens, echo, the refused fields, and that every other field is checked
// by the one chat parser; plus the builtin engine's refusal of tools and response_format.
#include "openai/completion_request.h"

#include <gtest/gtest.h>

namespace lt::openai {
namespace {

using nlohmann::json;

json Base() { return json{{"model", "demo/stories:260k"}, {"prompt", "Once upon a time"}}; }

TEST(CompletionRequestTest, APromptBecomesOneRawUserMessageWithSixteenTokensByDefault) {
  ChatRequest r;
  ApiError e;
  bool echo = true;
  ASSERT_TRUE(ParseCompletionRequest(Base(), &r, &echo, &e)) << e.message;
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].role, "user");
  EXPECT_EQ(r.messages[0].text, "Once upon a time");
  EXPECT_TRUE(r.raw_prompt);
  EXPECT_EQ(r.max_tokens, kCompletionDefaultMaxTokens);
  EXPECT_FALSE(echo);

  json b = Base();
  b["prompt"] = json::array({"Once"});
  b["max_tokens"] = 3;
  b["echo"] = true;
  b["stop"] = ".";
  ASSERT_TRUE(ParseCompletionRequest(b, &r, &echo, &e)) << e.message;
  EXPECT_EQ(r.messages[0].text, "Once");
  EXPECT_EQ(r.max_tokens, 3);
  EXPECT_TRUE(echo);
  EXPECT_EQ(r.stop, std::vector<std::string>{"."});
}

TEST(CompletionRequestTest, BadFieldsAreRefusedNamingTheParameter) {
  struct Row {
    const char* field;
    json value;
    const char* param;
  };
  const Row rows[] = {
      {"prompt", json::array({"a", "b"}), "prompt"},  {"prompt", json::array({1, 2}), "prompt"},
      {"prompt", 5, "prompt"},                        {"echo", "yes", "echo"},
      {"suffix", "end", "suffix"},                    {"logprobs", 2, "logprobs"},
      {"best_of", 3, "best_of"},                      {"max_tokens", "10", "max_tokens"},
      {"max_tokens", 0, "max_tokens"},                {"n", 5, "n"},
      {"temperature", "hot", "temperature"},          {"messages", json::array(), "messages"},
  };
  for (const auto& row : rows) {
    json b = Base();
    b[row.field] = row.value;
    ChatRequest r;
    ApiError e;
    EXPECT_FALSE(ParseCompletionRequest(b, &r, nullptr, &e)) << row.field << " " << row.value;
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.param, row.param) << e.message;
  }
  json none = {{"model", "m"}};
  ChatRequest r;
  ApiError e;
  EXPECT_FALSE(ParseCompletionRequest(none, &r, nullptr, &e));
  EXPECT_EQ(e.param, "prompt");
}

TEST(CompletionRequestTest, ParseAnyRequestTellsChatsFromCompletionsAndTheBodyToSendIsExplicit) {
  ChatRequest r;
  ApiError e;
  ASSERT_TRUE(ParseAnyRequest(Base(), &r, &e));
  EXPECT_TRUE(r.raw_prompt);
  json chat = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  ASSERT_TRUE(ParseAnyRequest(chat, &r, &e));
  EXPECT_FALSE(r.raw_prompt);
  EXPECT_FALSE(IsCompletionBody(chat));

  json b = Base();
  b["prompt"] = json::array({"Once"});
  b["echo"] = true;
  b["max_completion_tokens"] = 4;
  ASSERT_TRUE(ParseCompletionRequest(b, &r, nullptr, &e));
  json sent = CompletionBodyToSend(b, r);
  EXPECT_EQ(sent["prompt"], "Once");
  EXPECT_EQ(sent["max_tokens"], 4);
  EXPECT_FALSE(sent.contains("echo"));
  EXPECT_FALSE(sent.contains("max_completion_tokens"));
  EXPECT_EQ(CompletionBodyToSend(Base(), ChatRequest{})["prompt"], "");
}

TEST(CheckBuiltinEngineTest, ToolsPassButForcedToolChoiceAndStructuredOutputAreRefused) {
  json chat = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  ChatRequest r;
  ApiError e;
  ASSERT_TRUE(ParseChatRequest(chat, &r, &e));
  EXPECT_TRUE(CheckBuiltinEngine(r, &e));

  json tools = chat;
  tools["tools"] = json::array({{{"type", "function"}, {"function", {{"name", "f"}}}}});
  ASSERT_TRUE(ParseChatRequest(tools, &r, &e));
  EXPECT_TRUE(r.wants_tools);
  EXPECT_TRUE(CheckBuiltinEngine(r, &e));
  tools["tool_choice"] = "required";
  ASSERT_TRUE(ParseChatRequest(tools, &r, &e));
  EXPECT_FALSE(CheckBuiltinEngine(r, &e));
  EXPECT_EQ(e.param, "tool_choice");
  EXPECT_EQ(e.code, "unsupported_parameter");
  tools["tool_choice"] = {{"type", "function"}, {"function", {{"name", "f"}}}};
  ASSERT_TRUE(ParseChatRequest(tools, &r, &e));
  EXPECT_EQ(r.tool_choice_name, "f");
  EXPECT_FALSE(CheckBuiltinEngine(r, &e));
  EXPECT_EQ(e.param, "tool_choice");
  tools["tool_choice"] = {{"type", "allowed_tools"}, {"allowed_tools", {{"mode", "auto"}}}};  // for upstreams
  ASSERT_TRUE(ParseChatRequest(tools, &r, &e));
  EXPECT_EQ(r.tool_choice, "other");
  EXPECT_FALSE(CheckBuiltinEngine(r, &e));
  EXPECT_EQ(e.param, "tool_choice");
  tools["tool_choice"] = "none";
  ASSERT_TRUE(ParseChatRequest(tools, &r, &e));
  EXPECT_FALSE(r.wants_tools);
  EXPECT_TRUE(CheckBuiltinEngine(r, &e));
  tools["tool_choice"] = "sometimes";
  EXPECT_FALSE(ParseChatRequest(tools, &r, &e));
  EXPECT_EQ(e.param, "tool_choice");
  tools.erase("tool_choice");
  for (json bad : {json("f"), json{{"type", "function"}}, json{{"type", 5}, {"function", {{"name", "f"}}}},
                   json{{"function", {{"name", 7}}}}, json{{"function", {{"name", ""}}}}}) {
    tools["tools"] = json::array({{{"type", "function"}, {"function", {{"name", "ok"}}}}, bad});
    ASSERT_TRUE(ParseChatRequest(tools, &r, &e)) << bad;
    EXPECT_FALSE(CheckBuiltinEngine(r, &e)) << bad;
    EXPECT_EQ(e.param, "tools[1]") << bad;
  }

  json rf = chat;
  rf["response_format"] = {{"type", "json_object"}};
  ASSERT_TRUE(ParseChatRequest(rf, &r, &e));
  EXPECT_FALSE(CheckBuiltinEngine(r, &e));
  EXPECT_EQ(e.param, "response_format");
  rf["response_format"] = {{"type", "text"}};
  ASSERT_TRUE(ParseChatRequest(rf, &r, &e));
  EXPECT_TRUE(CheckBuiltinEngine(r, &e));
  rf["response_format"] = "json";
  EXPECT_FALSE(ParseChatRequest(rf, &r, &e));
  EXPECT_EQ(e.param, "response_format");
  // logprobs and logit_bias: the engine has neither, so a request that asks for them is told
  // (they used to be ignored: logprobs came back null); false, absent or empty pass.
  for (json off : {json{{"logprobs", false}}, json{{"logprobs", nullptr}}, json{{"logit_bias", json::object()}},
                   json{{"top_logprobs", 0}}}) {
    json b = chat;
    b.update(off);
    ASSERT_TRUE(ParseChatRequest(b, &r, &e)) << off;
    EXPECT_TRUE(CheckBuiltinEngine(r, &e)) << off;
  }
  for (auto [extra, param] : {std::pair{json{{"logprobs", true}, {"top_logprobs", 2}}, "logprobs"},
                              std::pair{json{{"logit_bias", {{"50256", -100}}}}, "logit_bias"}}) {
    json b = chat;
    b.update(extra);
    ASSERT_TRUE(ParseChatRequest(b, &r, &e)) << extra;
    EXPECT_FALSE(CheckBuiltinEngine(r, &e)) << extra;
    EXPECT_EQ(e.param, param);
    EXPECT_EQ(e.code, "unsupported_parameter");
  }
  for (auto [extra, param] : {std::pair{json{{"logprobs", "yes"}}, "logprobs"},
                              std::pair{json{{"top_logprobs", 21}}, "top_logprobs"},
                              std::pair{json{{"logit_bias", json::array()}}, "logit_bias"}}) {
    json b = chat;
    b.update(extra);
    EXPECT_FALSE(ParseChatRequest(b, &r, &e)) << extra;
    EXPECT_EQ(e.param, param);
  }
  json bad_tools = chat;
  bad_tools["tools"] = "f";
  EXPECT_FALSE(ParseChatRequest(bad_tools, &r, &e));
  EXPECT_EQ(e.param, "tools");
}

}  // namespace
}  // namespace lt::openai
