// engine/chat_template.h: family detection, and each family's rendering on the synthetic GGUFs
// of `lt model random` (whose templates are the families' canonical ones), as text and tokens.
#include "engine/chat_template.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "engine/chat.h"
#include "engine/model.h"
#include "engine/random_model.h"
#include "engine/random_model_test_support.h"

namespace lt::engine {
namespace {

using testing::LoadTinyTemplateModel;

const std::vector<ChatTurn> kChat = {{"system", "Be brief."},
                                     {"user", "Hello there"},
                                     {"assistant", " Hi! "},
                                     {"user", "Tell me a story."}};

// Tokens built piece by piece: special ids where named, text tokenized without special parsing.
struct Expect {
  const Tokenizer& tok;
  std::vector<int> ids;
  Expect& Id(int id) {
    EXPECT_GE(id, 0);
    ids.push_back(id);
    return *this;
  }
  Expect& Special(const std::string& text) { return Id(tok.Find(text)); }
  Expect& Text(const std::string& text) {
    auto t = tok.Tokenize(text, false, false);
    ids.insert(ids.end(), t.begin(), t.end());
    return *this;
  }
};

TEST(ChatTemplateTest, DetectsTheFamiliesByTheirMarkers) {
  EXPECT_EQ(DetectChatFamily("{{'<|im_start|>' + m['role']}}"), ChatFamily::kChatml);
  EXPECT_EQ(DetectChatFamily("{{ '[INST] ' + '<<SYS>>\\n' }}"), ChatFamily::kLlama2);
  EXPECT_EQ(DetectChatFamily("{{ bos_token }}{{ '[INST] ' + c + ' [/INST]' }}"), ChatFamily::kMistral);
  EXPECT_EQ(DetectChatFamily("'<|start_header_id|>' + r + '<|end_header_id|>'"), ChatFamily::kLlama3);
  EXPECT_EQ(DetectChatFamily("<start_of_turn>user"), ChatFamily::kDefault);  // gemma: not a known family
  EXPECT_EQ(DetectChatFamily(""), ChatFamily::kDefault);
  EXPECT_EQ(ChatFamilyName(ChatFamily::kLlama3), "llama-3");
}

TEST(ChatTemplateTest, Llama3RendersEveryTurnWithHeadersAndTheAssistantPrompt) {
  auto m = LoadTinyTemplateModel("llama3");
  ASSERT_NE(m, nullptr);
  const Tokenizer& t = m->tokenizer();
  ASSERT_EQ(ChatFamilyOf(t), ChatFamily::kLlama3);
  RenderedChat r = RenderChat(t, ChatFamily::kLlama3, kChat);
  EXPECT_EQ(r.text,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHello there<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHi!<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nTell me a story.<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  Expect e{t, {}};
  e.Id(t.bos_id());
  for (auto [role, text] : std::vector<std::pair<std::string, std::string>>{
           {"system", "Be brief."}, {"user", "Hello there"}, {"assistant", "Hi!"}, {"user", "Tell me a story."}}) {
    e.Special("<|start_header_id|>").Text(role).Special("<|end_header_id|>").Text("\n\n" + text).Special("<|eot_id|>");
  }
  e.Special("<|start_header_id|>").Text("assistant").Special("<|end_header_id|>").Text("\n\n");
  EXPECT_EQ(r.tokens, e.ids);
  EXPECT_EQ(r.tokens, t.Tokenize(r.text, false, true));  // llama.cpp's reading of the same text
  EXPECT_TRUE(t.IsEog(t.Find("<|eot_id|>")));           // generation ends at the turn's end
}

TEST(ChatTemplateTest, ChatmlRendersRolesBetweenImStartAndImEnd) {
  auto m = LoadTinyTemplateModel("qwen2");
  ASSERT_NE(m, nullptr);
  const Tokenizer& t = m->tokenizer();
  ASSERT_EQ(ChatFamilyOf(t), ChatFamily::kChatml);
  RenderedChat r = RenderChat(t, ChatFamily::kChatml,
                              {{"developer", "Be brief."}, {"user", "Hi"}, {"tool", "42"}, {"user", "So?"}});
  EXPECT_EQ(r.text,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>user\n<tool_response>\n42\n</tool_response><|im_end|>\n<|im_start|>user\nSo?<|im_end|>\n"
            "<|im_start|>assistant\n");
  Expect e{t, {}};  // qwen2 adds no BOS
  e.Special("<|im_start|>").Text("system\nBe brief.").Special("<|im_end|>").Text("\n");
  e.Special("<|im_start|>").Text("user\nHi").Special("<|im_end|>").Text("\n");
  e.Special("<|im_start|>").Text("user\n<tool_response>\n42\n</tool_response>").Special("<|im_end|>").Text("\n");
  e.Special("<|im_start|>").Text("user\nSo?").Special("<|im_end|>").Text("\n");
  e.Special("<|im_start|>").Text("assistant\n");
  EXPECT_EQ(r.tokens, e.ids);
  EXPECT_EQ(r.tokens, t.Tokenize(r.text, false, true));
  EXPECT_TRUE(t.IsEog(t.Find("<|im_end|>")));
}

TEST(ChatTemplateTest, Llama2PutsTheSystemPromptInSysTagsAndBosBeforeEachUserTurn) {
  auto m = LoadTinyTemplateModel("llama");
  ASSERT_NE(m, nullptr);
  const Tokenizer& t = m->tokenizer();
  ASSERT_EQ(ChatFamilyOf(t), ChatFamily::kLlama2);
  RenderedChat r = RenderChat(t, ChatFamily::kLlama2, kChat);
  EXPECT_EQ(r.text,
            "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHello there [/INST] Hi! </s>"
            "<s>[INST] Tell me a story. [/INST]");
  Expect e{t, {}};  // [INST] is text in the Llama-2 vocabulary
  e.Id(t.bos_id()).Text("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHello there [/INST] Hi! ").Id(t.eos_id());
  e.Id(t.bos_id()).Text("[INST] Tell me a story. [/INST]");
  EXPECT_EQ(r.tokens, e.ids);
  EXPECT_EQ(r.tokens, t.Tokenize(r.text, false, true));
  EXPECT_TRUE(t.IsEog(t.eos_id()));
}

TEST(ChatTemplateTest, MistralFoldsTheSystemPromptIntoTheFirstUserTurn) {
  auto m = LoadTinyTemplateModel("mistral");
  ASSERT_NE(m, nullptr);
  const Tokenizer& t = m->tokenizer();
  ASSERT_EQ(ChatFamilyOf(t), ChatFamily::kMistral);
  RenderedChat r = RenderChat(t, ChatFamily::kMistral, kChat);
  EXPECT_EQ(r.text, "<s>[INST] Be brief.\n\nHello there [/INST] Hi! </s>[INST] Tell me a story. [/INST]");
  Expect e{t, {}};  // [INST] and [/INST] are control tokens here
  e.Id(t.bos_id()).Special("[INST]").Text(" Be brief.\n\nHello there ").Special("[/INST]").Text(" Hi! ");
  e.Id(t.eos_id()).Special("[INST]").Text(" Tell me a story. ").Special("[/INST]");
  EXPECT_EQ(r.tokens, e.ids);
  EXPECT_EQ(r.tokens, t.Tokenize(r.text, false, true));
  // Consecutive user turns (a tool result counts as one) are joined so the roles alternate.
  RenderedChat j = RenderChat(t, ChatFamily::kMistral, {{"user", "a"}, {"tool", "b"}});
  EXPECT_EQ(j.text, "<s>[INST] a\n\n<tool_response>b</tool_response> [/INST]");
}

TEST(ChatTemplateTest, SpecialTextInsideAMessageStaysText) {
  auto m = LoadTinyTemplateModel("qwen2");
  ASSERT_NE(m, nullptr);
  const Tokenizer& t = m->tokenizer();
  RenderedChat r = RenderChat(t, ChatFamily::kChatml, {{"user", "x<|im_end|>"}});
  int end = t.Find("<|im_end|>");
  EXPECT_EQ(std::count(r.tokens.begin(), r.tokens.end(), end), 1);  // only the turn's own end
}

TEST(ChatTemplateTest, TheDefaultIsTheStorySoFar) {
  auto m = Model::Load(std::string(LT_MODELS_DIR) + "/stories260K.bin", std::string(LT_MODELS_DIR) + "/tok512.bin");
  ASSERT_TRUE(m.ok());
  const Tokenizer& t = (*m)->tokenizer();
  ASSERT_EQ(ChatFamilyOf(t), ChatFamily::kDefault);
  RenderedChat r = RenderChat(t, ChatFamily::kDefault,
                              {{"system", "You are a storyteller."},
                               {"user", "Once upon a time"},
                               {"assistant", ", there was a girl."},
                               {"user", "She had a cat"}});
  EXPECT_EQ(r.text, "Once upon a time, there was a girl. She had a cat");
  EXPECT_EQ(r.tokens, t.Encode("Once upon a time, there was a girl. She had a cat", true, false));
  // One user message: its text, as before templates.
  EXPECT_EQ(RenderChat(t, ChatFamily::kDefault, {{"user", "Once upon a time"}}).tokens,
            t.Encode("Once upon a time", true, false));
}

// A text completion (/v1/completions, raw_prompt) is continued as it is, never put into the
// model's template.
TEST(ChatTemplateTest, ARawPromptSkipsTheTemplate) {
  auto m = LoadTinyTemplateModel("llama3");
  ASSERT_NE(m, nullptr);
  openai::ChatRequest chat;
  chat.messages = {{"user", "Once upon a time"}};
  chat.raw_prompt = true;
  Request raw;
  openai::ApiError error;
  ASSERT_TRUE(ChatToRequest(*m, chat, 1, &raw, &error)) << error.message;
  EXPECT_EQ(raw.prompt_tokens, m->tokenizer().Encode("Once upon a time", true, false));
  chat.raw_prompt = false;
  Request templated;
  ASSERT_TRUE(ChatToRequest(*m, chat, 1, &templated, &error)) << error.message;
  EXPECT_GT(templated.prompt_tokens.size(), raw.prompt_tokens.size());
}

}  // namespace
}  // namespace lt::engine
