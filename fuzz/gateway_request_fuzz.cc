// Fuzz target: what an HTTP client sends our trustless gateway and router: the Accept header and
// query parameters (registry/gateway_request.h) and the CID in the path, in any multibase
// (registry::Cid::Parse). A parsed CID must print and parse back to itself.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "registry/cid.h"
#include "registry/gateway_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view accept = in.substr(0, nl);
  std::multimap<std::string, std::string> query;
  if (nl != std::string_view::npos) {
    std::string_view rest = in.substr(nl + 1);
    for (const char* k : {"format", "dag-scope", "entity-bytes", "car-dups", "car-order", "car-version"}) {
      size_t cut = rest.find('&');
      query.emplace(k, std::string(rest.substr(0, cut)));
      if (cut == std::string_view::npos) break;
      rest = rest.substr(cut + 1);
    }
  }
  auto r = lt::registry::ParseGatewayRequest(accept, query);
  if (!r.request && r.error.status != 400 && r.error.status != 406) __builtin_trap();
  (void)lt::registry::ParseEntityBytes(in);
  auto cid = lt::registry::Cid::Parse(in.substr(0, 200));
  if (cid.ok()) {
    auto again = lt::registry::Cid::Parse(cid->ToString());
    if (!again.ok() || !(*again == *cid)) __builtin_trap();
  }
  return 0;
}
