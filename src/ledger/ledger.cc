#include "ledger/ledger.h"

namespace lt::ledger {

using nlohmann::json;

json AccountInfoToJson(const AccountInfo& a) {
  return {{"address", a.address.ToChecksumHex()},
          {"wallet", a.wallet},
          {"vault", a.vault},
          {"claimable", a.claimable},
          {"pending_withdrawal", a.pending_withdrawal},
          {"pending_available_day", a.pending_available_day},
          {"allowance_total", a.allowance_total},
          {"allowance_left", a.allowance_left},
          {"router_stake", a.router_stake},
          {"provider_stake", a.provider_stake},
          {"nonce", a.nonce},
          {"day", a.day}};
}

Result<AccountInfo> AccountInfoFromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("account: expected an object");
  AccountInfo a;
  if (!j.value("address", json()).is_string()) return InvalidArgument("account.address: missing");
  auto addr = crypto::ParseAddress(j["address"].get<std::string>());
  if (!addr.ok()) return addr.error().Wrap("account.address");
  a.address = *addr;
  for (auto [k, dst] :
       {std::pair{"wallet", &a.wallet}, std::pair{"vault", &a.vault}, std::pair{"claimable", &a.claimable},
        std::pair{"pending_withdrawal", &a.pending_withdrawal},
        std::pair{"allowance_total", &a.allowance_total}, std::pair{"allowance_left", &a.allowance_left},
        std::pair{"router_stake", &a.router_stake}, std::pair{"provider_stake", &a.provider_stake}}) {
    if (!j.contains(k)) return InvalidArgument(std::string("account.") + k + ": missing");
    auto v = U256FromJson(j[k]);
    if (!v.ok()) return v.error().Wrap(std::string("account.") + k);
    *dst = *v;
  }
  for (auto [k, dst] : {std::pair{"nonce", &a.nonce}, std::pair{"day", &a.day},
                        std::pair{"pending_available_day", &a.pending_available_day}}) {
    if (!j.value(k, json()).is_number_unsigned())
      return InvalidArgument(std::string("account.") + k + ": missing");
    *dst = j[k].get<uint64_t>();
  }
  return a;
}

json TxLogEntryToJson(const TxLogEntry& e) {
  return {{"index", e.index}, {"time", e.time}, {"type", e.type}, {"tx", e.tx}, {"outcome", e.outcome.ToJson()}};
}

Result<TxLogEntry> TxLogEntryFromJson(const json& j) {
  if (!j.is_object() || !j.value("index", json()).is_number_unsigned() ||
      !j.value("time", json()).is_number_unsigned() || !j.value("type", json()).is_string()) {
    return InvalidArgument("tx log entry: expected {index, time, type, tx, outcome}");
  }
  TxLogEntry e;
  e.index = j["index"].get<uint64_t>();
  e.time = j["time"].get<uint64_t>();
  e.type = j["type"].get<std::string>();
  e.tx = j.value("tx", json());
  LT_TRY(e.outcome, TxOutcome::FromJson(j.value("outcome", json::object())));
  return e;
}

}  // namespace lt::ledger
