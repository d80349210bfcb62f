#include "ledger/names.h"

namespace lt::ledger {

namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool ValidComponent(std::string_view c) {
  size_t i = 0;
  if (c.empty() || !IsLowerAlnum(c[0])) return false;
  while (i < c.size()) {
    while (i < c.size() && IsLowerAlnum(c[i])) ++i;
    if (i == c.size()) return true;
    // A separator, then at least one alnum.
    if (c[i] == '.') {
      ++i;
    } else if (c[i] == '_') {
      ++i;
      if (i < c.size() && c[i] == '_') ++i;
    } else if (c[i] == '-') {
      while (i < c.size() && c[i] == '-') ++i;
    } else {
      return false;
    }
    if (i == c.size() || !IsLowerAlnum(c[i])) return false;
  }
  return true;
}

}  // namespace

Status ValidateModelName(std::string_view name) {
  if (name.empty()) return InvalidArgument("model name is empty");
  if (name.size() > kMaxModelNameLength) {
    return InvalidArgument("model name is longer than " + std::to_string(kMaxModelNameLength) +
                           " characters");
  }
  if (name.find('/') == std::string_view::npos) {
    return InvalidArgument("model name '" + std::string(name) + "' must be namespace/name");
  }
  size_t start = 0;
  while (true) {
    size_t slash = name.find('/', start);
    std::string_view comp =
        name.substr(start, slash == std::string_view::npos ? name.size() - start : slash - start);
    if (!ValidComponent(comp)) {
      return InvalidArgument("model name '" + std::string(name) +
                             "' is invalid: each part must be lower-case letters and digits separated by "
                             "'.', '_', '__' or dashes");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return OkStatus();
}

Status ValidateTag(std::string_view tag) {
  auto bad = [&] {
    return InvalidArgument("tag '" + std::string(tag.substr(0, 140)) +
                           "' is invalid: it must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
  };
  if (tag.empty() || tag.size() > 128) return bad();
  for (size_t i = 0; i < tag.size(); ++i) {
    char c = tag[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!alnum && (i == 0 || (c != '.' && c != '-'))) return bad();
  }
  return OkStatus();
}

std::string_view NamespaceOf(std::string_view name) { return name.substr(0, name.find('/')); }

}  // namespace lt::ledger
