// Fuzzes what a provider parses from an unauthenticated peer: the frame decoder, the
// handshake-init / reply / voucher / ticket decoders, and a sealed-frame open.
#include <cstddef>
#include <cstdint>

#include "wire/frame.h"
#include "wire/handshake.h"
#include "wire/secure_channel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lt::ByteSpan in(data, size);
  lt::wire::FrameDecoder d(1 << 16);
  lt::ByteSpan rest = in;
  while (!rest.empty()) {
    auto r = d.Feed(rest);
    if (!r.ok()) break;
    rest = rest.subspan(*r);
    while (auto f = d.Next()) {
      (void)lt::wire::DecodeHandshakeInit(f->body);
      (void)lt::wire::DecodeHandshakeReply(f->body);
    }
  }
  (void)lt::wire::DecodeSignedVoucher(in);
  (void)lt::wire::DecodeSignedTicket(in);
  static lt::SecretBytes k1(lt::Bytes(32, 1)), k2(lt::Bytes(32, 2));
  lt::wire::SecureChannel ch(k1, k2);
  (void)ch.Open(in);
  return 0;
}
