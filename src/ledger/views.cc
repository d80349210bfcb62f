#include "ledger/views.h"

#include "util/json.h"

namespace lt::ledger {

using nlohmann::json;

namespace {

// Field readers naming the view and key in their errors.
Status Get(const json& j, const char* view, const char* key, U256* out) {
  auto it = j.find(key);
  if (it == j.end()) return InvalidArgument(std::string(view) + "." + key + ": missing");
  auto v = U256FromJson(*it);
  if (!v.ok()) return v.error().Wrap(std::string(view) + "." + key);
  *out = *v;
  return OkStatus();
}
Status Get(const json& j, const char* view, const char* key, uint64_t* out) {
  auto it = j.find(key);
  auto v = it == j.end() ? std::nullopt : JsonUint(*it);
  if (!v) return InvalidArgument(std::string(view) + "." + key + ": expected an unsigned integer");
  *out = *v;
  return OkStatus();
}
Status Get(const json& j, const char* view, const char* key, uint32_t* out) {
  uint64_t v = 0;
  LT_TRY_STATUS(Get(j, view, key, &v));
  if (v > UINT32_MAX) return InvalidArgument(std::string(view) + "." + key + ": out of range for uint32");
  *out = static_cast<uint32_t>(v);
  return OkStatus();
}
Status Get(const json& j, const char* view, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return InvalidArgument(std::string(view) + "." + key + ": expected a string");
  *out = it->get<std::string>();
  return OkStatus();
}
Status Get(const json& j, const char* view, const char* key, crypto::Address* out) {
  std::string s;
  LT_TRY_STATUS(Get(j, view, key, &s));
  auto a = crypto::ParseAddress(s);
  if (!a.ok()) return a.error().Wrap(std::string(view) + "." + key);
  *out = *a;
  return OkStatus();
}
Status Get(const json& j, const char* view, const char* key, Hash32* out) {
  std::string s;
  LT_TRY_STATUS(Get(j, view, key, &s));
  auto h = HexDecodeFixed<32>(s);
  if (!h.ok()) return h.error().Wrap(std::string(view) + "." + key);
  *out = *h;
  return OkStatus();
}
Status Object(const json& j, const char* view) {
  if (!j.is_object()) return InvalidArgument(std::string(view) + ": expected a JSON object");
  return OkStatus();
}

}  // namespace

// ------------------------------------------------------------------------------ models

std::optional<Hash32> ModelInfo::Tag(const std::string& tag) const {
  auto it = tags.find(tag);
  if (it == tags.end()) return std::nullopt;
  return it->second;
}

json ModelInfo::ToJson() const {
  json t = json::object();
  for (const auto& [k, v] : tags) t[k] = HexEncode0x(v);
  return {{"name", name}, {"owner", owner.ToChecksumHex()}, {"kind", kind}, {"builder_fee_bps", builder_fee_bps},
          {"tags", t}};
}

Result<ModelInfo> ModelInfo::FromJson(const json& j) {
  LT_TRY_STATUS(Object(j, "model"));
  ModelInfo m;
  LT_TRY_STATUS(Get(j, "model", "name", &m.name));
  LT_TRY_STATUS(Get(j, "model", "owner", &m.owner));
  LT_TRY_STATUS(Get(j, "model", "kind", &m.kind));
  LT_TRY_STATUS(Get(j, "model", "builder_fee_bps", &m.builder_fee_bps));
  auto tags = j.find("tags");
  if (tags == j.end() || !tags->is_object()) return InvalidArgument("model.tags: expected an object");
  for (const auto& [k, v] : tags->items()) {
    auto h = v.is_string() ? HexDecodeFixed<32>(v.get<std::string>()) : Result<Hash32>(InvalidArgument("not a string"));
    if (!h.ok()) return InvalidArgument("model.tags." + k + ": expected 0x + 64 hex digits");
    m.tags[k] = *h;
  }
  return m;
}

// ---------------------------------------------------------------------------- providers

json OfferInfo::ToJson() const {
  json o = {{"manifest", HexEncode0x(manifest)},
            {"price_per_second", price_per_second.ToDecimal()},
            {"min_seconds", min_seconds},
            {"tps", tps},
            {"slots", slots},
            {"nonce", nonce}};
  if (!model.empty()) o["model"] = model;
  return o;
}

Result<OfferInfo> OfferInfo::FromJson(const json& j) {
  LT_TRY_STATUS(Object(j, "offer"));
  OfferInfo o;
  LT_TRY_STATUS(Get(j, "offer", "manifest", &o.manifest));
  if (j.contains("model")) LT_TRY_STATUS(Get(j, "offer", "model", &o.model));
  LT_TRY_STATUS(Get(j, "offer", "price_per_second", &o.price_per_second));
  LT_TRY_STATUS(Get(j, "offer", "min_seconds", &o.min_seconds));
  LT_TRY_STATUS(Get(j, "offer", "tps", &o.tps));
  LT_TRY_STATUS(Get(j, "offer", "slots", &o.slots));
  LT_TRY_STATUS(Get(j, "offer", "nonce", &o.nonce));
  return o;
}

json ProviderInfo::ToJson() const {
  json os = json::array();
  for (const auto& o : offers) os.push_back(o.ToJson());
  return {{"address", address.ToChecksumHex()}, {"endpoint", endpoint}, {"stake", stake.ToDecimal()}, {"offers", os}};
}

Result<ProviderInfo> ProviderInfo::FromJson(const json& j) {
  LT_TRY_STATUS(Object(j, "provider"));
  ProviderInfo p;
  LT_TRY_STATUS(Get(j, "provider", "address", &p.address));
  LT_TRY_STATUS(Get(j, "provider", "endpoint", &p.endpoint));
  LT_TRY_STATUS(Get(j, "provider", "stake", &p.stake));
  auto os = j.find("offers");
  if (os == j.end() || !os->is_array()) return InvalidArgument("provider.offers: expected an array");
  for (const auto& o : *os) {
    LT_TRY(auto offer, OfferInfo::FromJson(o));
    p.offers.push_back(std::move(offer));
  }
  return p;
}

json RouterInfo::ToJson() const {
  return {{"address", address.ToChecksumHex()}, {"endpoint", endpoint}, {"stake", stake.ToDecimal()}};
}

Result<RouterInfo> RouterInfo::FromJson(const json& j) {
  LT_TRY_STATUS(Object(j, "router"));
  RouterInfo r;
  LT_TRY_STATUS(Get(j, "router", "address", &r.address));
  LT_TRY_STATUS(Get(j, "router", "endpoint", &r.endpoint));
  LT_TRY_STATUS(Get(j, "router", "stake", &r.stake));
  return r;
}

// --------------------------------------------------------------------------------- days

json DayFigures::ToJson() const {
  return {{"budget", budget.ToDecimal()},
          {"circulating", circulating.ToDecimal()},
          {"allowance_spent", allowance_spent.ToDecimal()},
          {"builders_paid", builders_paid.ToDecimal()},
          {"agents_paid", agents_paid.ToDecimal()},
          {"emission_compute", emission_compute.ToDecimal()},
          {"emission_community", emission_community.ToDecimal()},
          {"session_seconds", session_seconds},
          {"sessions", sessions}};
}

Result<DayFigures> DayFigures::FromJson(const json& j) {
  LT_TRY_STATUS(Object(j, "day"));
  DayFigures d;
  LT_TRY_STATUS(Get(j, "day", "budget", &d.budget));
  LT_TRY_STATUS(Get(j, "day", "circulating", &d.circulating));
  LT_TRY_STATUS(Get(j, "day", "allowance_spent", &d.allowance_spent));
  LT_TRY_STATUS(Get(j, "day", "builders_paid", &d.builders_paid));
  LT_TRY_STATUS(Get(j, "day", "agents_paid", &d.agents_paid));
  LT_TRY_STATUS(Get(j, "day", "emission_compute", &d.emission_compute));
  LT_TRY_STATUS(Get(j, "day", "emission_community", &d.emission_community));
  LT_TRY_STATUS(Get(j, "day", "session_seconds", &d.session_seconds));
  LT_TRY_STATUS(Get(j, "day", "sessions", &d.sessions));
  return d;
}

json DayInfo::ToJson() const {
  json history = json::array();
  for (const auto& [d, f] : closed) {
    json e = f.ToJson();
    e["day"] = d;
    history.push_back(std::move(e));
  }
  return {{"day", day},
          {"clock_day", clock_day},
          {"day_seconds", day_seconds},
          {"day_start", day_start},
          {"day_end", day_end},
          {"budget", budget.ToDecimal()},
          {"builders_share", builders_share.ToDecimal()},
          {"users_share", users_share.ToDecimal()},
          {"allowance_spent", allowance_spent.ToDecimal()},
          {"circulating", circulating.ToDecimal()},
          {"session_seconds", session_seconds},
          {"sessions", sessions},
          {"compute_pool", compute_pool.ToDecimal()},
          {"community_pool", community_pool.ToDecimal()},
          {"total_minted", total_minted.ToDecimal()},
          {"emission_compute", emission_compute.ToDecimal()},
          {"emission_community", emission_community.ToDecimal()},
          {"closed", history}};
}

Result<DayInfo> DayInfo::FromJson(const json& j) {
  LT_TRY_STATUS(Object(j, "day"));
  DayInfo d;
  for (auto [key, field] : {std::pair{"day", &d.day}, std::pair{"clock_day", &d.clock_day},
                            std::pair{"day_seconds", &d.day_seconds}, std::pair{"day_start", &d.day_start},
                            std::pair{"day_end", &d.day_end}, std::pair{"session_seconds", &d.session_seconds},
                            std::pair{"sessions", &d.sessions}}) {
    LT_TRY_STATUS(Get(j, "day", key, field));
  }
  for (auto [key, field] : {std::pair{"budget", &d.budget}, std::pair{"builders_share", &d.builders_share},
                            std::pair{"users_share", &d.users_share}, std::pair{"allowance_spent", &d.allowance_spent},
                            std::pair{"circulating", &d.circulating}, std::pair{"compute_pool", &d.compute_pool},
                            std::pair{"community_pool", &d.community_pool}, std::pair{"total_minted", &d.total_minted},
                            std::pair{"emission_compute", &d.emission_compute},
                            std::pair{"emission_community", &d.emission_community}}) {
    LT_TRY_STATUS(Get(j, "day", key, field));
  }
  auto closed = j.find("closed");
  if (closed == j.end() || !closed->is_array()) return InvalidArgument("day.closed: expected an array");
  for (const auto& e : *closed) {
    uint64_t n = 0;
    LT_TRY_STATUS(Get(e, "day.closed", "day", &n));
    LT_TRY(auto f, DayFigures::FromJson(e));
    d.closed.emplace_back(n, std::move(f));
  }
  return d;
}

// -------------------------------------------------------------------------------- stats

void StatsInfo::DeriveRatios() {
  if (sessions_settled == 0) return;
  transactions_per_settled_session = static_cast<double>(transactions) / static_cast<double>(sessions_settled);
  settle_transactions_per_session = static_cast<double>(settle_batches) / static_cast<double>(sessions_settled);
}

json StatsInfo::ToJson() const {
  return {{"transactions", transactions},
          {"tx_log_entries", tx_log_entries},
          {"sessions_settled", sessions_settled},
          {"receipts_refused", receipts_refused},
          {"settle_batches", settle_batches},
          {"transactions_per_settled_session",
           transactions_per_settled_session ? json(*transactions_per_settled_session) : json()},
          {"settle_transactions_per_session",
           settle_transactions_per_session ? json(*settle_transactions_per_session) : json()},
          {"accounts", accounts},
          {"models", models},
          {"providers", providers}};
}

Result<StatsInfo> StatsInfo::FromJson(const json& j) {
  LT_TRY_STATUS(Object(j, "stats"));
  StatsInfo s;
  for (auto [key, field] : {std::pair{"transactions", &s.transactions}, std::pair{"tx_log_entries", &s.tx_log_entries},
                            std::pair{"sessions_settled", &s.sessions_settled},
                            std::pair{"receipts_refused", &s.receipts_refused},
                            std::pair{"settle_batches", &s.settle_batches}, std::pair{"accounts", &s.accounts},
                            std::pair{"models", &s.models}, std::pair{"providers", &s.providers}}) {
    LT_TRY_STATUS(Get(j, "stats", key, field));
  }
  for (auto [key, field] : {std::pair{"transactions_per_settled_session", &s.transactions_per_settled_session},
                            std::pair{"settle_transactions_per_session", &s.settle_transactions_per_session}}) {
    auto it = j.find(key);
    if (it != j.end() && it->is_number()) *field = it->get<double>();
  }
  return s;
}

}  // namespace lt::ledger
