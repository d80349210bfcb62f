#include "provider/toml.h"

#include <toml++/toml.h>

#include <sstream>
#include <string>

namespace lt::provider {

namespace {

using nlohmann::json;

// toml++ bounds nesting (TOML_MAX_NESTED_VALUES), so this recursion is bounded too.
Result<json> ToJson(const toml::node& n, const std::string& where) {
  if (const auto* t = n.as_table()) {
    json out = json::object();
    for (const auto& [k, v] : *t) {
      std::string key(k.str());
      LT_TRY(out[key], ToJson(v, where.empty() ? key : where + "." + key));
    }
    return out;
  }
  if (const auto* a = n.as_array()) {
    json out = json::array();
    for (size_t i = 0; i < a->size(); ++i) {
      LT_TRY(json v, ToJson(*a->get(i), where + "[" + std::to_string(i) + "]"));
      out.push_back(std::move(v));
    }
    return out;
  }
  if (const auto* s = n.as_string()) return json(s->get());
  if (const auto* i = n.as_integer()) return json(i->get());
  if (const auto* f = n.as_floating_point()) return json(f->get());
  if (const auto* b = n.as_boolean()) return json(b->get());
  const auto& src = n.source();
  return InvalidArgument("line " + std::to_string(src.begin.line) + ": " + where +
                         ": dates and times are not used in provider.toml");
}

}  // namespace

Result<json> ParseToml(std::string_view text) {
  try {
    toml::table root = toml::parse(text);
    return ToJson(root, "");
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    std::ostringstream out;
    out << "line " << src.begin.line << ", column " << src.begin.column << ": " << e.description();
    return InvalidArgument(out.str());
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("provider.toml: ") + e.what());
  }
}

}  // namespace lt::provider
