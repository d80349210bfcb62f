// Fuzz target: the tool-call parser of the built-in engine (engine/tool_calls.h) on arbitrary
// model output — the text a model writes is untrusted — and the tool JSON the prompt renders
// (engine/tool_json.h) on arbitrary arguments. The first byte picks the syntax (tagged, llama-3
// JSON, mistral); the rest is the answer. Invariants beyond "no crash, no exception": at most
// openai::kMaxToolCalls calls, each naming an offered tool with arguments that are a JSON object
// within the bounds; the content never grows beyond the text; ids are call_ + 24 hex digits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/tool_calls.h"
#include "engine/tool_json.h"
#include "openai/response.h"
#include "util/json.h"
#include "util/random.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using lt::engine::ToolSyntax;
  const ToolSyntax syntax = data[0] % 3 == 0 ? ToolSyntax::kTagged : data[0] % 3 == 1 ? ToolSyntax::kJson
                                                                                         : ToolSyntax::kMistral;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const std::vector<std::string> kNames = {"get_weather", "search", "f"};
  lt::engine::ParsedAnswer a = lt::engine::ParseToolCalls(syntax, text, kNames);
  if (a.calls.size() > lt::openai::kMaxToolCalls) __builtin_trap();
  if (a.content.size() > text.size()) __builtin_trap();
  for (const auto& c : a.calls) {
    if (c.name != "get_weather" && c.name != "search" && c.name != "f") __builtin_trap();
    if (c.arguments.size() > lt::engine::kMaxToolArgumentsBytes) __builtin_trap();
    auto args = lt::ParseJson(c.arguments, lt::engine::kMaxToolJsonDepth + 1);
    if (!args.is_object()) __builtin_trap();
  }
  lt::SeededRandom random(size);
  nlohmann::json calls = lt::engine::ToolCallsJson(a.calls, random);
  for (const auto& c : calls) {
    if (c["id"].get<std::string>().size() != 29) __builtin_trap();
  }
  // The rendering side: the text as a call's arguments, and as a tool schema when it is JSON.
  (void)lt::engine::TemplateArguments(text);
  auto v = lt::ParseJson(text, lt::engine::kMaxToolJsonDepth);
  if (!v.is_discarded()) (void)lt::engine::JinjaJson(lt::engine::CanonicalTool(v), 4);
  return 0;
}
