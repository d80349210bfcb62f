// JSON as chat templates write it, for the tool parts of a prompt (engine/chat_template.h,
// doc/engine.md "Tool calls").
//
// JinjaJson is the `tojson` filter of the templates' Jinja (transformers' and
// @huggingface/jinja's, which llama.cpp's peers use): ", " between items and ": " after keys;
// with `indent` > 0 every item on its own line, "," at line ends; strings escaped as
// JSON.stringify does (", \, control characters; non-ASCII kept); object keys in the value's
// order. CanonicalTool gives an OpenAI tool schema that order back: a request parsed into
// nlohmann::json has its keys sorted, so the well-known keys come first in the order OpenAI's
// documentation writes them (type, function, name, description, parameters, properties, items,
// enum, required) and the rest follow sorted; the keys of a "properties" object stay sorted.
// TemplateArguments: a tool call's arguments as the templates receive them (llama.cpp hands
// templates the parsed object): the JSON text parsed (order kept, depth and size bounded) and
// written by JinjaJson, or the text as a JSON string when it is not a JSON object.
// Thread-safety: pure functions.
#ifndef LT_ENGINE_TOOL_JSON_H_
#define LT_ENGINE_TOOL_JSON_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace lt::engine {

inline constexpr size_t kMaxToolJsonDepth = 32;
inline constexpr size_t kMaxToolArgumentsBytes = 256 * 1024;

std::string JinjaJson(const nlohmann::ordered_json& value, int indent = 0);
nlohmann::ordered_json CanonicalTool(const nlohmann::json& tool);
std::string TemplateArguments(std::string_view arguments);
// The arguments text parsed as a JSON object (order kept), or discarded when it is not one, is
// larger than kMaxToolArgumentsBytes or nests deeper than kMaxToolJsonDepth.
nlohmann::ordered_json ParseArguments(std::string_view arguments);

}  // namespace lt::engine

#endif  // LT_ENGINE_TOOL_JSON_H_
