#include "registry/gateway.h"

#include <unordered_set>

#include "registry/car.h"
#include "registry/dag.h"
#include "registry/gateway_request.h"
#include "registry/hamt.h"

namespace lt::registry {
namespace {

constexpr char kRawType[] = "application/vnd.ipld.raw";
constexpr char kCarType[] = "application/vnd.ipld.car";
// The identity CID of empty bytes: the spec's probe path.
constexpr char kProbeCid[] = "bafkqaaa";
constexpr size_t kMaxPathSegments = 64;
constexpr size_t kMaxPlanBlocks = 1 << 22;  // 4M blocks: 4 TiB of 1 MiB leaves

net::HttpResponse Err(int status, const std::string& code, const std::string& message) {
  auto r = net::HttpResponse::ErrorJson(status, code, message);
  r.headers.emplace("Access-Control-Allow-Origin", "*");
  return r;
}

void CommonHeaders(net::HttpResponse& r) {
  r.headers.emplace("X-Content-Type-Options", "nosniff");
  r.headers.emplace("Vary", "Accept");
  r.headers.emplace("Access-Control-Allow-Origin", "*");
  r.headers.emplace("Access-Control-Expose-Headers",
                    "Content-Length, Content-Type, Etag, X-Ipfs-Path, X-Ipfs-Roots, Content-Disposition");
}

// If-None-Match holds `etag` (weak comparison) or '*'.
bool NotModified(const net::HttpRequest& req, const std::string& etag) {
  std::string inm = req.Header("If-None-Match");
  if (inm.empty()) return false;
  auto strip = [](std::string_view t) {
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    if (t.substr(0, 2) == "W/") t.remove_prefix(2);
    return t;
  };
  std::string_view want = strip(etag);
  size_t start = 0;
  while (start <= inm.size()) {
    size_t end = inm.find(',', start);
    if (end == std::string::npos) end = inm.size();
    std::string_view t = strip(std::string_view(inm).substr(start, end - start));
    if (t == "*" || t == want) return true;
    start = end + 1;
  }
  return false;
}

// Blocks of a CAR answer in the order they are sent; duplicates dropped unless `dups`.
class Plan {
 public:
  Plan(Store& store, bool dups) : store_(store), source_(&store), dups_(dups) {}
  BlockSource& source() { return source_; }
  const std::vector<Cid>& blocks() const { return blocks_; }

  Status Add(const Cid& c) {
    if (!dups_ && !seen_.insert(c.ToV1()).second) return OkStatus();
    if (blocks_.size() >= kMaxPlanBlocks) return InvalidArgument("the DAG has too many blocks for one CAR");
    blocks_.push_back(c);
    return OkStatus();
  }

  // The whole DAG below `c`, depth-first pre-order, links in order.
  Status All(const Cid& c, int depth) {
    if (depth > 256) return InvalidArgument("DAG deeper than 256 levels");
    bool first = dups_ || !seen_.count(c.ToV1());
    LT_TRY_STATUS(Add(c));
    if (!first || !c.IsDagPb()) return OkStatus();
    LT_TRY(Bytes b, store_.Get(c));
    LT_TRY(PBNode n, DecodePBNode(b));
    for (const PBLink& l : n.links) LT_TRY_STATUS(All(l.hash, depth + 1));
    return OkStatus();
  }

  // What it takes to read the entity at `c`: a file's whole DAG (or the part covering `range`),
  // a directory's block (and a HAMT's shards), any other block itself.
  Status Entity(const Cid& c, const std::optional<EntityBytes>& range) {
    if (!c.IsDagPb()) return Add(c);
    LT_TRY(Bytes b, store_.Get(c));
    LT_TRY(UnixFSNode n, DecodeUnixFSNode(b));
    if (n.fs.type == UnixFSType::kHamtShard) {
      LT_TRY_STATUS(Add(c));
      std::vector<Cid> shards;
      LT_TRY(auto entries, ListDirectory(source_, c, b, &shards));
      (void)entries;
      for (const Cid& s : shards) LT_TRY_STATUS(Add(s));
      return OkStatus();
    }
    if (n.fs.type != UnixFSType::kFile && n.fs.type != UnixFSType::kRaw) return Add(c);
    if (!range) return All(c, 0);
    uint64_t size = n.fs.filesize.value_or(0);
    int64_t from = range->from < 0 ? static_cast<int64_t>(size) + range->from : range->from;
    int64_t to = !range->to ? static_cast<int64_t>(size) - 1
                            : (*range->to < 0 ? static_cast<int64_t>(size) + *range->to : *range->to);
    from = std::max<int64_t>(from, 0);
    to = std::min<int64_t>(to, static_cast<int64_t>(size) - 1);
    if (from > to) return Add(c);  // a zero-length range: as dag-scope=block
    return Range(c, b, n, 0, static_cast<uint64_t>(from), static_cast<uint64_t>(to), 0);
  }

 private:
  // The blocks of the file node `c` (at file offset `at`) that hold bytes [from, to].
  Status Range(const Cid& c, ByteSpan b, const UnixFSNode& n, uint64_t at, uint64_t from, uint64_t to, int depth) {
    if (depth > 32) return InvalidArgument("file DAG deeper than 32 levels");
    LT_TRY_STATUS(Add(c));
    if (n.fs.blocksizes.size() != n.pb.links.size()) return Corrupt("file node " + c.ToString() + " has mismatched blocksizes");
    (void)b;
    uint64_t off = at;
    for (size_t i = 0; i < n.pb.links.size(); ++i) {
      uint64_t len = n.fs.blocksizes[i];
      const Cid& child = n.pb.links[i].hash;
      if (len > 0 && off <= to && off + len - 1 >= from) {
        if (child.IsRaw()) {
          LT_TRY_STATUS(Add(child));
        } else {
          LT_TRY(Bytes cb, store_.Get(child));
          LT_TRY(UnixFSNode cn, DecodeUnixFSNode(cb));
          LT_TRY_STATUS(Range(child, cb, cn, off, from, to, depth + 1));
        }
      }
      off += len;
      if (off > to) break;
    }
    return OkStatus();
  }

  Store& store_;
  StoreBlockSource source_;
  bool dups_;
  std::unordered_set<Cid, CidHash> seen_;
  std::vector<Cid> blocks_;
};

net::HttpResponse Probe(const GatewayRequest& g) {
  net::HttpResponse r;
  CommonHeaders(r);
  r.headers.emplace("Cache-Control", "public, max-age=29030400, immutable");
  if (g.format == GatewayFormat::kRaw) {
    r.content_type = kRawType;
    return r;
  }
  // A CAR whose header names bafkqaaa (CIDv1 raw, identity multihash of no bytes) and no blocks.
  r.content_type = std::string(kCarType) + "; version=1; order=dfs; dups=n";
  const uint8_t header[] = {0xa2, 0x65, 'r', 'o', 'o', 't', 's', 0x81, 0xd8, 0x2a, 0x45, 0x00, 0x01, 0x55, 0x00,
                            0x00, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x01};
  r.body.push_back(static_cast<char>(sizeof header));
  r.body.append(reinterpret_cast<const char*>(header), sizeof header);
  return r;
}

net::HttpResponse Serve(Store& store, const net::HttpRequest& req) {
  ParsedGatewayRequest parsed = ParseGatewayRequest(req.Header("Accept"), req.query);
  if (!parsed.request) {
    return Err(parsed.error.status, parsed.error.status == 406 ? "not_acceptable" : "invalid_argument",
               parsed.error.message);
  }
  const GatewayRequest& g = *parsed.request;
  std::string cid_text = req.matches.size() > 1 ? req.matches[1] : "";
  std::string path = req.matches.size() > 2 ? req.matches[2] : "";
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (cid_text == kProbeCid && path.empty()) return Probe(g);
  auto cid = Cid::Parse(cid_text);
  if (!cid.ok()) return Err(400, "invalid_argument", cid.error().message);
  if (g.format == GatewayFormat::kRaw && !path.empty()) {
    return Err(400, "invalid_argument", "a raw block is asked for by CID alone; ask for format=car to follow a path");
  }
  bool root_held = store.Has(*cid);
  if (!root_held && req.Header("Cache-Control").find("only-if-cached") != std::string::npos) {
    return Err(412, "failed_precondition", "block " + cid->ToString() + " is not in this store");
  }
  if (!root_held) return Err(404, "not_found", "block " + cid->ToString() + " is not in this store");

  // Resolve the path: the blocks that prove each step go first in a CAR.
  Plan plan(store, g.dups);
  Cid target = *cid;
  std::string roots = cid->ToString();
  std::vector<Cid> path_blocks;
  size_t start = 0, segments = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string seg = path.substr(start, end - start);
    start = end + 1;
    if (seg.empty()) continue;
    if (seg == "." || seg == "..") return Err(400, "invalid_argument", "path segment '" + seg + "' is not allowed");
    if (++segments > kMaxPathSegments) return Err(400, "invalid_argument", "path has more than 64 segments");
    auto block = store.Get(target);
    if (!block.ok()) return net::HttpResponse::FromError(block.error());
    path_blocks.push_back(target);
    std::vector<Cid> shards;
    auto hit = target.IsDagPb() ? LookupDirectory(plan.source(), target, *block, seg, &shards)
                                : Result<std::optional<DirEntry>>(InvalidArgument("not a directory"));
    if (!hit.ok() || !*hit) {
      return Err(404, "not_found", "no entry '" + seg + "' in " + target.ToString() +
                                       (hit.ok() ? "" : " (" + hit.error().message + ")"));
    }
    path_blocks.insert(path_blocks.end(), shards.begin(), shards.end());
    target = (*hit)->cid;
    roots += "," + target.ToString();
  }

  net::HttpResponse r;
  CommonHeaders(r);
  r.headers.emplace("Cache-Control", "public, max-age=29030400, immutable");
  r.headers.emplace("X-Ipfs-Path", "/ipfs/" + cid_text + path);
  r.headers.emplace("X-Ipfs-Roots", roots);
  if (g.format == GatewayFormat::kRaw) {
    std::string etag = "\"" + target.ToString() + ".raw\"";
    r.headers.emplace("Etag", etag);
    r.headers.emplace("Content-Disposition", "attachment; filename=\"" + target.ToString() + ".bin\"");
    if (NotModified(req, etag)) {
      r.status = 304;
      r.content_type = kRawType;
      return r;
    }
    auto block = store.Get(target);
    if (!block.ok()) return net::HttpResponse::FromError(block.error());
    r.content_type = kRawType;
    r.body.assign(reinterpret_cast<const char*>(block->data()), block->size());
    return r;
  }

  std::string path_tag = path.empty() ? "" : "." + HexEncode(Sha256(AsBytes(path))).substr(0, 16);
  std::string etag = "W/\"" + cid->ToString() + path_tag + ".car." + std::string(DagScopeName(g.scope)) +
                     (g.dups ? ".dups" : "");
  if (g.entity_bytes) {
    etag += ".bytes=" + std::to_string(g.entity_bytes->from) + ":" +
            (g.entity_bytes->to ? std::to_string(*g.entity_bytes->to) : std::string("*"));
  }
  etag += "\"";
  r.headers.emplace("Etag", etag);
  r.headers.emplace("Content-Disposition", "attachment; filename=\"" + target.ToString() + ".car\"");
  r.content_type = std::string(kCarType) + "; version=1; order=dfs; dups=" + (g.dups ? "y" : "n");
  if (NotModified(req, etag)) {
    r.status = 304;
    return r;
  }
  // Plan the CAR, and make sure every block is here before answering 200.
  for (const Cid& c : path_blocks) {
    if (auto s = plan.Add(c); !s.ok()) return net::HttpResponse::FromError(s.error());
  }
  if (g.entity_bytes && target.IsDagPb()) {
    // A range outside a file we can size up front is a 400.
    auto b = store.Get(target);
    if (b.ok()) {
      auto n = DecodeUnixFSNode(*b);
      if (n.ok() && n->fs.type == UnixFSType::kFile && g.entity_bytes->from >= 0 && n->fs.filesize.value_or(0) > 0 &&
          static_cast<uint64_t>(g.entity_bytes->from) >= *n->fs.filesize) {
        return Err(400, "invalid_argument", "entity-bytes starts past the end of the file (" +
                                                std::to_string(*n->fs.filesize) + " bytes)");
      }
    }
  }
  Status planned = g.scope == DagScope::kBlock    ? plan.Add(target)
                   : g.scope == DagScope::kEntity ? plan.Entity(target, g.entity_bytes)
                                                  : plan.All(target, 0);
  if (!planned.ok()) return net::HttpResponse::FromError(planned.error());
  for (const Cid& c : plan.blocks()) {
    if (!store.Has(c)) return Err(404, "not_found", "block " + c.ToString() + " is not in this store");
  }
  Cid root = *cid;
  auto blocks = std::make_shared<std::vector<Cid>>(plan.blocks());
  r.stream = [&store, root, blocks](net::ChunkSink& sink) {
    Status s = WriteCarBlocks(store, {root}, *blocks, [&sink](ByteSpan b) -> Status {
      if (!sink.Write(AsString(b))) return MakeError(ErrorCode::kUnavailable, "client went away");
      return OkStatus();
    });
    (void)s;  // a failure mid-stream ends the response early; the client sees a truncated CAR
  };
  return r;
}

}  // namespace

std::string RawBlockPath(const Cid& cid) { return "/ipfs/" + cid.ToString() + "?format=raw"; }

void MountGateway(net::HttpServer& server, Store& store) {
  server.Get(R"(/ipfs/([^/]*)(/.*)?)", [&store](const net::HttpRequest& req) { return Serve(store, req); });
}

}  // namespace lt::registry
