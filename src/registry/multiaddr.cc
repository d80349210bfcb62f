#include "registry/multiaddr.h"

#include <charconv>
#include <vector>

namespace lt::registry {
namespace {

constexpr size_t kMaxLen = 512;

bool ValidPort(std::string_view p, int* out) {
  if (p.empty() || p.size() > 5) return false;
  int v = 0;
  auto r = std::from_chars(p.data(), p.data() + p.size(), v);
  if (r.ec != std::errc() || r.ptr != p.data() + p.size() || v < 1 || v > 65535) return false;
  *out = v;
  return true;
}

bool IsIpv4(std::string_view h) {
  int parts = 0;
  size_t start = 0;
  while (start <= h.size()) {
    size_t end = h.find('.', start);
    if (end == std::string_view::npos) end = h.size();
    std::string_view part = h.substr(start, end - start);
    int v = 0;
    if (part.empty() || part.size() > 3) return false;
    auto r = std::from_chars(part.data(), part.data() + part.size(), v);
    if (r.ec != std::errc() || r.ptr != part.data() + part.size() || v > 255) return false;
    ++parts;
    start = end + 1;
    if (end == h.size()) break;
  }
  return parts == 4;
}

bool HostChars(std::string_view h, bool ipv6) {
  if (h.empty() || h.size() > 253) return false;
  for (char c : h) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              (ipv6 && c == ':');
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 1;
  while (start <= s.size()) {
    size_t end = s.find('/', start);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
    if (out.size() > 16) break;
  }
  return out;
}

}  // namespace

std::string NormalizeGatewayUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() > 5 && url.compare(url.size() - 5, 5, "/ipfs") == 0) url.resize(url.size() - 5);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Result<std::string> HttpUrlToMultiaddr(std::string_view url) {
  if (url.size() > kMaxLen) return InvalidArgument("URL is too long");
  bool tls;
  if (url.substr(0, 7) == "http://") {
    tls = false;
    url.remove_prefix(7);
  } else if (url.substr(0, 8) == "https://") {
    tls = true;
    url.remove_prefix(8);
  } else {
    return InvalidArgument("'" + std::string(url.substr(0, 100)) + "' is not an http(s) URL");
  }
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.find('/') != std::string_view::npos) return InvalidArgument("a gateway URL with a path has no multiaddr");
  std::string_view host = url, port_s;
  bool ipv6 = false;
  if (!url.empty() && url[0] == '[') {
    size_t close = url.find(']');
    if (close == std::string_view::npos) return InvalidArgument("unclosed IPv6 literal");
    host = url.substr(1, close - 1);
    ipv6 = true;
    std::string_view rest = url.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return InvalidArgument("bad text after the IPv6 literal");
      port_s = rest.substr(1);
    }
  } else if (size_t colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    port_s = url.substr(colon + 1);
  }
  int port = tls ? 443 : 80;
  if (!port_s.empty() && !ValidPort(port_s, &port)) return InvalidArgument("bad port in gateway URL");
  if (!HostChars(host, ipv6)) return InvalidArgument("bad host in gateway URL");
  std::string proto = ipv6 ? "/ip6/" : IsIpv4(host) ? "/ip4/" : "/dns/";
  return proto + std::string(host) + "/tcp/" + std::to_string(port) + (tls ? "/tls/http" : "/http");
}

std::optional<std::string> MultiaddrToHttpUrl(std::string_view ma) {
  if (ma.size() > kMaxLen || ma.empty() || ma[0] != '/') return std::nullopt;
  std::vector<std::string_view> p = Split(ma);
  if (p.size() < 5) return std::nullopt;
  std::string_view kind = p[0], host = p[1];
  bool ipv6 = kind == "ip6";
  if (kind == "ip4") {
    if (!IsIpv4(host)) return std::nullopt;
  } else if (kind == "ip6" || kind == "dns" || kind == "dns4" || kind == "dns6") {
    if (!HostChars(host, ipv6)) return std::nullopt;
  } else {
    return std::nullopt;
  }
  int port = 0;
  if (p[2] != "tcp" || !ValidPort(p[3], &port)) return std::nullopt;
  bool tls;
  size_t i = 4;
  if (p[i] == "http") {
    tls = false;
    ++i;
  } else if (p[i] == "https") {
    tls = true;
    ++i;
  } else if (p[i] == "tls") {
    ++i;
    if (i + 1 < p.size() && p[i] == "sni") i += 2;
    if (i >= p.size() || p[i] != "http") return std::nullopt;
    tls = true;
    ++i;
  } else {
    return std::nullopt;
  }
  // Anything after (a /p2p/<id> suffix is common) does not change the URL.
  if (i < p.size() && p[i] != "p2p") return std::nullopt;
  std::string h = ipv6 ? "[" + std::string(host) + "]" : std::string(host);
  return std::string(tls ? "https://" : "http://") + h + ":" + std::to_string(port);
}

}  // namespace lt::registry
