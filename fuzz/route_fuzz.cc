// Fuzz target: route patterns (net/route.h) matched against arbitrary paths, as any client can
// send them. Invariants beyond "no crash, no hang, no recursion": a match gives the whole path
// first and one capture per group; a segment capture holds no '/'; captures are substrings of
// the path in order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "net/route.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<lt::net::RoutePattern> patterns = [] {
    std::vector<lt::net::RoutePattern> out;
    for (const char* p : {"/holders/([^/]+)", "/v1/models/(.+)", "/ipfs/([^/]*)(/.*)?", "/reports/([^/]+)", "/(.*)",
                          "/health"}) {
      out.push_back(*lt::net::RoutePattern::Compile(p));
    }
    return out;
  }();
  std::string path(reinterpret_cast<const char*>(data), size);
  for (size_t k = 0; k < patterns.size(); ++k) {
    std::vector<std::string> caps;
    if (!patterns[k].Match(path, &caps)) continue;
    if (caps.empty() || caps[0] != path) __builtin_trap();
    size_t at = 0;
    for (size_t i = 1; i < caps.size(); ++i) {
      size_t found = path.find(caps[i], at);
      if (!caps[i].empty() && found == std::string::npos) __builtin_trap();
      if (!caps[i].empty()) at = found + caps[i].size();
    }
    if ((k == 0 || k == 3) && (caps.size() != 2 || caps[1].find('/') != std::string::npos || caps[1].empty())) {
      __builtin_trap();
    }
  }
  return 0;
}
