#include "registry/manifest.h"
#include "util/json.h"

namespace lt::registry {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool ValidComponent(std::string_view s) {
  size_t i = 0;
  if (s.empty() || !IsLowerAlnum(s[0])) return false;
  while (i < s.size()) {
    while (i < s.size() && IsLowerAlnum(s[i])) ++i;
    if (i == s.size()) return true;
    // separator
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (i == s.size() || !IsLowerAlnum(s[i])) return false;
  }
  return true;
}

}  // namespace

Status ValidateName(std::string_view name) {
  if (name.empty()) return InvalidArgument("empty model name");
  if (name.size() > 255) return InvalidArgument("model name longer than 255 bytes");
  size_t start = 0;
  while (true) {
    size_t slash = name.find('/', start);
    std::string_view comp = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!ValidComponent(comp)) {
      return InvalidArgument("invalid model name '" + std::string(name) +
                             "': components are lower-case letters and digits separated by '.', '_', '__' or '-'");
    }
    if (slash == std::string_view::npos) return OkStatus();
    start = slash + 1;
  }
}

Status ValidateTag(std::string_view tag) {
  auto bad = [&] {
    return InvalidArgument("invalid tag '" + std::string(tag) +
                           "': 1-128 characters of [A-Za-z0-9_.-], not starting with '.' or '-'");
  };
  if (tag.empty() || tag.size() > 128) return bad();
  for (size_t i = 0; i < tag.size(); ++i) {
    char c = tag[i];
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!(word || (i > 0 && (c == '.' || c == '-')))) return bad();
  }
  return OkStatus();
}

std::string ModelRef::ToString() const {
  if (cid) return name + "@" + cid->ToString();
  return name + ":" + tag;
}

Result<ModelRef> ParseModelRef(std::string_view ref) {
  ModelRef r;
  size_t at = ref.find('@');
  if (at != std::string_view::npos) {
    r.name = std::string(ref.substr(0, at));
    LT_TRY_STATUS(ValidateName(r.name));
    LT_TRY(Cid c, Cid::Parse(ref.substr(at + 1)));
    r.cid = c;
    return r;
  }
  size_t slash = ref.rfind('/');
  size_t colon = ref.find(':', slash == std::string_view::npos ? 0 : slash);
  r.name = std::string(ref.substr(0, colon));
  r.tag = colon == std::string_view::npos ? kDefaultTag : std::string(ref.substr(colon + 1));
  LT_TRY_STATUS(ValidateName(r.name));
  LT_TRY_STATUS(ValidateTag(r.tag));
  return r;
}

nlohmann::json Manifest::ToJson() const {
  nlohmann::json j{{"schema", schema},
                   {"name", name},
                   {"tag", tag},
                   {"kind", kind},
                   {"format", format},
                   {"architecture", architecture},
                   {"root", root.ToString()},
                   {"requirements", {{"ram_bytes", requirements.ram_bytes}, {"accelerator", requirements.accelerator}}},
                   {"builder", builder},
                   {"builder_fee_bps", builder_fee_bps},
                   {"license", license}};
  if (!agent.is_null()) j["agent"] = agent;
  return j;
}

std::string Manifest::Encode() const { return ToJson().dump(); }  // nlohmann sorts object keys

Cid Manifest::BlockCid() const { return Cid::Of(kCodecRaw, AsBytes(Encode())); }

Status Manifest::Validate() const {
  if (schema != kManifestSchema) return InvalidArgument("manifest schema " + std::to_string(schema) + " is not supported");
  LT_TRY_STATUS(ValidateName(name));
  LT_TRY_STATUS(ValidateTag(tag));
  if (kind != "model" && kind != "agent") return InvalidArgument("manifest kind must be 'model' or 'agent', not '" + kind + "'");
  if (format.empty() || format.size() > 64) return InvalidArgument("manifest format must be 1-64 characters");
  for (char c : format) {
    if (!IsLowerAlnum(c) && c != '-' && c != '_' && c != '.') return InvalidArgument("manifest format '" + format + "' has a bad character");
  }
  if (architecture.size() > 128) return InvalidArgument("manifest architecture is longer than 128 characters");
  static const char* kAccel[] = {"none", "cpu", "cuda", "metal", "vulkan", "rocm"};
  bool ok = false;
  for (const char* a : kAccel) ok = ok || requirements.accelerator == a;
  if (!ok) return InvalidArgument("unknown accelerator '" + requirements.accelerator + "'");
  if (builder.size() != 42 || builder.rfind("0x", 0) != 0 || !HexDecode(builder).ok()) {
    return InvalidArgument("manifest builder must be a 0x-prefixed 20-byte address");
  }
  if (builder_fee_bps > 10000) return InvalidArgument("builder_fee_bps must be at most 10000");
  if (license.size() > 256) return InvalidArgument("manifest license is longer than 256 characters");
  if (!agent.is_null()) {
    if (kind != "agent") return InvalidArgument("manifest 'agent' is only for kind 'agent'");
    if (!agent.is_object()) return InvalidArgument("manifest 'agent' is not an object");
    if (agent.dump().size() > 48 * 1024) return InvalidArgument("manifest 'agent' is larger than 48 KiB");
  }
  return OkStatus();
}

Result<Manifest> Manifest::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgument("manifest is not a JSON object");
  Manifest m;
  auto str = [&](const char* key, std::string& out, bool required) -> Status {
    if (!j.contains(key)) return required ? InvalidArgument(std::string("manifest lacks '") + key + "'") : OkStatus();
    if (!j[key].is_string()) return InvalidArgument(std::string("manifest '") + key + "' is not a string");
    out = j[key].get<std::string>();
    return OkStatus();
  };
  if (!j.contains("schema") || !j["schema"].is_number_integer()) return InvalidArgument("manifest lacks an integer 'schema'");
  m.schema = j["schema"].get<int>();
  LT_TRY_STATUS(str("name", m.name, true));
  LT_TRY_STATUS(str("tag", m.tag, true));
  LT_TRY_STATUS(str("kind", m.kind, true));
  LT_TRY_STATUS(str("format", m.format, true));
  LT_TRY_STATUS(str("architecture", m.architecture, false));
  LT_TRY_STATUS(str("builder", m.builder, true));
  LT_TRY_STATUS(str("license", m.license, false));
  std::string root;
  LT_TRY_STATUS(str("root", root, true));
  auto c = Cid::Parse(root);
  if (!c.ok()) return c.error().Wrap("manifest root");
  m.root = *c;
  if (j.contains("builder_fee_bps")) {
    if (!j["builder_fee_bps"].is_number_unsigned()) return InvalidArgument("manifest builder_fee_bps is not a non-negative integer");
    uint64_t v = j["builder_fee_bps"].get<uint64_t>();
    if (v > 10000) return InvalidArgument("builder_fee_bps must be at most 10000");
    m.builder_fee_bps = static_cast<uint32_t>(v);
  }
  if (j.contains("requirements")) {
    const auto& r = j["requirements"];
    if (!r.is_object()) return InvalidArgument("manifest requirements is not an object");
    if (r.contains("ram_bytes")) {
      if (!r["ram_bytes"].is_number_unsigned()) return InvalidArgument("requirements.ram_bytes is not a non-negative integer");
      m.requirements.ram_bytes = r["ram_bytes"].get<uint64_t>();
    }
    if (r.contains("accelerator")) {
      if (!r["accelerator"].is_string()) return InvalidArgument("requirements.accelerator is not a string");
      m.requirements.accelerator = r["accelerator"].get<std::string>();
    }
  }
  if (j.contains("agent")) m.agent = j["agent"];
  LT_TRY_STATUS(m.Validate());
  return m;
}

Result<Manifest> Manifest::Decode(std::string_view bytes) {
  if (bytes.size() > 64 * 1024) return InvalidArgument("manifest larger than 64 KiB");
  nlohmann::json j = ParseJson(bytes);
  if (j.is_discarded()) return InvalidArgument("manifest is not valid JSON");
  return FromJson(j);
}

}  // namespace lt::registry
