// Session ids (doc/wire.md "Session ids"): a ticket's sessionId is its router's address (20
// bytes) followed by a 12-byte big-endian sequence. Both ledgers refuse a receipt whose id does
// not start with its ticket's router (wire::SettleCode::kSessionIdNotRouters).
// Thread-safety: pure functions.
#ifndef LT_WIRE_SESSION_ID_H_
#define LT_WIRE_SESSION_ID_H_

#include <algorithm>
#include <cstdint>

#include "crypto/keys.h"
#include "util/bytes.h"

namespace lt::wire {

// The largest sequence that fits the 12 bytes we fill (the top 4 of them stay zero).
inline constexpr uint64_t kMaxSessionSequence = UINT64_MAX;

inline Hash32 RouterSessionId(const crypto::Address& router, uint64_t sequence) {
  Hash32 id{};
  std::copy(router.bytes.begin(), router.bytes.end(), id.begin());
  for (int i = 0; i < 8; ++i) id[31 - i] = static_cast<uint8_t>(sequence >> (8 * i));
  return id;
}

inline bool SessionIdIsRouters(const Hash32& id, const crypto::Address& router) {
  return std::equal(router.bytes.begin(), router.bytes.end(), id.begin());
}

}  // namespace lt::wire

#endif  // LT_WIRE_SESSION_ID_H_
