// EIP-1559 (type 2) transactions: building, signing with our own secp256k1 keys (crypto/keys.h;
// never a node's unlocked account), the raw form eth_sendRawTransaction takes, and decoding.
//
//   signing hash = keccak256(0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas,
//                                        gasLimit, to, value, data, accessList]))
//   raw          = 0x02 || rlp([... the nine fields ..., yParity, r, s])
//   hash         = keccak256(raw)
// `to` absent creates a contract at CreateAddress(sender, nonce) = keccak256(rlp([sender,
// nonce]))[12:]. Access lists are always empty when we build; DecodeRawTransaction accepts only
// empty ones (what we send) and refuses every non-canonical RLP, a high s, and trailing bytes.
// Thread-safety: pure functions and plain values.
#ifndef LT_EVM_TRANSACTION_H_
#define LT_EVM_TRANSACTION_H_

#include <cstdint>
#include <optional>

#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::evm {

struct Eip1559Tx {
  uint64_t chain_id = 0;
  uint64_t nonce = 0;
  U256 max_priority_fee_per_gas;
  U256 max_fee_per_gas;
  uint64_t gas_limit = 0;
  std::optional<crypto::Address> to;  // nullopt: contract creation
  U256 value;
  Bytes data;
};

struct SignedEip1559Tx {
  Eip1559Tx tx;
  uint8_t y_parity = 0;
  Hash32 r{};
  Hash32 s{};
  Bytes Raw() const;
  Hash32 Hash() const;
};

Hash32 SigningHash(const Eip1559Tx& tx);
SignedEip1559Tx SignTransaction(const Eip1559Tx& tx, const crypto::PrivateKey& key);
// The sender recovered from the signature.
Result<crypto::Address> TransactionSender(const SignedEip1559Tx& stx);
Result<SignedEip1559Tx> DecodeRawTransaction(ByteSpan raw);
crypto::Address CreateAddress(const crypto::Address& sender, uint64_t nonce);

}  // namespace lt::evm

#endif  // LT_EVM_TRANSACTION_H_
