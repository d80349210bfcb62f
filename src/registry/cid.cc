#include "registry/cid.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

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

namespace {
constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
}

std::string Base32Encode(ByteSpan data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Result<Bytes> Base32Decode(std::string_view s) {
  Bytes out;
  out.reserve(s.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'a' && c <= 'z') {
      v = c - 'a';
    } else if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    } else {
      return InvalidArgument(std::string("invalid base32 character '") + c + "'");
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<uint8_t>(buffer >> (bits - 8)));
      bits -= 8;
    }
  }
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0) {
    return InvalidArgument("base32 string has trailing bits");
  }
  return out;
}

Cid Cid::Of(uint64_t codec, ByteSpan block) { return Cid{codec, Sha256(block)}; }

Result<Cid> Cid::ReadBinary(ByteSpan data, size_t* pos) {
  LT_TRY(uint64_t version, ReadVarint(data, pos));
  if (version == 0x12) return InvalidArgument("CIDv0 is not supported (use CIDv1)");
  if (version != 1) return InvalidArgument("unsupported CID version " + std::to_string(version));
  Cid c;
  LT_TRY(c.codec, ReadVarint(data, pos));
  LT_TRY(uint64_t mh, ReadVarint(data, pos));
  if (mh != kMultihashSha256) {
    return InvalidArgument("unsupported multihash 0x" + HexEncode(Bytes{static_cast<uint8_t>(mh)}) +
                           " (only sha2-256)");
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
  if (s.size() == 46 && s.substr(0, 2) == "Qm") {
    return InvalidArgument("CIDv0 '" + std::string(s) + "' is not supported (use CIDv1 base32)");
  }
  if (s[0] != 'b') {
    return InvalidArgument("CID '" + std::string(s) + "' is not base32 lower case (must start with 'b')");
  }
  auto bytes = Base32Decode(s.substr(1));
  if (!bytes.ok()) return bytes.error().Wrap("CID '" + std::string(s) + "'");
  auto c = FromBinary(*bytes);
  if (!c.ok()) return c.error().Wrap("CID '" + std::string(s) + "'");
  return c;
}

Bytes Cid::ToBytes() const {
  Bytes out;
  out.reserve(36);
  AppendVarint(out, 1);
  AppendVarint(out, codec);
  AppendVarint(out, kMultihashSha256);
  AppendVarint(out, 32);
  out.insert(out.end(), digest.begin(), digest.end());
  return out;
}

std::string Cid::ToString() const { return "b" + Base32Encode(ToBytes()); }

bool Cid::Matches(ByteSpan block) const { return Sha256(block) == digest; }

}  // namespace lt::registry
