#include "rpc/router_client.h"

#include <algorithm>
#include <charconv>

namespace lt::rpc {

using nlohmann::json;

namespace {

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// A router's JSON error code, or "" when the body has none.
std::string ErrorCodeOf(const net::HttpClientResponse& r) {
  auto j = r.Json();
  if (!j.ok() || !j->is_object() || !j->contains("error") || !(*j)["error"].is_object()) return "";
  const json& e = (*j)["error"];
  return e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
}

RouterFailure FailureOf(const std::string& url, const net::HttpClientResponse& r) {
  return {r.status, ErrorCodeOf(r), "router " + url + ": " + net::ErrorFromResponse(r).message};
}

}  // namespace

Error RouterFailure::ToError() const {
  if (http_status == 0) return MakeError(ErrorCode::kUnavailable, message);
  net::HttpClientResponse r;
  r.status = http_status;
  Error e = net::ErrorFromResponse(r);
  e.message = message;
  return e;
}

RouterClient::RouterClient(std::vector<std::string> urls, RouterClientOptions options, const Clock* clock)
    : options_(options), clock_(clock) {
  for (auto& u : urls) urls_.push_back(TrimSlash(std::move(u)));
}

bool RouterClient::CoolingDown(const std::string& url) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = cool_until_ms_.find(url);
  return it != cool_until_ms_.end() && clock_->MonotonicMillis() < it->second;
}

void RouterClient::NoteAnswer(const std::string& url, const net::HttpClientResponse& r) {
  if (r.status != 429 && r.status != 503) return;
  std::string v = r.Header("Retry-After");
  uint64_t seconds = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (ec != std::errc() || p != v.data() + v.size() || seconds == 0) return;  // HTTP dates: not honoured
  uint64_t ms = std::min<uint64_t>(seconds > UINT64_MAX / 1000 ? UINT64_MAX : seconds * 1000, options_.max_cooldown_ms);
  std::lock_guard<std::mutex> l(mu_);
  cool_until_ms_[url] = clock_->MonotonicMillis() + ms;
}

Result<net::HttpClientResponse> RouterClient::Call(const std::string& url, const std::string& path,
                                                   const std::string* body) {
  auto c = net::HttpClient::Create(url, options_.http);
  if (!c.ok()) return c.error().Wrap("router " + url);
  auto r = body ? c->Post(path, *body) : c->Get(path);
  if (!r.ok()) return r.error().Wrap("router " + url);
  NoteAnswer(url, *r);
  return r;
}

Result<json> RouterClient::FirstAnswer(const std::string& path, const std::string& body, bool next_on_403,
                                       const std::function<Status(const json&)>& accept,
                                       RouterFailure* failure) {
  RouterFailure last{0, "", urls_.empty() ? "no router configured" : "every router is cooling down after a 429/503"};
  for (const auto& url : urls_) {
    if (CoolingDown(url)) continue;
    auto r = Call(url, path, &body);
    if (!r.ok()) {
      last = {0, "", r.error().message};
      continue;
    }
    if (r->status == 200) {
      auto j = r->Json();
      Status ok = j.ok() ? (accept ? accept(*j) : OkStatus()) : Status(j.error());
      if (ok.ok()) return j;
      last = {502, "bad_answer", "router " + url + ": " + ok.error().message};
      continue;
    }
    last = FailureOf(url, *r);
    if (r->status == 429 || r->status >= 500 || (next_on_403 && r->status == 403)) continue;
    break;
  }
  if (failure) *failure = last;
  return last.ToError();
}

Result<wire::TicketGrant> RouterClient::RequestTicket(const wire::RfcRequest& req, const GrantCheck& accept,
                                                      RouterFailure* failure) {
  wire::TicketGrant grant;
  LT_TRY_STATUS(FirstAnswer("/rfc", req.ToJson().dump(), false,
                            [&](const json& j) -> Status {
                              LT_TRY(grant, wire::TicketGrant::FromJson(j));
                              return accept ? accept(grant) : OkStatus();
                            },
                            failure));
  return grant;
}

Result<wire::TicketGrant> RouterClient::Renew(const wire::RenewRequest& req, RouterFailure* failure) {
  wire::TicketGrant grant;
  LT_TRY_STATUS(FirstAnswer("/renew", req.ToJson().dump(), true,
                            [&](const json& j) -> Status {
                              LT_TRY(grant, wire::TicketGrant::FromJson(j));
                              return OkStatus();
                            },
                            failure));
  return grant;
}

Status RouterClient::PostReceipt(const wire::Receipt& r, RouterFailure* failure) {
  LT_TRY_STATUS(FirstAnswer("/receipts", r.ToJson().dump(), true, {}, failure));
  return OkStatus();
}

Result<json> RouterClient::Ask(const std::string& url, const std::string& path, const std::string* body) {
  if (CoolingDown(url)) return MakeError(ErrorCode::kUnavailable, "router " + url + " is cooling down after a 429/503");
  LT_TRY(auto r, Call(url, path, body));
  if (r.status != 200) return FailureOf(url, r).ToError();
  auto j = r.Json();
  if (!j.ok()) return j.error().Wrap("router " + url + " " + path);
  return j;
}

namespace {

template <typename T, typename Parse>
PerRouter<T> Parsed(const std::string& url, const std::string& path, Result<json> j, Parse parse) {
  if (!j.ok()) return {url, j.error()};
  Result<T> v = parse(*j);
  if (!v.ok()) return {url, v.error().Wrap("router " + url + " " + path)};
  return {url, std::move(v)};
}

}  // namespace

std::vector<PerRouter<std::vector<wire::ProviderStatus>>> RouterClient::Providers() {
  std::vector<PerRouter<std::vector<wire::ProviderStatus>>> out;
  for (const auto& url : urls_) {
    out.push_back(Parsed<std::vector<wire::ProviderStatus>>(url, "/providers", Ask(url, "/providers", nullptr),
                                                            wire::ProvidersFromJson));
  }
  return out;
}

std::vector<PerRouter<std::vector<wire::Holder>>> RouterClient::Holders(const std::string& cid) {
  std::vector<PerRouter<std::vector<wire::Holder>>> out;
  const std::string path = "/holders/" + cid;
  for (const auto& url : urls_) {
    out.push_back(Parsed<std::vector<wire::Holder>>(url, path, Ask(url, path, nullptr), wire::HoldersFromJson));
  }
  return out;
}

std::vector<PerRouter<bool>> RouterClient::Announce(const wire::SignedAnnounce& a) {
  std::vector<PerRouter<bool>> out;
  const std::string body = a.ToJson().dump();
  for (const auto& url : urls_) {
    out.push_back(Parsed<bool>(url, "/announce", Ask(url, "/announce", &body),
                               [](const json&) -> Result<bool> { return true; }));
  }
  return out;
}

}  // namespace lt::rpc
