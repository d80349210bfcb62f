// EvmLedger: the Ledger interface over the Compute Contract on an EVM chain (doc/contracts.md),
// through Ethereum JSON-RPC with our own keys (src/evm). The fourth backend of the conformance
// suite; `--chain DEPLOYMENT.json` makes every role and ledger command use it.
//
// Writes: Submit() relays the signed ledger transaction to the contract (the sender's EIP-712
// signature is checked on chain; the relayer key pays the gas), waits for it to be mined and
// returns the outcome decoded from the contract's events, with the embedded ledger's values:
// the same TxOutcome, the same wire::SettleCode per receipt (the contract's refusal reasons are
// those codes), the same ErrorCode and wording for a refused transaction (custom errors are
// decoded by evm/compute_errors.cc; a batch of which nothing settles is kAlreadyExists when every
// receipt was settled before, as in the embedded ledger). A transaction the contract would refuse
// is not sent (gas estimation reverts), so it costs nothing and changes nothing.
// Reads: eth_call views of the contract at the latest block; GetTxs and the closed days of GetDay
// come from the contract's logs (GetTxs decodes each entry's signed ledger transaction from the
// calldata, evm_txlog.cc; a direct call such as closeDays has `tx` null); GetGenesis from params() and the GenesisSealed event (no allocations: they are
// balances on the chain); GetStateInfo's state_hash is keccak(storage root of the contract ‖
// storage root of the token) from eth_getProof, and its invariant is the part that needs no
// account list (the token balance the contract holds covers its pools and escrow; the supply
// covers that balance): the full money invariant is checked by tests/chain.
// Differences from the embedded ledger are listed in doc/contracts.md "Differences".
// Time: the chain's. `follow_clock` (dev chains only, anvil): every transaction's block gets that
// clock's time (never less than the previous block + 1 s), so tests and the devnet move days.
// Thread-safety: every method may be called from any thread; writes are serialized.
#ifndef LT_LEDGER_EVM_LEDGER_H_
#define LT_LEDGER_EVM_LEDGER_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "evm/compute_client.h"
#include "evm/deploy.h"
#include "ledger/ledger.h"
#include "util/clock.h"

namespace lt::ledger {

struct EvmLedgerOptions {
  evm::Deployment deployment;                 // rpc, chain_id, contract, token, block
  std::optional<crypto::PrivateKey> relayer;  // pays the gas; none: read-only (Submit refused)
  Clock* follow_clock = nullptr;              // anvil only: blocks take this clock's time
  evm::SendOptions send;
};

class EvmLedger : public Ledger {
 public:
  // Connects to deployment.rpc, checks its chain id and that the contract has code.
  static Result<std::unique_ptr<EvmLedger>> Connect(const EvmLedgerOptions& options);

  const LedgerDomain& domain() const override { return domain_; }
  Result<SubmitResult> Submit(const SignedTx& tx) override;
  Result<uint64_t> CloseDays() override;
  Result<AccountInfo> GetAccount(const crypto::Address& a) override;
  Result<std::vector<ModelInfo>> GetModels() override;
  Result<ModelInfo> GetModel(const std::string& name) override;
  Result<std::vector<ProviderInfo>> GetProviders() override;
  Result<DayInfo> GetDay() override;
  Result<StatsInfo> GetStats() override;
  Result<std::vector<TxLogEntry>> GetTxs(uint64_t from, uint64_t limit) override;
  Result<Genesis> GetGenesis() override;
  Result<StateInfo> GetStateInfo() override;

  Result<std::vector<RouterInfo>> GetRouters() override;
  const evm::Deployment& deployment() const { return options_.deployment; }
  evm::ComputeContractClient& contract() { return *client_; }

 private:
  explicit EvmLedger(EvmLedgerOptions options) : options_(std::move(options)) {}
  // Sets the next block's time from follow_clock (no-op without one).
  Status FollowClock();
  uint64_t Now() const;  // follow_clock's time, else this machine's
  Result<TxOutcome> OutcomeOf(const SignedTx& stx, const evm::ChainTxResult& r);
  Result<std::vector<evm::Log>> ContractLogs(const std::optional<Hash32>& topic0);
  // The signed ledger transaction a mined contract transaction carried (NotFound: a direct call).
  Result<SignedTx> SignedTxOf(const Hash32& tx_hash);
  std::string RefusalMessageOf(wire::SettleCode code, const wire::Ticket& tk);

  EvmLedgerOptions options_;
  LedgerDomain domain_;
  std::unique_ptr<evm::EthRpc> rpc_;
  std::unique_ptr<evm::TxSender> sender_;
  std::unique_ptr<evm::ComputeContractClient> client_;
  std::mutex write_mu_;
  uint64_t last_block_time_ = 0;
};

// A ledger::SignedTx relayed to the contract (the relayer pays the gas), and the protocol's
// receipts as the contract's structs.
Result<evm::ChainTxResult> RelayToContract(evm::ComputeContractClient& c, const SignedTx& stx);
// The inverse: the signed ledger transaction of a contract call (function name, decoded arguments).
Result<SignedTx> SignedTxFromCall(const std::string& function, const std::vector<evm::AbiValue>& args);
// The embedded ledger's sentence for a receipt refused with `code` (src/ledger/rules.cc).
std::string RefusalMessage(wire::SettleCode code, const wire::Ticket& tk, const U256& min_router_stake,
                           uint32_t max_min_seconds);
evm::ChainTicket ToChain(const wire::Ticket& t);
evm::ChainVoucher ToChain(const wire::Voucher& v);
evm::SessionReceipt ToChain(const Receipt& r);
std::vector<evm::SessionReceipt> ToChain(const std::vector<Receipt>& rs);

// The contract's deployment configuration from a ledger genesis (the file `lt ledger init`
// reads also sets up `lt chain deploy`): chain_id and verifying_contract are not used, on a chain
// they are the chain's id and the deployed contract's address.
evm::DeployConfig DeployConfigFromGenesis(const Genesis& g);

}  // namespace lt::ledger

#endif  // LT_LEDGER_EVM_LEDGER_H_
