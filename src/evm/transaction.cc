#include "evm/transaction.h"

#include "crypto/keccak.h"
#include "evm/rlp.h"

namespace lt::evm {

namespace {

void Fields(RlpWriter& w, const Eip1559Tx& tx) {
  w.Uint(U256(tx.chain_id))
      .Uint(U256(tx.nonce))
      .Uint(tx.max_priority_fee_per_gas)
      .Uint(tx.max_fee_per_gas)
      .Uint(U256(tx.gas_limit));
  if (tx.to) {
    w.String(tx.to->bytes);
  } else {
    w.String({});
  }
  w.Uint(tx.value).String(tx.data).Raw(RlpList({}));  // empty access list
}

Bytes Typed(const Bytes& rlp) {
  Bytes out;
  out.reserve(rlp.size() + 1);
  out.push_back(0x02);
  out.insert(out.end(), rlp.begin(), rlp.end());
  return out;
}

// A 32-byte scalar as a minimal RLP integer.
U256 Scalar(const Hash32& h) { return U256::FromBigEndian(h); }

Result<uint64_t> U64(const RlpItem& item, const char* what) {
  auto v = RlpToUint(item);
  if (!v.ok()) return v.error().Wrap(what);
  if (!v->FitsU64()) return InvalidArgument(std::string(what) + " does not fit in 64 bits");
  return v->Low64();
}

}  // namespace

Hash32 SigningHash(const Eip1559Tx& tx) {
  RlpWriter w;
  Fields(w, tx);
  return crypto::Keccak(Typed(w.Finish()));
}

Bytes SignedEip1559Tx::Raw() const {
  RlpWriter w;
  Fields(w, tx);
  w.Uint(U256(y_parity)).Uint(Scalar(r)).Uint(Scalar(s));
  return Typed(w.Finish());
}

Hash32 SignedEip1559Tx::Hash() const { return crypto::Keccak(Raw()); }

SignedEip1559Tx SignTransaction(const Eip1559Tx& tx, const crypto::PrivateKey& key) {
  crypto::Signature sig = key.Sign(SigningHash(tx));  // r || s || v, v = 27 + recovery id, low s
  SignedEip1559Tx out;
  out.tx = tx;
  std::copy(sig.begin(), sig.begin() + 32, out.r.begin());
  std::copy(sig.begin() + 32, sig.begin() + 64, out.s.begin());
  out.y_parity = static_cast<uint8_t>(sig[64] - 27);
  return out;
}

Result<crypto::Address> TransactionSender(const SignedEip1559Tx& stx) {
  if (stx.y_parity > 1) return Unauthenticated("transaction yParity must be 0 or 1");
  crypto::Signature sig;
  std::copy(stx.r.begin(), stx.r.end(), sig.begin());
  std::copy(stx.s.begin(), stx.s.end(), sig.begin() + 32);
  sig[64] = static_cast<uint8_t>(27 + stx.y_parity);
  return crypto::Recover(SigningHash(stx.tx), sig);
}

Result<SignedEip1559Tx> DecodeRawTransaction(ByteSpan raw) {
  if (raw.empty() || raw[0] != 0x02) return InvalidArgument("not an EIP-1559 transaction (type byte 0x02)");
  LT_TRY(RlpItem item, RlpDecode(raw.subspan(1)));
  if (!item.is_list || item.items.size() != 12) {
    return InvalidArgument("EIP-1559 transaction must be a list of 12 fields");
  }
  const auto& f = item.items;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i].is_list != (i == 8)) return InvalidArgument("transaction field " + std::to_string(i) + " has the wrong shape");
  }
  SignedEip1559Tx stx;
  Eip1559Tx& tx = stx.tx;
  LT_TRY(tx.chain_id, U64(f[0], "chainId"));
  LT_TRY(tx.nonce, U64(f[1], "nonce"));
  LT_TRY(tx.max_priority_fee_per_gas, RlpToUint(f[2]));
  LT_TRY(tx.max_fee_per_gas, RlpToUint(f[3]));
  LT_TRY(tx.gas_limit, U64(f[4], "gasLimit"));
  if (f[5].bytes.size() == 20) {
    crypto::Address to;
    std::copy(f[5].bytes.begin(), f[5].bytes.end(), to.bytes.begin());
    tx.to = to;
  } else if (!f[5].bytes.empty()) {
    return InvalidArgument("transaction `to` must be 20 bytes or empty");
  }
  LT_TRY(tx.value, RlpToUint(f[6]));
  tx.data = f[7].bytes;
  if (!f[8].items.empty()) return InvalidArgument("transactions with an access list are not supported");
  LT_TRY(uint64_t y, U64(f[9], "yParity"));
  if (y > 1) return InvalidArgument("yParity must be 0 or 1");
  stx.y_parity = static_cast<uint8_t>(y);
  LT_TRY(U256 r, RlpToUint(f[10]));
  LT_TRY(U256 s, RlpToUint(f[11]));
  stx.r = r.ToBigEndian();
  stx.s = s.ToBigEndian();
  return stx;
}

crypto::Address CreateAddress(const crypto::Address& sender, uint64_t nonce) {
  Bytes enc = RlpList({RlpString(sender.bytes), RlpUint(U256(nonce))});
  Hash32 h = crypto::Keccak(enc);
  crypto::Address a;
  std::copy(h.begin() + 12, h.end(), a.bytes.begin());
  return a;
}

}  // namespace lt::evm
