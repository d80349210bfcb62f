#include "registry/holders.h"

#include <algorithm>
#include <set>

#include "net/http.h"
#include "registry/manifest.h"
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

}  // namespace

Result<std::vector<std::string>> RouterHolders::FindPeers(const Cid& cid) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](std::string url) {
    url = TrimSlash(std::move(url));
    if (url.rfind("http://", 0) != 0) return;
    if (seen.insert(url).second) out.push_back(url);
  };
  std::string asked;
  for (const std::string& r : routers_) {
    asked += (asked.empty() ? "" : ", ") + r;
    auto client = net::HttpClient::Create(TrimSlash(r), ShortTimeouts());
    if (!client.ok()) {
      LT_WARN("router " << r << ": " << client.error().message);
      continue;
    }
    auto res = client->Get("/holders/" + cid.ToString());
    if (!res.ok() || res->status != 200) {
      LT_WARN("router " << r << " holders of " << cid.ToString() << ": "
                        << (res.ok() ? net::ErrorFromResponse(*res).message : res.error().message));
      continue;
    }
    auto j = res->Json();
    if (!j.ok() || !j->is_object() || !(*j)["holders"].is_array()) {
      LT_WARN("router " << r << ": /holders answer is not {\"holders\":[...]}");
      continue;
    }
    for (const auto& h : (*j)["holders"]) {
      if (h.is_object() && h.contains("http") && h["http"].is_string()) add(h["http"].get<std::string>());
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
    if (out.size() < 10000 && seen.insert(c).second) out.push_back(c);
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
  for (const Cid& c : roots) sa.announce.roots += (sa.announce.roots.empty() ? "" : ",") + c.ToString();
  sa.announce.at = SystemClock::Default()->NowSeconds();
  sa.signature = sa.announce.Sign(key, domain);
  std::string body = sa.ToJson().dump();
  AnnounceOutcome out;
  for (const std::string& r : routers) {
    auto client = net::HttpClient::Create(TrimSlash(r), ShortTimeouts());
    if (!client.ok()) {
      out.failed.push_back(r + ": " + client.error().message);
      continue;
    }
    auto res = client->Post("/announce", body);
    if (!res.ok()) {
      out.failed.push_back(r + ": " + res.error().message);
    } else if (res->status != 200) {
      out.failed.push_back(r + ": " + net::ErrorFromResponse(*res).message);
    } else {
      out.ok.push_back(r);
    }
  }
  return out;
}

}  // namespace lt::registry
