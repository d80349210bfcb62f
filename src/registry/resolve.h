// Name resolution and "make sure this model is in my store" (doc/registry.md "Resolution").
//
// The ledger maps name:tag to a bytes32 which is the SHA-256 of the manifest block; the manifest's
// CID is CIDv1 raw sha2-256 of those bytes, so bytes32 <-> CID is a bijection (ManifestCid /
// ManifestDigest). ResolveTag asks the ledger (GET /models/NS/NAME) and names what is missing.
// EnsureModel fetches the manifest block first (verified against its CID, checked to be a
// schema-1 manifest of the expected name), then its root DAG with the Fetcher (several holders,
// every block verified), records the ref `name:tag` -> manifest CID (GC follows a manifest to its
// root), and returns the local paths of the model's files.
// Thread-safety: functions are reentrant; the Store is thread-safe.
#ifndef LT_REGISTRY_RESOLVE_H_
#define LT_REGISTRY_RESOLVE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ledger/ledger.h"
#include "registry/fetcher.h"
#include "registry/manifest.h"
#include "registry/store.h"

namespace lt::registry {

Cid ManifestCid(const Hash32& digest);
Hash32 ManifestDigest(const Cid& manifest_cid);

struct Resolved {
  std::string name, tag;
  Cid manifest;       // CIDv1 raw of the manifest block
  std::string owner;  // checksummed address of the name's owner
};
// NAME:TAG -> manifest, via the ledger. NotFound when the name or tag is not registered;
// kUnavailable (wrapped with the ledger's words) when the ledger cannot be reached.
Result<Resolved> ResolveTag(ledger::Ledger& ledger, const std::string& name, const std::string& tag);

struct LocalFile {
  std::string name;  // path inside the model's directory ("" when the root is a single file)
  std::string path;  // absolute path in the store (complete file, ready to mmap)
  uint64_t size = 0;
};

struct LocalModel {
  Manifest manifest;
  Cid manifest_cid;
  std::vector<LocalFile> files;
  FetchProgress fetched;  // what the root pull did (zero when already local)
  std::vector<std::string> banned;
  std::map<std::string, uint64_t> blocks_by_peer;  // where the root pull's blocks came from
};

// The manifest block from the store, decoded.
Result<Manifest> LoadManifest(Store& store, const Cid& manifest_cid);
// Fetches one small block (<= 1 MiB) from the first holder that answers with the right bytes.
Result<Bytes> FetchBlock(PeerDiscovery& holders, const Cid& cid);
// Manifest then root, from `holders` unless already local; sets ref `ref_name` -> manifest.
// `expect_name` (if not empty) must be the manifest's name.
Result<LocalModel> EnsureModel(Store& store, PeerDiscovery& holders, const Cid& manifest_cid,
                               const std::string& ref_name, const std::string& expect_name,
                               FetchOptions options = {});
// The complete files under `root` (a file, or a UnixFS directory walked recursively).
Result<std::vector<LocalFile>> LocalFiles(Store& store, const Cid& root);

// Size of the content under root as its blocks say (file size, or the sum for a directory), and
// the number of blocks when every node is local.
struct DagStats {
  std::string type;  // "file" or "directory"
  uint64_t size = 0;
  uint64_t blocks = 0;
  bool complete = false;
};
Result<DagStats> LocalDagStats(Store& store, const Cid& root);

}  // namespace lt::registry

#endif  // LT_REGISTRY_RESOLVE_H_
