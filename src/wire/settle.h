// How the settlement of one receipt went (doc/wire.md "Settle outcomes"): a stable code, on the
// wire and in storage, so that a router or a provider decides by code, never by reading English.
// The codes are written in doc/wire.md; never renumber or rename one, only add.
// Thread-safety: plain values.
#ifndef LT_WIRE_SETTLE_H_
#define LT_WIRE_SETTLE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "util/bytes.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::wire {

// The checks run in this order (the first that fails names the code); the numbers are the
// Compute Contract's refusal reasons too (doc/contracts.md), one table for both backends.
enum class SettleCode : uint8_t {
  kSettled = 0,                   // paid now
  kVoucherForAnotherSession = 1,
  kBadTicketSignature = 2,        // the ticket is not signed by its router
  kBadVoucherSignature = 3,       // the voucher is not signed by the ticket's user
  kSenderNotParty = 4,            // the batch sender is neither the ticket's router nor its provider
  kAlreadySettled = 5,            // the session was settled before (by anyone): never paid twice
  kRouterNotStaked = 6,           // the ticket's router has less than the minimum stake
  kUnknownManifest = 7,           // no registered model tags the ticket's manifest
  kCostOverflow = 8,              // pricePerSecond × seconds does not fit
  kUnknownModel = 9,              // the manifest's model is gone (embedded ledger only)
  kMinAboveMax = 10,              // the ticket's minSeconds exceeds its maxSeconds
  kMinAboveCap = 11,              // the ticket's minSeconds exceeds the ledger's max_min_seconds
  kSessionIdNotRouters = 12,      // the session id does not start with its ticket's router (session_id.h)
};

std::string_view SettleCodeName(SettleCode c);
std::optional<SettleCode> SettleCodeFromName(std::string_view name);
// Settled now or before: the receipt needs no more attempts (the provider was paid once).
inline bool SettleDone(SettleCode c) { return c == SettleCode::kSettled || c == SettleCode::kAlreadySettled; }

struct SettleOutcome {
  Hash32 session_id{};
  SettleCode code = SettleCode::kSettled;
  std::string message;     // the reason, in words, when refused
  // What a settled receipt paid (all zero otherwise):
  uint32_t seconds = 0;    // billed seconds (wire/billing.h)
  U256 cost;               // pricePerSecond × seconds
  U256 from_allowance, from_vault, from_router_stake, shortfall, builder_fee;

  bool ok() const { return code == SettleCode::kSettled; }
  // {"session_id","ok","code"} plus {"seconds","cost","from_allowance","from_vault",
  // "from_router_stake","shortfall","builder_fee"} when settled, or {"error"} when not.
  nlohmann::json ToJson() const;
  static Result<SettleOutcome> FromJson(const nlohmann::json& j);
};

}  // namespace lt::wire

#endif  // LT_WIRE_SETTLE_H_
