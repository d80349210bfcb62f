// Ledger: the Compute Contract behind one interface (DESIGN §3; doc/ledger.md).
//
// Backends: EmbeddedLedger (SQLite, embedded.h), RemoteLedger (the HTTP API of `lt ledger serve`,
// client.h) and, later, an EVM backend. All must pass ledger_conformance_test.cc, which is
// written against this interface and parameterized by a factory.
//
// Writes: Submit() applies one signed transaction; SubmitMany() applies several (one result each,
// in order). A transaction that succeeds is durable when the call returns; one that fails changes
// nothing and its Error says exactly why (kUnauthenticated bad signature / domain,
// kFailedPrecondition nonce or funds, kPermissionDenied not the owner, kInvalidArgument malformed,
// kNotFound unknown model/provider, kAlreadyExists name or manifest taken).
// Results and reads are typed (ledger/outcome.h, ledger/views.h), each with the one JSON form the
// HTTP API serves (doc/ledger.md "HTTP API"), so no caller reads ledger JSON by key and every
// backend (embedded, remote, EVM) returns the same values.
// Thread-safety: every method may be called from any thread; writes are serialized.
#ifndef LT_LEDGER_LEDGER_H_
#define LT_LEDGER_LEDGER_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "ledger/genesis.h"
#include "ledger/outcome.h"
#include "ledger/views.h"
#include "ledger/tx.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::ledger {

struct AccountInfo {
  crypto::Address address;
  U256 wallet;
  U256 vault;
  U256 claimable;
  U256 pending_withdrawal;  // reaches the wallet when the open day closes
  uint64_t pending_available_day = 0;
  U256 allowance_total;  // A(u, d) of the open day
  U256 allowance_left;   // what is left of it
  U256 router_stake;
  U256 provider_stake;
  uint64_t nonce = 0;  // the next nonce this address must sign
  uint64_t day = 0;    // the open day these figures belong to
};
nlohmann::json AccountInfoToJson(const AccountInfo& a);
Result<AccountInfo> AccountInfoFromJson(const nlohmann::json& j);

struct SubmitResult {
  uint64_t index = 0;  // position in the tx log
  TxOutcome outcome;   // what it did (per-receipt outcomes of a settle_batch)
};

struct TxLogEntry {
  uint64_t index = 0;
  uint64_t time = 0;  // ledger time (unix seconds) at which it was applied
  std::string type;   // a TxTypeName, or "tick" (days closed by the clock)
  nlohmann::json tx;  // the signed transaction document (SignedTxToJson), null for a tick
  TxOutcome outcome;
};
nlohmann::json TxLogEntryToJson(const TxLogEntry& e);
Result<TxLogEntry> TxLogEntryFromJson(const nlohmann::json& j);

struct StateInfo {
  Hash32 state_hash{};
  bool invariant_ok = false;
  std::string invariant_error;
  uint64_t tx_log_size = 0;
};

class Ledger {
 public:
  virtual ~Ledger() = default;

  virtual const LedgerDomain& domain() const = 0;
  virtual Result<SubmitResult> Submit(const SignedTx& tx) = 0;
  virtual std::vector<Result<SubmitResult>> SubmitMany(const std::vector<SignedTx>& txs) {
    std::vector<Result<SubmitResult>> out;
    out.reserve(txs.size());
    for (const auto& t : txs) out.push_back(Submit(t));
    return out;
  }
  // Closes the days that ended by now (any caller may; idempotent). Returns days closed.
  virtual Result<uint64_t> CloseDays() = 0;

  virtual Result<AccountInfo> GetAccount(const crypto::Address& a) = 0;
  virtual Result<std::vector<ModelInfo>> GetModels() = 0;
  virtual Result<ModelInfo> GetModel(const std::string& name) = 0;  // "namespace/name"
  virtual Result<std::vector<ProviderInfo>> GetProviders() = 0;
  // Routers that published an endpoint (set_router_endpoint), by address.
  virtual Result<std::vector<RouterInfo>> GetRouters() {
    return MakeError(ErrorCode::kUnavailable, "this ledger does not list routers");
  }
  virtual Result<DayInfo> GetDay() = 0;
  virtual Result<StatsInfo> GetStats() = 0;
  virtual Result<std::vector<TxLogEntry>> GetTxs(uint64_t from, uint64_t limit) = 0;
  virtual Result<Genesis> GetGenesis() = 0;
  virtual Result<StateInfo> GetStateInfo() = 0;
};

}  // namespace lt::ledger

#endif  // LT_LEDGER_LEDGER_H_
