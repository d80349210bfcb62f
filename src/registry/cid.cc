#include "registry/cid.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>

namespace lt::registry {

void AppendVarint(Bytes& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

Result<uint64_t> ReadVarint(ByteSpan data, size_t* pos) {
  uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    if (*pos >= data.size()) return InvalidArgument("truncated varint");
    uint8_t b = data[(*pos)++];
    if (i == 9 && b > 1) return InvalidArgument("varint overflows 64 bits");
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if (b == 0 && i > 0) return InvalidArgument("non-minimal varint");
      return v;
    }
  }
  return InvalidArgument("varint longer than 10 bytes");
}

Hash32 Sha256(ByteSpan data) {
  Hash32 out;
  SHA256(data.data(), data.size(), out.data());
  return out;
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}
Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256Hasher::Update(ByteSpan data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}
Hash32 Sha256Hasher::Finalize() {
  Hash32 out;
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &n);
  return out;
}

Cid Cid::Of(uint64_t codec, ByteSpan block) { return Cid{1, codec, Sha256(block)}; }

Result<Cid> Cid::ReadBinary(ByteSpan data, size_t* pos) {
  size_t start = *pos;
  LT_TRY(uint64_t version, ReadVarint(data, pos));
  Cid c;
  if (version == kMultihashSha256) {
    // CIDv0: the bare multihash 0x12 0x20 <digest>, always dag-pb.
    *pos = start;
    c.version = 0;
    c.codec = kCodecDagPb;
  } else if (version == 1) {
    LT_TRY(c.codec, ReadVarint(data, pos));
  } else if (version == 0) {
    return InvalidArgument("unsupported CID version 0 in binary form (a CIDv0 is a bare sha2-256 multihash)");
  } else {
    return InvalidArgument("unsupported CID version " + std::to_string(version));
  }
  LT_TRY(uint64_t mh, ReadVarint(data, pos));
  if (mh != kMultihashSha256) {
    if (mh == 0) return InvalidArgument("identity multihash CIDs are not supported (only sha2-256)");
    Bytes code;
    AppendVarint(code, mh);
    return InvalidArgument("unsupported multihash 0x" + HexEncode(code) + " (only sha2-256)");
  }
  LT_TRY(uint64_t len, ReadVarint(data, pos));
  if (len != 32) return InvalidArgument("sha2-256 digest must be 32 bytes");
  if (data.size() - *pos < 32) return InvalidArgument("truncated CID digest");
  for (size_t i = 0; i < 32; ++i) c.digest[i] = data[*pos + i];
  *pos += 32;
  return c;
}

Result<Cid> Cid::FromBinary(ByteSpan data) {
  size_t pos = 0;
  LT_TRY(Cid c, ReadBinary(data, &pos));
  if (pos != data.size()) return InvalidArgument("trailing bytes after CID");
  return c;
}

Result<Cid> Cid::Parse(std::string_view s) {
  if (s.empty()) return InvalidArgument("empty CID");
  if (s.size() > 200) return InvalidArgument("CID string too long");
  std::string quoted = "CID '" + std::string(s) + "'";
  if (s.size() == 46 && s.substr(0, 2) == "Qm") {
    auto bytes = Base58BtcDecode(s);
    if (!bytes.ok()) return bytes.error().Wrap(quoted);
    if (bytes->size() != 34 || (*bytes)[0] != 0x12 || (*bytes)[1] != 0x20) {
      return InvalidArgument(quoted + ": CIDv0 must be a sha2-256 multihash");
    }
    Cid c;
    c.version = 0;
    c.codec = kCodecDagPb;
    std::copy(bytes->begin() + 2, bytes->end(), c.digest.begin());
    return c;
  }
  auto bytes = MultibaseDecode(s);
  if (!bytes.ok()) return bytes.error().Wrap(quoted);
  auto c = FromBinary(*bytes);
  if (!c.ok()) return c.error().Wrap(quoted);
  if (c->version == 0) return InvalidArgument(quoted + ": a CIDv0 is written in base58btc without a prefix");
  return c;
}

Bytes Cid::ToBytes() const {
  Bytes out;
  out.reserve(36);
  if (version == 0) {
    AppendVarint(out, kMultihashSha256);
    AppendVarint(out, 32);
    out.insert(out.end(), digest.begin(), digest.end());
    return out;
  }
  AppendVarint(out, 1);
  AppendVarint(out, codec);
  AppendVarint(out, kMultihashSha256);
  AppendVarint(out, 32);
  out.insert(out.end(), digest.begin(), digest.end());
  return out;
}

std::string Cid::ToString() const {
  return version == 0 ? Base58BtcEncode(ToBytes()) : "b" + Base32Encode(ToBytes());
}

bool Cid::Matches(ByteSpan block) const { return Sha256(block) == digest; }

}  // namespace lt::registry
