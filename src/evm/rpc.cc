#include "evm/rpc.h"

namespace lt::evm {

using nlohmann::json;

Result<std::unique_ptr<EthRpc>> EthRpc::Connect(const std::string& url, RpcOptions options) {
  if (!url.starts_with("http://")) return InvalidArgument("RPC URL must start with http:// (got '" + url + "')");
  // Split base URL and path ("http://host:port/path").
  size_t slash = url.find('/', 7);
  std::string base = slash == std::string::npos ? url : url.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  net::HttpClientOptions ho;
  ho.connect_timeout_ms = options.connect_timeout_ms;
  ho.read_timeout_ms = options.timeout_ms;
  ho.write_timeout_ms = options.timeout_ms;
  ho.max_body_bytes = options.max_answer_bytes;
  auto http = net::HttpClient::Create(base, ho);
  if (!http.ok()) return http.error().Wrap("RPC " + url);
  std::unique_ptr<EthRpc> rpc(new EthRpc(url, std::move(*http)));
  rpc->path_ = path;
  return rpc;
}

Result<json> EthRpc::Request(std::string_view method, json params, std::optional<RpcErrorObject>* error_out) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = next_id_++;
  json req = {{"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)}, {"params", std::move(params)}};
  auto resp = http_.Post(path_, req.dump());
  if (!resp.ok()) return resp.error().Wrap("RPC " + std::string(method) + " at " + url_);
  if (resp->status != 200) {
    return MakeError(ErrorCode::kUnavailable, "RPC " + std::string(method) + " at " + url_ + ": HTTP " +
                                                   std::to_string(resp->status) + " " + resp->body.substr(0, 200));
  }
  auto ans = ParseRpcAnswer(resp->body, id);
  if (!ans.ok()) return ans.error().Wrap("RPC " + std::string(method));
  if (ans->error) {
    if (error_out != nullptr) *error_out = *ans->error;
    return MakeError(ErrorCode::kFailedPrecondition, "RPC " + std::string(method) + ": " + ans->error->message +
                                                         " (code " + std::to_string(ans->error->code) + ")");
  }
  return std::move(ans->result);
}

Result<uint64_t> EthRpc::ChainId() {
  LT_TRY(json r, Request("eth_chainId", json::array()));
  return ParseQuantityU64(r, "eth_chainId");
}

Result<uint64_t> EthRpc::BlockNumber() {
  LT_TRY(json r, Request("eth_blockNumber", json::array()));
  return ParseQuantityU64(r, "eth_blockNumber");
}

Result<BlockHeader> EthRpc::Block(const std::string& tag) {
  LT_TRY(json r, Request("eth_getBlockByNumber", json::array({tag, false})));
  if (r.is_null()) return NotFound("block " + tag + " does not exist");
  return ParseBlockHeader(r);
}

Result<uint64_t> EthRpc::TransactionCount(const crypto::Address& a, const std::string& tag) {
  LT_TRY(json r, Request("eth_getTransactionCount", json::array({a.ToLowerHex(), tag})));
  return ParseQuantityU64(r, "eth_getTransactionCount");
}

Result<U256> EthRpc::Balance(const crypto::Address& a) {
  LT_TRY(json r, Request("eth_getBalance", json::array({a.ToLowerHex(), "latest"})));
  return ParseQuantity(r, "eth_getBalance");
}

Result<Bytes> EthRpc::Code(const crypto::Address& a) {
  LT_TRY(json r, Request("eth_getCode", json::array({a.ToLowerHex(), "latest"})));
  return ParseData(r, "eth_getCode");
}

Result<U256> EthRpc::MaxPriorityFeePerGas() {
  LT_TRY(json r, Request("eth_maxPriorityFeePerGas", json::array()));
  return ParseQuantity(r, "eth_maxPriorityFeePerGas");
}

Result<CallOutcome> EthRpc::Call(const CallRequest& c, const std::string& block) {
  std::optional<RpcErrorObject> err;
  auto r = Request("eth_call", json::array({CallRequestToJson(c), block}), &err);
  CallOutcome out;
  if (!r.ok()) {
    if (!err || !err->IsRevert()) return r.error();
    out.reverted = true;
    out.data = err->data;
    out.message = err->message;
    return out;
  }
  LT_TRY(out.data, ParseData(*r, "eth_call"));
  return out;
}

Result<CallOutcome> EthRpc::EstimateGas(const CallRequest& c) {
  std::optional<RpcErrorObject> err;
  auto r = Request("eth_estimateGas", json::array({CallRequestToJson(c)}), &err);
  CallOutcome out;
  if (!r.ok()) {
    if (!err || !err->IsRevert()) return r.error();
    out.reverted = true;
    out.data = err->data;
    out.message = err->message;
    return out;
  }
  LT_TRY(out.gas, ParseQuantityU64(*r, "eth_estimateGas"));
  return out;
}

Result<Hash32> EthRpc::SendRawTransaction(ByteSpan raw) {
  LT_TRY(json r, Request("eth_sendRawTransaction", json::array({HexEncode0x(raw)})));
  return ParseHashField(r, "eth_sendRawTransaction");
}

Result<std::optional<TxReceipt>> EthRpc::Receipt(const Hash32& tx_hash) {
  LT_TRY(json r, Request("eth_getTransactionReceipt", json::array({HexEncode0x(tx_hash)})));
  if (r.is_null()) return std::optional<TxReceipt>();
  LT_TRY(TxReceipt rec, ParseReceipt(r));
  if (rec.tx_hash != tx_hash) return InvalidArgument("eth_getTransactionReceipt answered for another transaction");
  return std::optional<TxReceipt>(std::move(rec));
}

Result<std::vector<Log>> EthRpc::Logs(const LogFilter& filter) {
  LT_TRY(json r, Request("eth_getLogs", json::array({LogFilterToJson(filter)})));
  return ParseLogs(r);
}

}  // namespace lt::evm
