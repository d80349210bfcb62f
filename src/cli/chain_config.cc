#include "cli/chain_config.h"

namespace lt::cli {

evm::DeployConfig DeployConfigFromGenesis(const ledger::Genesis& g) {
  evm::DeployConfig c;
  evm::ChainParams& p = c.params;
  p.minter = g.minter;
  p.day_seconds = g.day_seconds;
  p.start_time = g.start_time;
  p.compute_initial = g.compute_emission.initial;
  p.compute_decrease = g.compute_emission.decrease;
  p.community_initial = g.community_emission.initial;
  p.community_decrease = g.community_emission.decrease;
  p.beta_bps = static_cast<uint16_t>(g.params.beta_bps);
  p.budget_bps = static_cast<uint16_t>(g.params.budget_bps);
  p.max_builder_fee_bps = static_cast<uint16_t>(g.params.max_builder_fee_bps);
  p.agent_share_bps = static_cast<uint16_t>(g.params.agent_share_bps);
  p.min_provider_stake = g.params.min_provider_stake;
  p.min_router_stake = g.params.min_router_stake;
  c.compute_pool = g.compute_pool;
  c.community_pool = g.community_pool;
  for (const auto& a : g.allocations) c.allocations.push_back({a.address, a.wallet, a.vault});
  return c;
}

}  // namespace lt::cli
