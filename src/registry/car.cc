#include "registry/car.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_map>

#include "registry/dag.h"
#include "util/fs.h"

namespace lt::registry {
namespace {

constexpr size_t kMaxHeader = 64 << 10;
constexpr size_t kMaxRoots = 64;

void CborHead(Bytes& out, uint8_t major, uint64_t v) {
  major <<= 5;
  if (v < 24) {
    out.push_back(major | static_cast<uint8_t>(v));
  } else if (v < 0x100) {
    out.push_back(major | 24);
    out.push_back(static_cast<uint8_t>(v));
  } else if (v < 0x10000) {
    out.push_back(major | 25);
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
  } else {
    out.push_back(major | 26);
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
  }
}

void CborText(Bytes& out, std::string_view s) {
  CborHead(out, 3, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

// A minimal strict dag-cbor reader for the CAR header.
struct Cbor {
  ByteSpan b;
  size_t pos = 0;
  Result<std::pair<uint8_t, uint64_t>> Head() {
    if (pos >= b.size()) return InvalidArgument("CAR header: truncated CBOR");
    uint8_t ib = b[pos++];
    uint8_t major = ib >> 5, info = ib & 31;
    uint64_t v;
    if (info < 24) {
      v = info;
    } else if (info <= 27) {
      size_t n = size_t{1} << (info - 24);
      if (b.size() - pos < n) return InvalidArgument("CAR header: truncated CBOR");
      v = 0;
      for (size_t i = 0; i < n; ++i) v = (v << 8) | b[pos++];
      if ((info == 24 && v < 24) || (info > 24 && v < (uint64_t{1} << (8 << (info - 25))))) {
        return InvalidArgument("CAR header: non-minimal CBOR integer");
      }
    } else {
      return InvalidArgument("CAR header: indefinite or reserved CBOR item");
    }
    return std::make_pair(major, v);
  }
  Result<std::string_view> Text() {
    LT_TRY(auto h, Head());
    if (h.first != 3) return InvalidArgument("CAR header: expected a text key");
    if (h.second > b.size() - pos) return InvalidArgument("CAR header: truncated text");
    std::string_view s = AsString(b.subspan(pos, h.second));
    pos += h.second;
    return s;
  }
};

}  // namespace

Bytes EncodeCarHeader(const std::vector<Cid>& roots) {
  Bytes out;
  CborHead(out, 5, 2);
  CborText(out, "roots");
  CborHead(out, 4, roots.size());
  for (const Cid& c : roots) {
    Bytes cb = c.ToBytes();
    CborHead(out, 6, 42);
    CborHead(out, 2, cb.size() + 1);
    out.push_back(0x00);
    out.insert(out.end(), cb.begin(), cb.end());
  }
  CborText(out, "version");
  CborHead(out, 0, 1);
  return out;
}

Result<std::vector<Cid>> DecodeCarHeader(ByteSpan header) {
  Cbor c{header};
  LT_TRY(auto m, c.Head());
  if (m.first != 5) return InvalidArgument("CAR header is not a CBOR map");
  if (m.second > 4) return InvalidArgument("CAR header has too many keys");
  std::vector<Cid> roots;
  bool have_roots = false, have_version = false;
  for (uint64_t i = 0; i < m.second; ++i) {
    LT_TRY(std::string_view key, c.Text());
    if (key == "version") {
      LT_TRY(auto v, c.Head());
      if (v.first != 0) return InvalidArgument("CAR header: version is not an integer");
      if (v.second == 2) return InvalidArgument("CARv2 is not supported (use CARv1)");
      if (v.second != 1) return InvalidArgument("CAR version " + std::to_string(v.second) + " is not supported");
      have_version = true;
    } else if (key == "roots") {
      LT_TRY(auto a, c.Head());
      if (a.first != 4) return InvalidArgument("CAR header: roots is not an array");
      if (a.second > kMaxRoots) return InvalidArgument("CAR header: too many roots");
      for (uint64_t r = 0; r < a.second; ++r) {
        LT_TRY(auto tag, c.Head());
        if (tag.first != 6 || tag.second != 42) return InvalidArgument("CAR header: root is not a CID (tag 42)");
        LT_TRY(auto bs, c.Head());
        if (bs.first != 2) return InvalidArgument("CAR header: CID is not a byte string");
        if (bs.second > c.b.size() - c.pos || bs.second < 1) return InvalidArgument("CAR header: truncated CID");
        ByteSpan cb = c.b.subspan(c.pos, bs.second);
        c.pos += bs.second;
        if (cb[0] != 0x00) return InvalidArgument("CAR header: CID without the 0x00 multibase prefix");
        auto cid = Cid::FromBinary(cb.subspan(1));
        if (!cid.ok()) return cid.error().Wrap("CAR header root");
        roots.push_back(*cid);
      }
      have_roots = true;
    } else {
      return InvalidArgument("CAR header: unexpected key '" + std::string(key) + "'");
    }
  }
  if (c.pos != header.size()) return InvalidArgument("CAR header: trailing bytes");
  if (!have_version) return InvalidArgument("CAR header without version");
  if (!have_roots) return InvalidArgument("CAR header without roots");
  return roots;
}

Status WriteCar(Store& store, const Cid& root, const ByteWriter& out) {
  Bytes header = EncodeCarHeader({root});
  Bytes len;
  AppendVarint(len, header.size());
  LT_TRY_STATUS(out(len));
  LT_TRY_STATUS(out(header));
  StoreBlockSource source(&store);
  return WalkDag(source, root, [&](const Cid& cid, ByteSpan bytes) -> Status {
    Bytes cb = cid.ToBytes();
    Bytes head;
    AppendVarint(head, cb.size() + bytes.size());
    head.insert(head.end(), cb.begin(), cb.end());
    LT_TRY_STATUS(out(head));
    return out(bytes);
  });
}

Status WriteCarBlocks(Store& store, const std::vector<Cid>& roots, const std::vector<Cid>& blocks,
                      const ByteWriter& out) {
  Bytes header = EncodeCarHeader(roots);
  Bytes len;
  AppendVarint(len, header.size());
  LT_TRY_STATUS(out(len));
  LT_TRY_STATUS(out(header));
  for (const Cid& cid : blocks) {
    LT_TRY(Bytes bytes, store.Get(cid));
    Bytes cb = cid.ToBytes();
    Bytes head;
    AppendVarint(head, cb.size() + bytes.size());
    head.insert(head.end(), cb.begin(), cb.end());
    LT_TRY_STATUS(out(head));
    LT_TRY_STATUS(out(bytes));
  }
  return OkStatus();
}

namespace {

// Reads exactly n bytes; `eof_ok` allows a clean end before the first byte.
Result<bool> ReadExact(ByteReader& in, uint8_t* buf, size_t n, bool eof_ok) {
  size_t got = 0;
  while (got < n) {
    LT_TRY(size_t r, in.Read(buf + got, n - got));
    if (r == 0) {
      if (got == 0 && eof_ok) return false;
      return InvalidArgument("CAR is truncated");
    }
    got += r;
  }
  return true;
}

// A varint read byte by byte from the stream; false at a clean end.
Result<bool> ReadStreamVarint(ByteReader& in, uint64_t* v, uint64_t* consumed) {
  uint8_t buf[10];
  size_t n = 0;
  while (true) {
    LT_TRY(bool more, ReadExact(in, &buf[n], 1, n == 0));
    if (!more) return false;
    ++n;
    if ((buf[n - 1] & 0x80) == 0) break;
    if (n == 10) return InvalidArgument("CAR: varint too long");
  }
  size_t pos = 0;
  LT_TRY(*v, ReadVarint(ByteSpan(buf, n), &pos));
  *consumed += n;
  return true;
}

class FdReader final : public ByteReader {
 public:
  FdReader(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    while (true) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return ErrnoError(path_, errno);
    }
  }

 private:
  int fd_;
  std::string path_;
};

// Blocks of a CAR file on disk, found by an index of their offsets.
class CarBlockSource final : public BlockSource {
 public:
  CarBlockSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  std::unordered_map<Cid, std::pair<uint64_t, uint64_t>, CidHash> index;
  Result<Bytes> Get(const Cid& cid) override {
    auto it = index.find(cid.ToV1());
    if (it == index.end()) return NotFound("CAR " + path_ + " is missing block " + cid.ToString());
    Bytes b(it->second.second);
    if (::pread(fd_, b.data(), b.size(), static_cast<off_t>(it->second.first)) != static_cast<ssize_t>(b.size())) {
      return IoError("CAR " + path_ + ": cannot re-read block " + cid.ToString());
    }
    if (!cid.Matches(b)) return Corrupt("CAR " + path_ + " changed while importing (block " + cid.ToString() + ")");
    return b;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

Status ReadCar(ByteReader& in, const std::function<Status(const std::vector<Cid>&)>& on_header,
               const std::function<Status(const Cid&, ByteSpan, uint64_t)>& on_block) {
  uint64_t pos = 0, hlen = 0;
  LT_TRY(bool any, ReadStreamVarint(in, &hlen, &pos));
  if (!any) return InvalidArgument("CAR is empty");
  if (hlen == 0 || hlen > kMaxHeader) return InvalidArgument("CAR header length " + std::to_string(hlen) + " is out of bounds");
  Bytes header(hlen);
  LT_TRY(bool ok, ReadExact(in, header.data(), hlen, false));
  (void)ok;
  pos += hlen;
  LT_TRY(std::vector<Cid> roots, DecodeCarHeader(header));
  LT_TRY_STATUS(on_header(roots));
  Bytes section;
  while (true) {
    uint64_t len = 0;
    LT_TRY(bool more, ReadStreamVarint(in, &len, &pos));
    if (!more) return OkStatus();
    if (len == 0 || len > kMaxBlockSize + 64) {
      return InvalidArgument("CAR section of " + std::to_string(len) + " bytes at offset " + std::to_string(pos) +
                             " is out of bounds");
    }
    section.resize(len);
    LT_TRY(bool got, ReadExact(in, section.data(), len, false));
    (void)got;
    size_t cid_len = 0;
    auto cid = Cid::ReadBinary(section, &cid_len);
    if (!cid.ok()) return cid.error().Wrap("CAR section at offset " + std::to_string(pos));
    ByteSpan block = ByteSpan(section).subspan(cid_len);
    if (!cid->Matches(block)) return Corrupt("CAR block " + cid->ToString() + " does not match its hash");
    LT_TRY_STATUS(on_block(*cid, block, pos + cid_len));
    pos += len;
  }
}

Result<std::vector<Cid>> ImportCar(Store& store, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  FdReader reader(fd, path);
  CarBlockSource source(fd, path);
  std::vector<Cid> roots;
  Status s = ReadCar(
      reader,
      [&](const std::vector<Cid>& r) -> Status {
        if (r.empty()) return InvalidArgument("CAR has no roots");
        roots = r;
        return OkStatus();
      },
      [&](const Cid& cid, ByteSpan block, uint64_t offset) -> Status {
        source.index.emplace(cid.ToV1(), std::make_pair(offset, static_cast<uint64_t>(block.size())));
        return OkStatus();
      });
  if (!s.ok()) return s.error().Wrap(path);
  for (const Cid& root : roots) {
    Status st = StoreDag(store, source, root);
    if (!st.ok()) return st.error().Wrap("CAR " + path + " root " + root.ToString());
  }
  return roots;
}

}  // namespace lt::registry
