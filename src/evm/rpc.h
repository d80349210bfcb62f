// EthRpc: an Ethereum JSON-RPC client over net::HttpClient (one endpoint, one keep-alive
// connection), with typed methods for what Lake Travis needs: chain id, blocks, nonces, fees,
// eth_call, eth_estimateGas, eth_sendRawTransaction, receipts and eth_getLogs.
//
// Errors: a transport failure is kUnavailable/kTimeout; an answer that is not a well-formed
// JSON-RPC answer is kInvalidArgument (rpc_types.h parses strictly); an error object from the
// node is kFailedPrecondition with the node's message. A call that reverts is not an Error:
// Call/EstimateGas return a CallOutcome with `reverted` and the revert data, for the caller to
// decode (contract_abi.h). Answers are bounded by RpcOptions::max_answer_bytes.
// Thread-safety: all methods may be called from any thread; calls are serialized (one
// connection).
#ifndef LT_EVM_RPC_H_
#define LT_EVM_RPC_H_

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "evm/rpc_types.h"
#include "net/http.h"

namespace lt::evm {

struct RpcOptions {
  int connect_timeout_ms = 3000;
  int timeout_ms = 60000;
  size_t max_answer_bytes = 64 << 20;
};

struct CallOutcome {
  bool reverted = false;
  Bytes data;           // return data, or the revert data when reverted
  std::string message;  // the node's message when reverted
  uint64_t gas = 0;     // EstimateGas only
};

class EthRpc {
 public:
  static Result<std::unique_ptr<EthRpc>> Connect(const std::string& url, RpcOptions options = {});
  const std::string& url() const { return url_; }

  // One JSON-RPC request; the answer's `result`. An error object is kFailedPrecondition;
  // `error_out`, when given, receives it.
  Result<nlohmann::json> Request(std::string_view method, nlohmann::json params,
                                 std::optional<RpcErrorObject>* error_out = nullptr);

  Result<uint64_t> ChainId();
  Result<uint64_t> BlockNumber();
  Result<BlockHeader> Block(const std::string& tag = "latest");
  Result<uint64_t> TransactionCount(const crypto::Address& a, const std::string& tag = "pending");
  Result<U256> Balance(const crypto::Address& a);
  Result<Bytes> Code(const crypto::Address& a);
  Result<U256> MaxPriorityFeePerGas();
  Result<CallOutcome> Call(const CallRequest& c, const std::string& block = "latest");
  Result<CallOutcome> EstimateGas(const CallRequest& c);
  Result<Hash32> SendRawTransaction(ByteSpan raw);
  // nullopt while the transaction is not mined.
  Result<std::optional<TxReceipt>> Receipt(const Hash32& tx_hash);
  Result<std::vector<Log>> Logs(const LogFilter& filter);

 private:
  EthRpc(std::string url, net::HttpClient http) : url_(std::move(url)), http_(std::move(http)) {}
  std::string url_;
  std::string path_ = "/";
  std::mutex mu_;
  net::HttpClient http_;
  uint64_t next_id_ = 1;
};

}  // namespace lt::evm

#endif  // LT_EVM_RPC_H_
