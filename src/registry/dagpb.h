// The dag-pb codec (PBNode / PBLink) and the UnixFS Data message carried in PBNode.Data.
//
// Encoding is canonical as in the dag-pb spec and @ipld/dag-pb: Links (field 2) are written before
// Data (field 1); in a link Hash, Name, Tsize in that order, absent fields omitted (an empty but
// present Name is written, as the JS importer does for file links). DecodePBNode is strict in the
// same way as @ipld/dag-pb: only fields 1 and 2 with wire type 2, all Links before Data, at most
// one Data, each link with a Hash and fields in order, no trailing or truncated bytes. UnixFS Data
// decoding accepts the protobuf fields of unixfs.proto (Type required) and refuses anything else.
// Every error names what was wrong; nothing aborts on input. Thread-safety: pure functions.
#ifndef LT_REGISTRY_DAGPB_H_
#define LT_REGISTRY_DAGPB_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "registry/cid.h"
#include "util/bytes.h"
#include "util/result.h"

namespace lt::registry {

struct PBLink {
  Cid hash;
  std::optional<std::string> name;
  std::optional<uint64_t> tsize;
  bool operator==(const PBLink&) const = default;
};

struct PBNode {
  std::vector<PBLink> links;
  std::optional<Bytes> data;
  bool operator==(const PBNode&) const = default;
};

Bytes EncodePBNode(const PBNode& node);
Result<PBNode> DecodePBNode(ByteSpan block);

// unixfs.proto Data.DataType. Never renumber: these values are on the wire.
enum class UnixFSType : uint64_t {
  kRaw = 0,
  kDirectory = 1,
  kFile = 2,
  kMetadata = 3,
  kSymlink = 4,
  kHamtShard = 5,
};

struct UnixFSData {
  UnixFSType type = UnixFSType::kFile;
  std::optional<Bytes> data;
  std::optional<uint64_t> filesize;
  std::vector<uint64_t> blocksizes;
  std::optional<uint64_t> hash_type;
  std::optional<uint64_t> fanout;
  std::optional<uint32_t> mode;
  bool operator==(const UnixFSData&) const = default;
};

// Fields in number order (Type, Data, filesize, blocksizes unpacked, hashType, fanout, mode), as
// ipfs-unixfs marshals them. mtime is not produced.
Bytes EncodeUnixFSData(const UnixFSData& d);
Result<UnixFSData> DecodeUnixFSData(ByteSpan bytes);

}  // namespace lt::registry

#endif  // LT_REGISTRY_DAGPB_H_
