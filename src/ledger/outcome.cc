#include "ledger/outcome.h"

#include "util/json.h"

#include <type_traits>

namespace lt::ledger {

using nlohmann::json;

namespace {

// Each optional field with its key, read and written alike.
template <typename O, typename F>  // O: TxOutcome or const TxOutcome
void Fields(O& o, F&& f) {
  f("amount", o.amount);
  f("vault", o.vault);
  f("pending_withdrawal", o.pending_withdrawal);
  f("available_day", o.available_day);
  f("name", o.name);
  f("created", o.created);
  f("manifest", o.manifest);
  f("stake", o.stake);
  f("withdrawn", o.withdrawn);
  f("router_stake", o.router_stake);
  f("claimed", o.claimed);
  f("closed_from", o.closed_from);
  f("closed_through", o.closed_through);
  f("open_day", o.open_day);
  f("settled", o.settled);
  f("refused", o.refused);
}

json Out(const U256& v) { return v.ToDecimal(); }
json Out(uint64_t v) { return v; }
json Out(const std::string& v) { return v; }
json Out(bool v) { return v; }
json Out(const Hash32& v) { return HexEncode0x(v); }

Status In(const json& j, const std::string& key, U256* out) {
  auto v = U256FromJson(j);
  if (!v.ok()) return v.error().Wrap("outcome." + key);
  *out = *v;
  return OkStatus();
}
Status In(const json& j, const std::string& key, uint64_t* out) {
  auto v = JsonUint(j);
  if (!v) return InvalidArgument("outcome." + key + ": expected an unsigned integer");
  *out = *v;
  return OkStatus();
}
Status In(const json& j, const std::string& key, std::string* out) {
  if (!j.is_string()) return InvalidArgument("outcome." + key + ": expected a string");
  *out = j.get<std::string>();
  return OkStatus();
}
Status In(const json& j, const std::string& key, bool* out) {
  if (!j.is_boolean()) return InvalidArgument("outcome." + key + ": expected a boolean");
  *out = j.get<bool>();
  return OkStatus();
}
Status In(const json& j, const std::string& key, Hash32* out) {
  auto h = j.is_string() ? HexDecodeFixed<32>(j.get<std::string>()) : Result<Hash32>(InvalidArgument("not a string"));
  if (!h.ok()) return InvalidArgument("outcome." + key + ": expected 0x + 64 hex digits");
  *out = *h;
  return OkStatus();
}

}  // namespace

json TxOutcome::ToJson() const {
  json j = json::object();
  Fields(*this, [&](const char* key, const auto& field) {
    if (field) j[key] = Out(*field);
  });
  if (settled || !receipts.empty()) {
    json rs = json::array();
    for (const auto& r : receipts) rs.push_back(r.ToJson());
    j["receipts"] = std::move(rs);
  }
  return j;
}

Result<TxOutcome> TxOutcome::FromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("outcome: expected a JSON object");
  TxOutcome o;
  Status st;
  Fields(o, [&](const char* key, auto& field) {
    auto it = j.find(key);
    if (!st.ok() || it == j.end() || it->is_null()) return;
    typename std::remove_reference_t<decltype(field)>::value_type v{};
    st = In(*it, key, &v);
    if (st.ok()) field = std::move(v);
  });
  if (!st.ok()) return st.error();
  if (auto rs = j.find("receipts"); rs != j.end()) {
    if (!rs->is_array()) return InvalidArgument("outcome.receipts: expected an array");
    for (const auto& r : *rs) {
      LT_TRY(auto one, wire::SettleOutcome::FromJson(r));
      o.receipts.push_back(std::move(one));
    }
  }
  return o;
}

}  // namespace lt::ledger
