// ComputeContractClient: the Compute Contract (contracts/ComputeContract.sol, doc/contracts.md)
// as typed C++: one method per contract transaction and view.
//
// Transactions go through a TxSender (our key pays the gas; for the signed ledger transactions
// the ledger sender's EIP-712 signature is an argument, so any key may relay them). Each returns
// the decoded events of our contract; settlement also returns one ReceiptOutcome per receipt, in
// the batch's order. A transaction the contract refuses is not sent (it reverts at gas
// estimation) and comes back as an Error whose code and message are the embedded ledger's for the
// same rule (compute_errors.cc maps every custom error: StaleNonce -> kFailedPrecondition "stale
// nonce 3: the next nonce is 4", BadSignature -> kUnauthenticated, NamespaceOwned ->
// kPermissionDenied, ...). Views are eth_call at the latest block.
// Thread-safety: methods may be called from any thread (EthRpc and TxSender serialize).
#ifndef LT_EVM_COMPUTE_CLIENT_H_
#define LT_EVM_COMPUTE_CLIENT_H_

#include <string>
#include <vector>

#include "evm/artifacts.h"
#include "evm/compute_types.h"
#include "evm/sender.h"

namespace lt::evm {

class ComputeContractClient {
 public:
  // `sender` may be null for a read-only client.
  static Result<ComputeContractClient> Create(EthRpc* rpc, const crypto::Address& contract, TxSender* sender);

  const crypto::Address& contract() const { return contract_; }
  const Artifact& artifact() const { return *compute_; }  // ComputeContract (the union ABI)
  TxSender* sender() const { return sender_; }
  void set_send_options(const SendOptions& o) { send_options_ = o; }

  // ---- Signed ledger transactions (any sender relays; `sig` is the ledger sender's) ----------
  Result<ChainTxResult> Transfer(const crypto::Address& from, const crypto::Address& to, const U256& amount,
                                 uint64_t nonce, const crypto::Signature& sig);
  Result<ChainTxResult> Deposit(const crypto::Address& owner, const U256& amount, uint64_t nonce,
                                const crypto::Signature& sig);
  Result<ChainTxResult> Withdraw(const crypto::Address& owner, const U256& amount, uint64_t nonce,
                                 const crypto::Signature& sig);
  Result<ChainTxResult> RegisterModel(const crypto::Address& owner, const std::string& name, const std::string& kind,
                                      uint32_t builder_fee_bps, uint64_t nonce, const crypto::Signature& sig);
  Result<ChainTxResult> SetTag(const crypto::Address& owner, const std::string& name, const std::string& tag,
                               const Hash32& manifest, uint64_t nonce, const crypto::Signature& sig);
  Result<ChainTxResult> RegisterProvider(const crypto::Address& provider, const std::string& endpoint,
                                         const U256& stake, uint64_t nonce, const crypto::Signature& sig);
  Result<ChainTxResult> SetOffer(const crypto::Address& provider, const Hash32& manifest, const U256& price_per_second,
                                 uint32_t min_seconds, uint32_t tps, uint32_t slots, uint64_t nonce,
                                 const crypto::Signature& sig);
  Result<ChainTxResult> StakeRouter(const crypto::Address& router, const U256& amount, uint64_t nonce,
                                    const crypto::Signature& sig);
  Result<ChainTxResult> SetRouterEndpoint(const crypto::Address& router, const std::string& endpoint, uint64_t nonce,
                                          const crypto::Signature& sig);
  Result<ChainTxResult> Unstake(const crypto::Address& owner, const std::string& role, const U256& amount,
                                uint64_t nonce, const crypto::Signature& sig);
  Result<ChainTxResult> SettleBatchSigned(const crypto::Address& sender, const Hash32& receipts_hash, uint32_t count,
                                          uint64_t nonce, const crypto::Signature& sig,
                                          const std::vector<SessionReceipt>& receipts);
  Result<ChainTxResult> Claim(const crypto::Address& owner, uint64_t nonce, const crypto::Signature& sig);
  Result<ChainTxResult> CloseDay(const crypto::Address& sender, uint64_t day, uint64_t nonce,
                                 const crypto::Signature& sig);
  Result<ChainTxResult> Mint(const crypto::Address& minter, const crypto::Address& to, const U256& amount,
                             uint64_t nonce, const crypto::Signature& sig);

  // ---- Direct calls (the TxSender's key is the actor) -----------------------------------------
  Result<ChainTxResult> SettleBatch(const std::vector<SessionReceipt>& receipts);
  // Signs an EIP-2612 permit for the contract with the sender's key, then deposits.
  Result<ChainTxResult> DepositWithPermit(const U256& amount, uint64_t deadline);
  Result<ChainTxResult> CloseDays();
  Result<ChainTxResult> Release(const crypto::Address& owner);

  // ---- Genesis (the deployer) ----------------------------------------------------------------
  struct Allocation {
    crypto::Address address;
    U256 wallet;
    U256 vault;
  };
  Result<ChainTxResult> GenesisAllocate(const std::vector<Allocation>& allocations);
  Result<ChainTxResult> GenesisSeal(const U256& compute_pool, const U256& community_pool);

  // ---- Views ---------------------------------------------------------------------------------
  Result<ChainAccount> Account(const crypto::Address& a);
  Result<ChainDay> Day();
  Result<ChainStats> Stats();
  Result<ChainParams> Params();
  Result<ChainModel> Model(const std::string& name);
  Result<std::vector<ChainModel>> Models(uint64_t offset = 0, uint64_t limit = 1000);
  Result<std::vector<ChainProvider>> Providers(uint64_t offset = 0, uint64_t limit = 1000);
  Result<std::vector<ChainRouter>> Routers(uint64_t offset = 0, uint64_t limit = 1000);
  Result<bool> IsSettled(const Hash32& session_id);
  Result<Hash32> Resolve(const std::string& name, const std::string& tag);
  Result<Hash32> DomainSeparator();
  Result<crypto::Address> Token();
  // The token balance of an address (MorToken.balanceOf).
  Result<U256> TokenBalance(const crypto::Address& a);

  // One log of the contract decoded (its event name and arguments); an error for another address.
  Result<ChainEvent> DecodeEvent(const Log& log) const;

  // The ABI values of a receipt, as settleBatch takes it (exposed for tests and benchmarks).
  static AbiValue ReceiptValue(const SessionReceipt& r);

 private:
  ComputeContractClient(EthRpc* rpc, const crypto::Address& contract, TxSender* sender, const Artifact* compute,
                        const Artifact* token)
      : rpc_(rpc), contract_(contract), sender_(sender), compute_(compute), token_abi_(token) {}
  Result<ChainTxResult> Transact(std::string_view function, const std::vector<AbiValue>& args,
                                 const std::vector<SessionReceipt>* receipts = nullptr);
  Result<std::vector<AbiValue>> View(std::string_view function, const std::vector<AbiValue>& args);
  Result<std::vector<AbiValue>> TokenView(std::string_view function, const std::vector<AbiValue>& args);
  Error RevertError(const Bytes& data, const std::string& node_message,
                    const std::vector<SessionReceipt>* receipts);

  EthRpc* rpc_;
  crypto::Address contract_;
  TxSender* sender_;
  const Artifact* compute_;
  const Artifact* token_abi_;
  SendOptions send_options_;
  std::optional<crypto::Address> token_;
  std::optional<U256> min_router_stake_;
};

// The receipt outcome a SessionSettled or ReceiptRefused event reports (nullopt for other events).
std::optional<ReceiptOutcome> ReceiptOutcomeFromEvent(const ChainEvent& e);

// The lt::Error for a revert of the Compute Contract (or of its token), with the embedded ledger's
// code and wording. `receipts` (when the call was a settlement) names the refused receipts.
Error ComputeRevertError(const DecodedRevert& revert, const ContractAbi& token_abi, const U256& min_router_stake,
                         const std::vector<SessionReceipt>* receipts);

}  // namespace lt::evm

#endif  // LT_EVM_COMPUTE_CLIENT_H_
