// The compiled contracts (contracts/*.sol, compiled by solc-js in the build: contracts/compile.cjs
// writes build/contracts/<Name>.json and the artifacts.cc that embeds them), so `lt` deploys and
// talks to its own contracts with nothing read or downloaded at run time.
// GetArtifact parses one the first time it is asked for. A build without solc-js (make deps not
// run) embeds empty artifacts: GetArtifact then says so (kNotFound).
// Thread-safety: GetArtifact is thread-safe; artifacts live until the process ends.
#ifndef LT_EVM_ARTIFACTS_H_
#define LT_EVM_ARTIFACTS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "evm/contract_abi.h"

namespace lt::evm {

namespace artifacts {
extern const char kComputeContractJson[];
extern const char kComputeExtensionJson[];
extern const char kMorTokenJson[];
extern const char kEvilTokenJson[];
}  // namespace artifacts

struct Artifact {
  std::string name;
  nlohmann::json abi_json;
  ContractAbi abi;
  Bytes bytecode;  // creation code (append the ABI-encoded constructor arguments)
  size_t deployed_size = 0;
  std::string compiler;
};

// "ComputeContract" (its ABI includes ComputeExtension's functions), "MorToken", "EvilToken".
Result<const Artifact*> GetArtifact(std::string_view name);

}  // namespace lt::evm

#endif  // LT_EVM_ARTIFACTS_H_
