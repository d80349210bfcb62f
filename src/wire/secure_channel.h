// The encrypted channel of a session, after the handshake (DESIGN §6, doc/session-protocol.md).
//
// Each direction has its own 32-byte ChaCha20-Poly1305 key (derived in handshake.h) and its own
// 64-bit message counter starting at 0. Message n of a direction is sealed with the nonce
// `00 00 00 00 || u64 big-endian n` and the 5-byte outer frame header (`u32 length | 0x03`) as
// associated data; the plaintext is `u8 inner type | body`. Because the receiver expects the
// counter to advance by exactly one, a replayed, dropped, reordered or altered frame fails
// authentication; after a failure the channel is dead (every later Open fails) and the
// connection must be closed. Counters never wrap: at 2^64-1 the channel refuses to seal.
//
// Thread-safety: a SecureChannel belongs to one connection; callers serialize Seal and Open
// (they may run on different threads from each other only if each side is used by one thread).
#ifndef LT_WIRE_SECURE_CHANNEL_H_
#define LT_WIRE_SECURE_CHANNEL_H_

#include <cstdint>
#include <memory>

#include "util/bytes.h"
#include "util/result.h"
#include "wire/frame.h"

namespace lt::wire {

inline constexpr size_t kAeadTagSize = 16;

// HKDF-SHA256 (RFC 5869) with the given salt and info, `out_len` bytes.
Result<SecretBytes> HkdfSha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, size_t out_len);

struct InnerMessage {
  FrameType type = FrameType::kInnerError;
  Bytes body;
};

class SecureChannel {
 public:
  // Keys are 32 bytes each; they are copied and wiped on destruction.
  SecureChannel(const SecretBytes& send_key, const SecretBytes& recv_key);
  ~SecureChannel();
  SecureChannel(const SecureChannel&) = delete;
  SecureChannel& operator=(const SecureChannel&) = delete;

  // Seals `inner type | body` and appends the complete outer kSealed frame to `out`.
  Status Seal(FrameType inner, ByteSpan body, Bytes& out);
  // Opens the body of a received kSealed frame (ciphertext || tag). Any failure kills the
  // channel: kUnauthenticated "sealed frame N failed authentication (tampered, replayed or
  // reordered)", or kInvalidArgument for a malformed plaintext.
  Result<InnerMessage> Open(ByteSpan sealed_body);

  uint64_t sent() const { return send_ctr_; }
  uint64_t received() const { return recv_ctr_; }
  bool dead() const { return dead_; }

 private:
  struct Ctx;
  SecretBytes send_key_, recv_key_;
  uint64_t send_ctr_ = 0, recv_ctr_ = 0;
  bool dead_ = false;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace lt::wire

#endif  // LT_WIRE_SECURE_CHANNEL_H_
