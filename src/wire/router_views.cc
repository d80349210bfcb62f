#include "wire/router_views.h"

#include "crypto/keys.h"
#include "util/json.h"

namespace lt::wire {

using nlohmann::json;

namespace {

// Field readers: each names the path in its error.
Status Str(const json& j, const char* k, std::string* out, bool required = true) {
  if (!j.contains(k) || j[k].is_null()) {
    return required ? InvalidArgument(std::string(k) + ": missing") : OkStatus();
  }
  if (!j[k].is_string()) return InvalidArgument(std::string(k) + ": expected a string");
  *out = j[k].get<std::string>();
  return OkStatus();
}

Status Uint(const json& j, const char* k, uint64_t* out, bool required = false) {
  if (!j.contains(k) || j[k].is_null()) {
    return required ? InvalidArgument(std::string(k) + ": missing") : OkStatus();
  }
  auto v = JsonUint(j[k]);
  if (!v) return InvalidArgument(std::string(k) + ": expected an unsigned integer");
  *out = *v;
  return OkStatus();
}

Status Num(const json& j, const char* k, std::optional<double>* out) {
  if (!j.contains(k) || j[k].is_null()) return OkStatus();
  if (!j[k].is_number()) return InvalidArgument(std::string(k) + ": expected a number");
  *out = j[k].get<double>();
  return OkStatus();
}

Status Addr(const json& j, const char* k, crypto::Address* out) {
  std::string s;
  LT_TRY_STATUS(Str(j, k, &s));
  LT_TRY(*out, crypto::ParseAddress(s));
  return OkStatus();
}

json Optional(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

Result<OfferStatus> OfferFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("expected an object");
  OfferStatus o;
  LT_TRY_STATUS(Str(j, "manifest", &o.manifest));
  LT_TRY_STATUS(Str(j, "model", &o.model, false));
  LT_TRY_STATUS(Str(j, "price_per_second", &o.price_per_second));
  LT_TRY_STATUS(Uint(j, "min_seconds", &o.min_seconds));
  std::optional<double> tps;
  LT_TRY_STATUS(Num(j, "tps", &tps));
  o.tps = tps.value_or(0);
  LT_TRY_STATUS(Num(j, "observed_tps", &o.observed_tps));
  LT_TRY_STATUS(Uint(j, "slots", &o.slots));
  return o;
}

}  // namespace

json ProviderStatus::ToJson() const {
  json offer_list = json::array();
  for (const auto& o : offers) {
    offer_list.push_back({{"manifest", o.manifest},
                          {"model", o.model},
                          {"price_per_second", o.price_per_second},
                          {"min_seconds", o.min_seconds},
                          {"tps", o.tps},
                          {"observed_tps", Optional(o.observed_tps)},
                          {"slots", o.slots}});
  }
  return {{"address", address.ToChecksumHex()},
          {"endpoint", endpoint},
          {"offers", offer_list},
          {"rtt_ewma_ms", Optional(rtt_ewma_ms)},
          {"free_slots", free_slots ? json(*free_slots) : json(nullptr)},
          {"liveness_ok", liveness_ok},
          {"liveness_failed", liveness_failed},
          {"reliability", reliability},
          {"banned_ms", banned_ms},
          {"consecutive_failures", consecutive_failures},
          {"announced_http", announced_http},
          {"roots", roots}};
}

Result<ProviderStatus> ProviderStatus::FromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("expected a provider object");
  ProviderStatus p;
  LT_TRY_STATUS(Addr(j, "address", &p.address));
  LT_TRY_STATUS(Str(j, "endpoint", &p.endpoint, false));
  if (j.contains("offers")) {
    if (!j["offers"].is_array()) return InvalidArgument("offers: expected an array");
    for (size_t i = 0; i < j["offers"].size(); ++i) {
      auto o = OfferFromJson(j["offers"][i]);
      if (!o.ok()) return o.error().Wrap("offers[" + std::to_string(i) + "]");
      p.offers.push_back(std::move(*o));
    }
  }
  LT_TRY_STATUS(Num(j, "rtt_ewma_ms", &p.rtt_ewma_ms));
  if (j.contains("free_slots") && !j["free_slots"].is_null()) {
    if (!j["free_slots"].is_number_integer()) return InvalidArgument("free_slots: expected an integer");
    p.free_slots = j["free_slots"].get<int64_t>();
  }
  LT_TRY_STATUS(Uint(j, "liveness_ok", &p.liveness_ok));
  LT_TRY_STATUS(Uint(j, "liveness_failed", &p.liveness_failed));
  std::optional<double> rel;
  LT_TRY_STATUS(Num(j, "reliability", &rel));
  p.reliability = rel.value_or(1);
  LT_TRY_STATUS(Uint(j, "banned_ms", &p.banned_ms));
  LT_TRY_STATUS(Uint(j, "consecutive_failures", &p.consecutive_failures));
  LT_TRY_STATUS(Str(j, "announced_http", &p.announced_http, false));
  if (j.contains("roots") && j["roots"].is_array()) {
    for (const auto& r : j["roots"]) {
      if (!r.is_string()) return InvalidArgument("roots: expected strings");
      p.roots.push_back(r.get<std::string>());
    }
  }
  return p;
}

json ProvidersToJson(const std::vector<ProviderStatus>& list) {
  json arr = json::array();
  for (const auto& p : list) arr.push_back(p.ToJson());
  return {{"providers", arr}};
}

Result<std::vector<ProviderStatus>> ProvidersFromJson(const json& j) {
  if (!j.is_object() || !j.contains("providers") || !j["providers"].is_array()) {
    return InvalidArgument("expected {\"providers\":[...]}");
  }
  std::vector<ProviderStatus> out;
  for (size_t i = 0; i < j["providers"].size(); ++i) {
    auto p = ProviderStatus::FromJson(j["providers"][i]);
    if (!p.ok()) return p.error().Wrap("providers[" + std::to_string(i) + "]");
    out.push_back(std::move(*p));
  }
  return out;
}

json Holder::ToJson() const {
  json h = {{"provider", provider.ToChecksumHex()}, {"http", http}, {"expiresAt", expires_at}};
  if (!endpoint.empty()) h["endpoint"] = endpoint;
  return h;
}

Result<Holder> Holder::FromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("expected a holder object");
  Holder h;
  LT_TRY_STATUS(Addr(j, "provider", &h.provider));
  LT_TRY_STATUS(Str(j, "http", &h.http, false));
  LT_TRY_STATUS(Uint(j, "expiresAt", &h.expires_at));
  LT_TRY_STATUS(Str(j, "endpoint", &h.endpoint, false));
  return h;
}

Result<std::vector<Holder>> HoldersFromJson(const json& j) {
  if (!j.is_object() || !j.contains("holders") || !j["holders"].is_array()) {
    return InvalidArgument("expected {\"holders\":[...]}");
  }
  std::vector<Holder> out;
  for (size_t i = 0; i < j["holders"].size(); ++i) {
    auto h = Holder::FromJson(j["holders"][i]);
    if (!h.ok()) return h.error().Wrap("holders[" + std::to_string(i) + "]");
    out.push_back(std::move(*h));
  }
  return out;
}

}  // namespace lt::wire
