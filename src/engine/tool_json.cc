#include "engine/tool_json.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "util/json.h"

namespace lt::engine {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

void Quote(std::string_view s, std::string* out) {
  *out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          *out += ch;
        }
    }
  }
  *out += '"';
}

// Depth is bounded by the callers (parsed with a depth limit, or built from such a value).
void Write(const ordered_json& v, int indent, int depth, std::string* out) {
  const std::string item_sep = indent > 0 ? "," : ", ";
  auto pad = [&](int d) { return "\n" + std::string(static_cast<size_t>(indent * d), ' '); };
  if (v.is_object() || v.is_array()) {
    const bool obj = v.is_object();
    *out += obj ? '{' : '[';
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) *out += item_sep;
      first = false;
      if (indent > 0) *out += pad(depth + 1);
      if (obj) {
        Quote(it.key(), out);
        *out += ": ";
      }
      Write(it.value(), indent, depth + 1, out);
    }
    if (indent > 0 && !v.empty()) *out += pad(depth);
    *out += obj ? '}' : ']';
    return;
  }
  if (v.is_string()) return Quote(v.get_ref<const std::string&>(), out);
  *out += v.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

constexpr std::array<std::string_view, 9> kKeyOrder = {"type",       "function", "name",  "description", "parameters",
                                                       "properties", "items",    "enum",  "required"};

ordered_json Canonical(const json& v, bool sorted_keys, size_t depth) {
  if (depth > kMaxToolJsonDepth) return nullptr;
  if (v.is_array()) {
    ordered_json out = ordered_json::array();
    for (const auto& e : v) out.push_back(Canonical(e, false, depth + 1));
    return out;
  }
  if (!v.is_object()) return ordered_json(v);
  ordered_json out = ordered_json::object();
  if (!sorted_keys) {
    for (std::string_view k : kKeyOrder) {
      auto it = v.find(std::string(k));
      if (it != v.end()) out[std::string(k)] = Canonical(*it, k == "properties", depth + 1);
    }
  }
  for (auto it = v.begin(); it != v.end(); ++it) {  // nlohmann::json iterates its keys sorted
    if (!sorted_keys && std::find(kKeyOrder.begin(), kKeyOrder.end(), it.key()) != kKeyOrder.end()) continue;
    out[it.key()] = Canonical(it.value(), false, depth + 1);
  }
  return out;
}

}  // namespace

std::string JinjaJson(const ordered_json& value, int indent) {
  std::string out;
  Write(value, indent, 0, &out);
  return out;
}

ordered_json CanonicalTool(const json& tool) { return Canonical(tool, false, 0); }

ordered_json ParseArguments(std::string_view arguments) {
  if (arguments.size() > kMaxToolArgumentsBytes || JsonNestsDeeperThan(arguments, kMaxToolJsonDepth)) {
    return ordered_json(ordered_json::value_t::discarded);
  }
  ordered_json v = ordered_json::parse(arguments.begin(), arguments.end(), nullptr, false);
  if (v.is_discarded() || !v.is_object()) return ordered_json(ordered_json::value_t::discarded);
  return v;
}

std::string TemplateArguments(std::string_view arguments) {
  ordered_json v = ParseArguments(arguments);
  if (!v.is_discarded()) return JinjaJson(v);
  return JinjaJson(ordered_json(std::string(arguments)));
}

}  // namespace lt::engine
