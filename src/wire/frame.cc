#include "wire/frame.h"

#include <algorithm>
#include <string>

namespace lt::wire {

std::string_view FrameTypeName(FrameType t) {
  switch (t) {
    case FrameType::kHandshakeInit: return "handshake-init";
    case FrameType::kHandshakeReply: return "handshake-reply";
    case FrameType::kSealed: return "sealed";
    case FrameType::kError: return "error";
    case FrameType::kRequest: return "request";
    case FrameType::kChunk: return "chunk";
    case FrameType::kEnd: return "end";
    case FrameType::kInnerError: return "inner-error";
    case FrameType::kMeter: return "meter";
    case FrameType::kVoucher: return "voucher";
    case FrameType::kRenew: return "renew";
    case FrameType::kRenewed: return "renewed";
    case FrameType::kClose: return "close";
    case FrameType::kCancel: return "cancel";
  }
  return "unknown";
}

bool IsOuterFrameType(uint8_t t) { return t >= 0x01 && t <= 0x04; }
bool IsInnerType(uint8_t t) { return t >= 0x10 && t <= 0x19; }

void PutU32(Bytes& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutU64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint32_t GetU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
uint64_t GetU64(const uint8_t* p) { return (uint64_t{GetU32(p)} << 32) | GetU32(p + 4); }

Status AppendFrame(FrameType type, ByteSpan body, Bytes& out) {
  if (body.size() + 1 > kMaxFrameLength) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "frame body of " + std::to_string(body.size()) + " bytes exceeds the 16 MiB frame limit");
  }
  out.reserve(out.size() + kFrameHeaderSize + body.size());
  PutU32(out, static_cast<uint32_t>(body.size() + 1));
  out.push_back(static_cast<uint8_t>(type));
  out.insert(out.end(), body.begin(), body.end());
  return OkStatus();
}

Result<Bytes> EncodeFrame(FrameType type, ByteSpan body) {
  Bytes out;
  LT_TRY_STATUS(AppendFrame(type, body, out));
  return out;
}

size_t FrameDecoder::Wanted() const {
  if (ready_ || failed_) return 0;
  if (header_len_ < kFrameHeaderSize) return kFrameHeaderSize - header_len_;
  return (length_ - 1) - body_.size();
}

Result<size_t> FrameDecoder::Feed(ByteSpan data) {
  if (failed_) return error_;
  size_t used = 0;
  while (used < data.size() && !ready_) {
    if (header_len_ < kFrameHeaderSize) {
      size_t n = std::min(kFrameHeaderSize - header_len_, data.size() - used);
      std::copy_n(data.data() + used, n, header_ + header_len_);
      header_len_ += n;
      used += n;
      if (header_len_ < kFrameHeaderSize) break;
      length_ = GetU32(header_);
      uint8_t type = header_[4];
      if (length_ == 0 || length_ > max_length_) {
        failed_ = true;
        error_ = MakeError(ErrorCode::kResourceExhausted,
                           "frame length " + std::to_string(length_) + " is outside 1.." + std::to_string(max_length_));
        return error_;
      }
      if (!IsOuterFrameType(type)) {
        failed_ = true;
        error_ = InvalidArgument("unknown frame type " + std::to_string(type));
        return error_;
      }
      body_.clear();
      if (length_ == 1) ready_ = true;
      continue;
    }
    size_t want = (length_ - 1) - body_.size();
    size_t n = std::min(want, data.size() - used);
    // Grow with the data actually received, never by the announced length alone.
    body_.insert(body_.end(), data.begin() + static_cast<std::ptrdiff_t>(used),
                 data.begin() + static_cast<std::ptrdiff_t>(used + n));
    used += n;
    if (body_.size() == length_ - 1) ready_ = true;
  }
  return used;
}

std::optional<Frame> FrameDecoder::Next() {
  if (!ready_) return std::nullopt;
  Frame f{static_cast<FrameType>(header_[4]), std::move(body_)};
  body_ = Bytes();
  header_len_ = 0;
  length_ = 0;
  ready_ = false;
  return f;
}

}  // namespace lt::wire
