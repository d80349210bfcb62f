// The session handshake (DESIGN §6, doc/session-protocol.md §3): SIGMA-style, two messages.
//
//   user -> provider  HandshakeInit  = version | ticket | router sig | user ephemeral key | user sig
//   provider -> user  HandshakeReply = version | provider ephemeral key | provider sig
//
// The user signs th_init (keccak-256 of a label, the EIP-712 domain separator and every init field
// before the signature) with the ticket's user key; the provider signs th_reply (keccak-256 of a
// label, th_init, the user's signature and the provider's ephemeral key) with the ticket's
// provider key. Both derive the per-direction ChaCha20-Poly1305 keys with HKDF-SHA256 over the
// ECDH secret of the two ephemeral keys, salted with th_reply. Byte layouts are fixed-size and
// written out in the doc; tickets travel as their ten EIP-712 words (320 bytes).
//
// This file is cryptography and encoding only: whether a router is accepted, whether the ticket
// is for this provider or expired is the provider's policy (src/provider).
// Thread-safety: pure functions; the ephemeral key objects belong to one handshake.
#ifndef LT_WIRE_HANDSHAKE_H_
#define LT_WIRE_HANDSHAKE_H_

#include <memory>

#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/random.h"
#include "util/result.h"
#include "wire/messages.h"
#include "wire/secure_channel.h"

namespace lt::wire {

inline constexpr uint8_t kSessionProtocolVersion = 1;
inline constexpr size_t kTicketWireSize = 320;
inline constexpr size_t kHandshakeInitSize = 1 + kTicketWireSize + 65 + 64 + 65;  // 515
inline constexpr size_t kHandshakeReplySize = 1 + 64 + 65;                         // 130
inline constexpr size_t kVoucherWireSize = 32 + 4 + 4 + 4 + 1 + 65;               // 110

// A ticket with the signature of the router that issued it.
struct SignedTicket {
  Ticket ticket;
  crypto::Signature router_sig{};
};

struct SignedVoucher {
  Voucher voucher;
  crypto::Signature user_sig{};
};

// Ticket as its ten EIP-712 words (no type hash): sessionId, user, provider, router, manifest,
// pricePerSecond, minSeconds, maxSeconds, issuedAt, expiresAt. Decoding refuses non-canonical
// words (dirty padding of addresses and small integers).
Bytes EncodeTicketWords(const Ticket& t);
Result<Ticket> DecodeTicketWords(ByteSpan b);

Bytes EncodeSignedTicket(const SignedTicket& t);  // 320 + 65 bytes
Result<SignedTicket> DecodeSignedTicket(ByteSpan b);
// Recovers the ticket's signer (must then be compared with ticket.router by the caller).
Result<crypto::Address> TicketSigner(const Domain& domain, const SignedTicket& t);

Bytes EncodeSignedVoucher(const SignedVoucher& v);  // 110 bytes
Result<SignedVoucher> DecodeSignedVoucher(ByteSpan b);
SignedVoucher SignVoucher(const crypto::PrivateKey& user, const Domain& domain, const Voucher& v);
Result<crypto::Address> VoucherSigner(const Domain& domain, const SignedVoucher& v);

struct HandshakeInit {
  uint8_t version = kSessionProtocolVersion;
  SignedTicket ticket;
  FixedBytes<64> user_ephemeral{};
  crypto::Signature user_sig{};
};

struct HandshakeReply {
  uint8_t version = kSessionProtocolVersion;
  FixedBytes<64> provider_ephemeral{};
  crypto::Signature provider_sig{};
};

Bytes EncodeHandshakeInit(const HandshakeInit& m);
Result<HandshakeInit> DecodeHandshakeInit(ByteSpan b);
Bytes EncodeHandshakeReply(const HandshakeReply& m);
Result<HandshakeReply> DecodeHandshakeReply(ByteSpan b);

// th_init = keccak256("LakeTravis session v1 init" || domainSeparator || version || ticket words ||
//                     router sig || user ephemeral)
Hash32 InitTranscriptHash(const Domain& domain, const HandshakeInit& m);
// th_reply = keccak256("LakeTravis session v1 reply" || th_init || user sig || provider ephemeral)
Hash32 ReplyTranscriptHash(const Hash32& th_init, const HandshakeInit& init, const FixedBytes<64>& provider_ephemeral);

struct SessionKeys {
  SecretBytes user_to_provider;
  SecretBytes provider_to_user;
};
// HKDF-SHA256(ikm = ECDH(eph, peer eph), salt = th_reply, info = "LakeTravis session v1 u2p" /
// "... p2u"), 32 bytes each.
Result<SessionKeys> DeriveSessionKeys(const crypto::PrivateKey& my_ephemeral, const FixedBytes<64>& peer_ephemeral,
                                      const Hash32& th_reply);

// The user's side: builds the init (fresh ephemeral key), then checks the reply and derives keys.
class UserHandshake {
 public:
  UserHandshake(const Domain& domain, SignedTicket ticket, const crypto::PrivateKey& user, Random& rng);
  const Bytes& init_body() const { return init_body_; }
  // Verifies the provider's signature (must recover ticket.provider) and returns the channel
  // (user sends with u2p, receives with p2u).
  Result<std::unique_ptr<SecureChannel>> Finish(ByteSpan reply_body);

 private:
  Domain domain_;
  HandshakeInit init_;
  crypto::PrivateKey eph_;
  Hash32 th_init_{};
  Bytes init_body_;
};

// The provider's side after its policy accepted the init: verifies the user signature against
// ticket.user, answers with a fresh ephemeral key signed by `identity`.
struct ProviderHandshakeResult {
  Bytes reply_body;
  std::unique_ptr<SecureChannel> channel;  // provider sends with p2u, receives with u2p
};
// Checks only the user signature (kUnauthenticated "handshake signature is not by the ticket's
// user ..."); ticket policy is the caller's.
Status VerifyInitSignature(const Domain& domain, const HandshakeInit& init);
Result<ProviderHandshakeResult> ProviderRespond(const Domain& domain, const HandshakeInit& init,
                                                const crypto::PrivateKey& identity, Random& rng);

}  // namespace lt::wire

#endif  // LT_WIRE_HANDSHAKE_H_
