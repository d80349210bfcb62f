#include "evm/deploy.h"

namespace lt::evm {

using nlohmann::json;
using V = AbiValue;

json Deployment::ToJson() const {
  return {{"rpc", rpc},
          {"chain_id", chain_id},
          {"contract", contract.ToChecksumHex()},
          {"token", token.ToChecksumHex()},
          {"block", block}};
}

Result<Deployment> Deployment::FromJson(const json& j) {
  if (!j.is_object()) return InvalidArgument("deployment: expected a JSON object");
  Deployment d;
  for (const char* k : {"rpc", "contract", "token"}) {
    if (!j.contains(k) || !j[k].is_string()) return InvalidArgument(std::string("deployment: missing ") + k);
  }
  for (const char* k : {"chain_id", "block"}) {
    if (!j.contains(k) || !j[k].is_number_unsigned()) return InvalidArgument(std::string("deployment: missing ") + k);
  }
  d.rpc = j["rpc"].get<std::string>();
  d.chain_id = j["chain_id"].get<uint64_t>();
  d.block = j["block"].get<uint64_t>();
  auto c = crypto::ParseAddress(j["contract"].get<std::string>());
  if (!c.ok()) return c.error().Wrap("deployment: contract");
  d.contract = *c;
  auto t = crypto::ParseAddress(j["token"].get<std::string>());
  if (!t.ok()) return t.error().Wrap("deployment: token");
  d.token = *t;
  return d;
}

namespace {

Error Refused(std::string_view what, const SendOutcome& s, const ContractAbi* abi) {
  std::string why = s.revert_message;
  if (abi != nullptr && !s.revert_data.empty()) why = abi->DecodeRevert(s.revert_data).Describe();
  return MakeError(ErrorCode::kFailedPrecondition, std::string(what) + " reverted: " + why);
}

Result<TxReceipt> Create(TxSender& sender, const Artifact& a, ByteSpan ctor_args, const ContractAbi* errors) {
  Bytes code = a.bytecode;
  code.insert(code.end(), ctor_args.begin(), ctor_args.end());
  LT_TRY(SendOutcome s, sender.Send(std::nullopt, code));
  if (s.reverted) return Refused("deploying " + a.name, s, errors);
  if (!s.receipt || !s.receipt->contract_address) {
    return Corrupt("deploying " + a.name + ": the receipt has no contract address");
  }
  return std::move(*s.receipt);
}

V ParamsValue(const ChainParams& p, const crypto::Address& token, bool mintable) {
  return V::List({V::Addr(token), V::Addr(p.minter.value_or(crypto::Address{})), V::Bool(mintable),
                  V::Uint(U256(p.day_seconds)), V::Uint(U256(p.start_time)), V::Uint(p.compute_initial),
                  V::Uint(p.compute_decrease), V::Uint(p.community_initial), V::Uint(p.community_decrease),
                  V::Uint(U256(p.beta_bps)), V::Uint(U256(p.budget_bps)), V::Uint(U256(p.max_builder_fee_bps)),
                  V::Uint(U256(p.agent_share_bps)), V::Uint(p.min_provider_stake), V::Uint(p.min_router_stake),
                  V::Uint(U256(p.max_min_seconds))});
}

AbiType ParamsType() {
  std::vector<AbiType> t = {AbiType::Address(), AbiType::Address(), AbiType::Bool(), AbiType::Uint(64),
                            AbiType::Uint(64),  AbiType::Uint(96),  AbiType::Uint(96), AbiType::Uint(96),
                            AbiType::Uint(96),  AbiType::Uint(16),  AbiType::Uint(16), AbiType::Uint(16),
                            AbiType::Uint(16),  AbiType::Uint(96),  AbiType::Uint(96), AbiType::Uint(32)};
  return AbiType::Tuple(std::move(t));
}

}  // namespace

Result<TxReceipt> CallContract(TxSender& sender, const crypto::Address& to, std::string_view abi_of,
                               std::string_view function, const std::vector<AbiValue>& args) {
  LT_TRY(const Artifact* a, GetArtifact(abi_of));
  LT_TRY(Bytes data, a->abi.EncodeCall(function, args));
  LT_TRY(SendOutcome s, sender.Send(to, data));
  if (s.reverted) return Refused(std::string(abi_of) + "." + std::string(function), s, &a->abi);
  if (!s.receipt) return InternalError("no receipt");
  return std::move(*s.receipt);
}

Result<crypto::Address> DeployArtifact(TxSender& sender, std::string_view name, uint64_t* gas_used) {
  LT_TRY(const Artifact* a, GetArtifact(name));
  LT_TRY(TxReceipt r, Create(sender, *a, {}, &a->abi));
  if (gas_used != nullptr) *gas_used = r.gas_used;
  return r.contract_address.value_or(crypto::Address{});
}

Result<Deployment> DeployComputeContract(TxSender& sender, const DeployConfig& c, GasReport* gas) {
  auto note = [&](std::string what, uint64_t g) {
    if (gas != nullptr) gas->emplace_back(std::move(what), g);
  };
  LT_TRY(const Artifact* compute, GetArtifact("ComputeContract"));
  Deployment d;
  d.rpc = sender.rpc()->url();
  d.chain_id = sender.chain_id();
  bool mintable = !c.token.has_value();
  if (c.token) {
    d.token = *c.token;
  } else {
    uint64_t g = 0;
    LT_TRY(d.token, DeployArtifact(sender, c.token_contract, &g));
    note("deploy " + c.token_contract, g);
  }
  LT_TRY(Bytes args, AbiEncode({ParamsType()}, {ParamsValue(c.params, d.token, mintable)}));
  LT_TRY(TxReceipt created, Create(sender, *compute, args, &compute->abi));
  d.contract = created.contract_address.value_or(crypto::Address{});
  d.block = created.block_number;
  note("deploy ComputeContract (+ ComputeExtension)", created.gas_used);
  if (mintable) {
    LT_TRY(TxReceipt r, CallContract(sender, d.token, "MorToken", "setOperator", {V::Addr(d.contract)}));
    note("token.setOperator", r.gas_used);
  } else {
    U256 total = c.compute_pool.CheckedAdd(c.community_pool).value_or(U256::Max());
    for (const auto& a : c.allocations) {
      if (!a.wallet.IsZero()) {
        return InvalidArgument("genesis wallets need a token the contract may mint; transfer them instead");
      }
      total = total.CheckedAdd(a.vault).value_or(U256::Max());
    }
    if (!total.IsZero()) {
      LT_TRY(TxReceipt r, CallContract(sender, d.token, "MorToken", "approve", {V::Addr(d.contract), V::Uint(total)}));
      note("token.approve (genesis amounts)", r.gas_used);
    }
  }
  LT_TRY(auto client, ComputeContractClient::Create(sender.rpc(), d.contract, &sender));
  size_t chunk = std::max<size_t>(1, c.allocation_chunk);
  for (size_t i = 0; i < c.allocations.size(); i += chunk) {
    std::vector<ComputeContractClient::Allocation> part(
        c.allocations.begin() + static_cast<std::ptrdiff_t>(i),
        c.allocations.begin() + static_cast<std::ptrdiff_t>(std::min(c.allocations.size(), i + chunk)));
    LT_TRY(ChainTxResult r, client.GenesisAllocate(part));
    note("genesisAllocate (" + std::to_string(part.size()) + " accounts)", r.gas_used);
  }
  LT_TRY(ChainTxResult sealed, client.GenesisSeal(c.compute_pool, c.community_pool));
  note("genesisSeal", sealed.gas_used);
  return d;
}

}  // namespace lt::evm
