// Proposals (doc/agents.md "propose_transaction"): the arguments of an agent's
// propose_transaction tool call, checked against the trusted set and ABI-encoded before anything
// else happens. The agent writes
//   {"contract": "ComputeContract", "function": "deposit", "args": {"amount": "5"}, "value": "0"}
// `args` holds the function's agent inputs by name (or as an array in order); the inputs the
// wallet fills (owner, nonce, signature) may not be given. Values: uint/int as decimal strings or
// integers (MOR arguments as decimal MOR, at most 18 decimals: "5", "0.25"), addresses as 0x-hex
// (mixed case must be EIP-55), bool, bytes as 0x-hex, strings, arrays and tuples as arrays.
// `value` (wei of the chain's coin, decimal) may be omitted; it must be 0 for a non-payable
// function. Every refusal is a sentence for the agent that says what to change.
// Thread-safety: pure functions.
#ifndef LT_AGENT_PROPOSAL_H_
#define LT_AGENT_PROPOSAL_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/trusted.h"

namespace lt::agent {

inline constexpr size_t kMaxProposalArgsBytes = 64 << 10;

// One JSON value as a value of `type` (MOR units when `mor`); errors name `path`.
Result<evm::AbiValue> JsonToAbiValue(const evm::AbiType& type, const nlohmann::json& v, const std::string& path,
                                     bool mor = false);

struct Proposal {
  const TrustedContract* contract = nullptr;
  const TrustedFunction* function = nullptr;
  uint64_t chain_id = 0;
  crypto::Address to;
  // The agent's inputs, in the function's order, by name.
  std::vector<std::pair<std::string, evm::AbiValue>> args;
  U256 value;
  // The arguments for people: {"amount": "5 MOR", "to": "0x..."}.
  nlohmann::json DecodedArgs() const;
  const evm::AbiValue* Arg(std::string_view name) const;
};

// Refused (kInvalidArgument, or kNotFound for a contract/function outside the set) with a
// message for the agent. A read-only function is refused too: it is not a transaction.
Result<Proposal> ParseProposal(const nlohmann::json& tool_args, const TrustedSet& set, const ChainBinding& chain);

}  // namespace lt::agent

#endif  // LT_AGENT_PROPOSAL_H_
