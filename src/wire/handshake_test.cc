#include "wire/handshake.h"

#include <gtest/gtest.h>

#include "wire/secure_channel.h"

namespace lt::wire {
namespace {

struct Keys {
  SeededRandom rng{42};
  crypto::PrivateKey user = crypto::PrivateKey::Generate(rng);
  crypto::PrivateKey provider = crypto::PrivateKey::Generate(rng);
  crypto::PrivateKey router = crypto::PrivateKey::Generate(rng);
  Domain domain{U256(31337), crypto::ParseAddress("0x00000000000000000000000000000000000000aa").value()};

  SignedTicket MakeTicket() {
    Ticket t;
    t.session_id[0] = 0x5e;
    t.session_id[31] = 0x01;
    t.user = user.GetAddress();
    t.provider = provider.GetAddress();
    t.router = router.GetAddress();
    t.manifest[0] = 0xab;
    t.price_per_second = U256::FromMor("0.001").value();
    t.min_seconds = 30;
    t.max_seconds = 600;
    t.issued_at = 1'700'000'000;
    t.expires_at = 1'700'000'600;
    return SignedTicket{t, t.Sign(router, domain)};
  }
};

TEST(HandshakeTest, TicketWordsRoundTripAndAreTheEip712EncodeData) {
  Keys k;
  SignedTicket st = k.MakeTicket();
  Bytes words = EncodeTicketWords(st.ticket);
  ASSERT_EQ(words.size(), kTicketWireSize);
  // keccak(typeHash || words) must be the EIP-712 hashStruct.
  Bytes data(Ticket::TypeHash().begin(), Ticket::TypeHash().end());
  data.insert(data.end(), words.begin(), words.end());
  EXPECT_EQ(crypto::Keccak(data), st.ticket.HashStruct());
  auto back = DecodeSignedTicket(EncodeSignedTicket(st));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->ticket, st.ticket);
  EXPECT_EQ(TicketSigner(k.domain, *back).value(), k.router.GetAddress());
}

TEST(HandshakeTest, TicketDecoderRefusesDirtyPadding) {
  Keys k;
  Bytes words = EncodeTicketWords(k.MakeTicket().ticket);
  words[32] = 1;  // first padding byte of the user address word
  EXPECT_FALSE(DecodeTicketWords(words).ok());
}

TEST(HandshakeTest, BothSidesDeriveMatchingChannels) {
  Keys k;
  UserHandshake user(k.domain, k.MakeTicket(), k.user, k.rng);
  auto init = DecodeHandshakeInit(user.init_body());
  ASSERT_TRUE(init.ok()) << init.error().message;
  ASSERT_TRUE(VerifyInitSignature(k.domain, *init).ok());
  auto prov = ProviderRespond(k.domain, *init, k.provider, k.rng);
  ASSERT_TRUE(prov.ok());
  auto uch = user.Finish(prov->reply_body);
  ASSERT_TRUE(uch.ok()) << uch.error().message;

  Bytes frame;
  ASSERT_TRUE((*uch)->Seal(FrameType::kRequest, AsBytes("hello provider"), frame).ok());
  FrameDecoder d;
  ASSERT_TRUE(d.Feed(frame).ok());
  auto f = d.Next();
  ASSERT_EQ(f->type, FrameType::kSealed);
  auto m = prov->channel->Open(f->body);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->type, FrameType::kRequest);
  EXPECT_EQ(AsString(m->body), "hello provider");
  // The plaintext is not in the frame.
  EXPECT_EQ(AsString(frame).find("hello"), std::string_view::npos);

  Bytes back;
  ASSERT_TRUE(prov->channel->Seal(FrameType::kChunk, AsBytes("hi user"), back).ok());
  ASSERT_TRUE(d.Feed(back).ok());
  auto m2 = (*uch)->Open(d.Next()->body);
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(AsString(m2->body), "hi user");
}

TEST(HandshakeTest, ReplyFromAnotherKeyIsRefused) {
  Keys k;
  UserHandshake user(k.domain, k.MakeTicket(), k.user, k.rng);
  auto init = DecodeHandshakeInit(user.init_body()).value();
  auto impostor = crypto::PrivateKey::Generate(k.rng);
  auto prov = ProviderRespond(k.domain, init, impostor, k.rng).value();
  auto r = user.Finish(prov.reply_body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
}

TEST(HandshakeTest, InitSignedByAnotherKeyOrAlteredIsRefused) {
  Keys k;
  auto other = crypto::PrivateKey::Generate(k.rng);
  UserHandshake wrong(k.domain, k.MakeTicket(), other, k.rng);
  auto init = DecodeHandshakeInit(wrong.init_body()).value();
  EXPECT_FALSE(VerifyInitSignature(k.domain, init).ok());

  UserHandshake good(k.domain, k.MakeTicket(), k.user, k.rng);
  Bytes body = good.init_body();
  body[1 + 32 * 7 + 31] ^= 1;  // maxSeconds changed after signing
  auto altered = DecodeHandshakeInit(body).value();
  EXPECT_FALSE(VerifyInitSignature(k.domain, altered).ok());
  // Another chain's domain does not verify either.
  Domain other_chain(U256(1), k.domain.verifying_contract());
  EXPECT_FALSE(VerifyInitSignature(other_chain, DecodeHandshakeInit(good.init_body()).value()).ok());
}

struct ChannelPair {
  SecretBytes a{Bytes(32, 1)}, b{Bytes(32, 2)};
  SecureChannel tx{a, b};
  SecureChannel rx{b, a};
};

ByteSpan BodyOf(const Bytes& frame) { return ByteSpan(frame).subspan(kFrameHeaderSize); }

TEST(SecureChannelTest, TamperedFrameFailsAndKillsTheChannel) {
  ChannelPair p;
  Bytes f;
  ASSERT_TRUE(p.tx.Seal(FrameType::kChunk, AsBytes("secret"), f).ok());
  f[kFrameHeaderSize + 2] ^= 0x40;
  auto r = p.rx.Open(BodyOf(f));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(p.rx.dead());
  Bytes g;
  ASSERT_TRUE(p.tx.Seal(FrameType::kChunk, AsBytes("next"), g).ok());
  EXPECT_FALSE(p.rx.Open(BodyOf(g)).ok());
}

TEST(SecureChannelTest, ReplayedFrameFails) {
  ChannelPair p;
  Bytes f;
  ASSERT_TRUE(p.tx.Seal(FrameType::kVoucher, AsBytes("v1"), f).ok());
  ASSERT_TRUE(p.rx.Open(BodyOf(f)).ok());
  EXPECT_FALSE(p.rx.Open(BodyOf(f)).ok());
}

TEST(SecureChannelTest, ReorderedFramesFail) {
  ChannelPair p;
  Bytes f1, f2;
  ASSERT_TRUE(p.tx.Seal(FrameType::kChunk, AsBytes("1"), f1).ok());
  ASSERT_TRUE(p.tx.Seal(FrameType::kChunk, AsBytes("2"), f2).ok());
  EXPECT_FALSE(p.rx.Open(BodyOf(f2)).ok());
}

TEST(SecureChannelTest, ReflectedFrameFailsBecauseDirectionsHaveOwnKeys) {
  ChannelPair p;
  Bytes f;
  ASSERT_TRUE(p.tx.Seal(FrameType::kChunk, AsBytes("x"), f).ok());
  EXPECT_FALSE(p.tx.Open(BodyOf(f)).ok());
}

TEST(SecureChannelTest, SameMessageTwiceGivesDifferentCiphertext) {
  ChannelPair p;
  Bytes f1, f2;
  ASSERT_TRUE(p.tx.Seal(FrameType::kChunk, AsBytes("same"), f1).ok());
  ASSERT_TRUE(p.tx.Seal(FrameType::kChunk, AsBytes("same"), f2).ok());
  EXPECT_NE(f1, f2);
  EXPECT_TRUE(p.rx.Open(BodyOf(f1)).ok());
  EXPECT_TRUE(p.rx.Open(BodyOf(f2)).ok());
}

TEST(SecureChannelTest, HkdfMatchesRfc5869TestCase1) {
  Bytes ikm(22, 0x0b);
  Bytes salt = HexDecode("000102030405060708090a0b0c").value();
  Bytes info = HexDecode("f0f1f2f3f4f5f6f7f8f9").value();
  auto okm = HkdfSha256(ikm, salt, info, 42).value();
  EXPECT_EQ(HexEncode(okm.span()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

}  // namespace
}  // namespace lt::wire
