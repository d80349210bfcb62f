// The user's wallet for agents' proposals (doc/agents.md "Pending actions"): the user's key in
// the client process, never shown to an agent. It completes a Proposal into a call (the fills:
// the user's address, the ledger nonce from the Compute Contract's account view, the user's
// EIP-712 signature of the ledger message), estimates and simulates it, reads the user's
// balances, and signs and sends the EIP-1559 transaction (evm::TxSender: the user's key pays the
// gas). The ledger nonce is read at the moment of completing, so a confirmation made later
// carries the nonce current then.
// Only a confirmation signs: a call with an EIP-712 fill (the user's signature of a ledger
// message, which anyone holding it could relay) is never estimated or simulated, since that
// would hand a valid signature to the JSON-RPC endpoint before the user said yes; Estimate
// refuses it with kFailedPrecondition and the view shows the balances from the contract's rules.
// Thread-safety: methods may be called from any thread (EthRpc and TxSender serialize).
#ifndef LT_AGENT_WALLET_H_
#define LT_AGENT_WALLET_H_

#include <memory>

#include "agent/proposal.h"
#include "evm/rpc.h"
#include "evm/sender.h"

namespace lt::agent {

struct Balances {
  U256 coin;  // the chain's coin (gas), in wei
  U256 wallet;
  U256 vault;
  U256 claimable;
  U256 allowance_left;
  U256 allowance_total;
  uint64_t ledger_nonce = 0;
  nlohmann::json ToJson() const;  // MOR amounts as decimal MOR strings
};

class Wallet {
 public:
  Wallet(evm::EthRpc* rpc, crypto::PrivateKey key, ChainBinding chain);
  const crypto::Address& address() const { return sender_.address(); }
  const ChainBinding& chain() const { return chain_; }
  evm::EthRpc* rpc() const { return rpc_; }

  // selector || arguments, fills completed and signed with the user's key.
  Result<Bytes> Calldata(const Proposal& p);
  // Balances on the bound Compute Contract (coin only when it is not bound).
  Result<Balances> Read();
  // eth_estimateGas from the user (CallOutcome.reverted with the decoded reason in `message`).
  // kFailedPrecondition, with nothing signed or sent, for a call that needs the user's signature.
  Result<evm::CallOutcome> Estimate(const Proposal& p);
  // Signs and sends the transaction; waits for its receipt.
  Result<evm::SendOutcome> Send(const Proposal& p);
  // A read-only call of a trusted view function; the decoded result as JSON.
  Result<nlohmann::json> CallView(const TrustedContract& c, const TrustedFunction& f, const nlohmann::json& args);

 private:
  evm::EthRpc* rpc_;
  crypto::PrivateKey key_;
  ChainBinding chain_;
  evm::TxSender sender_;
};

}  // namespace lt::agent

#endif  // LT_AGENT_WALLET_H_
