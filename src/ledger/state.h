// LedgerState: the Compute Contract's rules over an in-memory state (DESIGN §3, doc/ledger.md).
//
// This is the deterministic heart shared by the embedded backend, `lt ledger verify` and the
// tests: given a genesis and a sequence of (time, verified transaction), it always reaches the
// same state and the same StateHash(). It knows nothing of SQLite, HTTP or signatures: callers
// hand it transactions whose signatures were already checked (VerifyTx in tx.h), which is what
// lets the embedded ledger recover signatures on all cores before the single-threaded apply.
//
// Days: the state has one open day. AdvanceTo(t) closes every day before floor(t/day_seconds)
// in order (emissions, builders' and agents' shares, pending withdrawals, the snapshot for the
// next day); Apply() of a transaction at time t requires AdvanceTo(t) to have been called.
// Atomicity: Apply() either succeeds, or returns an error and changes nothing (every mutation
// is journaled in the Tables and rolled back). A settle_batch succeeds as a transaction even
// when some of its receipts are refused; the outcome lists each receipt with its reason.
// Thread-safety: none; one writer at a time (the ledger holds a lock).
#ifndef LT_LEDGER_STATE_H_
#define LT_LEDGER_STATE_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "crypto/keys.h"
#include "ledger/outcome.h"
#include "ledger/views.h"
#include "ledger/genesis.h"
#include "ledger/table.h"
#include "ledger/tx.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::ledger {

using crypto::Address;

struct Account {
  U256 wallet;
  U256 vault;
  U256 claimable;
  U256 router_stake;
  uint64_t nonce = 0;
  // Vault at the start of day snap_tag - 1 (recorded on the first vault change of that day;
  // 0 = no snapshot). Lazy snapshots make a day boundary O(1) however many accounts exist.
  U256 vault_snap;
  uint64_t snap_tag = 0;
  // Allowance spent on day spent_tag - 1 (0 = none); it resets when the day changes.
  U256 allowance_spent;
  uint64_t spent_tag = 0;
  bool operator==(const Account&) const = default;
};

enum class ModelKind : uint8_t { kModel = 0, kAgent = 1 };  // stored: never renumber
std::string_view ModelKindName(ModelKind k);

struct Model {
  Address owner;  // the namespace owner, paid as builder
  ModelKind kind = ModelKind::kModel;
  uint32_t builder_fee_bps = 0;
  bool operator==(const Model&) const = default;
};

struct Provider {
  std::string endpoint;
  U256 stake;
  bool operator==(const Provider&) const = default;
};

struct OfferRow {
  U256 price_per_second;
  uint32_t min_seconds = 0;
  uint32_t tps = 0;
  uint32_t slots = 0;
  uint64_t nonce = 0;
  bool operator==(const OfferRow&) const = default;
};

struct BuilderSeconds {
  uint64_t model_seconds = 0;
  uint64_t agent_seconds = 0;
  bool operator==(const BuilderSeconds&) const = default;
};

// The record of one closed day (and, for the open day, its figures so far).
// The figures of one day (ledger/views.h: the same type the views serve).
using DayRecord = DayFigures;

struct Globals {
  uint64_t day = 0;  // the open day
  U256 compute_pool;
  U256 community_pool;
  U256 total_minted;
  DayRecord today;   // budget and circulating of the open day, spending so far
  uint64_t txs = 0;  // applied transactions (not counting ticks)
  uint64_t sessions_settled = 0;
  uint64_t receipts_refused = 0;
  uint64_t settle_batches = 0;
  bool operator==(const Globals&) const = default;
};

// The result of one applied transaction (stored in the tx log and returned by POST /tx).
using Outcome = TxOutcome;

class LedgerState {
 public:
  explicit LedgerState(Genesis genesis);
  // A fresh state at genesis: allocations, pools, the first day's budget and snapshot.
  static LedgerState FromGenesis(const Genesis& genesis);

  const Genesis& genesis() const { return genesis_; }

  // Closes every day before DayOf(t). Returns the number of days closed.
  uint64_t AdvanceTo(uint64_t t);
  // Applies a verified transaction at time t (after AdvanceTo(t)). All or nothing.
  Result<Outcome> Apply(const VerifiedTx& tx, uint64_t t);

  // wallets + vaults + pending + claimable + pools + stakes == total minted; and no open-day
  // allowance above the users' share of the budget.
  Status CheckInvariant() const;
  // keccak-256 over a canonical dump of every table and the globals.
  Hash32 StateHash() const;

  // Reads.
  const Globals& globals() const { return g_; }
  Account GetAccount(const Address& a) const { return accounts_.Get(a); }
  // A(u, day) for the open day and what is left of it.
  U256 AllowanceTotal(const Address& a) const;
  U256 AllowanceLeft(const Address& a) const;
  U256 PendingWithdrawal(const Address& a) const { return pending_.Get(a); }
  U256 VaultAtDayStart(const Account& acct) const;

  // Storage: tables are exposed so the store can load and flush them (see sqlite_store.cc).
  Table<Address, Account> accounts_;
  Table<Address, U256> pending_;            // withdrawals released at the next close
  Table<std::string, Address> namespaces_;  // namespace -> owner
  Table<std::string, Model> models_;        // "ns/name" -> model
  Table<std::string, Hash32> tags_;         // "ns/name:tag" -> manifest
  Table<Hash32, std::string> manifests_;    // manifest -> "ns/name"
  Table<Address, Provider> providers_;
  Table<Address, std::string> router_endpoints_;  // set_router_endpoint (kept when the stake goes)
  Table<std::pair<Address, Hash32>, OfferRow> offers_;  // (provider, manifest)
  Table<Hash32, uint64_t> sessions_;                    // settled session id -> day
  Table<Address, BuilderSeconds> builder_seconds_;      // open day only
  Table<uint64_t, DayRecord> days_;                     // closed days
  Globals g_;
  bool globals_dirty_ = true;

 private:
  void Begin();
  void CommitAll();
  void RollbackAll();
  void CloseOneDay();
  Account& Acct(const Address& a) { return accounts_.Mut(a); }
  void SetVault(Account& acct, const U256& v);
  Result<Outcome> ApplyBody(const VerifiedTx& tx, uint64_t t);
  Result<Outcome> ApplySettle(const VerifiedTx& tx, uint64_t t);
  Status CheckNonce(const Address& sender, uint64_t nonce) const;

  Genesis genesis_;
  Globals g_backup_;
};

// Canonical encodings of rows (storage and hashing). Decoders reject malformed rows as kCorrupt.
nlohmann::json AccountToJson(const Account& a);
Result<Account> AccountFromJson(const nlohmann::json& j);
nlohmann::json DayRecordToJson(const DayRecord& d);
Result<DayRecord> DayRecordFromJson(const nlohmann::json& j);
nlohmann::json GlobalsToJson(const Globals& g);
Result<Globals> GlobalsFromJson(const nlohmann::json& j);

}  // namespace lt::ledger

#endif  // LT_LEDGER_STATE_H_
