#include "registry/dagpb.h"

namespace lt::registry {
namespace {

void AppendBytesField(Bytes& out, uint8_t tag, ByteSpan b) {
  out.push_back(tag);
  AppendVarint(out, b.size());
  out.insert(out.end(), b.begin(), b.end());
}

// Reads a length-delimited payload at *pos.
Result<ByteSpan> ReadLengthDelimited(ByteSpan data, size_t* pos, const char* what) {
  auto len = ReadVarint(data, pos);
  if (!len.ok()) return len.error().Wrap(what);
  if (*len > data.size() - *pos) return InvalidArgument(std::string(what) + ": length runs past the end");
  ByteSpan out = data.subspan(*pos, *len);
  *pos += *len;
  return out;
}

Result<PBLink> DecodeLink(ByteSpan b) {
  PBLink link;
  size_t pos = 0;
  int last_field = 0;
  bool have_hash = false;
  while (pos < b.size()) {
    auto key = ReadVarint(b, &pos);
    if (!key.ok()) return key.error().Wrap("PBLink field key");
    uint64_t field = *key >> 3, wire = *key & 7;
    if (field < 1 || field > 3) return InvalidArgument("PBLink has unknown field " + std::to_string(field));
    if (static_cast<int>(field) <= last_field) return InvalidArgument("PBLink fields out of order or repeated");
    last_field = static_cast<int>(field);
    if (field == 1) {
      if (wire != 2) return InvalidArgument("PBLink.Hash has wrong wire type");
      LT_TRY(ByteSpan h, ReadLengthDelimited(b, &pos, "PBLink.Hash"));
      auto cid = Cid::FromBinary(h);
      if (!cid.ok()) return cid.error().Wrap("PBLink.Hash");
      link.hash = *cid;
      have_hash = true;
    } else if (field == 2) {
      if (wire != 2) return InvalidArgument("PBLink.Name has wrong wire type");
      LT_TRY(ByteSpan n, ReadLengthDelimited(b, &pos, "PBLink.Name"));
      link.name = std::string(AsString(n));
    } else {
      if (wire != 0) return InvalidArgument("PBLink.Tsize has wrong wire type");
      auto t = ReadVarint(b, &pos);
      if (!t.ok()) return t.error().Wrap("PBLink.Tsize");
      link.tsize = *t;
    }
  }
  if (!have_hash) return InvalidArgument("PBLink without Hash");
  return link;
}

}  // namespace

Bytes EncodePBNode(const PBNode& node) {
  Bytes out;
  for (const PBLink& l : node.links) {
    Bytes lb;
    AppendBytesField(lb, 0x0a, l.hash.ToBytes());
    if (l.name) AppendBytesField(lb, 0x12, AsBytes(*l.name));
    if (l.tsize) {
      lb.push_back(0x18);
      AppendVarint(lb, *l.tsize);
    }
    AppendBytesField(out, 0x12, lb);
  }
  if (node.data) AppendBytesField(out, 0x0a, *node.data);
  return out;
}

Result<PBNode> DecodePBNode(ByteSpan block) {
  PBNode node;
  size_t pos = 0;
  while (pos < block.size()) {
    if (node.data) return InvalidArgument("dag-pb: fields after PBNode.Data");
    auto key = ReadVarint(block, &pos);
    if (!key.ok()) return key.error().Wrap("dag-pb field key");
    uint64_t field = *key >> 3, wire = *key & 7;
    if (wire != 2) return InvalidArgument("dag-pb: field " + std::to_string(field) + " has wrong wire type");
    if (field == 1) {
      LT_TRY(ByteSpan d, ReadLengthDelimited(block, &pos, "dag-pb PBNode.Data"));
      node.data = Bytes(d.begin(), d.end());
    } else if (field == 2) {
      LT_TRY(ByteSpan lb, ReadLengthDelimited(block, &pos, "dag-pb PBNode.Links"));
      auto link = DecodeLink(lb);
      if (!link.ok()) return link.error().Wrap("dag-pb link " + std::to_string(node.links.size()));
      node.links.push_back(std::move(*link));
    } else {
      return InvalidArgument("dag-pb: unknown PBNode field " + std::to_string(field));
    }
  }
  return node;
}

Bytes EncodeUnixFSData(const UnixFSData& d) {
  Bytes out;
  out.push_back(0x08);
  AppendVarint(out, static_cast<uint64_t>(d.type));
  if (d.data && !d.data->empty()) AppendBytesField(out, 0x12, *d.data);
  if (d.filesize) {
    out.push_back(0x18);
    AppendVarint(out, *d.filesize);
  }
  for (uint64_t s : d.blocksizes) {
    out.push_back(0x20);
    AppendVarint(out, s);
  }
  if (d.hash_type) {
    out.push_back(0x28);
    AppendVarint(out, *d.hash_type);
  }
  if (d.fanout) {
    out.push_back(0x30);
    AppendVarint(out, *d.fanout);
  }
  if (d.mode) {
    out.push_back(0x38);
    AppendVarint(out, *d.mode);
  }
  return out;
}

Result<UnixFSData> DecodeUnixFSData(ByteSpan b) {
  UnixFSData d;
  bool have_type = false;
  size_t pos = 0;
  while (pos < b.size()) {
    auto key = ReadVarint(b, &pos);
    if (!key.ok()) return key.error().Wrap("UnixFS field key");
    uint64_t field = *key >> 3, wire = *key & 7;
    auto need_varint = [&](const char* name) -> Result<uint64_t> {
      if (wire != 0) return InvalidArgument(std::string("UnixFS.") + name + " has wrong wire type");
      auto v = ReadVarint(b, &pos);
      if (!v.ok()) return v.error().Wrap(std::string("UnixFS.") + name);
      return v;
    };
    switch (field) {
      case 1: {
        LT_TRY(uint64_t t, need_varint("Type"));
        if (t > 5) return InvalidArgument("UnixFS.Type " + std::to_string(t) + " is unknown");
        d.type = static_cast<UnixFSType>(t);
        have_type = true;
        break;
      }
      case 2: {
        if (wire != 2) return InvalidArgument("UnixFS.Data has wrong wire type");
        LT_TRY(ByteSpan v, ReadLengthDelimited(b, &pos, "UnixFS.Data"));
        d.data = Bytes(v.begin(), v.end());
        break;
      }
      case 3: {
        LT_TRY(d.filesize, need_varint("filesize"));
        break;
      }
      case 4: {
        if (wire == 2) {  // packed form
          LT_TRY(ByteSpan v, ReadLengthDelimited(b, &pos, "UnixFS.blocksizes"));
          size_t p = 0;
          while (p < v.size()) {
            auto s = ReadVarint(v, &p);
            if (!s.ok()) return s.error().Wrap("UnixFS.blocksizes");
            d.blocksizes.push_back(*s);
          }
        } else {
          LT_TRY(uint64_t s, need_varint("blocksizes"));
          d.blocksizes.push_back(s);
        }
        break;
      }
      case 5: {
        LT_TRY(d.hash_type, need_varint("hashType"));
        break;
      }
      case 6: {
        LT_TRY(d.fanout, need_varint("fanout"));
        break;
      }
      case 7: {
        LT_TRY(uint64_t m, need_varint("mode"));
        d.mode = static_cast<uint32_t>(m);
        break;
      }
      case 8: {  // mtime: accepted and ignored
        if (wire != 2) return InvalidArgument("UnixFS.mtime has wrong wire type");
        LT_TRY(ByteSpan ignored, ReadLengthDelimited(b, &pos, "UnixFS.mtime"));
        (void)ignored;
        break;
      }
      default:
        return InvalidArgument("UnixFS has unknown field " + std::to_string(field));
    }
  }
  if (!have_type) return InvalidArgument("UnixFS data without Type");
  return d;
}

}  // namespace lt::registry
