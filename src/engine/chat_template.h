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
// Roles: developer is system, function is tool; llama-2 puts the system text in `<<SYS>>` in
// the first user turn, mistral folds it into the next user turn ("system\n\nuser"); tool
// results as below; consecutive turns of one role are joined with "\n\n" where the family needs
// alternation (llama-2, mistral). kDefault (stories260K and templates of unknown families): the
// user and assistant texts (and tool results) in order, joined by a space where neither side has
// one, BOS first as the vocabulary asks; system and developer texts are left out (a model
// without a template cannot tell instructions from text to continue).
// DetectChatFormat adds what a template holds beyond its family (ChatFormat); RenderChat with a
// ChatFormat renders it (the ChatFamily overload: the family alone, no tools).
// Tools (doc/engine.md "Tool calls"): RenderChat with a non-empty `tools` array (OpenAI function
// schemas, written by engine/tool_json.h) puts them in the prompt, and assistant turns with
// tool_calls and tool turns are written the way the family's tool-capable template does:
//   chatml   Qwen2.5's Hermes style: the tools in a `<tools></tools>` block of the system turn
//            (after Qwen's default system text when the template holds it and the conversation
//            has no system turn), calls as `<tool_call>\n{"name": .., "arguments": ..}\n</tool_call>`
//            in the assistant turn, results as `<tool_response>` blocks in one user turn per run
//            of tool turns;
//   llama-3  Meta's Llama-3.1 JSON tool calling: with a template of the 3.1 line ("Cutting
//            Knowledge Date" in it) the 3.1 system block, always ("Environment: ipython" when
//            tools are given; the date is the template's default, 26 Jul 2024); the tools in the
//            first user turn, each as JSON with 4-space indent; a call as
//            `{"name": .., "parameters": ..}` alone in the assistant turn; results as ipython
//            turns holding the result as a JSON string;
//   mistral  with `[AVAILABLE_TOOLS]` in the template, Mistral-7B-Instruct v0.3's template for the
//            whole conversation (`[INST] U[/INST] A</s>`, the system text in front of the last
//            turn when it is a user turn): `[AVAILABLE_TOOLS] [..][/AVAILABLE_TOOLS]` before the
//            last user turn, `[TOOL_CALLS] [..]` + EOS, `[TOOL_RESULTS] {..}[/TOOL_RESULTS]`;
//   other    (llama-2, mistral without those markers, kDefault): the plain-text format
//            kToolsPreamble + the tools as JSON lines, in the system text (kDefault: first),
//            calls as `<tool_call>{"name": .., "arguments": ..}</tool_call>` in the assistant's
//            text, results as `<tool_response>..</tool_response>` user text.
// Tool turns are rendered this way even without `tools` (tool_choice "none" keeps the history).
// The end-of-turn token of each family (llama-3 `<|eot_id|>`, chatml `<|im_end|>`, EOS for
// llama-2 and mistral) is one of the tokenizer's end-of-generation tokens (Tokenizer::IsEog).
// Thread-safety: pure functions.
#ifndef LT_ENGINE_CHAT_TEMPLATE_H_
#define LT_ENGINE_CHAT_TEMPLATE_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tokenizer.h"

namespace lt::engine {

enum class ChatFamily { kDefault, kLlama2, kLlama3, kChatml, kMistral };

// A family and what its template adds to it (read from the template's markers).
struct ChatFormat {
  ChatFamily family = ChatFamily::kDefault;
  bool llama31 = false;         // llama-3: Meta's 3.1 system block ("Cutting Knowledge Date")
  bool mistral_tools = false;   // mistral v0.3: [AVAILABLE_TOOLS] / [TOOL_CALLS] / [TOOL_RESULTS]
  std::string default_system;   // chatml: Qwen's default system text, when the template holds it
};

struct ChatToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text
};

struct ChatTurn {
  std::string role;  // system, developer, user, assistant, tool, function
  std::string text;
  std::vector<ChatToolCall> tool_calls = {};  // assistant turns
  std::string tool_call_id = {};              // tool turns
};

// The plain-text tool format's introduction (families without a tool-capable template).
inline constexpr std::string_view kToolsPreamble =
    "You can call these tools. To call one, answer with <tool_call>{\"name\": <tool name>, \"arguments\": "
    "<arguments as a JSON object>}</tool_call> (one block per call); each result comes back in "
    "<tool_response></tool_response>.\nTools:";

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

ChatFormat DetectChatFormat(std::string_view chat_template);
ChatFormat ChatFormatOf(const Tokenizer& tokenizer);

RenderedChat RenderChat(const Tokenizer& tokenizer, ChatFamily family, const std::vector<ChatTurn>& turns);
// `tools`: a JSON array of OpenAI tools ({"type":"function","function":{"name",...}}), or
// null/empty for none.
RenderedChat RenderChat(const Tokenizer& tokenizer, const ChatFormat& format, const std::vector<ChatTurn>& turns,
                        const nlohmann::json& tools);

}  // namespace lt::engine

#endif  // LT_ENGINE_CHAT_TEMPLATE_H_
