// TxSender: sends EIP-1559 transactions signed with one of our keys and waits for them.
//
// Send(): estimates gas (a call that would revert is refused before anything is sent, with the
// revert data), sets the fees (maxFee = 2 x the latest base fee + the node's suggested tip),
// signs with the key, sends, and polls for the receipt. If the transaction is not mined within
// `receipt_timeout_ms`, it is sent again with the same nonce and fees raised by
// `fee_bump_percent` (at least the 10% nodes require to replace it), at most `max_attempts` times
// in all. "nonce too low" (someone else used the key) refreshes the nonce and retries. Then it
// waits for `confirmations` blocks. A transaction mined with status 0 comes back as reverted, its
// revert data recovered by replaying the call at its block's parent.
// Nonces: kept locally from the node's pending count at first use, so back-to-back sends do not
// wait for each other's blocks; Resync() re-reads it.
// Thread-safety: Send may be called from any thread; sends are serialized.
#ifndef LT_EVM_SENDER_H_
#define LT_EVM_SENDER_H_

#include <mutex>
#include <optional>

#include "crypto/keys.h"
#include "evm/rpc.h"
#include "evm/transaction.h"

namespace lt::evm {

struct SendOptions {
  uint64_t gas_limit = 0;  // 0: estimate, then add gas_margin_percent
  uint32_t gas_margin_percent = 20;
  int max_attempts = 4;
  int receipt_timeout_ms = 30000;
  int poll_ms = 20;
  uint32_t fee_bump_percent = 25;
  uint64_t confirmations = 1;
  int confirmation_timeout_ms = 120000;
};

struct SendOutcome {
  bool reverted = false;
  Bytes revert_data;
  std::string revert_message;
  Hash32 tx_hash{};
  std::optional<TxReceipt> receipt;  // absent when refused at estimation (nothing was sent)
};

class TxSender {
 public:
  TxSender(EthRpc* rpc, crypto::PrivateKey key, uint64_t chain_id);
  const crypto::Address& address() const { return key_.GetAddress(); }
  uint64_t chain_id() const { return chain_id_; }
  EthRpc* rpc() const { return rpc_; }

  Result<SendOutcome> Send(std::optional<crypto::Address> to, ByteSpan data, const U256& value = U256(),
                           const SendOptions& options = {});
  Status Resync();
  // Signs a 32-byte digest with the sender's key (EIP-2612 permits and the like).
  crypto::Signature SignDigest(const Hash32& digest) const { return key_.Sign(digest); }

 private:
  Result<SendOutcome> SendLocked(std::optional<crypto::Address> to, ByteSpan data, const U256& value,
                                 const SendOptions& options);
  EthRpc* rpc_;
  crypto::PrivateKey key_;
  uint64_t chain_id_;
  std::mutex mu_;
  std::optional<uint64_t> next_nonce_;
};

}  // namespace lt::evm

#endif  // LT_EVM_SENDER_H_
