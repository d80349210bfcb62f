// ContractAbi: a contract's functions, events and custom errors read from its solc ABI JSON, to
// encode calls and decode what comes back: return data, revert data and event logs.
//
// Revert data decodes as Error(string) (a require message), Panic(uint256) (with the meaning of
// the code), one of the contract's custom errors, or "unknown" with the raw bytes; Describe()
// gives one line a person can read ("StaleNonce(nonce=3, next=4)"). Logs decode by their first
// topic; indexed dynamic values come back as their bytes32 hash, as the chain stores them.
// Overloaded names are refused at parse time (our contracts have none; a call by name must be
// unambiguous). Everything decoded comes from the network and goes through abi.h's strict decoder.
// Thread-safety: immutable after Parse; all methods are const.
#ifndef LT_EVM_CONTRACT_ABI_H_
#define LT_EVM_CONTRACT_ABI_H_

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evm/abi.h"

namespace lt::evm {

struct AbiParam {
  std::string name;
  AbiType type = AbiType::Uint();
  bool indexed = false;
};

struct AbiFunction {
  std::string name;
  std::vector<AbiParam> inputs;
  std::vector<AbiParam> outputs;
  std::string signature;  // "name(type,...)"
  FixedBytes<4> selector{};
  bool view = false;
  std::vector<AbiType> InputTypes() const;
  std::vector<AbiType> OutputTypes() const;
};

struct AbiEvent {
  std::string name;
  std::vector<AbiParam> inputs;
  std::string signature;
  Hash32 topic{};
  bool anonymous = false;
};

struct AbiError {
  std::string name;
  std::vector<AbiParam> inputs;
  std::string signature;
  FixedBytes<4> selector{};
};

struct DecodedRevert {
  std::string name;  // "Error", "Panic", a custom error's name, or "" (unknown or empty)
  std::vector<AbiValue> args;
  const AbiError* error = nullptr;  // the custom error, if any
  Bytes raw;
  std::string Describe() const;
  // The value of the argument called `param` of a custom error (nullptr when absent).
  const AbiValue* Arg(std::string_view param) const;
};

struct DecodedLog {
  const AbiEvent* event = nullptr;
  std::vector<AbiValue> args;  // in the event's declaration order, indexed ones included
  const AbiValue* Arg(std::string_view param) const;
};

class ContractAbi {
 public:
  static Result<ContractAbi> Parse(const nlohmann::json& abi);

  const AbiFunction* FindFunction(std::string_view name) const;
  const AbiEvent* FindEvent(std::string_view name) const;
  const AbiEvent* FindEventByTopic(const Hash32& topic) const;
  const AbiError* FindError(const FixedBytes<4>& selector) const;
  const std::vector<AbiFunction>& functions() const { return functions_; }
  const std::vector<AbiError>& errors() const { return errors_; }
  const std::vector<AbiEvent>& events() const { return events_; }

  // selector || abi.encode(args); the arguments are checked against the function's inputs.
  Result<Bytes> EncodeCall(std::string_view function, const std::vector<AbiValue>& args) const;
  Result<std::vector<AbiValue>> DecodeResult(std::string_view function, ByteSpan data) const;
  DecodedRevert DecodeRevert(ByteSpan data) const;
  // Decodes a log of one of this contract's events; NotFound for another event.
  Result<DecodedLog> DecodeLog(const std::vector<Hash32>& topics, ByteSpan data) const;

 private:
  std::vector<AbiFunction> functions_;
  std::vector<AbiEvent> events_;
  std::vector<AbiError> errors_;
};

// Meaning of a Solidity Panic(uint256) code ("arithmetic overflow or underflow", ...).
std::string PanicMeaning(uint64_t code);

}  // namespace lt::evm

#endif  // LT_EVM_CONTRACT_ABI_H_
