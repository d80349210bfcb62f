#include "util/sqlite.h"

namespace lt {

Status SqliteExec(sqlite3* db, const std::string& sql, const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return IoError(what + ": " + m);
  }
  return OkStatus();
}

Result<sqlite3*> OpenSqlite(const std::string& path, int flags, int busy_timeout_ms,
                            std::initializer_list<const char*> setup, const std::string& what) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | flags, nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return IoError(what + " " + path + ": " + m);
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  for (const char* sql : setup) {
    auto st = SqliteExec(db, sql, what + " " + path);
    if (!st.ok()) {
      sqlite3_close(db);
      return st.error();
    }
  }
  return db;
}

}  // namespace lt
