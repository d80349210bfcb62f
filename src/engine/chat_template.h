// Chat templates: a conversation (OpenAI roles and texts) to prompt tokens, in the format the
// model was trained on (doc/engine.md "Prompt format").
//
// DetectChatFamily reads a GGUF's `tokenizer.chat_template` (Jinja text) and names its family
// by distinctive markers, in llama.cpp's order (llm_chat_detect_template): `<|im_start|>` is
// chatml; `[INST]` with `<<SYS>>` is llama-2, `[INST]` without it is mistral;
// `<|start_header_id|>` with `<|end_header_id|>` is llama-3; anything else (or no template) is
// kDefault. The Jinja is never executed.
// RenderChat renders the turns as that family's canonical template does (Meta's llama-2 and
// llama-3 templates, Mistral-7B-Instruct v0.1, ChatML), with the generation prompt (the
// assistant header) appended, and tokenizes the result. The family's markers (BOS, EOS,
// `[INST]`, `<|im_start|>`, ...) become their special tokens when the vocabulary has them as
// control or user-defined tokens, otherwise they are text; the messages' texts are tokenized
// without special parsing, so a user writing "<|im_end|>" cannot end a turn. Text runs between
// markers are tokenized separately, exactly as llama.cpp tokenizes the rendered string with
// special parsing (SentencePiece's "▁" prefix after each special token included).
// Roles: developer is system; llama-2 puts the system text in `<<SYS>>` in the first user turn,
// mistral folds it into the next user turn ("system\n\nuser"); tool and function results are
// `ipython` turns for llama-3, `tool` turns for chatml and user turns for llama-2 and mistral;
// consecutive turns of one role are joined with "\n\n" where the family needs alternation
// (llama-2, mistral). kDefault (stories260K and templates of unknown families): the user and
// assistant texts in order, joined by a space where neither side has one, BOS first as the
// vocabulary asks; system, developer and tool texts are left out (a model without a template
// cannot tell instructions from text to continue).
// The end-of-turn token of each family (llama-3 `<|eot_id|>`, chatml `<|im_end|>`, EOS for
// llama-2 and mistral) is one of the tokenizer's end-of-generation tokens (Tokenizer::IsEog).
// Thread-safety: pure functions.
#ifndef LT_ENGINE_CHAT_TEMPLATE_H_
#define LT_ENGINE_CHAT_TEMPLATE_H_

#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer.h"

namespace lt::engine {

enum class ChatFamily { kDefault, kLlama2, kLlama3, kChatml, kMistral };

struct ChatTurn {
  std::string role;  // system, developer, user, assistant, tool, function
  std::string text;
};

struct RenderedChat {
  ChatFamily family = ChatFamily::kDefault;
  std::vector<int> tokens;
  std::string text;  // the rendered prompt, markers written as their text (logs and tests)
};

ChatFamily DetectChatFamily(std::string_view chat_template);
// "default", "llama-2", "llama-3", "chatml", "mistral".
std::string_view ChatFamilyName(ChatFamily family);
// The family of the tokenizer's template (kDefault for llama2.c vocabularies).
ChatFamily ChatFamilyOf(const Tokenizer& tokenizer);

RenderedChat RenderChat(const Tokenizer& tokenizer, ChatFamily family, const std::vector<ChatTurn>& turns);

}  // namespace lt::engine

#endif  // LT_ENGINE_CHAT_TEMPLATE_H_
