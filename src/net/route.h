// Route patterns of net::HttpServer, matched without std::regex (doc/wire.md "HTTP").
//
// A pattern is a path made of literal text and these captures, written as the regex they stand
// for so routes read as before:
//   ([^/]+)   one or more characters up to the next '/' or the end
//   ([^/]*)   zero or more characters up to the next '/' or the end
//   (.+)      one or more characters to the end (may hold '/'); only last
//   (.*)      zero or more characters to the end; only last
//   (/.*)?    nothing, or a '/' and anything after it, to the end; only last
// Any other regex syntax in a pattern is a programming error: Compile refuses it (the server
// throws std::invalid_argument when such a route is registered, at start-up, never on input).
// Matching walks the path once, left to right, with no backtracking and no recursion, so a path
// of any length costs time linear in its length and constant stack (a 60 KB URL used to overflow
// the stack in std::regex_match).
// Thread-safety: a compiled RoutePattern is immutable; Match may be called from any thread.
#ifndef LT_NET_ROUTE_H_
#define LT_NET_ROUTE_H_

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace lt::net {

class RoutePattern {
 public:
  static Result<RoutePattern> Compile(std::string_view pattern);

  // True when `path` matches the whole pattern; `captures` then holds the whole path followed by
  // one entry per capture group (an absent optional group gives "").
  bool Match(std::string_view path, std::vector<std::string>* captures) const;

  const std::string& text() const { return text_; }

 private:
  enum class Kind { kLiteral, kSegment, kSegmentOrEmpty, kRest, kRestOrEmpty, kOptionalSlashRest };
  struct Part {
    Kind kind;
    std::string literal;  // kLiteral only
  };
  std::string text_;
  std::vector<Part> parts_;
};

}  // namespace lt::net

#endif  // LT_NET_ROUTE_H_
