#include "agent/wallet.h"

#include "crypto/eip712.h"
#include "evm/compute_client.h"

namespace lt::agent {

using json = nlohmann::json;
using evm::AbiValue;

json Balances::ToJson() const {
  return {{"coin_wei", coin.ToDecimal()},      {"wallet", wallet.ToMor()},
          {"vault", vault.ToMor()},            {"claimable", claimable.ToMor()},
          {"allowance_left", allowance_left.ToMor()}, {"allowance_total", allowance_total.ToMor()},
          {"ledger_nonce", ledger_nonce}};
}

Wallet::Wallet(evm::EthRpc* rpc, crypto::PrivateKey key, ChainBinding chain)
    : rpc_(rpc), key_(key), chain_(std::move(chain)), sender_(rpc, std::move(key), chain_.chain_id) {}

Result<Bytes> Wallet::Calldata(const Proposal& p) {
  const TrustedFunction& f = *p.function;
  std::optional<uint64_t> nonce;
  std::vector<AbiValue> values;
  for (const auto& in : f.abi->inputs) {
    auto fill = f.fills.find(in.name);
    if (fill == f.fills.end()) {
      const AbiValue* v = p.Arg(in.name);
      if (!v) return InvalidArgument("argument " + in.name + " is missing");
      values.push_back(*v);
      continue;
    }
    switch (fill->second.kind) {
      case ArgFill::Kind::kUser:
        values.push_back(AbiValue::Addr(address()));
        break;
      case ArgFill::Kind::kLedgerNonce: {
        if (!nonce) {
          LT_TRY(auto client, evm::ComputeContractClient::Create(rpc_, p.to, nullptr));
          LT_TRY(auto account, client.Account(address()));
          nonce = account.nonce;
        }
        values.push_back(AbiValue::Uint(U256(*nonce)));
        break;
      }
      case ArgFill::Kind::kEip712:
        values.push_back(AbiValue());  // signed below, once the other values are known
        break;
    }
  }
  // EIP-712 fills: the message's fields are the function's other arguments, by name.
  for (size_t i = 0; i < f.abi->inputs.size(); ++i) {
    auto fill = f.fills.find(f.abi->inputs[i].name);
    if (fill == f.fills.end() || fill->second.kind != ArgFill::Kind::kEip712) continue;
    const ArgFill& af = fill->second;
    json fields = json::array();
    json message = json::object();
    for (const auto& [type, name] : af.eip712_fields) {
      fields.push_back({{"name", name}, {"type", type}});
      for (size_t k = 0; k < f.abi->inputs.size(); ++k) {
        if (f.abi->inputs[k].name == name) message[name] = evm::AbiValueToJson(f.abi->inputs[k].type, values[k]);
      }
    }
    json doc = {
        {"types",
         {{"EIP712Domain",
           json::array({{{"name", "name"}, {"type", "string"}},
                        {{"name", "version"}, {"type", "string"}},
                        {{"name", "chainId"}, {"type", "uint256"}},
                        {{"name", "verifyingContract"}, {"type", "address"}}})},
          {af.eip712_name, fields}}},
        {"primaryType", af.eip712_name},
        {"domain",
         {{"name", p.contract->eip712_domain->first},
          {"version", p.contract->eip712_domain->second},
          {"chainId", p.chain_id},
          {"verifyingContract", p.to.ToChecksumHex()}}},
        {"message", message}};
    auto td = crypto::ParseTypedData(doc);
    if (!td.ok()) return td.error().Wrap("EIP-712 message " + af.eip712_name);
    crypto::Signature sig = crypto::SignTypedData(key_, *td);
    Hash32 r{}, s{};
    std::copy(sig.begin(), sig.begin() + 32, r.begin());
    std::copy(sig.begin() + 32, sig.begin() + 64, s.begin());
    values[i] = AbiValue::List({AbiValue::Bytes32(r), AbiValue::Bytes32(s), AbiValue::Uint(U256(sig[64]))});
  }
  return p.contract->abi.EncodeCall(f.name, values);
}

Result<Balances> Wallet::Read() {
  Balances b;
  LT_TRY(b.coin, rpc_->Balance(address()));
  auto cc = chain_.AddressOf("ComputeContract");
  if (!cc) return b;
  LT_TRY(auto client, evm::ComputeContractClient::Create(rpc_, *cc, nullptr));
  LT_TRY(auto a, client.Account(address()));
  b.wallet = a.wallet;
  b.vault = a.vault;
  b.claimable = a.claimable;
  b.allowance_left = a.allowance_left;
  b.allowance_total = a.allowance_total;
  b.ledger_nonce = a.nonce;
  return b;
}

Result<evm::CallOutcome> Wallet::Estimate(const Proposal& p) {
  if (p.function->needs_signature()) {
    return MakeError(ErrorCode::kFailedPrecondition, "not simulated before you confirm: the call carries your signature, and only your "
                        "confirmation signs");
  }
  LT_TRY(Bytes data, Calldata(p));
  evm::CallRequest c;
  c.from = address();
  c.to = p.to;
  c.data = std::move(data);
  c.value = p.value;
  LT_TRY(evm::CallOutcome out, rpc_->EstimateGas(c));
  if (out.reverted) out.message = p.contract->abi.DecodeRevert(out.data).Describe();
  return out;
}

Result<evm::SendOutcome> Wallet::Send(const Proposal& p) {
  LT_TRY(Bytes data, Calldata(p));
  LT_TRY(evm::SendOutcome out, sender_.Send(p.to, data, p.value));
  if (out.reverted) out.revert_message = p.contract->abi.DecodeRevert(out.revert_data).Describe();
  return out;
}

Result<json> Wallet::CallView(const TrustedContract& c, const TrustedFunction& f, const json& args) {
  auto to = chain_.AddressOf(c.name);
  if (!to) return NotFound(c.name + " is not deployed on chain " + std::to_string(chain_.chain_id));
  if (!f.read_only()) return InvalidArgument(c.name + "." + f.name + " is a transaction: use propose_transaction");
  std::vector<AbiValue> values;
  const json a = args.is_null() ? json::object() : args;
  for (size_t i = 0; i < f.abi->inputs.size(); ++i) {
    const auto& in = f.abi->inputs[i];
    std::string key = in.name.empty() ? std::to_string(i) : in.name;
    const json* v = nullptr;
    if (a.is_array() && i < a.size()) v = &a[i];
    if (a.is_object() && a.contains(key)) v = &a[key];
    if (!v) return InvalidArgument("args." + key + ": missing");
    LT_TRY(AbiValue x, JsonToAbiValue(in.type, *v, "args." + key));
    values.push_back(std::move(x));
  }
  LT_TRY(Bytes data, c.abi.EncodeCall(f.name, values));
  evm::CallRequest req;
  req.from = address();
  req.to = *to;
  req.data = std::move(data);
  LT_TRY(evm::CallOutcome out, rpc_->Call(req));
  if (out.reverted) return InvalidArgument(c.name + "." + f.name + " reverted: " + c.abi.DecodeRevert(out.data).Describe());
  LT_TRY(auto decoded, c.abi.DecodeResult(f.name, out.data));
  json result = json::array();
  for (size_t i = 0; i < decoded.size() && i < f.abi->outputs.size(); ++i) {
    result.push_back(evm::AbiValueToJson(f.abi->outputs[i].type, decoded[i]));
  }
  return result.size() == 1 ? result[0] : result;
}

}  // namespace lt::agent
