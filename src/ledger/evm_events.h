// Internal to the ledger library: reading the Compute Contract's decoded events (the arguments
// of evm::ChainEvent, amounts as decimal strings), shared by evm_ledger.cc and evm_txlog.cc.
// Thread-safety: pure functions.
#ifndef LT_LEDGER_EVM_EVENTS_H_
#define LT_LEDGER_EVM_EVENTS_H_

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "evm/compute_types.h"
#include "util/uint256.h"

namespace lt::ledger::evm_events {

using nlohmann::json;

inline U256 Word(const json& args, const char* key) {
  const json& v = args.value(key, json());
  if (v.is_string()) {
    auto w = U256::FromDecimal(v.get<std::string>());
    return w.ok() ? *w : U256();
  }
  if (v.is_number_unsigned()) return U256(v.get<uint64_t>());
  return U256();
}
inline uint64_t Num(const json& args, const char* key) { return Word(args, key).Low64(); }
inline std::string Text(const json& args, const char* key) {
  const json& v = args.value(key, json());
  return v.is_string() ? v.get<std::string>() : "";
}

// Which ledger transaction a contract transaction was, from the events it emitted ("tick" when
// it only closed days; "" for genesis calls and release()).
inline std::string TypeOfEvents(const std::vector<evm::ChainEvent>& events) {
  static const std::map<std::string, std::string> kTypes = {
      {"Transferred", "transfer"},          {"Deposited", "deposit"},
      {"Withdrawn", "withdraw"},            {"ModelRegistered", "register_model"},
      {"TagSet", "set_tag"},                {"ProviderRegistered", "register_provider"},
      {"OfferSet", "set_offer"},            {"RouterStaked", "stake_router"},
      {"RouterEndpointSet", "set_router_endpoint"}, {"Unstaked", "unstake"},
      {"BatchSettled", "settle_batch"},     {"Claimed", "claim"},
      {"CloseDayChecked", "close_day"},     {"Minted", "mint"}};
  bool closed = false;
  for (const auto& e : events) {
    auto it = kTypes.find(e.name);
    if (it != kTypes.end()) return it->second;
    closed = closed || e.name == "DayClosed" || e.name == "IdleDaysClosed";
  }
  return closed ? "tick" : "";
}

// Days closed by a transaction (DayClosed: one; IdleDaysClosed: its run), first and last.
inline std::pair<uint64_t, std::optional<std::pair<uint64_t, uint64_t>>> DaysClosed(const std::vector<evm::ChainEvent>& ev) {
  uint64_t n = 0;
  std::optional<std::pair<uint64_t, uint64_t>> range;
  auto add = [&](uint64_t first, uint64_t last) {
    if (last < first) return;
    n += last - first + 1;
    if (!range) range = std::pair{first, last};
    range->second = last;
  };
  for (const auto& e : ev) {
    if (e.name == "DayClosed") add(Num(e.args, "day"), Num(e.args, "day"));
    if (e.name == "IdleDaysClosed") add(Num(e.args, "firstDay"), Num(e.args, "lastDay"));
  }
  return {n, range};
}

}  // namespace lt::ledger::evm_events

#endif  // LT_LEDGER_EVM_EVENTS_H_
