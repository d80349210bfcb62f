#include "devnet/http_view.h"

#include <algorithm>
#include <cctype>

#include "net/http.h"
#include "registry/cid.h"
#include "util/bytes.h"
#include "util/uint256.h"

namespace lt::devnet {

using nlohmann::json;

namespace {

Result<json> Answer(const std::string& what, Result<net::HttpClientResponse> r) {
  if (!r.ok()) return r.error().Wrap(what);
  if (r->status < 200 || r->status >= 300) return net::ErrorFromResponse(*r).Wrap(what);
  auto j = r->Json();
  if (!j.ok()) return j.error().Wrap(what);
  return *j;
}

net::HttpClientOptions Options(int timeout_ms) {
  net::HttpClientOptions o;
  o.connect_timeout_ms = 2000;
  o.read_timeout_ms = timeout_ms;
  return o;
}

}  // namespace

Result<json> GetJson(const std::string& base_url, const std::string& path, int timeout_ms) {
  LT_TRY(auto c, net::HttpClient::Create(base_url, Options(timeout_ms)));
  return Answer("GET " + base_url + path, c.Get(path));
}

Result<json> PostJson(const std::string& base_url, const std::string& path, const json& body,
                      int timeout_ms) {
  LT_TRY(auto c, net::HttpClient::Create(base_url, Options(timeout_ms)));
  return Answer("POST " + base_url + path, c.Post(path, body.dump()));
}

bool EqualsIgnoreCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::string ManifestCid(const std::string& bytes32) {
  auto h = HexDecodeFixed<32>(bytes32);
  if (!h.ok()) return "";
  registry::Cid c;
  c.codec = registry::kCodecRaw;
  c.digest = *h;
  return c.ToString();
}

}  // namespace lt::devnet
