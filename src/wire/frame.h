// Frames of the session protocol (DESIGN §6, doc/session-protocol.md).
//
// On the TCP stream every message is a frame: `u32 length (big-endian) | u8 type | body`, where
// length counts the type byte and the body (so length >= 1) and is at most kMaxFrameLength
// (16 MiB). Frame types are wire values: never renumber them, only add new ones.
//
// Outer frames (on the TCP stream): kHandshakeInit, kHandshakeReply, kSealed, kError. After the
// handshake every frame is kSealed; its plaintext is an inner message `u8 inner type | body`
// whose type is one of the kRequest.. values below (see secure_channel.h).
//
// FrameDecoder is a strict incremental decoder: feed it bytes as they arrive, take whole frames
// out. A length of 0 or above the limit, or an unknown outer type, is an error and the decoder
// stays failed (the connection must then be closed). It never buffers more than one frame.
// Thread-safety: a FrameDecoder belongs to one connection; the free functions are pure.
#ifndef LT_WIRE_FRAME_H_
#define LT_WIRE_FRAME_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "util/bytes.h"
#include "util/result.h"

namespace lt::wire {

inline constexpr uint32_t kMaxFrameLength = 16u << 20;  // type byte + body
inline constexpr size_t kFrameHeaderSize = 5;           // u32 length + u8 type

// Never renumber: these values are on the wire.
enum class FrameType : uint8_t {
  // Outer frames.
  kHandshakeInit = 0x01,   // user -> provider, clear
  kHandshakeReply = 0x02,  // provider -> user, clear
  kSealed = 0x03,          // ChaCha20-Poly1305 ciphertext || tag of an inner message
  kError = 0x04,           // clear error before keys exist: JSON {"code","message"}; then close
  // Inner messages (first byte of a sealed plaintext).
  kRequest = 0x10,   // user: u32 request id | OpenAI chat-completion JSON
  kChunk = 0x11,     // provider: u32 request id | UTF-8 text delta
  kEnd = 0x12,       // provider: u32 request id | JSON {"finish_reason","usage"}
  kInnerError = 0x13,// either: u32 request id (0 = whole session, then close) | JSON {"code","message"}
  kMeter = 0x14,     // provider: u32 elapsed seconds (provider clock)
  kVoucher = 0x15,   // user: voucher (see doc) + 65-byte signature
  kRenew = 0x16,     // user: a new ticket + router signature
  kRenewed = 0x17,   // provider: u32 maxSeconds | u64 expiresAt of the accepted ticket
  kClose = 0x18,     // either: JSON {"reason"}; the sender closes after it
  kCancel = 0x19,    // user: u32 request id
};

std::string_view FrameTypeName(FrameType t);
bool IsOuterFrameType(uint8_t t);
bool IsInnerType(uint8_t t);

struct Frame {
  FrameType type = FrameType::kError;
  Bytes body;
};

// Appends the encoded frame to `out`. A body over the limit is an error (kResourceExhausted).
Status AppendFrame(FrameType type, ByteSpan body, Bytes& out);
Result<Bytes> EncodeFrame(FrameType type, ByteSpan body);

class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_length = kMaxFrameLength) : max_length_(max_length) {}

  // Consumes bytes from `data` up to the end of the next frame (at most), returning how many it
  // took; the rest is for the next call after Next() has taken the frame. Errors are sticky.
  Result<size_t> Feed(ByteSpan data);
  // The completed frame, if any (then the decoder starts on the next one).
  std::optional<Frame> Next();
  // Bytes still wanted for the current frame (header first); useful for exact reads.
  size_t Wanted() const;
  bool failed() const { return failed_; }
  // Changes the limit for the frames whose header has not been read yet (a provider accepts only
  // a handshake-sized frame from a peer that has not shaken hands).
  void set_max_length(uint32_t max_length) { max_length_ = max_length; }
  // True when no partial frame is buffered.
  bool idle() const { return header_len_ == 0 && !ready_; }

 private:
  uint32_t max_length_;
  uint8_t header_[kFrameHeaderSize] = {};
  size_t header_len_ = 0;
  uint32_t length_ = 0;
  Bytes body_;
  bool ready_ = false;
  bool failed_ = false;
  Error error_;
};

// Big-endian helpers used by the message encodings.
void PutU32(Bytes& out, uint32_t v);
void PutU64(Bytes& out, uint64_t v);
uint32_t GetU32(const uint8_t* p);
uint64_t GetU64(const uint8_t* p);

}  // namespace lt::wire

#endif  // LT_WIRE_FRAME_H_
