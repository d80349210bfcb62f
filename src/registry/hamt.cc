#include "registry/hamt.h"

#include <bit>
#include <map>

#include "registry/dagpb.h"

namespace lt::registry {
namespace {

inline uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t Fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

inline uint64_t Load64Le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// The first 64 bits of hash chunk `chunk` of a name: murmur3 h1 of name (+ byte(chunk) after the first).
uint64_t HashChunk(std::string_view name, uint64_t chunk) {
  if (chunk == 0) return Murmur3X64_128(AsBytes(name)).first;
  std::string salted(name);
  salted.push_back(static_cast<char>(static_cast<uint8_t>(chunk)));
  return Murmur3X64_128(AsBytes(salted)).first;
}

std::string SlotPrefix(uint32_t slot, int pad) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string s(static_cast<size_t>(pad), '0');
  for (int i = pad - 1; i >= 0; --i, slot >>= 4) s[static_cast<size_t>(i)] = kHex[slot & 15];
  return s;
}

int PadFor(uint32_t fanout) {
  int pad = 1;
  for (uint32_t v = fanout - 1; v >= 16; v >>= 4) ++pad;
  return pad;
}

// The occupied slots as a big-endian number without leading zero bytes (at least one byte).
Bytes EncodeBitfield(const std::vector<uint32_t>& slots) {
  uint32_t top = slots.empty() ? 0 : slots.back();
  Bytes le(top / 8 + 1, 0);
  for (uint32_t s : slots) le[s / 8] |= static_cast<uint8_t>(1u << (s % 8));
  while (le.size() > 1 && le.back() == 0) le.pop_back();
  return Bytes(le.rbegin(), le.rend());
}

bool BitSet(const Bytes& be, uint32_t slot) {
  size_t byte = slot / 8;
  if (byte >= be.size()) return false;
  return (be[be.size() - 1 - byte] >> (slot % 8)) & 1;
}

Status CheckEntryName(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    return Corrupt("directory entry name '" + name.substr(0, 100) + "' is not a valid path segment");
  }
  return OkStatus();
}

struct Built {
  Cid cid;
  uint64_t tsize;
};

Result<Built> BuildLevel(const std::vector<const DirChild*>& items, int level, int bits, int pad, uint32_t fanout,
                         ImportSink* sink) {
  if (level > 64) return InternalError("HAMT deeper than 64 levels (hash collision?)");
  std::map<uint32_t, std::vector<const DirChild*>> by_slot;
  for (const DirChild* c : items) by_slot[HamtSlot(c->name, level, bits)].push_back(c);
  PBNode node;
  std::vector<uint32_t> slots;
  uint64_t tsize = 0;
  for (const auto& [slot, group] : by_slot) {
    slots.push_back(slot);
    if (group.size() == 1) {
      const DirChild* c = group[0];
      node.links.push_back(PBLink{c->entry.cid, SlotPrefix(slot, pad) + c->name, c->entry.tsize});
      tsize += c->entry.tsize;
    } else {
      LT_TRY(Built sub, BuildLevel(group, level + 1, bits, pad, fanout, sink));
      node.links.push_back(PBLink{sub.cid, SlotPrefix(slot, pad), sub.tsize});
      tsize += sub.tsize;
    }
  }
  UnixFSData d;
  d.type = UnixFSType::kHamtShard;
  d.data = EncodeBitfield(slots);
  d.hash_type = kHamtHashMurmur3;
  d.fanout = fanout;
  node.data = EncodeUnixFSData(d);
  Bytes block = EncodePBNode(node);
  Cid cid = Cid::Of(kCodecDagPb, block);
  if (sink) LT_TRY_STATUS(sink->Node(cid, block));
  return Built{cid, tsize + block.size()};
}

}  // namespace

std::pair<uint64_t, uint64_t> Murmur3X64_128(ByteSpan data) {
  const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
  uint64_t h1 = 0, h2 = 0;
  const size_t n = data.size(), blocks = n / 16;
  const uint8_t* p = data.data();
  for (size_t i = 0; i < blocks; ++i) {
    uint64_t k1 = Load64Le(p + 16 * i), k2 = Load64Le(p + 16 * i + 8);
    k1 *= c1;
    k1 = Rotl(k1, 31);
    k1 *= c2;
    h1 ^= k1;
    h1 = Rotl(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    k2 *= c2;
    k2 = Rotl(k2, 33);
    k2 *= c1;
    h2 ^= k2;
    h2 = Rotl(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  const uint8_t* tail = p + 16 * blocks;
  uint64_t k1 = 0, k2 = 0;
  size_t rest = n & 15;
  for (size_t i = rest; i > 8; --i) k2 ^= static_cast<uint64_t>(tail[i - 1]) << (8 * (i - 9));
  if (rest > 8) {
    k2 *= c2;
    k2 = Rotl(k2, 33);
    k2 *= c1;
    h2 ^= k2;
  }
  for (size_t i = std::min<size_t>(rest, 8); i > 0; --i) k1 ^= static_cast<uint64_t>(tail[i - 1]) << (8 * (i - 1));
  if (rest > 0) {
    k1 *= c1;
    k1 = Rotl(k1, 31);
    k1 *= c2;
    h1 ^= k1;
  }
  h1 ^= n;
  h2 ^= n;
  h1 += h2;
  h2 += h1;
  h1 = Fmix(h1);
  h2 = Fmix(h2);
  h1 += h2;
  h2 += h1;
  return {h1, h2};
}

uint32_t HamtSlot(std::string_view name, int level, int bits) {
  uint32_t slot = 0;
  uint64_t cached_chunk = UINT64_MAX, h = 0;
  for (int j = 0; j < bits; ++j) {
    uint64_t g = static_cast<uint64_t>(level) * static_cast<uint64_t>(bits) + static_cast<uint64_t>(j);
    uint64_t chunk = g / 64;
    if (chunk != cached_chunk) {
      h = HashChunk(name, chunk);
      cached_chunk = chunk;
    }
    slot = (slot << 1) | static_cast<uint32_t>((h >> (63 - g % 64)) & 1);
  }
  return slot;
}

Result<HamtShard> DecodeHamtShard(const UnixFSNode& node) {
  if (node.fs.type != UnixFSType::kHamtShard) return InvalidArgument("not a HAMT shard node");
  if (node.fs.hash_type != kHamtHashMurmur3) {
    return InvalidArgument("HAMT shard hash type " + std::to_string(node.fs.hash_type.value_or(0)) +
                           " is not murmur3-x64-64 (0x22)");
  }
  uint64_t fanout = node.fs.fanout.value_or(0);
  if (fanout < 2 || fanout > kHamtMaxFanout || !std::has_single_bit(fanout)) {
    return InvalidArgument("HAMT shard fanout " + std::to_string(fanout) + " is not a power of two in 2..1024");
  }
  HamtShard s;
  s.fanout = static_cast<uint32_t>(fanout);
  s.bits = std::countr_zero(s.fanout);
  s.pad = PadFor(s.fanout);
  Bytes bitfield = node.fs.data.value_or(Bytes{});
  if (bitfield.size() > (s.fanout + 7) / 8) return InvalidArgument("HAMT shard bitfield is longer than its fanout");
  size_t set = 0;
  for (size_t i = 0; i < bitfield.size(); ++i) {
    uint8_t b = bitfield[bitfield.size() - 1 - i];
    for (int bit = 0; bit < 8; ++bit) {
      if (!((b >> bit) & 1)) continue;
      if (i * 8 + static_cast<size_t>(bit) >= s.fanout) return InvalidArgument("HAMT shard bitfield has a bit past its fanout");
      ++set;
    }
  }
  if (set != node.pb.links.size()) {
    return InvalidArgument("HAMT shard has " + std::to_string(node.pb.links.size()) + " links but " +
                           std::to_string(set) + " occupied slots");
  }
  int64_t last = -1;
  for (const PBLink& l : node.pb.links) {
    const std::string& name = l.name.value_or("");
    if (name.size() < static_cast<size_t>(s.pad)) return InvalidArgument("HAMT link name '" + name.substr(0, 100) + "' has no slot prefix");
    uint32_t slot = 0;
    for (int i = 0; i < s.pad; ++i) {
      char c = name[static_cast<size_t>(i)];
      int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (v < 0) return InvalidArgument("HAMT link name '" + name.substr(0, 100) + "' has no upper-case hex slot prefix");
      slot = slot * 16 + static_cast<uint32_t>(v);
    }
    if (slot >= s.fanout || !BitSet(bitfield, slot)) {
      return InvalidArgument("HAMT link '" + name.substr(0, 100) + "' is in a slot the bitfield does not mark");
    }
    if (static_cast<int64_t>(slot) <= last) return InvalidArgument("HAMT links are not in increasing slot order");
    last = slot;
    HamtLink h;
    h.slot = slot;
    h.name = name.substr(static_cast<size_t>(s.pad));
    h.is_shard = h.name.empty();
    h.cid = l.hash;
    h.tsize = l.tsize.value_or(0);
    if (h.is_shard && !h.cid.IsDagPb()) return InvalidArgument("HAMT child shard " + h.cid.ToString() + " is not dag-pb");
    if (!h.is_shard) {
      auto ok = CheckEntryName(h.name);
      if (!ok.ok()) return InvalidArgument(ok.error().message);
    }
    s.links.push_back(std::move(h));
  }
  return s;
}

Result<ImportEntry> BuildHamt(const std::vector<DirChild>& children, ImportSink* sink, uint32_t fanout) {
  if (fanout < 2 || fanout > kHamtMaxFanout || !std::has_single_bit(fanout)) {
    return InvalidArgument("HAMT fanout must be a power of two in 2..1024");
  }
  std::vector<const DirChild*> items;
  uint64_t size = 0;
  for (const DirChild& c : children) {
    items.push_back(&c);
    size += c.entry.size;
  }
  LT_TRY(Built root, BuildLevel(items, 0, std::countr_zero(fanout), PadFor(fanout), fanout, sink));
  return ImportEntry{root.cid, size, root.tsize};
}

}  // namespace lt::registry
