#include "registry/holders.h"

#include <algorithm>
#include <set>

#include "net/http.h"
#include "registry/manifest.h"
#include "registry/multiaddr.h"
#include "rpc/router_client.h"
#include "util/clock.h"
#include "util/log.h"
#include "wire/router_api.h"

namespace lt::registry {

namespace {

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

net::HttpClientOptions ShortTimeouts() {
  net::HttpClientOptions o;
  o.connect_timeout_ms = 2000;
  o.read_timeout_ms = 5000;
  return o;
}

constexpr size_t kMaxRoutingAnswer = 1 << 20;
constexpr size_t kMaxRoutingRecords = 1000;
constexpr size_t kMaxRecordAddrs = 16;

// One provider record: its gateway URLs when it speaks the gateway protocol.
void ReadRecord(const nlohmann::json& rec, std::vector<std::string>& out) {
  if (!rec.is_object()) return;
  bool gateway = false, any_protocol = false;
  auto mark = [&](const nlohmann::json& p) {
    if (!p.is_string()) return;
    any_protocol = true;
    gateway = gateway || p.get<std::string>() == "transport-ipfs-gateway-http";
  };
  if (auto it = rec.find("Protocols"); it != rec.end() && it->is_array()) {
    size_t n = 0;
    for (const auto& p : *it) {
      if (++n > 64) break;
      mark(p);
    }
  }
  if (auto it = rec.find("Protocol"); it != rec.end()) mark(*it);  // legacy schemas
  if (any_protocol && !gateway) return;
  auto addrs = rec.find("Addrs");
  if (addrs == rec.end() || !addrs->is_array()) return;
  size_t n = 0;
  for (const auto& a : *addrs) {
    if (++n > kMaxRecordAddrs) break;
    if (!a.is_string()) continue;
    if (auto url = MultiaddrToHttpUrl(a.get<std::string>())) out.push_back(*url);
  }
}

}  // namespace

Result<std::vector<std::string>> ParseRoutingAnswer(std::string_view content_type, std::string_view body) {
  if (body.size() > kMaxRoutingAnswer) return InvalidArgument("routing answer is larger than 1 MiB");
  std::vector<std::string> out;
  if (content_type.find("application/x-ndjson") != std::string_view::npos) {
    size_t start = 0, records = 0;
    while (start < body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string_view::npos) end = body.size();
      std::string_view line = body.substr(start, end - start);
      start = end + 1;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      if (++records > kMaxRoutingRecords) break;
      auto rec = nlohmann::json::parse(line, nullptr, false);
      if (rec.is_discarded()) return InvalidArgument("routing answer has a line that is not JSON");
      ReadRecord(rec, out);
    }
    return out;
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("routing answer is not a JSON object");
  auto list = j.find("Providers");
  if (list == j.end() || list->is_null()) return out;  // some servers send null for none
  if (!list->is_array()) return InvalidArgument("routing answer: Providers is not an array");
  size_t records = 0;
  for (const auto& rec : *list) {
    if (++records > kMaxRoutingRecords) break;
    ReadRecord(rec, out);
  }
  return out;
}

Result<std::vector<std::string>> RouterHolders::FindPeers(const Cid& cid) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](std::string url) {
    url = NormalizeGatewayUrl(std::move(url));
    if (url.rfind("http://", 0) != 0) {
      LT_DEBUG("skipping gateway " << url << ": only http:// gateways can be reached (no TLS in this build)");
      return;
    }
    if (seen.insert(url).second) out.push_back(url);
  };
  for (const std::string& p : peers_) {
    std::string url = NormalizeGatewayUrl(p);
    if (url.rfind("https://", 0) == 0) {
      return InvalidArgument("peer '" + p + "': only http:// gateways can be reached (this build's HTTP client has no TLS)");
    }
    if (url.rfind("http://", 0) != 0 || url.size() == 7) {
      return InvalidArgument("peer '" + p + "' is not a gateway URL: give http://HOST:PORT (e.g. http://127.0.0.1:7070)");
    }
  }
  std::string asked;
  for (const std::string& r : delegated_) {
    asked += (asked.empty() ? "" : ", ") + r;
    std::string base = TrimSlash(r);
    if (base.size() > 11 && base.compare(base.size() - 11, 11, "/routing/v1") == 0) base.resize(base.size() - 11);
    auto client = net::HttpClient::Create(base, ShortTimeouts());
    if (!client.ok()) {
      LT_WARN("delegated router " << r << ": " << client.error().message);
      continue;
    }
    auto res = client->Get("/routing/v1/providers/" + cid.ToV1().ToString() + "?filter-protocols=transport-ipfs-gateway-http",
                           {{"Accept", "application/json"}});
    if (!res.ok() || (res->status != 200 && res->status != 404)) {
      LT_WARN("delegated router " << r << " providers of " << cid.ToString() << ": "
                                  << (res.ok() ? "HTTP " + std::to_string(res->status) : res.error().message));
      continue;
    }
    if (res->status == 404) continue;  // the spec's "no record"
    auto urls = ParseRoutingAnswer(res->Header("Content-Type"), res->body);
    if (!urls.ok()) {
      LT_WARN("delegated router " << r << ": " << urls.error().message);
      continue;
    }
    for (auto& u : *urls) add(std::move(u));
  }
  for (const std::string& r : routers_) asked += (asked.empty() ? "" : ", ") + r;
  rpc::RouterClientOptions ro;
  ro.http = ShortTimeouts();
  for (auto& view : rpc::RouterClient(routers_, ro).Holders(cid.ToV1().ToString())) {
    if (!view.answer.ok()) {
      LT_WARN("holders of " << cid.ToString() << ": " << view.answer.error().message);
      continue;
    }
    for (auto& h : *view.answer) {
      if (!h.http.empty()) add(std::move(h.http));
    }
  }
  for (const std::string& p : peers_) add(p);
  if (out.empty()) {
    return NotFound(
        "no holder of " + cid.ToString() + " found" +
        (asked.empty() ? std::string(" (no router and no peer given)") : " via routers " + asked) +
        (peers_.empty() ? "" : " or the given peers"));
  }
  return out;
}

Result<std::vector<Cid>> HeldRoots(Store& store) {
  LT_TRY(std::vector<Ref> refs, store.ListRefs());
  std::vector<Cid> out;
  std::set<Cid> seen;
  auto add = [&](const Cid& c) {
    if (out.size() < 10000 && seen.insert(c.ToV1()).second) out.push_back(c.ToV1());
  };
  for (const Ref& r : refs) {
    if (!store.Has(r.cid)) continue;
    add(r.cid);
    if (r.cid.IsRaw()) {
      auto block = store.Get(r.cid);
      if (block.ok() && block->size() <= 65536) {
        auto m =
            Manifest::Decode(std::string_view(reinterpret_cast<const char*>(block->data()), block->size()));
        if (m.ok() && store.Has(m->root)) add(m->root);
      }
    }
  }
  return out;
}

AnnounceOutcome AnnounceHeld(const std::vector<std::string>& routers, const crypto::PrivateKey& key,
                             const wire::Domain& domain, const std::string& http,
                             const std::vector<Cid>& roots) {
  wire::SignedAnnounce sa;
  sa.announce.provider = key.GetAddress();
  sa.announce.http = TrimSlash(http);
  for (const Cid& c : roots) sa.announce.roots += (sa.announce.roots.empty() ? "" : ",") + c.ToV1().ToString();
  sa.announce.at = SystemClock::Default()->NowSeconds();
  sa.signature = sa.announce.Sign(key, domain);
  rpc::RouterClientOptions ro;
  ro.http = ShortTimeouts();
  AnnounceOutcome out;
  for (const auto& view : rpc::RouterClient(routers, ro).Announce(sa)) {
    if (view.answer.ok()) {
      out.ok.push_back(view.router);
    } else {
      out.failed.push_back(view.answer.error().message);
    }
  }
  return out;
}

}  // namespace lt::registry
