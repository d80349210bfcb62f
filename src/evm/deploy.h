// Deploying the Compute Contract: its token (a fresh MorToken, or an existing ERC-20), the
// contract with its parameters, the token's operator, and the genesis (allocations in chunks,
// then the pools, which makes the contract live). The result is the deployment record that
// `lt chain deploy` writes (doc/contracts.md "Deployment file"):
//   {"rpc": URL, "chain_id": N, "contract": 0x.., "token": 0x.., "block": N}
// Every transaction is signed by the deployer's key through TxSender; the gas of each is reported
// (lt bench chain prints them as the one-time costs).
// Thread-safety: none needed (one deployment at a time).
#ifndef LT_EVM_DEPLOY_H_
#define LT_EVM_DEPLOY_H_

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evm/compute_client.h"

namespace lt::evm {

struct DeployConfig {
  ChainParams params;  // token is ignored (see `token`); minter, mintable and start_time are used
  U256 compute_pool;
  U256 community_pool;
  std::vector<ComputeContractClient::Allocation> allocations;
  // An existing ERC-20 instead of a fresh MorToken. The contract may not mint it, so emissions
  // must be zero and the genesis amounts come from the deployer's balance (approved here).
  std::optional<crypto::Address> token;
  std::string token_contract = "MorToken";  // which artifact to deploy as the token (tests: EvilToken)
  size_t allocation_chunk = 100;
};

struct Deployment {
  std::string rpc;
  uint64_t chain_id = 0;
  crypto::Address contract;
  crypto::Address token;
  uint64_t block = 0;
  nlohmann::json ToJson() const;
  static Result<Deployment> FromJson(const nlohmann::json& j);
};

// Gas of each deployment transaction by name ("deploy MorToken", "deploy ComputeContract", ...).
using GasReport = std::vector<std::pair<std::string, uint64_t>>;

Result<Deployment> DeployComputeContract(TxSender& sender, const DeployConfig& config, GasReport* gas = nullptr);
// Deploys one of the artifacts without constructor arguments; returns its address.
Result<crypto::Address> DeployArtifact(TxSender& sender, std::string_view name, uint64_t* gas_used = nullptr);
// Calls `function` of contract `to` (ABI of artifact `abi_of`) from the sender; refuses a revert.
Result<TxReceipt> CallContract(TxSender& sender, const crypto::Address& to, std::string_view abi_of,
                               std::string_view function, const std::vector<AbiValue>& args);

}  // namespace lt::evm

#endif  // LT_EVM_DEPLOY_H_
