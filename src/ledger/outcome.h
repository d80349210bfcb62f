// What one applied transaction did (doc/ledger.md "Transactions"), typed: the ledger returns it,
// the tx log stores its JSON form, and callers read its fields, never JSON keys. Each field is
// set by the transaction types its comment names and absent otherwise; the JSON keys are the
// field names. A settle_batch reports every receipt with a stable code (wire/settle.h).
// Thread-safety: plain values.
#ifndef LT_LEDGER_OUTCOME_H_
#define LT_LEDGER_OUTCOME_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "util/bytes.h"
#include "util/result.h"
#include "util/uint256.h"
#include "wire/settle.h"

namespace lt::ledger {

struct TxOutcome {
  std::optional<U256> amount;              // transfer, mint: the amount moved
  std::optional<U256> vault;               // deposit, withdraw: the vault after it
  std::optional<U256> pending_withdrawal;  // withdraw, unstake: waiting for the next day
  std::optional<uint64_t> available_day;   // withdraw, unstake: when it reaches the wallet
  std::optional<std::string> name;         // register_model ("ns/name"), set_tag ("ns/name:tag")
  std::optional<bool> created;             // register_model: a new model (not an update)
  std::optional<Hash32> manifest;          // set_tag: the manifest the tag now names
  std::optional<U256> stake;               // register_provider: the provider's stake after it
  std::optional<bool> withdrawn;           // set_offer: slots 0 removed the offer
  std::optional<U256> router_stake;        // stake_router: the router's stake after it
  std::optional<U256> claimed;             // claim: moved from claimable to the wallet
  std::optional<uint64_t> closed_from;     // a clock tick: the first day it closed
  std::optional<uint64_t> closed_through;  // close_day, tick: the last closed day
  std::optional<uint64_t> open_day;        // close_day: the day now open
  std::optional<uint64_t> settled;         // settle_batch: receipts settled now
  std::optional<uint64_t> refused;         // settle_batch: receipts refused
  std::vector<wire::SettleOutcome> receipts;  // settle_batch: one per receipt, in order

  nlohmann::json ToJson() const;
  static Result<TxOutcome> FromJson(const nlohmann::json& j);
  bool operator==(const TxOutcome& o) const { return ToJson() == o.ToJson(); }
};

}  // namespace lt::ledger

#endif  // LT_LEDGER_OUTCOME_H_
