#include "net/route.h"

#include <array>
#include <utility>

namespace lt::net {

namespace {

// Each capture's text and its RoutePattern::Kind (as an int: the enum is private).
constexpr std::array<std::pair<std::string_view, int>, 5> kCaptures = {{
    {"([^/]+)", 1},
    {"([^/]*)", 2},
    {"(.+)", 3},
    {"(.*)", 4},
    {"(/.*)?", 5},
}};

bool IsRegexSyntax(char c) { return std::string_view(".[]{}()*+?^$|\\").find(c) != std::string_view::npos; }

}  // namespace

Result<RoutePattern> RoutePattern::Compile(std::string_view pattern) {
  RoutePattern p;
  p.text_ = std::string(pattern);
  if (pattern.empty() || pattern[0] != '/') return InvalidArgument("route pattern '" + p.text_ + "' must start with /");
  size_t i = 0;
  while (i < pattern.size()) {
    bool matched = false;
    for (const auto& [text, kind] : kCaptures) {
      if (pattern.substr(i, text.size()) != text) continue;
      // A capture right after another is unambiguous only when it starts at a '/', where the
      // one before stops.
      if (!p.parts_.empty() && p.parts_.back().kind != Kind::kLiteral && kind != 5) {
        return InvalidArgument("route pattern '" + p.text_ + "': two captures in a row");
      }
      p.parts_.push_back({static_cast<Kind>(kind), {}});
      i += text.size();
      matched = true;
      break;
    }
    if (matched) continue;
    if (IsRegexSyntax(pattern[i])) {
      return InvalidArgument("route pattern '" + p.text_ + "': unsupported syntax at '" +
                             std::string(pattern.substr(i)) + "'");
    }
    if (p.parts_.empty() || p.parts_.back().kind != Kind::kLiteral) p.parts_.push_back({Kind::kLiteral, {}});
    p.parts_.back().literal.push_back(pattern[i]);
    ++i;
  }
  for (size_t k = 0; k + 1 < p.parts_.size(); ++k) {
    Kind kind = p.parts_[k].kind;
    if (kind == Kind::kRest || kind == Kind::kRestOrEmpty || kind == Kind::kOptionalSlashRest) {
      return InvalidArgument("route pattern '" + p.text_ + "': a capture to the end must come last");
    }
  }
  return p;
}

bool RoutePattern::Match(std::string_view path, std::vector<std::string>* captures) const {
  std::vector<std::string> out;
  out.emplace_back(path);
  size_t at = 0;
  for (const Part& part : parts_) {
    std::string_view rest = path.substr(at);
    switch (part.kind) {
      case Kind::kLiteral:
        if (rest.substr(0, part.literal.size()) != part.literal) return false;
        at += part.literal.size();
        break;
      case Kind::kSegment:
      case Kind::kSegmentOrEmpty: {
        size_t end = rest.find('/');
        std::string_view seg = rest.substr(0, end);
        if (seg.empty() && part.kind == Kind::kSegment) return false;
        out.emplace_back(seg);
        at += seg.size();
        break;
      }
      case Kind::kRest:
        if (rest.empty()) return false;
        [[fallthrough]];
      case Kind::kRestOrEmpty:
        out.emplace_back(rest);
        at = path.size();
        break;
      case Kind::kOptionalSlashRest:
        if (!rest.empty() && rest[0] != '/') return false;
        out.emplace_back(rest);
        at = path.size();
        break;
    }
  }
  if (at != path.size()) return false;
  if (captures != nullptr) *captures = std::move(out);
  return true;
}

}  // namespace lt::net
