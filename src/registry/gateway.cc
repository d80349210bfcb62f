#include "registry/gateway.h"

#include "registry/car.h"
#include "registry/dag.h"

namespace lt::registry {
namespace {

constexpr char kRawType[] = "application/vnd.ipld.raw";
constexpr char kCarType[] = "application/vnd.ipld.car";

net::HttpResponse Err(int status, const std::string& code, const std::string& message) {
  return net::HttpResponse::ErrorJson(status, code, message);
}

// Follows `path` ("/a/b") through UnixFS directories from `root`.
Result<Cid> Resolve(Store& store, Cid root, const std::string& path) {
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string seg = path.substr(start, end - start);
    start = end + 1;
    if (seg.empty()) continue;
    if (seg == "." || seg == "..") return InvalidArgument("path segment '" + seg + "' is not allowed");
    if (!root.IsDagPb()) return NotFound("'" + seg + "': " + root.ToString() + " is not a directory");
    LT_TRY(Bytes block, store.Get(root));
    LT_TRY(UnixFSNode n, DecodeUnixFSNode(block));
    if (n.fs.type != UnixFSType::kDirectory) return NotFound("'" + seg + "': " + root.ToString() + " is not a directory");
    bool found = false;
    for (const PBLink& l : n.pb.links) {
      if (l.name && *l.name == seg) {
        root = l.hash;
        found = true;
        break;
      }
    }
    if (!found) return NotFound("no entry '" + seg + "' in " + root.ToString());
  }
  return root;
}

net::HttpResponse Serve(Store& store, const net::HttpRequest& req) {
  std::string format = req.Query("format");
  std::string accept = req.Header("Accept");
  if (format.empty()) {
    if (accept.find(kRawType) != std::string::npos) {
      format = "raw";
    } else if (accept.find(kCarType) != std::string::npos) {
      format = "car";
    }
  }
  if (format.empty()) {
    return Err(406, "invalid_argument", "ask for ?format=raw or ?format=car (or the matching Accept type)");
  }
  if (format != "raw" && format != "car") return Err(400, "invalid_argument", "unsupported format '" + format + "'");
  auto cid = Cid::Parse(req.matches.size() > 1 ? req.matches[1] : "");
  if (!cid.ok()) return Err(400, "invalid_argument", cid.error().message);
  auto target = Resolve(store, *cid, req.matches.size() > 2 ? req.matches[2] : "");
  if (!target.ok()) return net::HttpResponse::FromError(target.error());
  net::HttpResponse r;
  r.headers.emplace("X-Content-Type-Options", "nosniff");
  r.headers.emplace("Cache-Control", "public, max-age=29030400, immutable");
  r.headers.emplace("X-Ipfs-Roots", target->ToString());
  if (format == "raw") {
    auto block = store.Get(*target);
    if (!block.ok()) return net::HttpResponse::FromError(block.error());
    r.content_type = kRawType;
    r.headers.emplace("Etag", "\"" + target->ToString() + ".raw\"");
    r.body.assign(reinterpret_cast<const char*>(block->data()), block->size());
    return r;
  }
  // CAR: make sure every block is here before answering 200.
  StoreBlockSource source(&store);
  auto cids = ListDag(source, *target);
  if (!cids.ok()) return net::HttpResponse::FromError(cids.error());
  for (const Cid& c : *cids) {
    if (!store.Has(c)) return Err(404, "not_found", "block " + c.ToString() + " is not in the store");
  }
  r.content_type = std::string(kCarType) + "; version=1; order=dfs; dups=n";
  r.headers.emplace("Etag", "\"" + target->ToString() + ".car\"");
  if (req.method == "HEAD") return r;
  Cid root = *target;
  r.stream = [&store, root](net::ChunkSink& sink) {
    Status s = WriteCar(store, root, [&sink](ByteSpan b) -> Status {
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
