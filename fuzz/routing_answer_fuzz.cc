// Fuzz target: what a delegated router (Delegated Routing V1) answers our fetcher
// (registry::ParseRoutingAnswer, JSON and NDJSON) and the multiaddrs in it
// (registry::MultiaddrToHttpUrl); every URL we take out must be an http(s) base URL.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "registry/holders.h"
#include "registry/multiaddr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (std::string_view type : {"application/json", "application/x-ndjson"}) {
    auto urls = lt::registry::ParseRoutingAnswer(type, in);
    if (!urls.ok()) continue;
    for (const std::string& u : *urls) {
      if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) __builtin_trap();
      if (u.find('/', u.find("//") + 2) != std::string::npos) __builtin_trap();  // no path
    }
  }
  if (auto url = lt::registry::MultiaddrToHttpUrl(in)) {
    // What we read back converts to a multiaddr again.
    if (!lt::registry::HttpUrlToMultiaddr(*url).ok()) __builtin_trap();
  }
  (void)lt::registry::HttpUrlToMultiaddr(in);
  return 0;
}
