// Small SQLite helpers shared by the components that keep state in SQLite (router, registry,
// analytics): a prepared statement that finalizes itself, and opening a database with pragmas.
// Errors name the database (`what`) and carry SQLite's message.
// Thread-safety: a SqliteStmt belongs to one thread at a time, like its connection.
#ifndef LT_UTIL_SQLITE_H_
#define LT_UTIL_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <string>

#include "util/bytes.h"
#include "util/result.h"

namespace lt {

// A prepared statement that finalizes itself: prepared for one use (the constructor), or kept
// for the life of its connection and reused (default-constructed, then Prepare(..., true)).
class SqliteStmt {
 public:
  SqliteStmt() = default;
  SqliteStmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~SqliteStmt() { sqlite3_finalize(s_); }
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  // Prepares `sql` on `db` (persistent: SQLite keeps it for many uses); kIoError naming `what`.
  Status Prepare(sqlite3* db, const char* sql, bool persistent, const std::string& what) {
    sqlite3_finalize(s_);
    s_ = nullptr;
    db_ = db;
    rc_ = sqlite3_prepare_v3(db, sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &s_, nullptr);
    if (rc_ != SQLITE_OK) return Err(what, "prepare");
    return OkStatus();
  }

  bool ok() const { return rc_ == SQLITE_OK; }
  SqliteStmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Binds without a copy: `v` must stay unchanged until the statement is stepped and reset.
  SqliteStmt& BindStatic(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  SqliteStmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  SqliteStmt& BindDouble(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }
  SqliteStmt& BindNull(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
  }
  SqliteStmt& BindBlob(int i, ByteSpan v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code (SQLITE_ERROR when the statement did not prepare).
  int Step() { return ok() ? sqlite3_step(s_) : SQLITE_ERROR; }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  // Steps a statement that returns no row, then resets it; kIoError naming `what` and `doing`.
  Status Done(const std::string& what, const char* doing) {
    int rc = Step();
    Reset();
    if (rc != SQLITE_DONE) return Err(what, doing);
    return OkStatus();
  }
  std::string Text(int c) const {
    auto p = sqlite3_column_text(s_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, c)) : std::string();
  }
  int64_t Int(int c) const { return sqlite3_column_int64(s_, c); }
  double Double(int c) const { return sqlite3_column_double(s_, c); }
  Bytes Blob(int c) const {
    auto p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, c));
    return p ? Bytes(p, p + sqlite3_column_bytes(s_, c)) : Bytes();
  }
  // kIoError "<what>: <doing>: <SQLite's message>".
  Error Err(const std::string& what, const char* doing) const {
    return IoError(what + ": " + doing + ": " + (db_ != nullptr ? sqlite3_errmsg(db_) : "no database"));
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_MISUSE;
};

// Runs `sql` (one or more statements); kIoError "<what>: <SQLite's message>".
Status SqliteExec(sqlite3* db, const std::string& sql, const std::string& what);

// Opens (creating) the database at `path` with `flags` (SQLITE_OPEN_NOMUTEX or _FULLMUTEX are
// added by the caller), a busy timeout, then runs each of `setup` (pragmas, schema). On error the
// connection is closed and the error names `what` and the path.
Result<sqlite3*> OpenSqlite(const std::string& path, int flags, int busy_timeout_ms,
                            std::initializer_list<const char*> setup, const std::string& what);

}  // namespace lt

#endif  // LT_UTIL_SQLITE_H_
