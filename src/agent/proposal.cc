#include "agent/proposal.h"

#include <set>

#include "util/json.h"

namespace lt::agent {

using json = nlohmann::json;
using evm::AbiType;
using evm::AbiValue;

namespace {

std::string Names(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Result<U256> Integer(const json& v, const std::string& path, bool mor) {
  std::string s;
  if (v.is_string()) {
    s = v.get<std::string>();
  } else if (auto u = JsonUint(v)) {
    s = std::to_string(*u);
  } else if (v.is_number_float() && mor) {
    return InvalidArgument(path + ": write MOR amounts as a decimal string (\"0.25\"), not a float");
  } else {
    return InvalidArgument(path + ": expected a non-negative integer or a decimal string");
  }
  if (s.size() > 100) return InvalidArgument(path + ": too long");
  auto r = mor ? U256::FromMor(s) : U256::Parse(s);
  if (!r.ok()) {
    return InvalidArgument(path + ": '" + s + "' is not " +
                           (mor ? "a MOR amount (decimal, at most 18 decimals)" : "a non-negative integer"));
  }
  return *r;
}

}  // namespace

Result<AbiValue> JsonToAbiValue(const AbiType& type, const json& v, const std::string& path, bool mor) {
  using K = AbiType::Kind;
  switch (type.kind()) {
    case K::kUint: {
      LT_TRY(U256 u, Integer(v, path, mor));
      return AbiValue::Uint(u);  // range against uintN is checked by AbiEncode, with the path
    }
    case K::kInt: {
      if (!v.is_number_integer()) return InvalidArgument(path + ": expected an integer");
      return AbiValue::Int(v.get<int64_t>());
    }
    case K::kAddress: {
      if (!v.is_string()) return InvalidArgument(path + ": expected a 0x address");
      auto a = crypto::ParseAddress(v.get<std::string>());
      if (!a.ok()) return InvalidArgument(path + ": " + a.error().message);
      return AbiValue::Addr(*a);
    }
    case K::kBool:
      if (!v.is_boolean()) return InvalidArgument(path + ": expected true or false");
      return AbiValue::Bool(v.get<bool>());
    case K::kFixedBytes:
    case K::kBytes: {
      if (!v.is_string()) return InvalidArgument(path + ": expected 0x-hex bytes");
      auto b = HexDecode(v.get<std::string>());
      if (!b.ok()) return InvalidArgument(path + ": expected 0x-hex bytes");
      return AbiValue::Blob(*b);
    }
    case K::kString:
      if (!v.is_string()) return InvalidArgument(path + ": expected a string");
      return AbiValue::Str(v.get<std::string>());
    case K::kArray:
    case K::kFixedArray:
    case K::kTuple: {
      if (!v.is_array()) return InvalidArgument(path + ": expected an array");
      if (v.size() > 1024) return InvalidArgument(path + ": more than 1024 items");
      std::vector<AbiValue> items;
      for (size_t i = 0; i < v.size(); ++i) {
        const AbiType& t = type.kind() == K::kTuple ? (i < type.components().size() ? type.components()[i] : type)
                                                    : type.element();
        if (type.kind() == K::kTuple && i >= type.components().size()) {
          return InvalidArgument(path + ": a tuple of " + std::to_string(type.components().size()) + " values");
        }
        LT_TRY(AbiValue x, JsonToAbiValue(t, v[i], path + "[" + std::to_string(i) + "]"));
        items.push_back(std::move(x));
      }
      return AbiValue::List(std::move(items));
    }
  }
  return InvalidArgument(path + ": unsupported type");
}

const AbiValue* Proposal::Arg(std::string_view name) const {
  for (const auto& [n, v] : args) {
    if (n == name) return &v;
  }
  return nullptr;
}

json Proposal::DecodedArgs() const {
  json out = json::object();
  for (const auto* p : function->AgentInputs()) {
    const AbiValue* v = Arg(p->name);
    if (!v) continue;
    if (function->units.count(p->name)) {
      out[p->name] = v->word.ToMor() + " MOR";
    } else {
      out[p->name] = evm::AbiValueToJson(p->type, *v);
    }
  }
  return out;
}

Result<Proposal> ParseProposal(const json& a, const TrustedSet& set, const ChainBinding& chain) {
  if (!a.is_object()) return InvalidArgument("propose_transaction: the arguments must be a JSON object");
  if (a.dump().size() > kMaxProposalArgsBytes) return InvalidArgument("propose_transaction: arguments over 64 KiB");
  for (auto it = a.begin(); it != a.end(); ++it) {
    static const std::set<std::string> kKnown = {"contract", "function", "args", "value"};
    if (!kKnown.count(it.key())) {
      return InvalidArgument("propose_transaction: unknown field '" + it.key() + "' (contract, function, args, value)");
    }
  }
  if (!a.contains("contract") || !a["contract"].is_string() || !a.contains("function") || !a["function"].is_string()) {
    return InvalidArgument("propose_transaction: give \"contract\" and \"function\" as strings");
  }
  std::string cname = a["contract"].get<std::string>();
  std::string fname = a["function"].get<std::string>();
  std::vector<std::string> known;
  for (const auto& c : set.contracts()) {
    if (chain.AddressOf(c.name)) known.push_back(c.name);
  }
  Proposal p;
  p.contract = set.Find(cname);
  auto addr = chain.AddressOf(cname);
  if (!p.contract || !addr) {
    return NotFound("contract '" + cname.substr(0, 64) + "' is not in the trusted set on chain " +
                    std::to_string(chain.chain_id) + " (trusted: " + Names(known) + "); nothing was proposed");
  }
  p.function = p.contract->Find(fname);
  if (!p.function) {
    std::vector<std::string> fns;
    for (const auto& f : p.contract->functions) {
      if (!f.read_only()) fns.push_back(f.name);
    }
    return NotFound("function '" + fname.substr(0, 64) + "' of " + cname + " is not in the trusted set (" +
                    Names(fns) + "); nothing was proposed");
  }
  if (p.function->read_only()) {
    return InvalidArgument(cname + "." + fname + " only reads: call it with get_contract, it needs no transaction");
  }
  p.chain_id = chain.chain_id;
  p.to = *addr;
  auto inputs = p.function->AgentInputs();
  json args = a.value("args", json::object());
  if (args.is_array()) {
    if (args.size() != inputs.size()) {
      return InvalidArgument(cname + "." + fname + " takes " + std::to_string(inputs.size()) + " arguments, got " +
                             std::to_string(args.size()));
    }
    json named = json::object();
    for (size_t i = 0; i < inputs.size(); ++i) named[inputs[i]->name] = args[i];
    args = std::move(named);
  }
  if (!args.is_object()) return InvalidArgument("propose_transaction: \"args\" must be an object of name -> value");
  std::vector<std::string> expected;
  for (const auto* in : inputs) expected.push_back(in->name);
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (p.function->fills.count(it.key())) {
      return InvalidArgument("args." + it.key() + ": filled by the user's wallet, do not give it");
    }
    if (std::find(expected.begin(), expected.end(), it.key()) == expected.end()) {
      return InvalidArgument("args." + it.key().substr(0, 64) + ": " + cname + "." + fname + " has no such argument (" +
                             Names(expected) + ")");
    }
  }
  std::vector<AbiType> types;
  std::vector<AbiValue> values;
  for (const auto* in : inputs) {
    if (!args.contains(in->name)) return InvalidArgument("args." + in->name + ": missing");
    LT_TRY(AbiValue v, JsonToAbiValue(in->type, args[in->name], "args." + in->name, p.function->units.count(in->name)));
    types.push_back(in->type);
    values.push_back(v);
    p.args.emplace_back(in->name, std::move(v));
  }
  // The agent's part must encode on its own (ranges of uintN, lengths of bytesN, ...).
  auto enc = evm::AbiEncode(types, values);
  if (!enc.ok()) return InvalidArgument(cname + "." + fname + ": the arguments do not encode: " + enc.error().message);
  if (a.contains("value")) {
    LT_TRY(p.value, Integer(a["value"], "value", false));
  }
  if (!p.value.IsZero()) {
    return InvalidArgument("value: " + cname + "." + fname + " is not payable; send value 0");
  }
  return p;
}

}  // namespace lt::agent
