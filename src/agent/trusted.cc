#include "agent/trusted.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "util/fs.h"
#include "util/json.h"

namespace lt::agent {

using json = nlohmann::json;

namespace {

bool IsIdent(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return !std::isdigit(static_cast<unsigned char>(s[0]));
}

Result<std::string> Str(const json& j, const char* key, const std::string& where, bool required = true) {
  if (!j.contains(key)) {
    if (!required) return std::string();
    return InvalidArgument(where + key + ": missing");
  }
  if (!j[key].is_string()) return InvalidArgument(where + key + ": expected a string");
  std::string s = j[key].get<std::string>();
  if (required && s.empty()) return InvalidArgument(where + key + ": empty");
  if (s.size() > 4096) return InvalidArgument(where + key + ": longer than 4096 characters");
  return s;
}

// "Deposit(address owner,uint256 amount,uint64 nonce)"
Result<ArgFill> ParseEip712Fill(std::string_view spec, const std::string& where) {
  ArgFill f;
  f.kind = ArgFill::Kind::kEip712;
  size_t open = spec.find('(');
  if (open == std::string_view::npos || spec.empty() || spec.back() != ')') {
    return InvalidArgument(where + ": expected eip712:Name(type name,...)");
  }
  f.eip712_name = std::string(spec.substr(0, open));
  if (!IsIdent(f.eip712_name)) return InvalidArgument(where + ": bad EIP-712 type name '" + f.eip712_name + "'");
  std::string_view body = spec.substr(open + 1, spec.size() - open - 2);
  while (!body.empty()) {
    size_t comma = body.find(',');
    std::string_view field = body.substr(0, comma);
    size_t space = field.find(' ');
    if (space == std::string_view::npos) return InvalidArgument(where + ": field '" + std::string(field) + "' has no name");
    f.eip712_fields.emplace_back(std::string(field.substr(0, space)), std::string(field.substr(space + 1)));
    if (comma == std::string_view::npos) break;
    body = body.substr(comma + 1);
  }
  if (f.eip712_fields.empty()) return InvalidArgument(where + ": an EIP-712 message with no fields");
  return f;
}

const evm::AbiParam* Input(const evm::AbiFunction& fn, std::string_view name) {
  for (const auto& p : fn.inputs) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Status CheckFills(TrustedFunction& tf, const json& fills, const std::string& where) {
  if (!fills.is_object()) return InvalidArgument(where + ": expected an object");
  for (auto it = fills.begin(); it != fills.end(); ++it) {
    std::string w = where + "." + it.key();
    const evm::AbiParam* p = Input(*tf.abi, it.key());
    if (!p) return InvalidArgument(w + ": the function has no argument '" + it.key() + "'");
    if (!it.value().is_string()) return InvalidArgument(w + ": expected a string");
    std::string spec = it.value().get<std::string>();
    ArgFill f;
    if (spec == "user") {
      if (p->type.kind() != evm::AbiType::Kind::kAddress) return InvalidArgument(w + ": 'user' fills an address argument only");
      f.kind = ArgFill::Kind::kUser;
    } else if (spec == "ledger_nonce") {
      if (p->type.kind() != evm::AbiType::Kind::kUint) return InvalidArgument(w + ": 'ledger_nonce' fills a uint argument only");
      f.kind = ArgFill::Kind::kLedgerNonce;
    } else if (spec.rfind("eip712:", 0) == 0) {
      LT_TRY(f, ParseEip712Fill(std::string_view(spec).substr(7), w));
      if (p->type.Canonical() != "(bytes32,bytes32,uint8)") {
        return InvalidArgument(w + ": an EIP-712 signature fills a (bytes32 r, bytes32 s, uint8 v) tuple only");
      }
      for (const auto& [type, name] : f.eip712_fields) {
        const evm::AbiParam* q = Input(*tf.abi, name);
        if (!q) return InvalidArgument(w + ": EIP-712 field '" + name + "' is not an argument of the function");
        if (q->type.Canonical() != type) {
          return InvalidArgument(w + ": EIP-712 field '" + name + "' is " + type + " but the argument is " +
                                 q->type.Canonical());
        }
      }
    } else {
      return InvalidArgument(w + ": unknown fill '" + spec + "' (user, ledger_nonce, eip712:Name(...))");
    }
    tf.fills[it.key()] = std::move(f);
  }
  return OkStatus();
}

Result<TrustedFunction> ParseFunction(const TrustedContract& c, const std::string& name, const json& j,
                                      const std::string& where) {
  TrustedFunction tf;
  tf.name = name;
  tf.abi = c.abi.FindFunction(name);
  if (!tf.abi) return InvalidArgument(where + ": no function '" + name + "' in the contract's abi");
  if (!j.is_object()) return InvalidArgument(where + ": expected an object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const std::set<std::string> kKnown = {"doc", "fills", "units", "effects"};
    if (!kKnown.count(it.key())) return InvalidArgument(where + "." + it.key() + ": unknown field");
  }
  LT_TRY(tf.doc, Str(j, "doc", where + "."));
  if (j.contains("fills")) LT_TRY_STATUS(CheckFills(tf, j["fills"], where + ".fills"));
  if (j.contains("units")) {
    const json& u = j["units"];
    if (!u.is_object()) return InvalidArgument(where + ".units: expected an object");
    for (auto it = u.begin(); it != u.end(); ++it) {
      std::string w = where + ".units." + it.key();
      const evm::AbiParam* p = Input(*tf.abi, it.key());
      if (!p) return InvalidArgument(w + ": the function has no argument '" + it.key() + "'");
      if (it.value() != "MOR") return InvalidArgument(w + ": the only unit is \"MOR\"");
      if (p->type.Canonical() != "uint256") return InvalidArgument(w + ": MOR amounts are uint256 arguments");
      tf.units[it.key()] = "MOR";
    }
  }
  if (j.contains("effects")) {
    const json& e = j["effects"];
    if (!e.is_array()) return InvalidArgument(where + ".effects: expected an array");
    for (size_t i = 0; i < e.size(); ++i) {
      std::string w = where + ".effects[" + std::to_string(i) + "]";
      if (!e[i].is_object()) return InvalidArgument(w + ": expected an object");
      BalanceEffect be;
      LT_TRY(be.balance, Str(e[i], "balance", w + "."));
      LT_TRY(std::string sign, Str(e[i], "sign", w + "."));
      LT_TRY(be.arg, Str(e[i], "arg", w + "."));
      if (be.balance != "wallet" && be.balance != "vault") return InvalidArgument(w + ".balance: wallet or vault");
      if (sign != "+" && sign != "-") return InvalidArgument(w + ".sign: \"+\" or \"-\"");
      be.increase = sign == "+";
      if (!tf.units.count(be.arg)) return InvalidArgument(w + ".arg: '" + be.arg + "' is not a MOR argument");
      tf.effects.push_back(std::move(be));
    }
  }
  if (tf.read_only() && (!tf.fills.empty() || !tf.effects.empty())) {
    return InvalidArgument(where + ": a view function has no fills or effects");
  }
  return tf;
}

Result<TrustedContract> ParseContract(const std::string& file, const json& j) {
  std::string where = file + ": ";
  if (!j.is_object()) return InvalidArgument(where + "expected a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const std::set<std::string> kKnown = {"name", "title", "about", "addresses", "eip712_domain", "abi",
                                                 "functions"};
    if (!kKnown.count(it.key())) return InvalidArgument(where + it.key() + ": unknown field");
  }
  TrustedContract c;
  c.file = file;
  LT_TRY(c.name, Str(j, "name", where));
  if (!IsIdent(c.name)) return InvalidArgument(where + "name: letters, digits and '_' only");
  LT_TRY(c.title, Str(j, "title", where));
  LT_TRY(c.about, Str(j, "about", where));
  if (!j.contains("addresses") || !j["addresses"].is_array() || j["addresses"].empty()) {
    return InvalidArgument(where + "addresses: expected a non-empty array");
  }
  for (size_t i = 0; i < j["addresses"].size(); ++i) {
    const json& a = j["addresses"][i];
    std::string w = where + "addresses[" + std::to_string(i) + "].";
    if (!a.is_object()) return InvalidArgument(w + ": expected an object");
    TrustedAddress ta;
    auto chain = a.contains("chain_id") ? JsonUint(a["chain_id"]) : std::nullopt;
    if (!chain || *chain == 0) return InvalidArgument(w + "chain_id: expected a positive integer");
    ta.chain_id = *chain;
    if (a.contains("address") == a.contains("from_deployment")) {
      return InvalidArgument(w + "address: give exactly one of address and from_deployment");
    }
    if (a.contains("address")) {
      LT_TRY(std::string s, Str(a, "address", w));
      auto addr = crypto::ParseAddress(s);
      if (!addr.ok()) return InvalidArgument(w + "address: " + addr.error().message);
      ta.address = *addr;
    } else {
      LT_TRY(ta.from_deployment, Str(a, "from_deployment", w));
      if (ta.from_deployment != "contract" && ta.from_deployment != "token") {
        return InvalidArgument(w + "from_deployment: \"contract\" or \"token\" (fields of the deployment file)");
      }
    }
    c.addresses.push_back(std::move(ta));
  }
  if (j.contains("eip712_domain")) {
    const json& d = j["eip712_domain"];
    if (!d.is_object()) return InvalidArgument(where + "eip712_domain: expected an object");
    LT_TRY(std::string n, Str(d, "name", where + "eip712_domain."));
    LT_TRY(std::string v, Str(d, "version", where + "eip712_domain."));
    c.eip712_domain = std::make_pair(n, v);
  }
  if (!j.contains("abi") || !j["abi"].is_array()) return InvalidArgument(where + "abi: expected a solc ABI array");
  auto abi = evm::ContractAbi::Parse(j["abi"]);
  if (!abi.ok()) return InvalidArgument(where + "abi: " + abi.error().message);
  c.abi = std::move(*abi);
  if (!j.contains("functions") || !j["functions"].is_object()) {
    return InvalidArgument(where + "functions: expected an object of function name -> doc");
  }
  return c;
}

}  // namespace

std::vector<const evm::AbiParam*> TrustedFunction::AgentInputs() const {
  std::vector<const evm::AbiParam*> out;
  for (const auto& p : abi->inputs) {
    if (!fills.count(p.name)) out.push_back(&p);
  }
  return out;
}

const TrustedFunction* TrustedContract::Find(std::string_view function) const {
  for (const auto& f : functions) {
    if (f.name == function) return &f;
  }
  return nullptr;
}

const TrustedContract* TrustedSet::Find(std::string_view name) const {
  for (const auto& c : *contracts_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<TrustedSet> TrustedSet::FromJson(const std::vector<std::pair<std::string, json>>& files) {
  if (files.size() > kMaxTrustedContracts) return InvalidArgument("more than 64 trusted contracts");
  TrustedSet set;
  set.contracts_->reserve(files.size());  // no reallocation: functions point into their contract's abi
  for (const auto& [file, j] : files) {
    LT_TRY(TrustedContract c, ParseContract(file, j));
    if (set.Find(c.name)) return InvalidArgument(file + ": name: '" + c.name + "' is defined twice");
    set.contracts_->push_back(std::move(c));
    TrustedContract& stored = set.contracts_->back();
    const json& fns = j["functions"];
    for (auto it = fns.begin(); it != fns.end(); ++it) {
      LT_TRY(TrustedFunction tf, ParseFunction(stored, it.key(), it.value(), file + ": functions." + it.key()));
      stored.functions.push_back(std::move(tf));
    }
    for (const auto& f : stored.abi.functions()) {
      if (!stored.Find(f.name)) {
        return InvalidArgument(file + ": functions: '" + f.name + "' is in the abi but has no doc");
      }
    }
    for (const auto& f : stored.functions) {
      for (const auto& [arg, fill] : f.fills) {
        if (fill.kind == ArgFill::Kind::kEip712 && !stored.eip712_domain) {
          return InvalidArgument(file + ": functions." + f.name + ".fills." + arg +
                                 ": an EIP-712 signature needs the contract's eip712_domain");
        }
      }
    }
  }
  return set;
}

Result<TrustedSet> TrustedSet::LoadDir(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return IoError("trusted contracts: cannot read folder " + dir + ": " + ec.message());
  for (const auto& e : it) {
    if (e.path().extension() == ".json") names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) return NotFound("trusted contracts: no *.json in " + dir);
  if (names.size() > kMaxTrustedContracts) return InvalidArgument("trusted contracts: more than 64 files in " + dir);
  RealFileSystem fs;
  std::vector<std::pair<std::string, json>> files;
  for (const auto& n : names) {
    auto text = fs.ReadFile(dir + "/" + n, kMaxTrustedFileBytes + 1);
    if (!text.ok()) return text.error().Wrap(n);
    if (text->size() > kMaxTrustedFileBytes) return InvalidArgument(n + ": larger than 1 MiB");
    auto j = ParseJsonChecked(*text, n);
    if (!j.ok()) return j.error();
    files.emplace_back(n, std::move(*j));
  }
  return FromJson(files);
}

std::optional<crypto::Address> ChainBinding::AddressOf(const std::string& contract) const {
  auto it = addresses.find(contract);
  if (it == addresses.end()) return std::nullopt;
  return it->second;
}

Result<ChainBinding> Bind(const TrustedSet& set, uint64_t chain_id, const evm::Deployment* deployment) {
  if (deployment && deployment->chain_id != chain_id) {
    return InvalidArgument("the deployment file is for chain " + std::to_string(deployment->chain_id) +
                           ", not chain " + std::to_string(chain_id));
  }
  ChainBinding b;
  b.chain_id = chain_id;
  for (const auto& c : set.contracts()) {
    for (const auto& a : c.addresses) {
      if (a.chain_id != chain_id) continue;
      if (a.address) {
        b.addresses[c.name] = *a.address;
      } else if (deployment) {
        b.addresses[c.name] = a.from_deployment == "contract" ? deployment->contract : deployment->token;
      }
    }
  }
  return b;
}

extern const std::vector<std::pair<std::string_view, std::string_view>> kEmbeddedTrustedFiles;  // generated

Result<TrustedSet> TrustedSet::LoadEmbedded() {
  std::vector<std::pair<std::string, json>> files;
  for (const auto& [name, text] : kEmbeddedTrustedFiles) {
    LT_TRY(json j, ParseJsonChecked(text, std::string(name)));
    files.emplace_back(std::string(name), std::move(j));
  }
  if (files.empty()) return NotFound("trusted contracts: none were built in");
  return FromJson(files);
}

Result<TrustedSet> TrustedSet::LoadDefault() {
  if (const char* e = std::getenv("LT_TRUSTED_DIR"); e && *e) return LoadDir(e);
  return LoadEmbedded();
}

}  // namespace lt::agent
