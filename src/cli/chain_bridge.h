// A ledger transaction (ledger::SignedTx, signed for the EIP-712 domain {chain id, contract
// address}) sent to the Compute Contract through ComputeContractClient, and the protocol's
// Ticket/Voucher as the contract's structs. Used by `lt bench chain` and the chain tests; it is
// the heart of the EvmLedger adapter that issue 17 adds once the typed Ledger interface lands
// (it moves to src/ledger then). Header-only, pure conversions and one dispatch.
#ifndef LT_CLI_CHAIN_BRIDGE_H_
#define LT_CLI_CHAIN_BRIDGE_H_

#include "evm/compute_client.h"
#include "ledger/tx.h"
#include "wire/messages.h"

namespace lt::cli {

inline evm::ChainTicket ToChain(const wire::Ticket& t) {
  return {t.session_id, t.user,       t.provider,    t.router,    t.manifest,
          t.price_per_second, t.min_seconds, t.max_seconds, t.issued_at, t.expires_at};
}

inline evm::ChainVoucher ToChain(const wire::Voucher& v) {
  return {v.session_id, v.seconds, v.tokens_out, v.ttft_ms, v.is_final};
}

inline evm::SessionReceipt ToChain(const ledger::Receipt& r) {
  return {ToChain(r.ticket.ticket), r.ticket.router_sig, ToChain(r.voucher.voucher), r.voucher.user_sig};
}

inline std::vector<evm::SessionReceipt> ToChain(const std::vector<ledger::Receipt>& rs) {
  std::vector<evm::SessionReceipt> out;
  for (const auto& r : rs) out.push_back(ToChain(r));
  return out;
}

// Relays a signed ledger transaction to the contract (the relayer's key pays the gas).
inline Result<evm::ChainTxResult> Submit(evm::ComputeContractClient& c, const ledger::SignedTx& stx) {
  const ledger::Tx& t = stx.tx;
  const crypto::Signature& s = stx.signature;
  using ledger::TxType;
  switch (t.type) {
    case TxType::kTransfer:
      return c.Transfer(t.sender, t.to, t.amount, t.nonce, s);
    case TxType::kDeposit:
      return c.Deposit(t.sender, t.amount, t.nonce, s);
    case TxType::kWithdraw:
      return c.Withdraw(t.sender, t.amount, t.nonce, s);
    case TxType::kRegisterModel:
      return c.RegisterModel(t.sender, t.name, t.kind, t.builder_fee_bps, t.nonce, s);
    case TxType::kSetTag:
      return c.SetTag(t.sender, t.name, t.tag, t.manifest, t.nonce, s);
    case TxType::kRegisterProvider:
      return c.RegisterProvider(t.sender, t.endpoint, t.amount, t.nonce, s);
    case TxType::kSetOffer:
      return c.SetOffer(t.sender, t.manifest, t.price_per_second, t.min_seconds, t.tps, t.slots, t.nonce, s);
    case TxType::kStakeRouter:
      return c.StakeRouter(t.sender, t.amount, t.nonce, s);
    case TxType::kUnstake:
      return c.Unstake(t.sender, t.role, t.amount, t.nonce, s);
    case TxType::kSettleBatch:
      return c.SettleBatchSigned(t.sender, t.receipts_hash, t.count, t.nonce, s, ToChain(t.receipts));
    case TxType::kClaim:
      return c.Claim(t.sender, t.nonce, s);
    case TxType::kCloseDay:
      return c.CloseDay(t.sender, t.day, t.nonce, s);
    case TxType::kMint:
      return c.Mint(t.sender, t.to, t.amount, t.nonce, s);
  }
  return InvalidArgument("unknown transaction type");
}

}  // namespace lt::cli

#endif  // LT_CLI_CHAIN_BRIDGE_H_
