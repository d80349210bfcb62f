// Model references and manifests (DESIGN §4).
//
// Names: `namespace/name` matches [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
// (at most 255 bytes), tags match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}, `latest` is the default.
// A reference is NAME[:TAG] or NAME@CID (a pinned immutable version). The checks are hand-written
// matchers (no regex engine on network input).
// Manifest: the JSON document the ledger maps name:tag to (stored as a raw block); schema in
// doc/registry.md. FromJson validates every field and names the first bad one.
// Thread-safety: pure functions and plain values.
#ifndef LT_REGISTRY_MANIFEST_H_
#define LT_REGISTRY_MANIFEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "registry/cid.h"
#include "util/result.h"

namespace lt::registry {

inline constexpr char kDefaultTag[] = "latest";
inline constexpr int kManifestSchema = 1;

Status ValidateName(std::string_view name);
Status ValidateTag(std::string_view tag);

struct ModelRef {
  std::string name;
  std::string tag;         // empty when pinned by CID
  std::optional<Cid> cid;  // NAME@CID
  std::string ToString() const;
};
// "ns/name", "ns/name:tag", "ns/name@bafy..."; the tag defaults to "latest".
Result<ModelRef> ParseModelRef(std::string_view ref);

struct Requirements {
  uint64_t ram_bytes = 0;
  std::string accelerator = "none";  // none | cpu | cuda | metal | vulkan | rocm
};

struct Manifest {
  int schema = kManifestSchema;
  std::string name;
  std::string tag = kDefaultTag;
  std::string kind = "model";     // model | agent
  std::string format = "gguf";    // gguf | llama2c | openai-remote
  std::string architecture;       // e.g. "llama"
  Cid root;                       // UnixFS root of the files
  Requirements requirements;
  std::string builder;            // 0x-prefixed 20-byte address
  uint32_t builder_fee_bps = 0;   // 0..10000
  std::string license;            // SPDX id or free text
  // kind "agent" only, optional: the agent object (doc/registry.md "Agent manifests"), kept
  // verbatim (src/agent validates it; registry does not include agent); null otherwise, and
  // then absent from the JSON, so model manifests encode as before.
  nlohmann::json agent;

  nlohmann::json ToJson() const;
  // Canonical bytes (keys sorted, no spaces): the raw block whose CID the ledger records.
  std::string Encode() const;
  Cid BlockCid() const;
  static Result<Manifest> FromJson(const nlohmann::json& j);
  static Result<Manifest> Decode(std::string_view bytes);
  Status Validate() const;
};

}  // namespace lt::registry

#endif  // LT_REGISTRY_MANIFEST_H_
