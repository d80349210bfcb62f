// EIP-712 type definitions: parsing field types, validating a set of struct definitions, and
// encodeType / typeHash.
#include <functional>
#include <set>

#include "crypto/eip712.h"
#include "crypto/eip712_internal.h"

namespace lt::crypto {

namespace eip712_internal {

namespace {

// Parses a canonical positive decimal (no sign, no leading zero) up to `max`.
bool ParseSmallNumber(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 9 || s[0] == '0') return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

}  // namespace

bool ParseAtomic(std::string_view name, ParsedType* out) {
  ParsedType t;
  t.base = std::string(name);
  uint64_t n = 0;
  if (name == "address") {
    t.kind = BaseKind::kAddress;
  } else if (name == "bool") {
    t.kind = BaseKind::kBool;
  } else if (name == "string") {
    t.kind = BaseKind::kString;
  } else if (name == "bytes") {
    t.kind = BaseKind::kBytes;
  } else if (name.starts_with("bytes") && ParseSmallNumber(name.substr(5), 32, &n)) {
    t.kind = BaseKind::kFixedBytes;
    t.size = static_cast<int>(n);
  } else if (name.starts_with("uint") && ParseSmallNumber(name.substr(4), 256, &n) && n % 8 == 0) {
    t.kind = BaseKind::kUint;
    t.size = static_cast<int>(n);
  } else if (name.starts_with("int") && ParseSmallNumber(name.substr(3), 256, &n) && n % 8 == 0) {
    t.kind = BaseKind::kInt;
    t.size = static_cast<int>(n);
  } else {
    return false;
  }
  if (out != nullptr) *out = std::move(t);
  return true;
}

bool IsIdentifier(std::string_view name) {
  if (name.empty() || name.size() > kMaxEip712NameLength) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$'; };
  if (!alpha(name[0])) return false;
  for (char c : name) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

Result<ParsedType> ParseFieldType(std::string_view type) {
  if (type.empty()) return InvalidArgument("empty type");
  if (type.size() > kMaxEip712NameLength + 64) return InvalidArgument("type name too long");
  size_t bracket = type.find('[');
  std::string_view base = type.substr(0, bracket);
  std::vector<uint32_t> dims;
  while (bracket != std::string_view::npos && bracket < type.size()) {
    size_t close = type.find(']', bracket);
    if (type[bracket] != '[' || close == std::string_view::npos) {
      return InvalidArgument("malformed array type \"" + std::string(type) + "\"");
    }
    std::string_view len = type.substr(bracket + 1, close - bracket - 1);
    uint64_t k = 0;
    if (!len.empty() && !ParseSmallNumber(len, kMaxEip712ArrayLength, &k)) {
      return InvalidArgument("bad array length \"" + std::string(len) + "\" in \"" + std::string(type) +
                             "\" (expected 1.." + std::to_string(kMaxEip712ArrayLength) + ")");
    }
    dims.push_back(static_cast<uint32_t>(k));
    if (dims.size() > kMaxEip712ArrayDims) {
      return InvalidArgument("more than " + std::to_string(kMaxEip712ArrayDims) + " array dimensions in \"" +
                             std::string(type) + "\"");
    }
    bracket = close + 1;
  }
  ParsedType t;
  if (!ParseAtomic(base, &t)) {
    if (!IsIdentifier(base)) {
      return InvalidArgument("invalid type name \"" + std::string(type) + "\"");
    }
    t.kind = BaseKind::kStruct;
    t.base = std::string(base);
  }
  t.dims = std::move(dims);
  return t;
}

std::string Describe(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::string: {
      const std::string& s = j.get_ref<const std::string&>();
      if (s.size() <= 80) return "\"" + s + "\"";
      return "\"" + s.substr(0, 80) + "...\" (" + std::to_string(s.size()) + " chars)";
    }
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::discarded:
      return "nothing";
    default:
      return j.dump();  // a number or a boolean: short
  }
}

}  // namespace eip712_internal

using eip712_internal::ParsedType;

namespace {

struct DomainField {
  const char* name;
  const char* type;
};
constexpr DomainField kDomainFields[] = {{"name", "string"},
                                         {"version", "string"},
                                         {"chainId", "uint256"},
                                         {"verifyingContract", "address"},
                                         {"salt", "bytes32"}};

Status CheckDomainType(const std::vector<TypedField>& fields, const std::string& path) {
  for (size_t i = 0; i < fields.size(); ++i) {
    const DomainField* known = nullptr;
    for (const auto& d : kDomainFields) {
      if (fields[i].name == d.name) known = &d;
    }
    std::string where = path + ".EIP712Domain[" + std::to_string(i) + "]";
    if (known == nullptr) {
      return InvalidArgument(where + ": \"" + fields[i].name +
                             "\" is not an EIP-712 domain field (name, version, chainId, verifyingContract, salt)");
    }
    if (fields[i].type != known->type) {
      return InvalidArgument(where + ": domain field " + fields[i].name + " must have type " + known->type +
                             ", not " + fields[i].type);
    }
  }
  return OkStatus();
}

}  // namespace

Result<Eip712Types> Eip712Types::Create(std::map<std::string, std::vector<TypedField>> defs,
                                        std::string_view path_sv) {
  const std::string path(path_sv);
  if (defs.size() > kMaxEip712Types) {
    return InvalidArgument(path + ": " + std::to_string(defs.size()) + " types, more than the limit of " +
                           std::to_string(kMaxEip712Types));
  }
  // Field types parsed once, for the graph checks below.
  std::map<std::string, std::vector<ParsedType>> parsed;
  for (const auto& [name, fields] : defs) {
    const std::string where = path + "." + name;
    if (!eip712_internal::IsIdentifier(name)) {
      return InvalidArgument(path + ": invalid type name \"" + name + "\" (expected an ASCII identifier)");
    }
    if (eip712_internal::ParseAtomic(name, nullptr)) {
      return InvalidArgument(where + ": \"" + name + "\" is an atomic type name and cannot name a struct");
    }
    if (fields.size() > kMaxEip712Fields) {
      return InvalidArgument(where + ": " + std::to_string(fields.size()) + " fields, more than the limit of " +
                             std::to_string(kMaxEip712Fields));
    }
    std::set<std::string> seen;
    auto& ptypes = parsed[name];
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string fwhere = where + "[" + std::to_string(i) + "]";
      const TypedField& f = fields[i];
      if (!eip712_internal::IsIdentifier(f.name)) {
        return InvalidArgument(fwhere + ": invalid field name \"" + f.name + "\" (expected an ASCII identifier)");
      }
      if (!seen.insert(f.name).second) {
        return InvalidArgument(fwhere + ": duplicate field \"" + f.name + "\" in " + name);
      }
      auto pt = eip712_internal::ParseFieldType(f.type);
      if (!pt.ok()) return pt.error().Wrap(fwhere + " (" + f.name + ")");
      if (pt->kind == eip712_internal::BaseKind::kStruct && defs.count(pt->base) == 0) {
        return InvalidArgument(fwhere + " (" + f.name + "): unknown type \"" + pt->base + "\"");
      }
      if (pt->base == "EIP712Domain" && name != "EIP712Domain") {
        return InvalidArgument(fwhere + " (" + f.name + "): EIP712Domain cannot be used as a field type");
      }
      ptypes.push_back(std::move(*pt));
    }
    if (name == "EIP712Domain") LT_TRY_STATUS(CheckDomainType(fields, path));
  }

  // Cycles (refused, as ethers does) and nesting depth (bounded), by a depth-first search with
  // colours; depth[t] is the deepest chain of struct and array levels below a value of type t.
  enum Colour { kWhite, kGrey, kBlack };
  std::map<std::string, Colour> colour;
  std::map<std::string, size_t> depth;
  std::vector<std::string> stack;
  std::function<Status(const std::string&)> visit = [&](const std::string& t) -> Status {
    colour[t] = kGrey;
    stack.push_back(t);
    size_t d = 1;  // the struct itself, plus the deepest field below it
    for (const ParsedType& pt : parsed[t]) {
      size_t here = 1 + pt.dims.size();
      if (pt.kind == eip712_internal::BaseKind::kStruct) {
        Colour c = colour[pt.base];
        if (c == kGrey) {
          std::string cycle;
          bool on = false;
          for (const auto& s : stack) {
            if (s == pt.base) on = true;
            if (on) cycle += s + " -> ";
          }
          return InvalidArgument(path + "." + t + ": recursive type reference " + cycle + pt.base +
                                 " (cyclic struct types are not supported)");
        }
        if (c == kWhite) LT_TRY_STATUS(visit(pt.base));
        here = 1 + pt.dims.size() + depth[pt.base];
      }
      d = std::max(d, here);
    }
    if (d > kMaxEip712Depth) {
      return InvalidArgument(path + "." + t + ": values nest " + std::to_string(d) + " levels deep, more than " +
                             std::to_string(kMaxEip712Depth));
    }
    depth[t] = d;
    colour[t] = kBlack;
    stack.pop_back();
    return OkStatus();
  };
  for (const auto& [name, fields] : defs) {
    if (colour[name] == kWhite) LT_TRY_STATUS(visit(name));
  }

  Eip712Types out;
  out.defs_ = std::move(defs);
  // encodeType: the struct itself, then every struct it references (transitively), sorted.
  for (const auto& [name, fields] : out.defs_) {
    std::set<std::string> deps;
    std::vector<std::string> todo = {name};
    while (!todo.empty()) {
      std::string t = std::move(todo.back());
      todo.pop_back();
      for (const ParsedType& pt : parsed[t]) {
        if (pt.kind == eip712_internal::BaseKind::kStruct && pt.base != name && deps.insert(pt.base).second) {
          todo.push_back(pt.base);
        }
      }
    }
    auto one = [&](const std::string& t) {
      std::string s = t + "(";
      const auto& fs = out.defs_.at(t);
      for (size_t i = 0; i < fs.size(); ++i) {
        if (i > 0) s += ",";
        s += fs[i].type + " " + fs[i].name;
      }
      return s + ")";
    };
    std::string enc = one(name);
    for (const auto& d : deps) enc += one(d);
    out.type_hash_[name] = Keccak(enc);
    out.encoded_[name] = std::move(enc);
  }
  return out;
}

Result<Eip712Types> Eip712Types::FromJson(const nlohmann::json& types, std::string_view path_sv) {
  const std::string path(path_sv);
  if (!types.is_object()) {
    return InvalidArgument(path + ": expected an object of struct definitions, got " +
                           eip712_internal::Describe(types));
  }
  if (types.size() > kMaxEip712Types) {
    return InvalidArgument(path + ": " + std::to_string(types.size()) + " types, more than the limit of " +
                           std::to_string(kMaxEip712Types));
  }
  std::map<std::string, std::vector<TypedField>> defs;
  for (const auto& [name, fields] : types.items()) {
    const std::string where = path + "." + name;
    if (!fields.is_array()) {
      return InvalidArgument(where + ": expected an array of {name, type}, got " + eip712_internal::Describe(fields));
    }
    if (fields.size() > kMaxEip712Fields) {
      return InvalidArgument(where + ": " + std::to_string(fields.size()) + " fields, more than the limit of " +
                             std::to_string(kMaxEip712Fields));
    }
    auto& out = defs[name];
    for (size_t i = 0; i < fields.size(); ++i) {
      const auto& f = fields[i];
      const std::string fwhere = where + "[" + std::to_string(i) + "]";
      if (!f.is_object()) {
        return InvalidArgument(fwhere + ": expected {\"name\": ..., \"type\": ...}, got " +
                               eip712_internal::Describe(f));
      }
      for (const auto& [key, v] : f.items()) {
        if (key != "name" && key != "type") {
          return InvalidArgument(fwhere + ": unexpected key \"" + key + "\" (a field has only name and type)");
        }
        if (!v.is_string()) {
          return InvalidArgument(fwhere + "." + key + ": expected a string, got " + eip712_internal::Describe(v));
        }
      }
      if (!f.contains("name")) return InvalidArgument(fwhere + ": missing \"name\"");
      if (!f.contains("type")) return InvalidArgument(fwhere + ": missing \"type\"");
      out.push_back({f["name"].get<std::string>(), f["type"].get<std::string>()});
    }
  }
  return Create(std::move(defs), path);
}

const std::vector<TypedField>* Eip712Types::Fields(std::string_view type) const {
  auto it = defs_.find(std::string(type));
  return it == defs_.end() ? nullptr : &it->second;
}

Result<std::string> Eip712Types::EncodeType(std::string_view type) const {
  auto it = encoded_.find(std::string(type));
  if (it == encoded_.end()) return InvalidArgument("unknown struct type \"" + std::string(type) + "\"");
  return it->second;
}

Result<Hash32> Eip712Types::TypeHash(std::string_view type) const {
  auto it = type_hash_.find(std::string(type));
  if (it == type_hash_.end()) return InvalidArgument("unknown struct type \"" + std::string(type) + "\"");
  return it->second;
}

}  // namespace lt::crypto
