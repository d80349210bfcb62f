// The ledger's read views, typed (doc/ledger.md "HTTP API"): what GET /models, /models/{name},
// /providers, /day and /stats serve. Every backend returns these; each has one JSON form, the
// one the HTTP server writes and RemoteLedger reads, so no caller outside the ledger library
// reads ledger JSON by key.
// Thread-safety: plain values.
#ifndef LT_LEDGER_VIEWS_H_
#define LT_LEDGER_VIEWS_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::ledger {

// A registered model: {"name","owner","kind","builder_fee_bps","tags":{tag:"0x<manifest>"}}.
struct ModelInfo {
  std::string name;  // "namespace/name"
  crypto::Address owner;
  std::string kind = "model";  // "model" or "agent"
  uint32_t builder_fee_bps = 0;
  std::map<std::string, Hash32> tags;

  // The manifest `tag` names, if any.
  std::optional<Hash32> Tag(const std::string& tag) const;
  nlohmann::json ToJson() const;
  static Result<ModelInfo> FromJson(const nlohmann::json& j);
};

// One offer of a provider: {"manifest","model"?,"price_per_second","min_seconds","tps","slots","nonce"}.
struct OfferInfo {
  Hash32 manifest{};
  std::string model;  // "namespace/name" of the model that tags the manifest ("" if none)
  U256 price_per_second;
  uint32_t min_seconds = 0;
  uint32_t tps = 0;
  uint32_t slots = 0;
  uint64_t nonce = 0;
  nlohmann::json ToJson() const;
  static Result<OfferInfo> FromJson(const nlohmann::json& j);
};

// A registered provider: {"address","endpoint","stake","offers":[...]}.
struct ProviderInfo {
  crypto::Address address;
  std::string endpoint;
  U256 stake;
  std::vector<OfferInfo> offers;
  nlohmann::json ToJson() const;
  static Result<ProviderInfo> FromJson(const nlohmann::json& j);
};

// A router that published its endpoint (set_router_endpoint): {"address","endpoint","stake"}.
struct RouterInfo {
  crypto::Address address;
  std::string endpoint;
  U256 stake;  // its router stake now (may have fallen below the minimum since)
  nlohmann::json ToJson() const;
  static Result<RouterInfo> FromJson(const nlohmann::json& j);
};

// The figures of one closed day.
struct DayFigures {
  U256 budget;            // B(d)
  U256 circulating;       // circulating(d)
  U256 allowance_spent;   // drawn from the compute pool by users' allowances
  U256 builders_paid;     // beta share paid at close
  U256 agents_paid;       // agent share paid at close
  U256 emission_compute;  // E_compute(d), minted at close
  U256 emission_community;
  uint64_t session_seconds = 0;
  uint64_t sessions = 0;
  bool operator==(const DayFigures&) const = default;
  nlohmann::json ToJson() const;
  static Result<DayFigures> FromJson(const nlohmann::json& j);
};

// The open day and the last closed ones (GET /day).
struct DayInfo {
  uint64_t day = 0;        // the open day
  uint64_t clock_day = 0;  // the day the ledger clock is in (ahead of `day` until it closes)
  uint64_t day_seconds = 0, day_start = 0, day_end = 0;
  U256 budget, builders_share, users_share, allowance_spent, circulating;
  uint64_t session_seconds = 0, sessions = 0;
  U256 compute_pool, community_pool, total_minted, emission_compute, emission_community;
  std::vector<std::pair<uint64_t, DayFigures>> closed;  // most recent first, at most 7
  nlohmann::json ToJson() const;
  static Result<DayInfo> FromJson(const nlohmann::json& j);
};

// Counters (GET /stats).
struct StatsInfo {
  uint64_t transactions = 0, tx_log_entries = 0, sessions_settled = 0, receipts_refused = 0, settle_batches = 0;
  std::optional<double> transactions_per_settled_session, settle_transactions_per_session;
  uint64_t accounts = 0, models = 0, providers = 0;
  // Sets the two ratios from the counts (unset while no session has settled).
  void DeriveRatios();
  nlohmann::json ToJson() const;
  static Result<StatsInfo> FromJson(const nlohmann::json& j);
};

}  // namespace lt::ledger

#endif  // LT_LEDGER_VIEWS_H_
