// The Compute Contract's values as C++ structs (contracts/compute/Types.sol, Views.sol): what
// ComputeContractClient sends and returns. They mirror the contract's ABI one to one; the ledger's
// own types (wire::Ticket, ledger::Tx, ...) convert to and from them in the EvmLedger adapter.
// Refusal codes and their texts are the embedded ledger's receipt errors (src/ledger/rules.cc).
// Thread-safety: plain values.
#ifndef LT_EVM_COMPUTE_TYPES_H_
#define LT_EVM_COMPUTE_TYPES_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/uint256.h"

namespace lt::evm {

struct ChainTicket {
  Hash32 session_id{};
  crypto::Address user;
  crypto::Address provider;
  crypto::Address router;
  Hash32 manifest{};
  U256 price_per_second;
  uint32_t min_seconds = 0;
  uint32_t max_seconds = 0;
  uint64_t issued_at = 0;
  uint64_t expires_at = 0;
};

struct ChainVoucher {
  Hash32 session_id{};
  uint32_t seconds = 0;
  uint32_t tokens_out = 0;
  uint32_t ttft_ms = 0;
  bool is_final = false;
};

// One receipt of settleBatch: the ticket signed by its router, the voucher by the ticket's user.
struct SessionReceipt {
  ChainTicket ticket;
  crypto::Signature ticket_sig{};
  ChainVoucher voucher;
  crypto::Signature voucher_sig{};
};

// Why the contract refused a receipt (Refusal in Types.sol). Never renumber.
enum class Refusal : uint8_t {
  kNone = 0,
  kVoucherOtherSession = 1,
  kTicketNotByRouter = 2,
  kVoucherNotByUser = 3,
  kSenderNotRouterOrProvider = 4,
  kAlreadySettled = 5,
  kRouterNotStaked = 6,
  kManifestNotRegistered = 7,
  kCostOverflow = 8,
  // 9 is the embedded ledger's kUnknownModel (a model is never deleted on chain)
  kMinAboveMax = 10,
  kMinAboveCap = 11,
  kSessionIdNotRouters = 12,
};
// The embedded ledger's text for a refusal ("session already settled", ...).
std::string RefusalText(Refusal r);

// The outcome of one receipt of a batch, in the batch's order.
struct ReceiptOutcome {
  Hash32 session_id{};
  bool ok = false;
  Refusal refusal = Refusal::kNone;
  // When ok (from the SessionSettled event):
  Hash32 manifest{};
  crypto::Address provider;
  uint64_t issued_at = 0;
  uint32_t billed_seconds = 0;
  U256 from_allowance;
  U256 from_vault;
  U256 from_router_stake;
  U256 builder_fee;
};

// One decoded event of the contract: its name and arguments by parameter name (amounts as
// decimal strings, addresses checksummed, bytes as 0x-hex).
struct ChainEvent {
  std::string name;
  nlohmann::json args;
};

// What one contract transaction did.
struct ChainTxResult {
  Hash32 tx_hash{};
  uint64_t block = 0;
  uint64_t gas_used = 0;
  std::vector<ChainEvent> events;
  std::vector<ReceiptOutcome> receipts;  // settleBatch / settleBatchSigned only
  uint64_t settled = 0;
  uint64_t refused = 0;
};

struct ChainAccount {
  U256 wallet;  // token balance + matured withdrawals not yet paid out
  U256 vault;
  U256 claimable;
  U256 pending_withdrawal;
  uint64_t pending_available_day = 0;
  U256 allowance_total;
  U256 allowance_left;
  U256 router_stake;
  U256 provider_stake;
  uint64_t nonce = 0;
  uint64_t day = 0;
};

struct ChainDay {
  uint64_t day = 0;
  uint64_t clock_day = 0;
  uint64_t day_seconds = 0;
  U256 budget;
  U256 builders_share;
  U256 users_share;
  U256 allowance_spent;
  U256 circulating;
  U256 session_seconds;
  U256 sessions;
  U256 compute_pool;
  U256 community_pool;
  U256 total_supply;
  U256 emission_compute;
  U256 emission_community;
  U256 builder_escrow;
  bool live = false;
};

struct ChainStats {
  uint64_t txs = 0;
  uint64_t sessions_settled = 0;
  uint64_t receipts_refused = 0;
  uint64_t settle_batches = 0;
  uint64_t models = 0;
  uint64_t providers = 0;
  uint64_t routers = 0;
};

struct ChainModel {
  std::string name;
  crypto::Address owner;
  uint8_t kind = 0;  // 0 model, 1 agent
  uint16_t builder_fee_bps = 0;
  std::vector<std::pair<std::string, Hash32>> tags;
};

struct ChainOffer {
  Hash32 manifest{};
  std::string model;
  U256 price_per_second;
  uint32_t min_seconds = 0;
  uint32_t tps = 0;
  uint32_t slots = 0;
  uint64_t nonce = 0;
};

struct ChainProvider {
  crypto::Address provider;
  std::string endpoint;
  U256 stake;
  std::vector<ChainOffer> offers;
};

struct ChainRouter {
  crypto::Address router;
  std::string endpoint;
  U256 stake;
};

// The contract's deployment parameters (Params in Types.sol) as ComputeContract.params() shows them.
struct ChainParams {
  crypto::Address token;
  std::optional<crypto::Address> minter;
  bool mintable = true;
  uint64_t day_seconds = 86400;
  uint64_t start_time = 0;  // deploy only; params() reports first_day
  uint64_t first_day = 0;
  U256 compute_initial;
  U256 compute_decrease;
  U256 community_initial;
  U256 community_decrease;
  uint16_t beta_bps = 1000;
  uint16_t budget_bps = 100;
  uint16_t max_builder_fee_bps = 2000;
  uint16_t agent_share_bps = 1000;
  U256 min_provider_stake;
  U256 min_router_stake;
  uint32_t max_min_seconds = 3600;
};

}  // namespace lt::evm

#endif  // LT_EVM_COMPUTE_TYPES_H_
