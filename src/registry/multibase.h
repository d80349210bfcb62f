// Multibase text encodings of bytes, as CIDs and peer IDs use them (multiformats/multibase).
//
// Base32 (RFC 4648, lower case, no padding: the 'b' prefix; 'B' is the same upper case), base58btc
// (Bitcoin's alphabet: the 'z' prefix, and CIDv0 "Qm..." without prefix), base36 (lower case
// 0-9a-z: the 'k' prefix, used for libp2p keys and subdomain gateways) and base16 ('f'/'F').
// Decoders are strict (a character outside the alphabet, or trailing bits, is an error naming
// it) and bounded by the caller (CIDs cap their strings at 200 characters); base58 and base36 are
// quadratic in the length, which is why the bound matters. Thread-safety: pure functions.
#ifndef LT_REGISTRY_MULTIBASE_H_
#define LT_REGISTRY_MULTIBASE_H_

#include <string>
#include <string_view>

#include "util/bytes.h"
#include "util/result.h"

namespace lt::registry {

// RFC 4648 base32, lower case, no padding.
std::string Base32Encode(ByteSpan data);
// Accepts lower case only (callers lower an upper-case 'B' string first).
Result<Bytes> Base32Decode(std::string_view s);

std::string Base58BtcEncode(ByteSpan data);
Result<Bytes> Base58BtcDecode(std::string_view s);

std::string Base36Encode(ByteSpan data);
Result<Bytes> Base36Decode(std::string_view s);

// A multibase string (prefix + payload) in one of the encodings above -> bytes.
Result<Bytes> MultibaseDecode(std::string_view s);

}  // namespace lt::registry

#endif  // LT_REGISTRY_MULTIBASE_H_
