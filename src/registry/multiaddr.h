// Gateway base URLs <-> multiaddrs, as the Delegated Routing V1 API carries them for providers
// of the `transport-ipfs-gateway-http` protocol (doc/router.md "Delegated routing").
//
// http://1.2.3.4:7070 <-> /ip4/1.2.3.4/tcp/7070/http; [::1] -> /ip6/::1/...; a host name -> /dns/...;
// https -> /tls/http (the reader also takes /https and /tls/sni/<host>/http). Default ports are
// filled in (80, 443). A URL with a path cannot be said as a multiaddr and is refused; a multiaddr
// of any other shape (p2p circuits, quic, webtransport...) is not a gateway: nullopt.
// Strings are bounded (512 characters). Thread-safety: pure functions.
#ifndef LT_REGISTRY_MULTIADDR_H_
#define LT_REGISTRY_MULTIADDR_H_

#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace lt::registry {

Result<std::string> HttpUrlToMultiaddr(std::string_view url);
std::optional<std::string> MultiaddrToHttpUrl(std::string_view multiaddr);

// "http://host:port" with a trailing "/" or "/ipfs" (as gateway URLs are often written) removed.
std::string NormalizeGatewayUrl(std::string url);

}  // namespace lt::registry

#endif  // LT_REGISTRY_MULTIADDR_H_
