#include "router/delegated_routing.h"

#include <ctime>
#include <set>

#include "registry/cid.h"
#include "registry/multiaddr.h"

namespace lt::router {
namespace {

using json = nlohmann::json;

constexpr char kGatewayProtocol[] = "transport-ipfs-gateway-http";
constexpr size_t kMaxJsonRecords = 100;
constexpr size_t kMaxRecords = 1000;

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size() && out.size() < 32) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string item = Lower(s.substr(start, end - start));
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

// The protocol names of a multiaddr: /ip4/1.2.3.4/tcp/80/http -> ip4, tcp, http.
std::set<std::string> MultiaddrProtocols(const std::string& ma) {
  static const std::set<std::string> kWithValue = {"ip4", "ip6", "dns", "dns4", "dns6", "tcp", "udp", "sni", "p2p"};
  std::set<std::string> out;
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= ma.size()) {
    size_t end = ma.find('/', start);
    if (end == std::string::npos) end = ma.size();
    parts.push_back(ma.substr(start, end - start));
    start = end + 1;
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    out.insert(Lower(parts[i]));
    if (kWithValue.count(parts[i])) ++i;
  }
  return out;
}

// IPIP-484 address filtering of one multiaddr.
bool AddrPasses(const std::string& ma, const std::vector<std::string>& filter) {
  std::set<std::string> protos = MultiaddrProtocols(ma);
  bool any_positive = false, positive_hit = false;
  for (const std::string& f : filter) {
    if (f[0] == '!') {
      if (protos.count(f.substr(1))) return false;
    } else if (f != "unknown") {
      any_positive = true;
      positive_hit = positive_hit || protos.count(f) > 0;
    }
  }
  return !any_positive || positive_hit;
}

std::string HttpDate() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace

std::string HolderPeerId(const crypto::Address& holder) {
  Hash32 d = registry::Sha256(holder.bytes);
  Bytes mh{0x12, 0x20};
  mh.insert(mh.end(), d.begin(), d.end());
  return registry::Base58BtcEncode(mh);
}

net::HttpResponse DelegatedProviders(const ProviderBook& book, registry::BlockIndex& index,
                                     const net::HttpRequest& req) {
  net::HttpResponse r;
  r.headers.emplace("Access-Control-Allow-Origin", "*");
  r.headers.emplace("Access-Control-Allow-Methods", "GET, OPTIONS");
  r.headers.emplace("Vary", "Accept");
  std::string text = req.matches.size() > 1 ? req.matches[1] : "";
  auto cid = registry::Cid::Parse(text);
  if (!cid.ok()) {
    r.status = 422;
    // The message quotes the request's text, which may be invalid UTF-8 (GET .../%ff): replace, not throw.
    r.body = json{{"error", {{"code", "invalid_argument"}, {"message", cid.error().message}}}}.dump(
        -1, ' ', false, json::error_handler_t::replace);
    return r;
  }
  // The holders of the CID itself (either form), else of the announced roots it lies under.
  auto holders_of = [&](const registry::Cid& c) {
    std::vector<wire::Holder> h = book.Holders(c.ToV1().ToString());
    if (c.IsDagPb()) {
      registry::Cid v0 = c.ToV1();
      v0.version = 0;
      for (auto& x : book.Holders(v0.ToString())) h.push_back(std::move(x));
    }
    return h;
  };
  std::vector<wire::Holder> holders = holders_of(*cid);
  if (holders.empty()) {
    std::vector<std::string> roots = index.RootsOf(*cid);
    uint64_t generation = book.AnnounceGeneration();
    if (roots.empty() && index.RefreshDue(generation)) {
      index.Refresh(book.AnnouncedRoots(), generation);
      roots = index.RootsOf(*cid);
    }
    for (const std::string& root : roots) {
      for (auto& x : book.Holders(root)) holders.push_back(std::move(x));
    }
  }
  std::vector<std::string> filter_protocols = SplitList(req.Query("filter-protocols"));
  std::vector<std::string> filter_addrs = SplitList(req.Query("filter-addrs"));
  bool protocol_ok = filter_protocols.empty();
  for (const std::string& p : filter_protocols) protocol_ok = protocol_ok || p == kGatewayProtocol;

  std::vector<json> records;
  std::set<std::string> seen;
  for (const wire::Holder& h : holders) {
    if (!protocol_ok || records.size() >= kMaxRecords) break;
    auto ma = registry::HttpUrlToMultiaddr(h.http);
    if (!ma.ok() || !seen.insert(h.provider.ToChecksumHex()).second) continue;
    if (!filter_addrs.empty() && !AddrPasses(*ma, filter_addrs)) continue;
    records.push_back({{"Schema", "peer"},
                       {"ID", HolderPeerId(h.provider)},
                       {"Addrs", json::array({*ma})},
                       {"Protocols", json::array({kGatewayProtocol})}});
  }
  r.headers.emplace("Last-Modified", HttpDate());
  r.headers.emplace("Cache-Control", records.empty()
                                         ? "public, max-age=15, stale-while-revalidate=60, stale-if-error=60"
                                         : "public, max-age=300, stale-while-revalidate=3600, stale-if-error=3600");
  if (req.Header("Accept").find("application/x-ndjson") != std::string::npos) {
    r.content_type = "application/x-ndjson";
    for (const json& rec : records) r.body += rec.dump() + "\n";
    return r;
  }
  if (records.size() > kMaxJsonRecords) records.resize(kMaxJsonRecords);
  json list = json::array();
  for (json& rec : records) list.push_back(std::move(rec));
  r.body = json{{"Providers", std::move(list)}}.dump();
  return r;
}

}  // namespace lt::router
