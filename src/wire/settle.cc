#include "wire/settle.h"

#include "util/json.h"

#include <utility>

namespace lt::wire {

using nlohmann::json;

namespace {

constexpr std::pair<SettleCode, std::string_view> kNames[] = {
    {SettleCode::kSettled, "settled"},
    {SettleCode::kVoucherForAnotherSession, "voucher_for_another_session"},
    {SettleCode::kBadTicketSignature, "bad_ticket_signature"},
    {SettleCode::kBadVoucherSignature, "bad_voucher_signature"},
    {SettleCode::kSenderNotParty, "sender_not_party"},
    {SettleCode::kAlreadySettled, "already_settled"},
    {SettleCode::kRouterNotStaked, "router_not_staked"},
    {SettleCode::kUnknownManifest, "unknown_manifest"},
    {SettleCode::kCostOverflow, "cost_overflow"},
    {SettleCode::kUnknownModel, "unknown_model"},
    {SettleCode::kMinAboveMax, "min_above_max"},
    {SettleCode::kMinAboveCap, "min_above_cap"},
    {SettleCode::kSessionIdNotRouters, "session_id_not_routers"},
};

Status Amount(const json& j, const char* key, U256* out) {
  auto it = j.find(key);
  if (it == j.end()) return OkStatus();
  auto v = U256FromJson(*it);
  if (!v.ok()) return v.error().Wrap(std::string("settle outcome.") + key);
  *out = *v;
  return OkStatus();
}

}  // namespace

std::string_view SettleCodeName(SettleCode c) {
  for (const auto& [code, name] : kNames) {
    if (code == c) return name;
  }
  return "unknown";
}

std::optional<SettleCode> SettleCodeFromName(std::string_view name) {
  for (const auto& [code, n] : kNames) {
    if (n == name) return code;
  }
  return std::nullopt;
}

json SettleOutcome::ToJson() const {
  json j = {{"session_id", HexEncode0x(session_id)}, {"ok", ok()}, {"code", SettleCodeName(code)}};
  if (ok()) {
    j.update({{"seconds", seconds},
              {"cost", cost.ToDecimal()},
              {"from_allowance", from_allowance.ToDecimal()},
              {"from_vault", from_vault.ToDecimal()},
              {"from_router_stake", from_router_stake.ToDecimal()},
              {"shortfall", shortfall.ToDecimal()},
              {"builder_fee", builder_fee.ToDecimal()}});
  } else {
    j["error"] = message;
  }
  return j;
}

Result<SettleOutcome> SettleOutcome::FromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("settle outcome: expected a JSON object");
  SettleOutcome o;
  auto sid = j.find("session_id");
  if (sid == j.end() || !sid->is_string()) return InvalidArgument("settle outcome: missing session_id");
  LT_TRY(o.session_id, HexDecodeFixed<32>(sid->get<std::string>()));
  auto code = j.find("code");
  if (code == j.end() || !code->is_string()) return InvalidArgument("settle outcome: missing code");
  auto c = SettleCodeFromName(code->get<std::string>());
  if (!c) return InvalidArgument("settle outcome: unknown code '" + code->get<std::string>() + "'");
  o.code = *c;
  if (auto e = j.find("error"); e != j.end() && e->is_string()) o.message = e->get<std::string>();
  if (auto s = j.find("seconds"); s != j.end()) {
    auto v = JsonUint(*s);
    if (!v || *v > UINT32_MAX) return InvalidArgument("settle outcome: bad seconds");
    o.seconds = static_cast<uint32_t>(*v);
  }
  LT_TRY_STATUS(Amount(j, "cost", &o.cost));
  LT_TRY_STATUS(Amount(j, "from_allowance", &o.from_allowance));
  LT_TRY_STATUS(Amount(j, "from_vault", &o.from_vault));
  LT_TRY_STATUS(Amount(j, "from_router_stake", &o.from_router_stake));
  LT_TRY_STATUS(Amount(j, "shortfall", &o.shortfall));
  LT_TRY_STATUS(Amount(j, "builder_fee", &o.builder_fee));
  return o;
}

}  // namespace lt::wire
