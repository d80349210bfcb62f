// EmbeddedLedger: the default backend, one process with its state in SQLite (doc/ledger.md).
//
// Storage: one SQLite database in WAL mode with synchronous=FULL: a commit returns only after
// the WAL is fsynced, so an acknowledged transaction survives kill -9 and power loss.
// SubmitMany() applies its transactions to the in-memory LedgerState, then writes, in ONE SQLite
// transaction, the tx-log entries of those that succeeded together with exactly the state rows
// they touched (group commit: concurrent callers' transactions queue up and share one commit).
// Only after COMMIT are results returned (acknowledged = durable). If the commit fails, the
// in-memory state is reloaded from the database and every transaction of the group reports it.
// Signatures (the sender's, and two per settle_batch receipt) are recovered on all cores before
// the single-threaded apply.
// Verify(): re-executes the whole tx log from genesis into a fresh state and compares its state
// hash with the stored state's (what `lt ledger verify` runs).
// Thread-safety: all methods are thread-safe; writes are serialized, reads share a reader lock.
#ifndef LT_LEDGER_EMBEDDED_H_
#define LT_LEDGER_EMBEDDED_H_

#include <memory>
#include <string>

#include "ledger/ledger.h"
#include "util/clock.h"

namespace lt::ledger {

class Store;

struct EmbeddedOptions {
  std::string db_path;     // a file, or ":memory:" for tests
  Clock* clock = nullptr;  // SystemClock::Default() when null
  int verify_threads = 0;  // 0 = hardware concurrency
};

struct VerifyReport {
  uint64_t entries = 0;
  Hash32 replayed_hash{};
  Hash32 stored_hash{};
  bool ok = false;
  std::string message;
};

class EmbeddedLedger : public Ledger {
 public:
  // Creates a new database from a genesis; refuses (kAlreadyExists) if it already has one.
  static Result<std::unique_ptr<EmbeddedLedger>> Create(const EmbeddedOptions& options,
                                                        const Genesis& genesis);
  // Opens an existing database and loads its state.
  static Result<std::unique_ptr<EmbeddedLedger>> Open(const EmbeddedOptions& options);
  // Re-executes the tx log of the database at `db_path` (opened read-only) and compares.
  static Result<VerifyReport> Verify(const std::string& db_path);

  ~EmbeddedLedger() override;

  const LedgerDomain& domain() const override;
  Result<SubmitResult> Submit(const SignedTx& tx) override;
  std::vector<Result<SubmitResult>> SubmitMany(const std::vector<SignedTx>& txs) override;
  Result<uint64_t> CloseDays() override;
  Result<AccountInfo> GetAccount(const crypto::Address& a) override;
  Result<std::vector<ModelInfo>> GetModels() override;
  Result<ModelInfo> GetModel(const std::string& name) override;
  Result<std::vector<ProviderInfo>> GetProviders() override;
  Result<std::vector<RouterInfo>> GetRouters() override;
  Result<DayInfo> GetDay() override;
  Result<StatsInfo> GetStats() override;
  Result<std::vector<TxLogEntry>> GetTxs(uint64_t from, uint64_t limit) override;
  Result<Genesis> GetGenesis() override;
  Result<StateInfo> GetStateInfo() override;

  struct Impl;

 private:
  static Result<std::unique_ptr<EmbeddedLedger>> OpenStore(const EmbeddedOptions& options,
                                                           std::unique_ptr<Store> store);
  explicit EmbeddedLedger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lt::ledger

#endif  // LT_LEDGER_EMBEDDED_H_
