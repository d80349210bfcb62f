// The trusted contracts (doc/agents.md "Trusted contracts"): the only contracts and functions an
// agent may propose calls to, read from contracts/trusted/*.json. Each file holds one contract:
// its name, the chains it lives on (a fixed address, or the field of the deployment file that
// `lt chain deploy` / `lt devnet --chain anvil` writes), its ABI (solc JSON, the functions the
// node exposes), and a plain-language doc per function, plus how the wallet completes a call:
//   fills   arguments the agent never gives: "user" (the user's address), "ledger_nonce" (the
//           user's ledger nonce, read from the Compute Contract's account view), "eip712:T(...)"
//           (the user's EIP-712 signature of the ledger message T over the other arguments)
//   units   "MOR": the agent writes a decimal MOR amount ("5", "0.25"), the call carries wei
//   effects what a call does to the user's balances (wallet, vault), for the confirmation
// Loading validates everything and names the file and field of the first problem
// ("compute_contract.json: functions.deposit.fills.sig: ..."): an unknown function, an
// undocumented ABI function, a fill of a missing argument, an EIP-712 field that is not an
// argument of the same type, units on a non-uint256 argument. Files are at most 1 MiB.
// Thread-safety: immutable after loading.
#ifndef LT_AGENT_TRUSTED_H_
#define LT_AGENT_TRUSTED_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "evm/contract_abi.h"
#include "evm/deploy.h"

namespace lt::agent {

inline constexpr size_t kMaxTrustedFileBytes = 1 << 20;
inline constexpr size_t kMaxTrustedContracts = 64;

struct ArgFill {
  enum class Kind { kUser, kLedgerNonce, kEip712 };
  Kind kind = Kind::kUser;
  std::string eip712_name;                            // "Deposit"
  std::vector<std::pair<std::string, std::string>> eip712_fields;  // (type, name) in order
};

struct BalanceEffect {
  std::string balance;  // "wallet" | "vault"
  bool increase = false;
  std::string arg;      // the MOR argument that gives the amount
};

struct TrustedFunction {
  std::string name;
  std::string doc;
  const evm::AbiFunction* abi = nullptr;  // into the contract's ContractAbi
  std::map<std::string, ArgFill> fills;
  std::map<std::string, std::string> units;  // argument -> "MOR"
  std::vector<BalanceEffect> effects;
  bool read_only() const { return abi->view; }
  // True when a fill is the user's EIP-712 signature: such a call is never simulated before the
  // user confirms (only a confirmation signs).
  bool needs_signature() const {
    for (const auto& [arg, fill] : fills) {
      if (fill.kind == ArgFill::Kind::kEip712) return true;
    }
    return false;
  }
  // The inputs the agent gives (the ABI's inputs without the filled ones), in order.
  std::vector<const evm::AbiParam*> AgentInputs() const;
};

struct TrustedAddress {
  uint64_t chain_id = 0;
  std::optional<crypto::Address> address;
  std::string from_deployment;  // "contract" | "token" when the address comes from the deployment file
};

struct TrustedContract {
  std::string file;  // the file name it was loaded from
  std::string name;
  std::string title;
  std::string about;
  std::vector<TrustedAddress> addresses;
  std::optional<std::pair<std::string, std::string>> eip712_domain;  // (name, version)
  evm::ContractAbi abi;
  std::vector<TrustedFunction> functions;
  const TrustedFunction* Find(std::string_view function) const;
};

class TrustedSet {
 public:
  // Every *.json of `dir`, in name order.
  static Result<TrustedSet> LoadDir(const std::string& dir);
  // The set compiled into the binary from contracts/trusted/*.json.
  static Result<TrustedSet> LoadEmbedded();
  // $LT_TRUSTED_DIR when set, else the embedded set.
  static Result<TrustedSet> LoadDefault();
  // (file name, parsed JSON) pairs; the name prefixes errors.
  static Result<TrustedSet> FromJson(const std::vector<std::pair<std::string, nlohmann::json>>& files);

  const std::vector<TrustedContract>& contracts() const { return *contracts_; }
  const TrustedContract* Find(std::string_view name) const;

 private:
  // Shared so TrustedFunction::abi pointers stay valid when the set is copied.
  std::shared_ptr<std::vector<TrustedContract>> contracts_ = std::make_shared<std::vector<TrustedContract>>();
};

// The trusted set on one chain: the address of every contract that lives there.
struct ChainBinding {
  uint64_t chain_id = 0;
  std::map<std::string, crypto::Address> addresses;  // contract name -> address
  std::optional<crypto::Address> AddressOf(const std::string& contract) const;
};

// Resolves the addresses for `chain_id`; `deployment` (the deployment file) gives those written
// as from_deployment, and must be of the same chain. Contracts without an address there are left
// out (an agent cannot propose calls to them).
Result<ChainBinding> Bind(const TrustedSet& set, uint64_t chain_id, const evm::Deployment* deployment);

}  // namespace lt::agent

#endif  // LT_AGENT_TRUSTED_H_
