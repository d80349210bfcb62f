#include "wire/handshake.h"

#include <algorithm>
#include <string>

#include "crypto/keccak.h"

namespace lt::wire {
namespace {

constexpr std::string_view kInitLabel = "LakeTravis session v1 init";
constexpr std::string_view kReplyLabel = "LakeTravis session v1 reply";
constexpr std::string_view kInfoU2P = "LakeTravis session v1 u2p";
constexpr std::string_view kInfoP2U = "LakeTravis session v1 p2u";

bool ZeroPrefix(const uint8_t* w, size_t n) {
  return std::all_of(w, w + n, [](uint8_t b) { return b == 0; });
}

// Word -> field, refusing non-canonical padding.
Status DecodeWord(const uint8_t* w, const char* name, crypto::Address* out) {
  if (!ZeroPrefix(w, 12)) return InvalidArgument(std::string("ticket.") + name + ": address word has non-zero padding");
  std::copy_n(w + 12, 20, out->bytes.begin());
  return OkStatus();
}
Status DecodeWord(const uint8_t* w, const char*, Hash32* out) {
  std::copy_n(w, 32, out->begin());
  return OkStatus();
}
Status DecodeWord(const uint8_t* w, const char*, U256* out) {
  Hash32 h;
  std::copy_n(w, 32, h.begin());
  *out = U256::FromBigEndian(h);
  return OkStatus();
}
Status DecodeWord(const uint8_t* w, const char* name, uint32_t* out) {
  if (!ZeroPrefix(w, 28)) return InvalidArgument(std::string("ticket.") + name + ": uint32 word out of range");
  *out = GetU32(w + 28);
  return OkStatus();
}
Status DecodeWord(const uint8_t* w, const char* name, uint64_t* out) {
  if (!ZeroPrefix(w, 24)) return InvalidArgument(std::string("ticket.") + name + ": uint64 word out of range");
  *out = GetU64(w + 24);
  return OkStatus();
}
template <typename T>
Status DecodeWord(const uint8_t*, const char* name, T*) {
  return InvalidArgument(std::string("ticket.") + name + ": field type has no fixed word encoding");
}

template <size_t N>
void Append(Bytes& out, const FixedBytes<N>& b) {
  out.insert(out.end(), b.begin(), b.end());
}

}  // namespace

Bytes EncodeTicketWords(const Ticket& t) {
  Bytes out;
  out.reserve(kTicketWireSize);
  Ticket::Fields(t, [&out](const char*, const auto& f) { Append(out, field::Encode(f)); });
  return out;
}

Result<Ticket> DecodeTicketWords(ByteSpan b) {
  if (b.size() != kTicketWireSize) {
    return InvalidArgument("ticket must be " + std::to_string(kTicketWireSize) + " bytes, got " + std::to_string(b.size()));
  }
  Ticket t{};
  Status st;
  size_t off = 0;
  Ticket::Fields(t, [&](const char* name, auto& f) {
    if (st.ok()) st = DecodeWord(b.data() + off, name, &f);
    off += 32;
  });
  if (!st.ok()) return st.error();
  return t;
}

Bytes EncodeSignedTicket(const SignedTicket& t) {
  Bytes out = EncodeTicketWords(t.ticket);
  Append(out, t.router_sig);
  return out;
}

Result<SignedTicket> DecodeSignedTicket(ByteSpan b) {
  if (b.size() != kTicketWireSize + 65) {
    return InvalidArgument("signed ticket must be " + std::to_string(kTicketWireSize + 65) + " bytes, got " +
                           std::to_string(b.size()));
  }
  SignedTicket st;
  LT_TRY(st.ticket, DecodeTicketWords(b.first(kTicketWireSize)));
  std::copy_n(b.data() + kTicketWireSize, 65, st.router_sig.begin());
  return st;
}

Result<crypto::Address> TicketSigner(const Domain& domain, const SignedTicket& t) {
  auto a = t.ticket.Recover(domain, t.router_sig);
  if (!a.ok()) return a.error().Wrap("ticket signature");
  return a;
}

Bytes EncodeSignedVoucher(const SignedVoucher& v) {
  Bytes out;
  out.reserve(kVoucherWireSize);
  Append(out, v.voucher.session_id);
  PutU32(out, v.voucher.seconds);
  PutU32(out, v.voucher.tokens_out);
  PutU32(out, v.voucher.ttft_ms);
  out.push_back(v.voucher.is_final ? 1 : 0);
  Append(out, v.user_sig);
  return out;
}

Result<SignedVoucher> DecodeSignedVoucher(ByteSpan b) {
  if (b.size() != kVoucherWireSize) {
    return InvalidArgument("voucher must be " + std::to_string(kVoucherWireSize) + " bytes, got " + std::to_string(b.size()));
  }
  SignedVoucher v;
  const uint8_t* p = b.data();
  std::copy_n(p, 32, v.voucher.session_id.begin());
  v.voucher.seconds = GetU32(p + 32);
  v.voucher.tokens_out = GetU32(p + 36);
  v.voucher.ttft_ms = GetU32(p + 40);
  if (p[44] > 1) return InvalidArgument("voucher final flag must be 0 or 1");
  v.voucher.is_final = p[44] == 1;
  std::copy_n(p + 45, 65, v.user_sig.begin());
  return v;
}

SignedVoucher SignVoucher(const crypto::PrivateKey& user, const Domain& domain, const Voucher& v) {
  return SignedVoucher{v, v.Sign(user, domain)};
}

Result<crypto::Address> VoucherSigner(const Domain& domain, const SignedVoucher& v) {
  return v.voucher.Recover(domain, v.user_sig);
}

Bytes EncodeHandshakeInit(const HandshakeInit& m) {
  Bytes out;
  out.reserve(kHandshakeInitSize);
  out.push_back(m.version);
  Bytes t = EncodeSignedTicket(m.ticket);
  out.insert(out.end(), t.begin(), t.end());
  Append(out, m.user_ephemeral);
  Append(out, m.user_sig);
  return out;
}

Result<HandshakeInit> DecodeHandshakeInit(ByteSpan b) {
  if (b.size() != kHandshakeInitSize) {
    return InvalidArgument("handshake init must be " + std::to_string(kHandshakeInitSize) + " bytes, got " +
                           std::to_string(b.size()));
  }
  HandshakeInit m;
  m.version = b[0];
  if (m.version != kSessionProtocolVersion) {
    return InvalidArgument("unsupported session protocol version " + std::to_string(m.version));
  }
  LT_TRY(m.ticket, DecodeSignedTicket(b.subspan(1, kTicketWireSize + 65)));
  size_t off = 1 + kTicketWireSize + 65;
  std::copy_n(b.data() + off, 64, m.user_ephemeral.begin());
  std::copy_n(b.data() + off + 64, 65, m.user_sig.begin());
  return m;
}

Bytes EncodeHandshakeReply(const HandshakeReply& m) {
  Bytes out;
  out.reserve(kHandshakeReplySize);
  out.push_back(m.version);
  Append(out, m.provider_ephemeral);
  Append(out, m.provider_sig);
  return out;
}

Result<HandshakeReply> DecodeHandshakeReply(ByteSpan b) {
  if (b.size() != kHandshakeReplySize) {
    return InvalidArgument("handshake reply must be " + std::to_string(kHandshakeReplySize) + " bytes, got " +
                           std::to_string(b.size()));
  }
  HandshakeReply m;
  m.version = b[0];
  if (m.version != kSessionProtocolVersion) {
    return InvalidArgument("unsupported session protocol version " + std::to_string(m.version));
  }
  std::copy_n(b.data() + 1, 64, m.provider_ephemeral.begin());
  std::copy_n(b.data() + 65, 65, m.provider_sig.begin());
  return m;
}

Hash32 InitTranscriptHash(const Domain& domain, const HandshakeInit& m) {
  crypto::Keccak256 h;
  h.Update(kInitLabel);
  h.Update(domain.separator());
  uint8_t v = m.version;
  h.Update(ByteSpan(&v, 1));
  h.Update(EncodeTicketWords(m.ticket.ticket));
  h.Update(m.ticket.router_sig);
  h.Update(m.user_ephemeral);
  return h.Finalize();
}

Hash32 ReplyTranscriptHash(const Hash32& th_init, const HandshakeInit& init, const FixedBytes<64>& provider_ephemeral) {
  crypto::Keccak256 h;
  h.Update(kReplyLabel);
  h.Update(th_init);
  h.Update(init.user_sig);
  h.Update(provider_ephemeral);
  return h.Finalize();
}

Result<SessionKeys> DeriveSessionKeys(const crypto::PrivateKey& my_ephemeral, const FixedBytes<64>& peer_ephemeral,
                                      const Hash32& th_reply) {
  auto shared = crypto::Ecdh(my_ephemeral, peer_ephemeral);
  if (!shared.ok()) return shared.error().Wrap("ephemeral key exchange");
  SessionKeys k;
  LT_TRY(k.user_to_provider, HkdfSha256(*shared, th_reply, AsBytes(kInfoU2P), 32));
  LT_TRY(k.provider_to_user, HkdfSha256(*shared, th_reply, AsBytes(kInfoP2U), 32));
  SecureWipe(shared->data(), shared->size());
  return k;
}

UserHandshake::UserHandshake(const Domain& domain, SignedTicket ticket, const crypto::PrivateKey& user, Random& rng)
    : domain_(domain), eph_(crypto::PrivateKey::Generate(rng)) {
  init_.ticket = std::move(ticket);
  init_.user_ephemeral = eph_.PublicKey();
  th_init_ = InitTranscriptHash(domain_, init_);
  init_.user_sig = user.Sign(th_init_);
  init_body_ = EncodeHandshakeInit(init_);
}

Result<std::unique_ptr<SecureChannel>> UserHandshake::Finish(ByteSpan reply_body) {
  LT_TRY(HandshakeReply reply, DecodeHandshakeReply(reply_body));
  Hash32 th_reply = ReplyTranscriptHash(th_init_, init_, reply.provider_ephemeral);
  auto signer = crypto::Recover(th_reply, reply.provider_sig);
  const crypto::Address& want = init_.ticket.ticket.provider;
  if (!signer.ok() || *signer != want) {
    return Unauthenticated("handshake reply is not signed by the ticket's provider " + want.ToChecksumHex());
  }
  LT_TRY(SessionKeys k, DeriveSessionKeys(eph_, reply.provider_ephemeral, th_reply));
  return std::make_unique<SecureChannel>(k.user_to_provider, k.provider_to_user);
}

Status VerifyInitSignature(const Domain& domain, const HandshakeInit& init) {
  Hash32 th = InitTranscriptHash(domain, init);
  auto signer = crypto::Recover(th, init.user_sig);
  const crypto::Address& want = init.ticket.ticket.user;
  if (!signer.ok() || *signer != want) {
    return Unauthenticated("handshake signature is not by the ticket's user " + want.ToChecksumHex());
  }
  return OkStatus();
}

Result<ProviderHandshakeResult> ProviderRespond(const Domain& domain, const HandshakeInit& init,
                                                const crypto::PrivateKey& identity, Random& rng) {
  crypto::PrivateKey eph = crypto::PrivateKey::Generate(rng);
  HandshakeReply reply;
  reply.provider_ephemeral = eph.PublicKey();
  Hash32 th_reply = ReplyTranscriptHash(InitTranscriptHash(domain, init), init, reply.provider_ephemeral);
  reply.provider_sig = identity.Sign(th_reply);
  LT_TRY(SessionKeys k, DeriveSessionKeys(eph, init.user_ephemeral, th_reply));
  ProviderHandshakeResult r;
  r.reply_body = EncodeHandshakeReply(reply);
  r.channel = std::make_unique<SecureChannel>(k.provider_to_user, k.user_to_provider);
  return r;
}

}  // namespace lt::wire
