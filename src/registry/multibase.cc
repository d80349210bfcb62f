#include "registry/multibase.h"

namespace lt::registry {
namespace {

constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::string_view kBase58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kBase36 = "0123456789abcdefghijklmnopqrstuvwxyz";

// The base-x scheme of base58btc and base36: the bytes are one big-endian number written in the
// alphabet's radix, and each leading zero byte is one leading alphabet[0] character.
std::string BaseXEncode(ByteSpan data, std::string_view alphabet) {
  const uint32_t radix = static_cast<uint32_t>(alphabet.size());
  size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == 0) ++zeros;
  std::vector<uint8_t> digits;  // little-endian digits in the radix
  for (size_t i = zeros; i < data.size(); ++i) {
    uint32_t carry = data[i];
    for (uint8_t& d : digits) {
      carry += static_cast<uint32_t>(d) << 8;
      d = static_cast<uint8_t>(carry % radix);
      carry /= radix;
    }
    while (carry > 0) {
      digits.push_back(static_cast<uint8_t>(carry % radix));
      carry /= radix;
    }
  }
  std::string out(zeros, alphabet[0]);
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(alphabet[*it]);
  return out;
}

Result<Bytes> BaseXDecode(std::string_view s, std::string_view alphabet, const char* name) {
  const uint32_t radix = static_cast<uint32_t>(alphabet.size());
  size_t zeros = 0;
  while (zeros < s.size() && s[zeros] == alphabet[0]) ++zeros;
  std::vector<uint8_t> bytes;  // little-endian
  for (size_t i = zeros; i < s.size(); ++i) {
    size_t v = alphabet.find(s[i]);
    if (v == std::string_view::npos) {
      return InvalidArgument(std::string("invalid ") + name + " character '" + std::string(1, s[i]) + "'");
    }
    uint32_t carry = static_cast<uint32_t>(v);
    for (uint8_t& b : bytes) {
      carry += static_cast<uint32_t>(b) * radix;
      b = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  Bytes out(zeros, 0);
  out.insert(out.end(), bytes.rbegin(), bytes.rend());
  return out;
}

}  // namespace

std::string Base32Encode(ByteSpan data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32[(buffer << (5 - bits)) & 31]);
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

std::string Base58BtcEncode(ByteSpan data) { return BaseXEncode(data, kBase58); }
Result<Bytes> Base58BtcDecode(std::string_view s) { return BaseXDecode(s, kBase58, "base58btc"); }
std::string Base36Encode(ByteSpan data) { return BaseXEncode(data, kBase36); }
Result<Bytes> Base36Decode(std::string_view s) { return BaseXDecode(s, kBase36, "base36"); }

Result<Bytes> MultibaseDecode(std::string_view s) {
  if (s.empty()) return InvalidArgument("empty multibase string");
  std::string_view body = s.substr(1);
  switch (s[0]) {
    case 'b':
      return Base32Decode(body);
    case 'B': {
      std::string lower(body);
      for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') {
          c = static_cast<char>(c - 'A' + 'a');
        } else if (c >= 'a' && c <= 'z') {
          return InvalidArgument("base32upper string has a lower-case character");
        }
      }
      return Base32Decode(lower);
    }
    case 'z':
      return Base58BtcDecode(body);
    case 'k': {
      for (char c : body) {
        if (c >= 'A' && c <= 'Z') return InvalidArgument("base36 string has an upper-case character");
      }
      return Base36Decode(body);
    }
    case 'f':
    case 'F': {
      for (char c : body) {
        bool upper = c >= 'A' && c <= 'F', lower = c >= 'a' && c <= 'f';
        if ((s[0] == 'f' && upper) || (s[0] == 'F' && lower)) return InvalidArgument("base16 string mixes cases");
      }
      return HexDecode(body);
    }
    default:
      return InvalidArgument("unsupported multibase prefix '" + std::string(1, s[0]) +
                             "' (b, B, z, k, f and F are supported)");
  }
}

}  // namespace lt::registry
