// Ledger transactions: types, EIP-712 encoding, JSON forms, signing and verification
// (DESIGN §3; every type string is listed in doc/ledger.md).
//
// Each transaction is an EIP-712 struct signed by its sender (the first address field) with the
// sender's next nonce, under the domain {name "LakeTravis", version "1", chainId,
// verifyingContract} of the ledger's genesis, so any web3 wallet can sign one with
// eth_signTypedData_v4. A Tx is a flat struct: `type` says which fields are meaningful.
//
// A settle_batch additionally carries receipts (ticket + router signature + voucher + user
// signature). The signed SettleBatch message commits to them with receiptsHash (see
// ReceiptsHash), so the router authenticates the whole batch with one signature.
//
// JSON forms accepted by ParseSignedTx (POST /tx):
//   compact: {"type":"transfer","message":{...EIP-712 message...},"signature":"0x..",
//             "receipts":[...]}            (receipts only for settle_batch; "domain" optional)
//   typed:   {"typedData":{types,primaryType,domain,message},"signature":"0x..","receipts":[...]}
// In the typed form the domain must be the ledger's (a wrong chainId or verifyingContract is
// refused by name) and the types must be exactly ours.
// Verification (VerifyTx) recovers the sender; it is pure and thread-safe, so many transactions
// can be verified on all cores before the single-threaded apply.
// Thread-safety: plain values and pure functions.
#ifndef LT_LEDGER_TX_H_
#define LT_LEDGER_TX_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/uint256.h"
#include "wire/messages.h"
#include "wire/receipt.h"

namespace lt::ledger {

// Stored in the tx log by name; the numbers are for code only.
enum class TxType : uint8_t {
  kTransfer,
  kDeposit,
  kWithdraw,
  kRegisterModel,
  kSetTag,
  kRegisterProvider,
  kSetOffer,
  kStakeRouter,
  kUnstake,
  kSettleBatch,
  kClaim,
  kCloseDay,
  kMint,
  kSetRouterEndpoint,  // a staked router publishes its endpoint (clients find routers on the ledger)
};
inline constexpr int kTxTypeCount = 14;

// "transfer", "settle_batch", ...
std::string_view TxTypeName(TxType t);
Result<TxType> ParseTxType(std::string_view name);
// EIP-712 primary type name ("Transfer") and encodeType string
// ("Transfer(address from,address to,uint256 amount,uint64 nonce)").
std::string_view TxPrimaryType(TxType t);
std::string_view TxTypeString(TxType t);

// The ledger's EIP-712 domain with its separator computed once.
struct LedgerDomain {
  uint64_t chain_id = 0;
  crypto::Address verifying_contract;
  Hash32 separator{};
  static LedgerDomain Make(uint64_t chain_id, const crypto::Address& contract);
  nlohmann::json ToJson() const;
};

// A settle_batch carries wire::Receipt (wire/receipt.h): one shape for every role.
using wire::Receipt;

struct Tx {
  TxType type = TxType::kTransfer;
  crypto::Address sender;  // from / owner / provider / router / minter / sender
  uint64_t nonce = 0;
  crypto::Address to;             // transfer, mint
  U256 amount;                    // transfer, deposit, withdraw, register_provider (stake), stake_router,
                                  // unstake, mint
  std::string name;               // register_model, set_tag: "namespace/name"
  std::string kind;               // register_model: "model" or "agent"
  uint32_t builder_fee_bps = 0;   // register_model
  std::string tag;                // set_tag
  Hash32 manifest{};              // set_tag, set_offer
  std::string endpoint;           // register_provider, set_router_endpoint
  std::string role;               // unstake: "router" or "provider"
  U256 price_per_second;          // set_offer
  uint32_t min_seconds = 0;       // set_offer
  uint32_t tps = 0;               // set_offer
  uint32_t slots = 0;             // set_offer (0 withdraws the offer)
  uint64_t day = 0;               // close_day
  Hash32 receipts_hash{};         // settle_batch
  uint32_t count = 0;             // settle_batch
  std::vector<Receipt> receipts;  // settle_batch (not part of the signed struct, see ReceiptsHash)
};

struct SignedTx {
  Tx tx;
  crypto::Signature signature{};
};

// hashStruct of the transaction message (native encoder; equals the generic EIP-712 one).
Hash32 TxStructHash(const Tx& tx);
Hash32 TxDigest(const Tx& tx, const LedgerDomain& domain);
// keccak256 over, for each receipt in order: hashStruct(ticket) || ticket_sig || hashStruct(voucher)
// || voucher_sig.
Hash32 ReceiptsHash(const std::vector<Receipt>& receipts);

// The EIP-712 message object (field names of the type string; uint256 as decimal strings).
nlohmann::json TxMessageJson(const Tx& tx);
// The eth_signTypedData_v4 document a wallet signs.
nlohmann::json TxTypedData(const Tx& tx, const LedgerDomain& domain);
// The compact JSON of a signed transaction (the POST /tx body and the tx log's stored form).
nlohmann::json SignedTxToJson(const SignedTx& stx);
// Parses either JSON form (see the file comment). Bounded: at most kMaxReceipts receipts.
inline constexpr size_t kMaxReceipts = 10000;
Result<SignedTx> ParseSignedTx(const nlohmann::json& body, const LedgerDomain& domain);

// Signs as the sender (sets tx.sender to the key's address; for settle_batch also count and
// receipts_hash).
SignedTx SignTx(Tx tx, const crypto::PrivateKey& key, const LedgerDomain& domain);

// A transaction whose sender signature was checked, with the check of each receipt.
struct VerifiedTx {
  SignedTx stx;
  // For settle_batch: one entry per receipt, empty when its signatures are good, else the code it
  // is refused with (wire::CheckReceiptSignatures).
  std::vector<std::optional<wire::SettleCode>> receipt_checks;
};

// Checks the sender's signature (kUnauthenticated naming the recovered signer otherwise), and
// for settle_batch the count, receiptsHash, and the two signatures of every receipt.
Result<VerifiedTx> VerifyTx(SignedTx stx, const LedgerDomain& domain);
// Verifies many transactions with up to `threads` threads (0 = hardware concurrency): sender
// signatures and every receipt signature are spread over the threads. Same results as VerifyTx.
std::vector<Result<VerifiedTx>> VerifyTxs(std::vector<SignedTx> txs, const LedgerDomain& domain, int threads);

}  // namespace lt::ledger

#endif  // LT_LEDGER_TX_H_
