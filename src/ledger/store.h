// Store: the SQLite persistence of an embedded ledger (internal to src/ledger; doc/ledger.md
// "Storage").
//
// Schema (schema_version 1):
//   meta(k TEXT PRIMARY KEY, v TEXT)                 genesis, globals, schema_version
//   state(tbl TEXT, k TEXT, v TEXT, PRIMARY KEY(tbl, k)) WITHOUT ROWID
//                                                     one row per entry of each LedgerState table
//   txlog(idx INTEGER PRIMARY KEY, time INTEGER, type TEXT, sender TEXT, body TEXT, outcome TEXT)
// Opened in WAL mode with synchronous=FULL (see embedded.h). All statements are prepared once.
// Begin/Commit/Rollback bracket a group of log appends and row flushes.
// Thread-safety: none; the EmbeddedLedger serializes access (reads of the log take its lock).
#ifndef LT_LEDGER_STORE_H_
#define LT_LEDGER_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/state.h"

namespace lt::ledger {

class Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& path, bool read_only);
  ~Store();

  // The stored genesis (text), or nullopt in a fresh database.
  Result<std::optional<std::string>> GenesisText();
  Status WriteGenesis(const std::string& text);

  Status Begin();
  Status Commit();
  void Rollback();

  Status AppendLog(const TxLogEntry& e, const std::string& sender);
  // Writes the rows the state touched since the last flush, and the globals.
  Status Flush(LedgerState& state);
  // Loads the stored tables into a fresh state built for `genesis`.
  Result<LedgerState> LoadState(const Genesis& genesis);

  Result<uint64_t> LogSize();
  Result<std::vector<TxLogEntry>> ReadLog(uint64_t from, uint64_t limit);

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lt::ledger

#endif  // LT_LEDGER_STORE_H_
