// Genesis: the parameters and initial balances of an embedded ledger (DESIGN §3, doc/ledger.md).
//
// A genesis file is JSON (see examples/genesis.json): chain_id and verifying_contract name the
// EIP-712 domain every transaction is signed for; day_seconds and start_time fix the day
// boundaries; the emission schedules, parameters, initial pools and allocations fix the money.
// Amounts are MOR decimal strings ("3456", "0.59255872824"); they become U256 base units.
// ParseGenesis validates every field and names the offending one; GenesisToJson writes the
// canonical form (amounts as MOR strings) that is stored in the database and served at
// GET /genesis, so ParseGenesis(GenesisToJson(g)) == g.
// Thread-safety: plain values.
#ifndef LT_LEDGER_GENESIS_H_
#define LT_LEDGER_GENESIS_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::ledger {

// E(k) = max(0, initial - k * decrease) for the k-th day since genesis (k = 0 on the first day).
struct EmissionSchedule {
  U256 initial;
  U256 decrease;
  U256 At(uint64_t k) const;
};

struct GenesisParams {
  uint32_t beta_bps = 1000;             // builders' share of the daily budget
  uint32_t budget_bps = 100;            // B(d) = budget_bps of the compute pool at the end of d-1
  uint32_t max_builder_fee_bps = 2000;  // upper bound of a model's builder_fee_bps
  uint32_t agent_share_bps = 1000;      // share of E_community(d) paid to agent builders
  uint32_t max_min_seconds = 3600;      // the largest minSeconds an offer or a settled ticket may have
  U256 min_provider_stake;
  U256 min_router_stake;
};

struct Allocation {
  crypto::Address address;
  U256 wallet;
  U256 vault;
};

struct Genesis {
  uint64_t chain_id = 0;
  crypto::Address verifying_contract;
  uint64_t day_seconds = 86400;
  uint64_t start_time = 0;  // unix seconds; its day is the first ledger day
  EmissionSchedule compute_emission;
  EmissionSchedule community_emission;
  GenesisParams params;
  U256 compute_pool;
  U256 community_pool;
  std::vector<Allocation> allocations;
  std::optional<crypto::Address> minter;  // devnet only: may send `mint`

  uint64_t DayOf(uint64_t unix_seconds) const { return unix_seconds / day_seconds; }
  uint64_t FirstDay() const { return DayOf(start_time); }
};

// Parses and validates a genesis document. When start_time is absent, `default_start_time` is
// used (lt ledger init passes the current time, so the stored genesis is always complete).
Result<Genesis> ParseGenesis(const nlohmann::json& j, uint64_t default_start_time = 0);
Result<Genesis> ParseGenesisText(std::string_view text, uint64_t default_start_time = 0);
nlohmann::json GenesisToJson(const Genesis& g);

// A small devnet genesis for tests and `lt devnet`: chain 31337, the given day length and start,
// default parameters and schedules, 1,000,000 MOR in the compute pool, 100,000 in the community
// pool, and each allocation as given.
Genesis DevGenesis(uint64_t day_seconds, uint64_t start_time, std::vector<Allocation> allocations);

}  // namespace lt::ledger

#endif  // LT_LEDGER_GENESIS_H_
