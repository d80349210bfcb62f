#include "registry/resolve.h"

#include <sys/stat.h>

#include "ledger/model_hints.h"
#include "net/http.h"
#include "registry/dag.h"
#include "registry/gateway.h"
#include "util/log.h"

namespace lt::registry {

Cid ManifestCid(const Hash32& digest) {
  Cid c;
  c.codec = kCodecRaw;
  c.digest = digest;
  return c;
}

Hash32 ManifestDigest(const Cid& manifest_cid) { return manifest_cid.digest; }

Result<Resolved> ResolveTag(ledger::Ledger& ledger, const std::string& name, const std::string& tag) {
  LT_TRY_STATUS(ValidateName(name));
  LT_TRY_STATUS(ValidateTag(tag));
  auto model = ledger.GetModel(name);
  if (!model.ok()) {
    if (model.error().code == ErrorCode::kNotFound) {
      auto all = ledger.GetModels();
      return NotFound(ledger::UnknownModelMessage(name, all.ok() ? *all : std::vector<ledger::ModelInfo>{}));
    }
    return model.error().Wrap("ledger (looking up '" + name + "')");
  }
  auto manifest = model->Tag(tag);
  if (!manifest) return NotFound(ledger::MissingTagMessage(*model, tag));
  Resolved r;
  r.name = name;
  r.tag = tag;
  r.manifest = ManifestCid(*manifest);
  r.owner = model->owner.ToChecksumHex();
  return r;
}

Result<Manifest> LoadManifest(Store& store, const Cid& manifest_cid) {
  if (!manifest_cid.IsRaw())
    return InvalidArgument(manifest_cid.ToString() + " is not a manifest CID (raw codec)");
  LT_TRY(Bytes b, store.Get(manifest_cid));
  auto m = Manifest::Decode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  if (!m.ok()) return m.error().Wrap("manifest " + manifest_cid.ToString());
  return m;
}

Result<Bytes> FetchBlock(PeerDiscovery& holders, const Cid& cid) {
  LT_TRY(std::vector<std::string> urls, holders.FindPeers(cid));
  std::string errors;
  for (const std::string& url : urls) {
    net::HttpClientOptions o;
    o.connect_timeout_ms = 3000;
    o.read_timeout_ms = 10000;
    auto client = net::HttpClient::Create(url, o);
    std::string why;
    if (!client.ok()) {
      why = client.error().message;
    } else {
      auto res = client->Get(RawBlockPath(cid), {{"Accept", "application/vnd.ipld.raw"}});
      if (!res.ok()) {
        why = res.error().message;
      } else if (res->status != 200) {
        why = "HTTP " + std::to_string(res->status);
      } else if (res->body.size() > (1u << 20)) {
        why = "block larger than 1 MiB";
      } else if (!cid.Matches(AsBytes(res->body))) {
        why = "sent bytes that do not hash to the CID";
      } else {
        return Bytes(res->body.begin(), res->body.end());
      }
    }
    errors += "; " + url + ": " + why;
  }
  return NotFound("could not fetch block " + cid.ToString() + errors);
}

Result<std::vector<LocalFile>> LocalFiles(Store& store, const Cid& root) {
  std::vector<LocalFile> out;
  struct Item {
    Cid cid;
    std::string name;
    int depth;
  };
  std::vector<Item> stack{{root, "", 0}};
  while (!stack.empty()) {
    Item it = stack.back();
    stack.pop_back();
    bool is_dir = false;
    if (it.cid.IsDagPb()) {
      LT_TRY(Bytes b, store.Get(it.cid));
      LT_TRY(UnixFSNode n, DecodeUnixFSNode(b));
      if (IsDirectory(n)) {
        is_dir = true;
        if (it.depth > 32)
          return InvalidArgument("directory nesting deeper than 32 under " + root.ToString());
        StoreBlockSource src(&store);
        LT_TRY(std::vector<DirEntry> entries, ListDirectory(src, it.cid, b));
        for (auto l = entries.rbegin(); l != entries.rend(); ++l) {
          stack.push_back({l->cid, it.name.empty() ? l->name : it.name + "/" + l->name, it.depth + 1});
        }
      }
    }
    if (is_dir) continue;
    LT_TRY(std::string path, store.FilePath(it.cid));
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return IoError("stat " + path);
    out.push_back({it.name, path, static_cast<uint64_t>(st.st_size)});
  }
  return out;
}

Result<LocalModel> EnsureModel(Store& store, PeerDiscovery& holders, const Cid& manifest_cid,
                               const std::string& ref_name, const std::string& expect_name,
                               FetchOptions options) {
  if (!manifest_cid.IsRaw())
    return InvalidArgument(manifest_cid.ToString() + " is not a manifest CID (raw codec)");
  if (!store.Has(manifest_cid)) {
    LT_TRY(Bytes b, FetchBlock(holders, manifest_cid));
    auto m = Manifest::Decode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    if (!m.ok()) return m.error().Wrap("manifest " + manifest_cid.ToString() + " fetched from the network");
    LT_TRY_STATUS(store.PutInline(manifest_cid, b));
  }
  LocalModel out;
  out.manifest_cid = manifest_cid;
  LT_TRY(out.manifest, LoadManifest(store, manifest_cid));
  if (!expect_name.empty() && out.manifest.name != expect_name) {
    return Corrupt("manifest " + manifest_cid.ToString() + " is for '" + out.manifest.name + "', not '" +
                   expect_name + "'");
  }
  // The ref first, so a partial pull survives GC and resumes.
  if (!ref_name.empty()) LT_TRY_STATUS(store.SetRef(ref_name, manifest_cid));
  auto local = LocalFiles(store, out.manifest.root);
  if (local.ok()) {
    out.files = std::move(*local);
    return out;
  }
  Fetcher fetcher(store, holders, std::move(options));
  LT_TRY(FetchResult r, fetcher.Pull(out.manifest.root));
  out.fetched = r.progress;
  out.banned = r.banned;
  out.blocks_by_peer = r.blocks_by_peer;
  LT_TRY(out.files, LocalFiles(store, out.manifest.root));
  return out;
}

Result<DagStats> LocalDagStats(Store& store, const Cid& root) {
  DagStats s;
  s.type = "file";
  if (root.IsRaw()) {
    auto path = store.FilePath(root);
    if (path.ok()) {
      struct stat st {};
      if (::stat(path->c_str(), &st) == 0) s.size = static_cast<uint64_t>(st.st_size);
      s.blocks = 1;
      s.complete = true;
      return s;
    }
    LT_TRY(Bytes b, store.Get(root));
    s.size = b.size();
    s.blocks = 1;
    s.complete = true;
    return s;
  }
  LT_TRY(Bytes b, store.Get(root));
  LT_TRY(UnixFSNode n, DecodeUnixFSNode(b));
  if (IsDirectory(n)) {
    s.type = "directory";
    for (const auto& l : n.pb.links) s.size += l.tsize.value_or(0);
  } else {
    s.size = n.fs.filesize.value_or(0);
  }
  StoreBlockSource src(&store);
  auto all = ListDag(src, root);
  s.complete = all.ok() && LocalFiles(store, root).ok();
  if (all.ok()) s.blocks = all->size();
  if (s.type == "directory" && s.complete) {
    s.size = 0;
    for (const auto& f : *LocalFiles(store, root)) s.size += f.size;
  }
  return s;
}

}  // namespace lt::registry
