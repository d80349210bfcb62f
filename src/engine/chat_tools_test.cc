// Tools in the prompt (engine/chat_template.h "Tools", engine/tool_json.h): the exact text of
// each family's rendering of offered tools, an assistant turn with tool calls and tool results,
// on the synthetic GGUFs of `lt model random` (tests/interop/engine_llama_test.cc holds the same
// renderings against the real Qwen2.5 and Llama-3.1 templates run by Jinja).
#include <gtest/gtest.h>

#include "engine/chat.h"
#include "engine/chat_template.h"
#include "engine/model.h"
#include "engine/random_model_test_support.h"
#include "engine/tool_json.h"

namespace lt::engine {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

using testing::LoadTinyTemplateModel;

// Parsed as a request would be: keys sorted (nlohmann::json).
const json kTools = json::parse(R"([{"type":"function","function":{"name":"get_weather","description":"Weather",
    "parameters":{"type":"object","properties":{"unit":{"type":"string"},"city":{"type":"string"}},"required":["city"]}}}])");
const std::string kToolJson =
    R"({"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object", )"
    R"("properties": {"city": {"type": "string"}, "unit": {"type": "string"}}, "required": ["city"]}}})";

const std::vector<ChatTurn> kAgent = {
    {"system", "Be brief."},
    {"user", "Weather in Paris?"},
    {"assistant", "", {{"call_1", "get_weather", R"({"city":"Paris","unit":"C"})"}}},
    {"tool", "22 C", {}, "call_1"},
};

TEST(ToolJsonTest, WritesJsonAsTheTemplatesTojsonFilter) {
  ordered_json v = ordered_json::parse(R"({"b":[1,2.5,{"x":null}],"a":"q\"\n\u0001é","e":[],"o":{}})");
  EXPECT_EQ(JinjaJson(v), R"({"b": [1, 2.5, {"x": null}], "a": "q\"\n\u0001é", "e": [], "o": {}})");
  EXPECT_EQ(JinjaJson(v, 2), "{\n  \"b\": [\n    1,\n    2.5,\n    {\n      \"x\": null\n    }\n  ],\n"
                             "  \"a\": \"q\\\"\\n\\u0001é\",\n  \"e\": [],\n  \"o\": {}\n}");
  EXPECT_EQ(JinjaJson(CanonicalTool(kTools[0])), kToolJson);
  EXPECT_EQ(TemplateArguments(R"({"z":1,"a":{"b":true}})"), R"({"z": 1, "a": {"b": true}})");  // the model's order
  EXPECT_EQ(TemplateArguments("not json"), "\"not json\"");
  EXPECT_EQ(TemplateArguments("[1]"), "\"[1]\"");  // arguments are an object
  EXPECT_TRUE(ParseArguments(std::string(100, '[') + std::string(100, ']')).is_discarded());
}

TEST(ChatToolsTest, ChatmlWritesQwenHermesStyle) {
  auto m = LoadTinyTemplateModel("qwen2");
  ASSERT_NE(m, nullptr);
  const Tokenizer& t = m->tokenizer();
  ChatFormat f = ChatFormatOf(t);
  ASSERT_EQ(f.family, ChatFamily::kChatml);
  RenderedChat r = RenderChat(t, f, kAgent, kTools);
  EXPECT_EQ(r.text,
            "<|im_start|>system\nBe brief.\n\n# Tools\n\nYou may call one or more functions to assist with the user "
            "query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
                kToolJson +
                "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
                "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
                "<args-json-object>}\n</tool_call><|im_end|>\n"
                "<|im_start|>user\nWeather in Paris?<|im_end|>\n"
                "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", "
                "\"unit\": \"C\"}}\n</tool_call><|im_end|>\n"
                "<|im_start|>user\n<tool_response>\n22 C\n</tool_response><|im_end|>\n"
                "<|im_start|>assistant\n");
  EXPECT_EQ(r.tokens, t.Tokenize(r.text, false, true));
  // Qwen2.5's template: its default system text when the conversation has none; two results in
  // one user turn; an assistant's text before its calls.
  f.default_system = "You are Qwen.";
  RenderedChat q = RenderChat(t, f,
                              {{"user", "Hi"},
                               {"assistant", "Let me look.", {{"a", "f", "{}"}, {"b", "g", "{\"x\":1}"}}},
                               {"tool", "1"},
                               {"tool", "2"}},
                              nullptr);
  EXPECT_EQ(q.text,
            "<|im_start|>system\nYou are Qwen.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nLet me look.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>\n"
            "<tool_call>\n{\"name\": \"g\", \"arguments\": {\"x\": 1}}\n</tool_call><|im_end|>\n"
            "<|im_start|>user\n<tool_response>\n1\n</tool_response>\n<tool_response>\n2\n</tool_response><|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatToolsTest, Llama31WritesJsonToolCallingAndItsSystemBlock) {
  auto m = LoadTinyTemplateModel("llama3");
  ASSERT_NE(m, nullptr);
  const Tokenizer& t = m->tokenizer();
  ChatFormat f = ChatFormatOf(t);
  ASSERT_EQ(f.family, ChatFamily::kLlama3);
  EXPECT_FALSE(f.llama31);  // the random model carries the 3.0 template
  f.llama31 = true;
  std::vector<ChatTurn> turns = kAgent;
  RenderedChat r = RenderChat(t, f, turns, kTools);
  std::string tool4 = JinjaJson(CanonicalTool(kTools[0]), 4);
  EXPECT_EQ(tool4.substr(0, 40), "{\n    \"type\": \"function\",\n    \"function\"");
  EXPECT_EQ(r.text,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge "
            "Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for "
            "a function call with its proper arguments that best answers the given prompt.\n\nRespond in the format "
            "{\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use "
            "variables.\n\n" + tool4 + "\n\nWeather in Paris?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": "
            "\"Paris\", \"unit\": \"C\"}}<|eot_id|>"
            "<|start_header_id|>ipython<|end_header_id|>\n\n\"22 C\"<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(r.tokens, t.Tokenize(r.text, false, true));
  // Without tools, the 3.1 system block stays (as the template writes it).
  RenderedChat plain = RenderChat(t, f, {{"user", " Hi "}}, nullptr);
  EXPECT_EQ(plain.text,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            "Today Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  // The 3.0 template: no system block, the result as it is.
  f.llama31 = false;
  RenderedChat old = RenderChat(t, f, {{"user", "Hi"}, {"tool", " 22 C "}}, nullptr);
  EXPECT_EQ(old.text,
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>ipython<|end_header_id|>\n\n22 C<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
}

// Mistral-7B-Instruct v0.3's template (tool markers in it): its turns for the whole conversation,
// the system text in front of the last turn when that is a user turn, the result as it is.
TEST(ChatToolsTest, MistralV03WritesItsToolBlocksAndTurns) {
  auto m = LoadTinyTemplateModel("mistral");
  ASSERT_NE(m, nullptr);
  const Tokenizer& t = m->tokenizer();
  ChatFormat f = ChatFormatOf(t);
  ASSERT_EQ(f.family, ChatFamily::kMistral);
  EXPECT_FALSE(f.mistral_tools);
  f.mistral_tools = true;
  std::vector<ChatTurn> turns = kAgent;
  turns.push_back({"assistant", " Warm. "});
  turns.push_back({"user", "And Rome?"});
  RenderedChat r = RenderChat(t, f, turns, kTools);
  EXPECT_EQ(r.text,
            "<s>[INST] Weather in Paris?[/INST][TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": "
            "\"Paris\", \"unit\": \"C\"}, \"id\": \"call_1\"}]</s>[TOOL_RESULTS] {\"content\": 22 C, \"call_id\": "
            "\"call_1\"}[/TOOL_RESULTS] Warm.</s>[AVAILABLE_TOOLS] [" + kToolJson +
                "][/AVAILABLE_TOOLS][INST] Be brief.\n\nAnd Rome?[/INST]");
  EXPECT_EQ(r.tokens, t.Tokenize(r.text, false, true));
  // Ending on a tool result: the template has no place for the system text.
  RenderedChat agent = RenderChat(t, f, kAgent, nullptr);
  EXPECT_EQ(agent.text.find("Be brief."), std::string::npos) << agent.text;
}

TEST(ChatToolsTest, FamiliesWithoutToolTemplatesUseThePlainTextFormat) {
  auto m = LoadTinyTemplateModel("llama");
  ASSERT_NE(m, nullptr);
  const Tokenizer& t = m->tokenizer();
  ChatFormat f = ChatFormatOf(t);
  ASSERT_EQ(f.family, ChatFamily::kLlama2);
  std::string preamble = std::string(kToolsPreamble) + "\n" + kToolJson;
  RenderedChat r = RenderChat(t, f, kAgent, kTools);
  EXPECT_EQ(r.text, "<s>[INST] <<SYS>>\nBe brief.\n\n" + preamble +
                        "\n<</SYS>>\n\nWeather in Paris? [/INST] <tool_call>{\"name\": \"get_weather\", \"arguments\": "
                        "{\"city\": \"Paris\", \"unit\": \"C\"}}</tool_call> </s><s>[INST] <tool_response>22 C"
                        "</tool_response> [/INST]");
  // Mistral without its markers: the same text, folded into the first user turn.
  auto mm = LoadTinyTemplateModel("mistral");
  ASSERT_NE(mm, nullptr);
  RenderedChat mr = RenderChat(mm->tokenizer(), ChatFormatOf(mm->tokenizer()), {{"user", "Hi"}}, kTools);
  EXPECT_EQ(mr.text, "<s>[INST] " + preamble + "\n\nHi [/INST]");
  // No template (stories260K): the preamble, a blank line, then the story with calls and results.
  auto s = Model::Load(std::string(LT_MODELS_DIR) + "/stories260K.bin", std::string(LT_MODELS_DIR) + "/tok512.bin");
  ASSERT_TRUE(s.ok());
  const Tokenizer& st = (*s)->tokenizer();
  RenderedChat d = RenderChat(st, ChatFormatOf(st), kAgent, kTools);
  EXPECT_EQ(d.text, preamble + "\n\nWeather in Paris? <tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": "
                               "\"Paris\", \"unit\": \"C\"}}</tool_call> <tool_response>22 C</tool_response>");
  EXPECT_EQ(d.tokens, st.Encode(d.text, true, false));
  // tool_choice "none": no tools, the history still there.
  EXPECT_EQ(RenderChat(st, ChatFormatOf(st), kAgent, nullptr).text.find(kToolsPreamble), std::string::npos);
}

TEST(ChatToolsTest, DetectsWhatATemplateAddsToItsFamily) {
  ChatFormat q = DetectChatFormat(
      "{%- if tools %}<|im_start|>system\\n{{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}");
  EXPECT_EQ(q.family, ChatFamily::kChatml);
  EXPECT_EQ(q.default_system, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
  ChatFormat l = DetectChatFormat("<|start_header_id|>system<|end_header_id|> Cutting Knowledge Date: December 2023");
  EXPECT_TRUE(l.llama31);
  EXPECT_TRUE(DetectChatFormat("{{ '[AVAILABLE_TOOLS] [' }}{{ '[INST] ' }}").mistral_tools);
  EXPECT_FALSE(DetectChatFormat("{{ '[INST] ' }}").mistral_tools);
}

// The request's tools reach the prompt through ChatToRequest (and only when they may be called).
TEST(ChatToolsTest, ChatToRequestRendersTheOfferedTools) {
  auto m = LoadTinyTemplateModel("qwen2", 1024);
  ASSERT_NE(m, nullptr);
  openai::ChatRequest chat;
  openai::ApiError error;
  ASSERT_TRUE(openai::ParseChatRequest(json{{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"tools", kTools}},
                                       &chat, &error));
  Request with;
  ASSERT_TRUE(ChatToRequest(*m, chat, 1, &with, &error)) << error.message;
  ToolPlan plan = ToolPlanOf(*m, chat);
  EXPECT_TRUE(plan.active);
  EXPECT_EQ(plan.syntax, ToolSyntax::kTagged);
  EXPECT_EQ(plan.names, std::vector<std::string>{"get_weather"});
  chat.wants_tools = false;  // tool_choice "none"
  Request without;
  ASSERT_TRUE(ChatToRequest(*m, chat, 1, &without, &error));
  EXPECT_GT(with.prompt_tokens.size(), without.prompt_tokens.size() + 50);
  EXPECT_FALSE(ToolPlanOf(*m, chat).active);
}

// Control tokens decode to "": a tool marker that is one (Llama 3.1's <|python_tag|> here) keeps
// its text while tools are active, so the parser sees it.
TEST(ChatToolsTest, ToolMarkersThatAreControlTokensKeepTheirText) {
  auto m = LoadTinyTemplateModel("llama3", 1024);
  ASSERT_NE(m, nullptr);
  const Tokenizer& t = m->tokenizer();
  int tag = t.Find("<|python_tag|>");
  ASSERT_GE(tag, 0);
  EXPECT_EQ(t.Decode(-1, tag), "");
  openai::ChatRequest chat;
  openai::ApiError error;
  ASSERT_TRUE(openai::ParseChatRequest(json{{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"tools", kTools}},
                                       &chat, &error));
  ToolPlan plan = ToolPlanOf(*m, chat);
  ASSERT_TRUE(plan.active);
  EXPECT_EQ(plan.syntax, ToolSyntax::kJson);
  EXPECT_EQ(plan.Piece(tag, ""), "<|python_tag|>");
  EXPECT_EQ(plan.Piece(5, "ab"), "ab");
  std::string answer = std::string(plan.Piece(tag, "")) + R"({"name": "get_weather", "parameters": {"city": "Rome"}})";
  ParsedAnswer a = plan.Parse(answer);
  ASSERT_EQ(a.calls.size(), 1u);
  EXPECT_EQ(a.content, "");
  chat.wants_tools = false;
  EXPECT_EQ(ToolPlanOf(*m, chat).Piece(tag, ""), "");  // no tools: control tokens stay silent
}

}  // namespace
}  // namespace lt::engine
