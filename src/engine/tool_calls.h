// Tool calls out of a model's answer: the text a model wrote in its family's tool-call format
// (doc/engine.md "Tool calls") becomes OpenAI tool calls; whatever is not a well-formed call to
// a tool the request offered stays text.
//
// Syntaxes (ToolSyntaxOf picks the one the prompt taught, engine/chat_template.h):
//   kTagged   `<tool_call>{"name": .., "arguments": {..}}</tool_call>` blocks (chatml/Hermes and
//             the plain-text format); a last block may lack its closing tag (generation ended)
//   kJson     llama-3: JSON objects `{"name": .., "parameters": {..}}` in the text (an optional
//             leading `<|python_tag|>` is dropped), separated by anything
//   kMistral  `[TOOL_CALLS]` followed by a JSON array of {"name", "arguments", "id"?}
// Every syntax also takes "arguments" and "parameters" for each other, and an arguments value
// that is a JSON string holding an object. A call is kept when its JSON parses (at most
// kMaxToolJsonDepth deep, arguments at most kMaxToolArgumentsBytes), its "name" is one of
// `tool_names`, and its arguments are an object (absent: {}); a block or object that fails any
// of these stays in the content as it was written (kMistral: the whole array). At most
// openai::kMaxToolCalls calls; text over kMaxToolAnswerBytes is not parsed at all. Never
// throws; linear in the text (each candidate's extent is found by one scan).
// The content is the text outside the calls, trimmed; "" when nothing else was written.
// Thread-safety: pure functions (ToolCallsJson draws ids from the Random it is given).
#ifndef LT_ENGINE_TOOL_CALLS_H_
#define LT_ENGINE_TOOL_CALLS_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/chat_template.h"
#include "util/random.h"

namespace lt::engine {

inline constexpr size_t kMaxToolAnswerBytes = 1 << 20;

enum class ToolSyntax { kTagged, kJson, kMistral };

ToolSyntax ToolSyntaxOf(const ChatFormat& format);

struct ParsedToolCall {
  std::string name;
  std::string arguments;  // a JSON object, compact, keys in the model's order
};

struct ParsedAnswer {
  std::string content;
  std::vector<ParsedToolCall> calls;
};

ParsedAnswer ParseToolCalls(ToolSyntax syntax, std::string_view text, const std::vector<std::string>& tool_names);

// OpenAI's tool_calls array: [{"id": "call_<24 hex>", "type": "function", "function": {"name",
// "arguments"}}], ids from `random`.
nlohmann::json ToolCallsJson(const std::vector<ParsedToolCall>& calls, Random& random);

}  // namespace lt::engine

#endif  // LT_ENGINE_TOOL_CALLS_H_
