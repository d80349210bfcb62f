#include "wire/frame.h"

#include <gtest/gtest.h>

#include "util/random.h"

namespace lt::wire {
namespace {

TEST(FrameTest, RoundTripsWhenFedByteByByte) {
  Bytes body = {1, 2, 3, 4, 5};
  Bytes wire = EncodeFrame(FrameType::kHandshakeInit, body).value();
  ASSERT_EQ(wire.size(), 10u);
  EXPECT_EQ(wire[3], 6);  // length counts the type byte
  FrameDecoder d;
  for (size_t i = 0; i < wire.size(); ++i) {
    EXPECT_FALSE(d.Next().has_value());
    ASSERT_EQ(d.Feed(ByteSpan(&wire[i], 1)).value(), 1u);
  }
  auto f = d.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->type, FrameType::kHandshakeInit);
  EXPECT_EQ(f->body, body);
  EXPECT_TRUE(d.idle());
}

TEST(FrameTest, StopsAtFrameBoundarySoTwoFramesComeOutSeparately) {
  Bytes wire = EncodeFrame(FrameType::kSealed, Bytes{9}).value();
  Bytes second = EncodeFrame(FrameType::kError, Bytes{7, 7}).value();
  wire.insert(wire.end(), second.begin(), second.end());
  FrameDecoder d;
  size_t used = d.Feed(wire).value();
  EXPECT_EQ(used, 6u);
  EXPECT_EQ(d.Next()->body, Bytes{9});
  EXPECT_EQ(d.Feed(ByteSpan(wire).subspan(used)).value(), 7u);
  auto f = d.Next();
  EXPECT_EQ(f->type, FrameType::kError);
  EXPECT_EQ(f->body, (Bytes{7, 7}));
}

TEST(FrameTest, EmptyBodyIsAFrame) {
  FrameDecoder d;
  Bytes wire = EncodeFrame(FrameType::kSealed, {}).value();
  ASSERT_TRUE(d.Feed(wire).ok());
  auto f = d.Next();
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(f->body.empty());
}

TEST(FrameTest, RefusesOversizedLengthBeforeBufferingAnything) {
  FrameDecoder d;
  Bytes hdr;
  PutU32(hdr, kMaxFrameLength + 1);
  hdr.push_back(0x03);
  auto r = d.Feed(hdr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_TRUE(d.failed());
  // Sticky: more bytes do not revive it.
  EXPECT_FALSE(d.Feed(Bytes{0, 0, 0, 2, 3, 0}).ok());
}

TEST(FrameTest, RefusesZeroLength) {
  FrameDecoder d;
  EXPECT_FALSE(d.Feed(Bytes{0, 0, 0, 0, 1}).ok());
}

TEST(FrameTest, RefusesUnknownOuterType) {
  FrameDecoder d;
  auto r = d.Feed(Bytes{0, 0, 0, 1, 0x10});  // an inner type is not an outer frame
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown frame type 16"), std::string::npos);
}

TEST(FrameTest, TruncatedFrameStaysIncomplete) {
  Bytes wire = EncodeFrame(FrameType::kSealed, Bytes(100, 1)).value();
  FrameDecoder d;
  ASSERT_TRUE(d.Feed(ByteSpan(wire).first(50)).ok());
  EXPECT_FALSE(d.Next().has_value());
  EXPECT_EQ(d.Wanted(), 55u);
  EXPECT_FALSE(d.idle());
}

TEST(FrameTest, EncoderRefusesBodiesOverTheLimit) {
  Bytes big(kMaxFrameLength, 0);
  auto r = EncodeFrame(FrameType::kSealed, big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
}

TEST(FrameTest, RandomGarbageNeverCrashesAndFailsOrWaits) {
  SeededRandom rng(7);
  for (int i = 0; i < 2000; ++i) {
    Bytes junk(rng.Uniform(64) + 1);
    rng.Fill(junk);
    FrameDecoder d(1 << 16);
    ByteSpan rest = junk;
    while (!rest.empty()) {
      auto r = d.Feed(rest);
      if (!r.ok()) break;
      rest = rest.subspan(*r);
      while (auto f = d.Next()) EXPECT_TRUE(IsOuterFrameType(static_cast<uint8_t>(f->type)));
    }
  }
}

}  // namespace
}  // namespace lt::wire
