#include "ledger/genesis.h"
#include "util/json.h"

namespace lt::ledger {

namespace {

using nlohmann::json;

Result<U256> MorField(const json& obj, const std::string& key, const std::string& where, bool required,
                      U256 fallback = U256()) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return InvalidArgument("genesis: missing " + where + key);
    return fallback;
  }
  if (!it->is_string()) {
    return InvalidArgument("genesis: " + where + key + " must be a MOR decimal string like \"3456.5\"");
  }
  auto v = U256::FromMor(it->get<std::string>());
  if (!v.ok()) return InvalidArgument("genesis: " + where + key + ": " + v.error().message);
  return *v;
}

Result<uint64_t> UintField(const json& obj, const std::string& key, const std::string& where, bool required,
                           uint64_t fallback, uint64_t max = UINT64_MAX) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return InvalidArgument("genesis: missing " + where + key);
    return fallback;
  }
  if (!it->is_number_unsigned()) {
    return InvalidArgument("genesis: " + where + key + " must be a non-negative integer");
  }
  uint64_t v = it->get<uint64_t>();
  if (v > max) {
    return InvalidArgument("genesis: " + where + key + " must be at most " + std::to_string(max));
  }
  return v;
}

Result<crypto::Address> AddressField(const json& obj, const std::string& key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return InvalidArgument("genesis: missing " + where + key);
  if (!it->is_string()) return InvalidArgument("genesis: " + where + key + " must be a 0x address");
  auto a = crypto::ParseAddress(it->get<std::string>());
  if (!a.ok()) return InvalidArgument("genesis: " + where + key + ": " + a.error().message);
  return *a;
}

Result<EmissionSchedule> ParseSchedule(const json& obj, const std::string& key,
                                       const EmissionSchedule& dflt) {
  auto it = obj.find(key);
  if (it == obj.end()) return dflt;
  if (!it->is_object()) return InvalidArgument("genesis: emission." + key + " must be an object");
  EmissionSchedule s;
  LT_TRY(s.initial, MorField(*it, "initial", "emission." + key + ".", false, dflt.initial));
  LT_TRY(s.decrease, MorField(*it, "decrease", "emission." + key + ".", false, dflt.decrease));
  return s;
}

EmissionSchedule DefaultSchedule() { return {*U256::FromMor("3456"), *U256::FromMor("0.59255872824")}; }

}  // namespace

U256 EmissionSchedule::At(uint64_t k) const {
  auto dec = decrease.CheckedMul(U256(k));
  if (!dec) return U256();
  auto v = initial.CheckedSub(*dec);
  return v ? *v : U256();
}

Result<Genesis> ParseGenesis(const json& j, uint64_t default_start_time) {
  if (!j.is_object()) return InvalidArgument("genesis: must be a JSON object");
  Genesis g;
  LT_TRY(g.chain_id, UintField(j, "chain_id", "", true, 0));
  if (g.chain_id == 0) return InvalidArgument("genesis: chain_id must be positive");
  LT_TRY(g.verifying_contract, AddressField(j, "verifying_contract", ""));
  LT_TRY(g.day_seconds, UintField(j, "day_seconds", "", false, 86400, 100ULL * 365 * 86400));
  if (g.day_seconds == 0) return InvalidArgument("genesis: day_seconds must be positive");
  LT_TRY(g.start_time, UintField(j, "start_time", "", false, default_start_time));

  json emission = j.value("emission", json::object());
  if (!emission.is_object()) return InvalidArgument("genesis: emission must be an object");
  LT_TRY(g.compute_emission, ParseSchedule(emission, "compute", DefaultSchedule()));
  LT_TRY(g.community_emission, ParseSchedule(emission, "community", DefaultSchedule()));

  json params = j.value("params", json::object());
  if (!params.is_object()) return InvalidArgument("genesis: params must be an object");
  LT_TRY(uint64_t beta, UintField(params, "beta_bps", "params.", false, 1000, 10000));
  LT_TRY(uint64_t budget, UintField(params, "budget_bps", "params.", false, 100, 10000));
  LT_TRY(uint64_t max_fee, UintField(params, "max_builder_fee_bps", "params.", false, 2000, 10000));
  LT_TRY(uint64_t agent, UintField(params, "agent_share_bps", "params.", false, 1000, 10000));
  LT_TRY(uint64_t max_min, UintField(params, "max_min_seconds", "params.", false, 3600, 86400));
  g.params.beta_bps = static_cast<uint32_t>(beta);
  g.params.budget_bps = static_cast<uint32_t>(budget);
  g.params.max_builder_fee_bps = static_cast<uint32_t>(max_fee);
  g.params.agent_share_bps = static_cast<uint32_t>(agent);
  g.params.max_min_seconds = static_cast<uint32_t>(max_min);
  LT_TRY(g.params.min_provider_stake, MorField(params, "min_provider_stake", "params.", false));
  LT_TRY(g.params.min_router_stake, MorField(params, "min_router_stake", "params.", false));

  json pools = j.value("pools", json::object());
  if (!pools.is_object()) return InvalidArgument("genesis: pools must be an object");
  LT_TRY(g.compute_pool, MorField(pools, "compute", "pools.", false));
  LT_TRY(g.community_pool, MorField(pools, "community", "pools.", false));

  json allocs = j.value("allocations", json::array());
  if (!allocs.is_array()) return InvalidArgument("genesis: allocations must be an array");
  U256 total = g.compute_pool;
  for (size_t i = 0; i < allocs.size(); ++i) {
    const json& a = allocs[i];
    std::string where = "allocations[" + std::to_string(i) + "].";
    if (!a.is_object())
      return InvalidArgument("genesis: " + where.substr(0, where.size() - 1) + " must be an object");
    Allocation al;
    LT_TRY(al.address, AddressField(a, "address", where));
    LT_TRY(al.wallet, MorField(a, "wallet", where, false));
    LT_TRY(al.vault, MorField(a, "vault", where, false));
    for (const auto& prev : g.allocations) {
      if (prev.address == al.address) {
        return InvalidArgument("genesis: " + where + "address " + al.address.ToChecksumHex() +
                               " appears twice");
      }
    }
    g.allocations.push_back(al);
  }
  // Total supply must fit (it grows by emissions, which are bounded by the schedules).
  for (const auto& al : g.allocations) {
    auto t = total.CheckedAdd(al.wallet);
    if (t) t = t->CheckedAdd(al.vault);
    if (!t) return InvalidArgument("genesis: total allocations overflow uint256");
    total = *t;
  }
  if (!total.CheckedAdd(g.community_pool))
    return InvalidArgument("genesis: total allocations overflow uint256");
  if (j.contains("minter") && !j["minter"].is_null()) {
    LT_TRY(crypto::Address m, AddressField(j, "minter", ""));
    g.minter = m;
  }
  return g;
}

Result<Genesis> ParseGenesisText(std::string_view text, uint64_t default_start_time) {
  auto j = ParseJson(text);
  if (j.is_discarded()) return InvalidArgument("genesis: not valid JSON");
  return ParseGenesis(j, default_start_time);
}

json GenesisToJson(const Genesis& g) {
  auto sched = [](const EmissionSchedule& s) {
    return json{{"initial", s.initial.ToMor()}, {"decrease", s.decrease.ToMor()}};
  };
  json allocs = json::array();
  for (const auto& a : g.allocations) {
    allocs.push_back(
        {{"address", a.address.ToChecksumHex()}, {"wallet", a.wallet.ToMor()}, {"vault", a.vault.ToMor()}});
  }
  json j = {
      {"chain_id", g.chain_id},
      {"verifying_contract", g.verifying_contract.ToChecksumHex()},
      {"day_seconds", g.day_seconds},
      {"start_time", g.start_time},
      {"emission", {{"compute", sched(g.compute_emission)}, {"community", sched(g.community_emission)}}},
      {"params",
       {{"beta_bps", g.params.beta_bps},
        {"budget_bps", g.params.budget_bps},
        {"max_builder_fee_bps", g.params.max_builder_fee_bps},
        {"agent_share_bps", g.params.agent_share_bps},
        {"max_min_seconds", g.params.max_min_seconds},
        {"min_provider_stake", g.params.min_provider_stake.ToMor()},
        {"min_router_stake", g.params.min_router_stake.ToMor()}}},
      {"pools", {{"compute", g.compute_pool.ToMor()}, {"community", g.community_pool.ToMor()}}},
      {"allocations", allocs},
  };
  if (g.minter) j["minter"] = g.minter->ToChecksumHex();
  return j;
}

Genesis DevGenesis(uint64_t day_seconds, uint64_t start_time, std::vector<Allocation> allocations) {
  Genesis g;
  g.chain_id = 31337;
  g.verifying_contract = *crypto::ParseAddress("0x000000000000000000000000000000000000a11c");
  g.day_seconds = day_seconds;
  g.start_time = start_time;
  g.compute_emission = DefaultSchedule();
  g.community_emission = DefaultSchedule();
  g.params.min_provider_stake = OneMor();
  g.params.min_router_stake = OneMor();
  g.compute_pool = *U256::FromMor("1000000");
  g.community_pool = *U256::FromMor("100000");
  g.allocations = std::move(allocations);
  return g;
}

}  // namespace lt::ledger
