#include "engine/tool_calls.h"

#include <algorithm>
#include <cstdio>

#include "engine/tool_json.h"
#include "openai/response.h"
#include "util/json.h"

namespace lt::engine {

namespace {

using nlohmann::ordered_json;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// The end (one past) of the JSON object or array that opens at s[0], by bracket counting outside
// strings; npos when it does not close or nests deeper than the bound.
size_t JsonExtent(std::string_view s) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxToolJsonDepth) return std::string_view::npos;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return std::string_view::npos;
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

ordered_json Parse(std::string_view text) {
  if (text.size() > kMaxToolArgumentsBytes + 4096 || JsonNestsDeeperThan(text, kMaxToolJsonDepth)) {
    return ordered_json(ordered_json::value_t::discarded);
  }
  return ordered_json::parse(text.begin(), text.end(), nullptr, false);
}

// {"name": <known>, "arguments"|"parameters": object or a string holding one}.
bool ToCall(const ordered_json& v, const std::vector<std::string>& names, ParsedToolCall* out) {
  if (!v.is_object()) return false;
  auto name = v.find("name");
  if (name == v.end() || !name->is_string()) return false;
  const std::string& n = name->get_ref<const std::string&>();
  if (std::find(names.begin(), names.end(), n) == names.end()) return false;
  auto args = v.find("arguments");
  if (args == v.end()) args = v.find("parameters");
  ordered_json a = ordered_json::object();
  if (args != v.end()) {
    if (args->is_string()) {
      a = ParseArguments(args->get_ref<const std::string&>());
      if (a.is_discarded()) return false;
    } else if (args->is_object()) {
      a = *args;
    } else if (!args->is_null()) {
      return false;
    }
  }
  std::string dumped = a.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  if (dumped.size() > kMaxToolArgumentsBytes) return false;
  out->name = n;
  out->arguments = std::move(dumped);
  return true;
}

void Finish(std::string content, ParsedAnswer* out) {
  std::string_view c = Trim(content);
  // What separated several JSON calls is not an answer.
  if (!out->calls.empty() && c.find_first_not_of(" \t\r\n;,") == std::string_view::npos) c = {};
  out->content = std::string(c);
}

ParsedAnswer Tagged(std::string_view text, const std::vector<std::string>& names) {
  static constexpr std::string_view kOpen = "<tool_call>", kClose = "</tool_call>";
  ParsedAnswer out;
  std::string content;
  while (!text.empty()) {
    size_t open = text.find(kOpen);
    if (open == std::string_view::npos || out.calls.size() >= openai::kMaxToolCalls) break;
    size_t body = open + kOpen.size();
    size_t close = text.find(kClose, body);
    size_t end = close == std::string_view::npos ? text.size() : close + kClose.size();
    std::string_view inner = text.substr(body, (close == std::string_view::npos ? text.size() : close) - body);
    ParsedToolCall call;
    content += text.substr(0, open);
    if (ToCall(Parse(Trim(inner)), names, &call)) {
      out.calls.push_back(std::move(call));
    } else {
      content += text.substr(open, end - open);
    }
    text.remove_prefix(end);
  }
  content += text;
  Finish(std::move(content), &out);
  return out;
}

ParsedAnswer Json(std::string_view text, const std::vector<std::string>& names) {
  static constexpr std::string_view kTag = "<|python_tag|>";
  ParsedAnswer out;
  std::string_view t = Trim(text);
  if (t.starts_with(kTag)) text = t.substr(kTag.size());
  std::string content;
  size_t from = 0;
  for (size_t i = 0; i < text.size() && out.calls.size() < openai::kMaxToolCalls;) {
    if (text[i] != '{') {
      ++i;
      continue;
    }
    size_t n = JsonExtent(text.substr(i));
    if (n == std::string_view::npos) break;  // never closes: the rest is text
    ParsedToolCall call;
    if (ToCall(Parse(text.substr(i, n)), names, &call)) {
      content += text.substr(from, i - from);
      out.calls.push_back(std::move(call));
      from = i + n;
    }
    i += n;
  }
  content += text.substr(from);
  Finish(std::move(content), &out);
  return out;
}

ParsedAnswer Mistral(std::string_view text, const std::vector<std::string>& names) {
  static constexpr std::string_view kTag = "[TOOL_CALLS]";
  ParsedAnswer out;
  size_t at = text.find(kTag);
  if (at != std::string_view::npos) {
    std::string_view rest = text.substr(at + kTag.size());
    size_t lead = 0;
    while (lead < rest.size() && IsSpace(rest[lead])) ++lead;
    size_t n = lead < rest.size() && rest[lead] == '[' ? JsonExtent(rest.substr(lead)) : std::string_view::npos;
    if (n != std::string_view::npos) {
      ordered_json arr = Parse(rest.substr(lead, n));
      bool ok = arr.is_array() && !arr.empty() && arr.size() <= openai::kMaxToolCalls;
      std::vector<ParsedToolCall> calls;
      for (size_t k = 0; ok && k < arr.size(); ++k) {
        ParsedToolCall call;
        ok = ToCall(arr[k], names, &call);
        calls.push_back(std::move(call));
      }
      if (ok) {
        out.calls = std::move(calls);
        Finish(std::string(text.substr(0, at)) + std::string(rest.substr(lead + n)), &out);
        return out;
      }
    }
  }
  out.content = std::string(Trim(text));
  return out;
}

}  // namespace

ToolSyntax ToolSyntaxOf(const ChatFormat& f) {
  if (f.family == ChatFamily::kLlama3) return ToolSyntax::kJson;
  if (f.family == ChatFamily::kMistral && f.mistral_tools) return ToolSyntax::kMistral;
  return ToolSyntax::kTagged;
}

ParsedAnswer ParseToolCalls(ToolSyntax syntax, std::string_view text, const std::vector<std::string>& names) {
  if (text.size() > kMaxToolAnswerBytes) return ParsedAnswer{std::string(text), {}};
  switch (syntax) {
    case ToolSyntax::kJson: return Json(text, names);
    case ToolSyntax::kMistral: return Mistral(text, names);
    case ToolSyntax::kTagged: break;
  }
  return Tagged(text, names);
}

nlohmann::json ToolCallsJson(const std::vector<ParsedToolCall>& calls, Random& random) {
  nlohmann::json out = nlohmann::json::array();
  for (const ParsedToolCall& c : calls) {
    char id[32];
    std::snprintf(id, sizeof id, "call_%016llx%08llx", static_cast<unsigned long long>(random.NextU64()),
                  static_cast<unsigned long long>(random.NextU64() & 0xffffffffull));
    out.push_back({{"id", id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
  }
  return out;
}

}  // namespace lt::engine
