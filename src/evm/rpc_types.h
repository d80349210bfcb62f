// Ethereum JSON-RPC values and the strict parsers of what a node answers (ethereum.org
// "JSON-RPC API"): quantities, data, addresses, hashes, blocks, receipts, logs, and the JSON-RPC
// envelope itself. Everything here reads network input, so every parser bounds what it accepts
// (quantities of at most 256 bits, data of at most kMaxRpcDataBytes, at most kMaxRpcLogs logs and
// kMaxRpcTopics topics per log) and names the field that was wrong. fuzz/rpc_answer_fuzz.cc holds
// them to that. Thread-safety: pure functions and plain values.
#ifndef LT_EVM_RPC_TYPES_H_
#define LT_EVM_RPC_TYPES_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::evm {

inline constexpr size_t kMaxRpcDataBytes = 16 << 20;
inline constexpr size_t kMaxRpcLogs = 100000;
inline constexpr size_t kMaxRpcTopics = 4;

struct Log {
  crypto::Address address;
  std::vector<Hash32> topics;
  Bytes data;
  uint64_t block_number = 0;
  Hash32 tx_hash{};
  uint64_t log_index = 0;
};

struct TxReceipt {
  Hash32 tx_hash{};
  bool success = false;  // status 1
  uint64_t block_number = 0;
  uint64_t gas_used = 0;
  U256 effective_gas_price;
  crypto::Address from;
  std::optional<crypto::Address> to;
  std::optional<crypto::Address> contract_address;
  std::vector<Log> logs;
};

struct BlockHeader {
  uint64_t number = 0;
  uint64_t timestamp = 0;
  U256 base_fee;
  uint64_t gas_limit = 0;
};

// A call for eth_call and eth_estimateGas.
struct CallRequest {
  std::optional<crypto::Address> from;
  std::optional<crypto::Address> to;  // nullopt: contract creation
  Bytes data;
  U256 value;
  std::optional<uint64_t> gas;
};
nlohmann::json CallRequestToJson(const CallRequest& c);

struct LogFilter {
  std::optional<crypto::Address> address;
  std::vector<std::optional<Hash32>> topics;  // position i: nullopt matches anything
  std::string from_block = "earliest";        // a tag or 0x-quantity
  std::string to_block = "latest";
};
nlohmann::json LogFilterToJson(const LogFilter& f);

// "0x" + hex quantity (1 to 64 digits) -> U256; as u64 when it must fit.
Result<U256> ParseQuantity(const nlohmann::json& j, std::string_view field);
Result<uint64_t> ParseQuantityU64(const nlohmann::json& j, std::string_view field);
// "0x" + even number of hex digits (at most kMaxRpcDataBytes bytes).
Result<Bytes> ParseData(const nlohmann::json& j, std::string_view field);
Result<crypto::Address> ParseAddressField(const nlohmann::json& j, std::string_view field);
Result<Hash32> ParseHashField(const nlohmann::json& j, std::string_view field);
std::string Quantity(const U256& v);  // "0x2a", "0x0"

Result<Log> ParseLog(const nlohmann::json& j);
Result<std::vector<Log>> ParseLogs(const nlohmann::json& j);
Result<TxReceipt> ParseReceipt(const nlohmann::json& j);
Result<BlockHeader> ParseBlockHeader(const nlohmann::json& j);

// The error object of a JSON-RPC answer.
struct RpcErrorObject {
  int64_t code = 0;
  std::string message;
  Bytes data;  // revert data when the node gave it ("0x..." in error.data)
  // The node says the call reverted (code 3, or a message starting "execution reverted").
  bool IsRevert() const;
};

// A parsed JSON-RPC 2.0 answer to request `id`: exactly one of result and error.
struct RpcAnswer {
  nlohmann::json result;
  std::optional<RpcErrorObject> error;
};
Result<RpcAnswer> ParseRpcAnswer(std::string_view body, uint64_t id);

}  // namespace lt::evm

#endif  // LT_EVM_RPC_TYPES_H_
