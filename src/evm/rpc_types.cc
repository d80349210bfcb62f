#include "evm/rpc_types.h"

namespace lt::evm {

using nlohmann::json;

namespace {

Error Field(std::string_view field, const std::string& why) {
  return InvalidArgument("JSON-RPC answer: " + std::string(field) + ": " + why);
}

const json* Member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

// A present, non-null member.
Result<const json*> Need(const json& j, const char* key, std::string_view where) {
  const json* m = Member(j, key);
  if (m == nullptr || m->is_null()) return Field(std::string(where) + "." + key, "missing");
  return m;
}

}  // namespace

std::string Quantity(const U256& v) { return v.ToHex(); }

Result<U256> ParseQuantity(const json& j, std::string_view field) {
  if (!j.is_string()) return Field(field, "expected a 0x quantity");
  const std::string& s = j.get_ref<const std::string&>();
  if (s.size() < 3 || s.size() > 66 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
    return Field(field, "expected 0x + 1 to 64 hex digits");
  }
  auto v = U256::FromHex(s);
  if (!v.ok()) return Field(field, v.error().message);
  return *v;
}

Result<uint64_t> ParseQuantityU64(const json& j, std::string_view field) {
  LT_TRY(U256 v, ParseQuantity(j, field));
  if (!v.FitsU64()) return Field(field, "does not fit in 64 bits");
  return v.Low64();
}

Result<Bytes> ParseData(const json& j, std::string_view field) {
  if (!j.is_string()) return Field(field, "expected 0x data");
  const std::string& s = j.get_ref<const std::string&>();
  if (s.size() < 2 || s[0] != '0' || s[1] != 'x') return Field(field, "expected 0x data");
  if ((s.size() - 2) / 2 > kMaxRpcDataBytes) return Field(field, "data longer than the limit");
  auto b = HexDecode(s);
  if (!b.ok()) return Field(field, b.error().message);
  return std::move(*b);
}

Result<crypto::Address> ParseAddressField(const json& j, std::string_view field) {
  if (!j.is_string()) return Field(field, "expected an address");
  auto b = HexDecodeFixed<20>(j.get_ref<const std::string&>());
  if (!b.ok()) return Field(field, b.error().message);
  crypto::Address a;
  a.bytes = *b;
  return a;
}

Result<Hash32> ParseHashField(const json& j, std::string_view field) {
  if (!j.is_string()) return Field(field, "expected a 32-byte hash");
  auto b = HexDecodeFixed<32>(j.get_ref<const std::string&>());
  if (!b.ok()) return Field(field, b.error().message);
  return *b;
}

json CallRequestToJson(const CallRequest& c) {
  json j = json::object();
  if (c.from) j["from"] = c.from->ToLowerHex();
  if (c.to) j["to"] = c.to->ToLowerHex();
  j["input"] = HexEncode0x(c.data);
  if (!c.value.IsZero()) j["value"] = Quantity(c.value);
  if (c.gas) j["gas"] = Quantity(U256(*c.gas));
  return j;
}

json LogFilterToJson(const LogFilter& f) {
  json j = {{"fromBlock", f.from_block}, {"toBlock", f.to_block}};
  if (f.address) j["address"] = f.address->ToLowerHex();
  if (!f.topics.empty()) {
    json t = json::array();
    for (const auto& topic : f.topics) t.push_back(topic ? json(HexEncode0x(*topic)) : json(nullptr));
    j["topics"] = t;
  }
  return j;
}

Result<Log> ParseLog(const json& j) {
  if (!j.is_object()) return Field("log", "expected an object");
  Log l;
  LT_TRY(const json* addr, Need(j, "address", "log"));
  LT_TRY(l.address, ParseAddressField(*addr, "log.address"));
  LT_TRY(const json* topics, Need(j, "topics", "log"));
  if (!topics->is_array() || topics->size() > kMaxRpcTopics) return Field("log.topics", "expected at most 4 topics");
  for (const auto& t : *topics) {
    LT_TRY(Hash32 h, ParseHashField(t, "log.topics[]"));
    l.topics.push_back(h);
  }
  LT_TRY(const json* data, Need(j, "data", "log"));
  LT_TRY(l.data, ParseData(*data, "log.data"));
  if (const json* b = Member(j, "blockNumber"); b != nullptr && !b->is_null()) {
    LT_TRY(l.block_number, ParseQuantityU64(*b, "log.blockNumber"));
  }
  if (const json* h = Member(j, "transactionHash"); h != nullptr && !h->is_null()) {
    LT_TRY(l.tx_hash, ParseHashField(*h, "log.transactionHash"));
  }
  if (const json* i = Member(j, "logIndex"); i != nullptr && !i->is_null()) {
    LT_TRY(l.log_index, ParseQuantityU64(*i, "log.logIndex"));
  }
  return l;
}

Result<std::vector<Log>> ParseLogs(const json& j) {
  if (!j.is_array()) return Field("logs", "expected an array");
  if (j.size() > kMaxRpcLogs) return Field("logs", "more than " + std::to_string(kMaxRpcLogs) + " logs");
  std::vector<Log> out;
  out.reserve(j.size());
  for (const auto& l : j) {
    LT_TRY(Log log, ParseLog(l));
    out.push_back(std::move(log));
  }
  return out;
}

Result<TxReceipt> ParseReceipt(const json& j) {
  if (!j.is_object()) return Field("receipt", "expected an object");
  TxReceipt r;
  LT_TRY(const json* h, Need(j, "transactionHash", "receipt"));
  LT_TRY(r.tx_hash, ParseHashField(*h, "receipt.transactionHash"));
  LT_TRY(const json* st, Need(j, "status", "receipt"));
  LT_TRY(uint64_t status, ParseQuantityU64(*st, "receipt.status"));
  if (status > 1) return Field("receipt.status", "must be 0x0 or 0x1");
  r.success = status == 1;
  LT_TRY(const json* bn, Need(j, "blockNumber", "receipt"));
  LT_TRY(r.block_number, ParseQuantityU64(*bn, "receipt.blockNumber"));
  LT_TRY(const json* gu, Need(j, "gasUsed", "receipt"));
  LT_TRY(r.gas_used, ParseQuantityU64(*gu, "receipt.gasUsed"));
  if (const json* p = Member(j, "effectiveGasPrice"); p != nullptr && !p->is_null()) {
    LT_TRY(r.effective_gas_price, ParseQuantity(*p, "receipt.effectiveGasPrice"));
  }
  LT_TRY(const json* from, Need(j, "from", "receipt"));
  LT_TRY(r.from, ParseAddressField(*from, "receipt.from"));
  if (const json* to = Member(j, "to"); to != nullptr && !to->is_null()) {
    LT_TRY(crypto::Address a, ParseAddressField(*to, "receipt.to"));
    r.to = a;
  }
  if (const json* ca = Member(j, "contractAddress"); ca != nullptr && !ca->is_null()) {
    LT_TRY(crypto::Address a, ParseAddressField(*ca, "receipt.contractAddress"));
    r.contract_address = a;
  }
  LT_TRY(const json* logs, Need(j, "logs", "receipt"));
  LT_TRY(r.logs, ParseLogs(*logs));
  return r;
}

Result<BlockHeader> ParseBlockHeader(const json& j) {
  if (!j.is_object()) return Field("block", "expected an object");
  BlockHeader b;
  LT_TRY(const json* n, Need(j, "number", "block"));
  LT_TRY(b.number, ParseQuantityU64(*n, "block.number"));
  LT_TRY(const json* t, Need(j, "timestamp", "block"));
  LT_TRY(b.timestamp, ParseQuantityU64(*t, "block.timestamp"));
  if (const json* f = Member(j, "baseFeePerGas"); f != nullptr && !f->is_null()) {
    LT_TRY(b.base_fee, ParseQuantity(*f, "block.baseFeePerGas"));
  }
  LT_TRY(const json* g, Need(j, "gasLimit", "block"));
  LT_TRY(b.gas_limit, ParseQuantityU64(*g, "block.gasLimit"));
  return b;
}

bool RpcErrorObject::IsRevert() const {
  return code == 3 || message.starts_with("execution reverted") || message.starts_with("Execution reverted");
}

Result<RpcAnswer> ParseRpcAnswer(std::string_view body, uint64_t id) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return InvalidArgument("JSON-RPC answer is not JSON");
  if (!j.is_object()) return InvalidArgument("JSON-RPC answer is not an object");
  const json* ver = Member(j, "jsonrpc");
  if (ver == nullptr || *ver != "2.0") return InvalidArgument("JSON-RPC answer lacks \"jsonrpc\": \"2.0\"");
  const json* jid = Member(j, "id");
  if (jid == nullptr || !jid->is_number_unsigned() || jid->get<uint64_t>() != id) {
    return InvalidArgument("JSON-RPC answer is for another request id");
  }
  const json* err = Member(j, "error");
  const json* res = Member(j, "result");
  RpcAnswer a;
  if (err != nullptr && !err->is_null()) {
    if (!err->is_object()) return InvalidArgument("JSON-RPC error must be an object");
    RpcErrorObject e;
    const json* code = Member(*err, "code");
    if (code == nullptr || !code->is_number_integer()) return InvalidArgument("JSON-RPC error lacks an integer code");
    e.code = code->get<int64_t>();
    if (const json* m = Member(*err, "message"); m != nullptr && m->is_string()) {
      e.message = m->get<std::string>().substr(0, 2000);
    }
    if (const json* d = Member(*err, "data"); d != nullptr && d->is_string()) {
      auto data = ParseData(*d, "error.data");
      if (data.ok()) e.data = std::move(*data);  // some nodes put prose here: ignore it
    }
    a.error = std::move(e);
    return a;
  }
  if (res == nullptr) return InvalidArgument("JSON-RPC answer has neither result nor error");
  a.result = *res;
  return a;
}

}  // namespace lt::evm
