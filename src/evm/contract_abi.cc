#include "evm/contract_abi.h"

#include "crypto/keccak.h"

namespace lt::evm {

using nlohmann::json;

namespace {

Result<std::vector<AbiParam>> Params(const json& j, const std::string& where) {
  std::vector<AbiParam> out;
  if (j.is_null()) return out;
  if (!j.is_array()) return InvalidArgument("ABI " + where + ": parameters must be an array");
  for (const auto& p : j) {
    AbiParam param;
    auto t = AbiTypeFromJson(p);
    if (!t.ok()) return t.error().Wrap("ABI " + where);
    param.type = *t;
    if (p.contains("name") && p["name"].is_string()) param.name = p["name"].get<std::string>();
    param.indexed = p.value("indexed", false);
    out.push_back(std::move(param));
  }
  return out;
}

std::vector<AbiType> Types(const std::vector<AbiParam>& ps) {
  std::vector<AbiType> t;
  t.reserve(ps.size());
  for (const auto& p : ps) t.push_back(p.type);
  return t;
}

const AbiValue* ArgByName(const std::vector<AbiParam>& params, const std::vector<AbiValue>& args,
                          std::string_view name) {
  for (size_t i = 0; i < params.size() && i < args.size(); ++i) {
    if (params[i].name == name) return &args[i];
  }
  return nullptr;
}

}  // namespace

std::vector<AbiType> AbiFunction::InputTypes() const { return Types(inputs); }
std::vector<AbiType> AbiFunction::OutputTypes() const { return Types(outputs); }

Result<ContractAbi> ContractAbi::Parse(const json& abi) {
  if (!abi.is_array()) return InvalidArgument("ABI: expected a JSON array");
  ContractAbi c;
  for (const auto& e : abi) {
    if (!e.is_object() || !e.contains("type") || !e["type"].is_string()) {
      return InvalidArgument("ABI: every entry needs a \"type\"");
    }
    std::string type = e["type"].get<std::string>();
    std::string name = e.value("name", "");
    if (type == "function") {
      AbiFunction f;
      f.name = name;
      LT_TRY(f.inputs, Params(e.value("inputs", json::array()), "function " + name));
      LT_TRY(f.outputs, Params(e.value("outputs", json::array()), "function " + name));
      f.signature = Signature(name, f.InputTypes());
      f.selector = Selector(f.signature);
      std::string mut = e.value("stateMutability", "");
      f.view = mut == "view" || mut == "pure";
      if (c.FindFunction(name) != nullptr) return InvalidArgument("ABI: function " + name + " is overloaded");
      c.functions_.push_back(std::move(f));
    } else if (type == "event") {
      AbiEvent ev;
      ev.name = name;
      LT_TRY(ev.inputs, Params(e.value("inputs", json::array()), "event " + name));
      ev.signature = Signature(name, Types(ev.inputs));
      ev.topic = crypto::Keccak(std::string_view(ev.signature));
      ev.anonymous = e.value("anonymous", false);
      c.events_.push_back(std::move(ev));
    } else if (type == "error") {
      AbiError er;
      er.name = name;
      LT_TRY(er.inputs, Params(e.value("inputs", json::array()), "error " + name));
      er.signature = Signature(name, Types(er.inputs));
      er.selector = Selector(er.signature);
      c.errors_.push_back(std::move(er));
    }
  }
  return c;
}

const AbiFunction* ContractAbi::FindFunction(std::string_view name) const {
  for (const auto& f : functions_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const AbiEvent* ContractAbi::FindEvent(std::string_view name) const {
  for (const auto& e : events_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const AbiEvent* ContractAbi::FindEventByTopic(const Hash32& topic) const {
  for (const auto& e : events_) {
    if (!e.anonymous && e.topic == topic) return &e;
  }
  return nullptr;
}

const AbiError* ContractAbi::FindError(const FixedBytes<4>& selector) const {
  for (const auto& e : errors_) {
    if (e.selector == selector) return &e;
  }
  return nullptr;
}

Result<Bytes> ContractAbi::EncodeCall(std::string_view function, const std::vector<AbiValue>& args) const {
  const AbiFunction* f = FindFunction(function);
  if (f == nullptr) return NotFound("the contract has no function " + std::string(function));
  auto body = AbiEncode(f->InputTypes(), args);
  if (!body.ok()) return body.error().Wrap(f->signature);
  Bytes out(f->selector.begin(), f->selector.end());
  out.insert(out.end(), body->begin(), body->end());
  return out;
}

Result<std::vector<AbiValue>> ContractAbi::DecodeResult(std::string_view function, ByteSpan data) const {
  const AbiFunction* f = FindFunction(function);
  if (f == nullptr) return NotFound("the contract has no function " + std::string(function));
  auto r = AbiDecode(f->OutputTypes(), data);
  if (!r.ok()) return r.error().Wrap("result of " + f->signature);
  return r;
}

std::string PanicMeaning(uint64_t code) {
  switch (code) {
    case 0x01:
      return "assertion failed";
    case 0x11:
      return "arithmetic overflow or underflow";
    case 0x12:
      return "division or modulo by zero";
    case 0x21:
      return "invalid enum value";
    case 0x22:
      return "corrupt storage byte array";
    case 0x31:
      return "pop on an empty array";
    case 0x32:
      return "array index out of bounds";
    case 0x41:
      return "out of memory";
    case 0x51:
      return "call to an uninitialized function";
    default:
      return "panic code " + std::to_string(code);
  }
}

DecodedRevert ContractAbi::DecodeRevert(ByteSpan data) const {
  DecodedRevert d;
  d.raw.assign(data.begin(), data.end());
  if (data.size() < 4) return d;
  FixedBytes<4> sel = {data[0], data[1], data[2], data[3]};
  ByteSpan body = data.subspan(4);
  if (sel == Selector("Error(string)")) {
    auto r = AbiDecode({AbiType::String()}, body);
    if (r.ok()) {
      d.name = "Error";
      d.args = std::move(*r);
    }
    return d;
  }
  if (sel == Selector("Panic(uint256)")) {
    auto r = AbiDecode({AbiType::Uint()}, body);
    if (r.ok()) {
      d.name = "Panic";
      d.args = std::move(*r);
    }
    return d;
  }
  if (const AbiError* e = FindError(sel)) {
    std::vector<AbiType> types;
    for (const auto& p : e->inputs) types.push_back(p.type);
    auto r = AbiDecode(types, body);
    if (r.ok()) {
      d.name = e->name;
      d.error = e;
      d.args = std::move(*r);
    }
  }
  return d;
}

std::string DecodedRevert::Describe() const {
  if (name == "Error" && args.size() == 1) return "reverted: " + args[0].AsString();
  if (name == "Panic" && args.size() == 1) return "panic: " + PanicMeaning(args[0].AsU64());
  if (error != nullptr) {
    std::string s = error->name + "(";
    for (size_t i = 0; i < error->inputs.size() && i < args.size(); ++i) {
      if (i) s += ", ";
      if (!error->inputs[i].name.empty()) s += error->inputs[i].name + "=";
      s += AbiValueToString(error->inputs[i].type, args[i]);
    }
    return s + ")";
  }
  if (raw.empty()) return "reverted without a reason";
  return "reverted with unknown data " + HexEncode0x(ByteSpan(raw).subspan(0, std::min<size_t>(raw.size(), 68)));
}

const AbiValue* DecodedRevert::Arg(std::string_view param) const {
  return error == nullptr ? nullptr : ArgByName(error->inputs, args, param);
}

const AbiValue* DecodedLog::Arg(std::string_view param) const {
  return event == nullptr ? nullptr : ArgByName(event->inputs, args, param);
}

Result<DecodedLog> ContractAbi::DecodeLog(const std::vector<Hash32>& topics, ByteSpan data) const {
  if (topics.empty()) return NotFound("log without topics");
  const AbiEvent* e = FindEventByTopic(topics[0]);
  if (e == nullptr) return NotFound("log of an unknown event " + HexEncode0x(topics[0]));
  std::vector<AbiType> plain;
  size_t indexed = 0;
  for (const auto& p : e->inputs) {
    if (p.indexed) {
      ++indexed;
    } else {
      plain.push_back(p.type);
    }
  }
  if (topics.size() != indexed + 1) {
    return InvalidArgument("log of " + e->name + " has " + std::to_string(topics.size()) + " topics, expected " +
                           std::to_string(indexed + 1));
  }
  auto body = AbiDecode(plain, data);
  if (!body.ok()) return body.error().Wrap("log of " + e->name);
  DecodedLog out;
  out.event = e;
  size_t ti = 1, di = 0;
  for (const auto& p : e->inputs) {
    if (p.indexed) {
      LT_TRY(AbiValue v, AbiDecodeWord(p.type, topics[ti++]));
      out.args.push_back(std::move(v));
    } else {
      out.args.push_back(std::move((*body)[di++]));
    }
  }
  return out;
}

}  // namespace lt::evm
