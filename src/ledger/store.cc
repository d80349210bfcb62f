#include "ledger/store.h"
#include "util/json.h"

#include <sqlite3.h>

#include <charconv>

namespace lt::ledger {

using nlohmann::json;

namespace {

class Stmt {
 public:
  Stmt() = default;
  ~Stmt() {
    if (s_ != nullptr) sqlite3_finalize(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt** out() { return &s_; }
  sqlite3_stmt* get() { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

Error SqlError(sqlite3* db, const std::string& what) {
  return IoError("ledger database: " + what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

// ---- keys and values of each table ------------------------------------------------------------

std::string EncKey(const Address& a) { return a.ToLowerHex(); }
std::string EncKey(const Hash32& h) { return HexEncode(h); }
std::string EncKey(const std::string& s) { return s; }
std::string EncKey(uint64_t d) { return std::to_string(d); }
std::string EncKey(const std::pair<Address, Hash32>& k) { return EncKey(k.first) + "/" + EncKey(k.second); }

Status DecKey(const std::string& s, Address* out) {
  auto a = crypto::ParseAddress(s);
  if (!a.ok()) return Corrupt("bad address key " + s);
  *out = *a;
  return OkStatus();
}
Status DecKey(const std::string& s, Hash32* out) {
  auto h = HexDecodeFixed<32>(s);
  if (!h.ok()) return Corrupt("bad hash key " + s);
  *out = *h;
  return OkStatus();
}
Status DecKey(const std::string& s, std::string* out) {
  *out = s;
  return OkStatus();
}
Status DecKey(const std::string& s, uint64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return Corrupt("bad day key " + s);
  return OkStatus();
}
Status DecKey(const std::string& s, std::pair<Address, Hash32>* out) {
  auto slash = s.find('/');
  if (slash == std::string::npos) return Corrupt("bad offer key " + s);
  LT_TRY_STATUS(DecKey(s.substr(0, slash), &out->first));
  return DecKey(s.substr(slash + 1), &out->second);
}

json ParseRow(const std::string& v) { return ParseJson(v); }

std::string EncVal(const Account& a) { return AccountToJson(a).dump(); }
Status DecVal(const std::string& v, Account* out) {
  LT_TRY(*out, AccountFromJson(ParseRow(v)));
  return OkStatus();
}
std::string EncVal(const U256& u) { return u.ToDecimal(); }
Status DecVal(const std::string& v, U256* out) {
  auto u = U256::FromDecimal(v);
  if (!u.ok()) return Corrupt("bad amount " + v);
  *out = *u;
  return OkStatus();
}
std::string EncVal(const Address& a) { return a.ToLowerHex(); }
Status DecVal(const std::string& v, Address* out) { return DecKey(v, out); }
std::string EncVal(const Hash32& h) { return HexEncode(h); }
Status DecVal(const std::string& v, Hash32* out) { return DecKey(v, out); }
std::string EncVal(const std::string& s) { return s; }
Status DecVal(const std::string& v, std::string* out) { return DecKey(v, out); }
std::string EncVal(uint64_t d) { return std::to_string(d); }
Status DecVal(const std::string& v, uint64_t* out) { return DecKey(v, out); }
std::string EncVal(const Model& m) {
  return json{{"owner", m.owner.ToLowerHex()},
              {"kind", ModelKindName(m.kind)},
              {"builder_fee_bps", m.builder_fee_bps}}
      .dump();
}
Status DecVal(const std::string& v, Model* out) {
  json j = ParseRow(v);
  if (!j.is_object() || !j.value("owner", json()).is_string() || !j.value("kind", json()).is_string() ||
      !j.value("builder_fee_bps", json()).is_number_unsigned()) {
    return Corrupt("bad model row");
  }
  LT_TRY_STATUS(DecKey(j["owner"].get<std::string>(), &out->owner));
  out->kind = j["kind"] == "agent" ? ModelKind::kAgent : ModelKind::kModel;
  out->builder_fee_bps = j["builder_fee_bps"].get<uint32_t>();
  return OkStatus();
}
std::string EncVal(const Provider& p) { return json{{"endpoint", p.endpoint}, {"stake", p.stake}}.dump(); }
Status DecVal(const std::string& v, Provider* out) {
  json j = ParseRow(v);
  if (!j.is_object() || !j.value("endpoint", json()).is_string()) return Corrupt("bad provider row");
  out->endpoint = j["endpoint"].get<std::string>();
  auto s = U256FromJson(j.value("stake", json()));
  if (!s.ok()) return Corrupt("bad provider stake");
  out->stake = *s;
  return OkStatus();
}
std::string EncVal(const OfferRow& o) {
  return json{{"price", o.price_per_second},
              {"min_seconds", o.min_seconds},
              {"tps", o.tps},
              {"slots", o.slots},
              {"nonce", o.nonce}}
      .dump();
}
Status DecVal(const std::string& v, OfferRow* out) {
  json j = ParseRow(v);
  if (!j.is_object()) return Corrupt("bad offer row");
  auto p = U256FromJson(j.value("price", json()));
  if (!p.ok()) return Corrupt("bad offer price");
  out->price_per_second = *p;
  for (auto [k, dst] : {std::pair{"min_seconds", &out->min_seconds}, std::pair{"tps", &out->tps},
                        std::pair{"slots", &out->slots}}) {
    if (!j.value(k, json()).is_number_unsigned()) return Corrupt("bad offer row");
    *dst = j[k].get<uint32_t>();
  }
  if (!j.value("nonce", json()).is_number_unsigned()) return Corrupt("bad offer row");
  out->nonce = j["nonce"].get<uint64_t>();
  return OkStatus();
}
std::string EncVal(const BuilderSeconds& b) {
  return json{{"model_seconds", b.model_seconds}, {"agent_seconds", b.agent_seconds}}.dump();
}
Status DecVal(const std::string& v, BuilderSeconds* out) {
  json j = ParseRow(v);
  if (!j.is_object() || !j.value("model_seconds", json()).is_number_unsigned() ||
      !j.value("agent_seconds", json()).is_number_unsigned()) {
    return Corrupt("bad builder_seconds row");
  }
  out->model_seconds = j["model_seconds"].get<uint64_t>();
  out->agent_seconds = j["agent_seconds"].get<uint64_t>();
  return OkStatus();
}
std::string EncVal(const DayRecord& d) { return DayRecordToJson(d).dump(); }
Status DecVal(const std::string& v, DayRecord* out) {
  LT_TRY(*out, DayRecordFromJson(ParseRow(v)));
  return OkStatus();
}

}  // namespace

struct Store::Impl {
  sqlite3* db = nullptr;
  Stmt upsert, del, append, select_log, count_log, get_meta, put_meta, load;

  ~Impl() {
    // Statements first (their destructors run after this body, so finalize explicitly).
    for (Stmt* s : {&upsert, &del, &append, &select_log, &count_log, &get_meta, &put_meta, &load}) {
      if (s->get() != nullptr) {
        sqlite3_finalize(s->get());
        *s->out() = nullptr;
      }
    }
    if (db != nullptr) sqlite3_close(db);
  }

  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err != nullptr ? err : "unknown";
      sqlite3_free(err);
      return IoError(std::string("ledger database: ") + sql + ": " + m);
    }
    return OkStatus();
  }
  Status Prepare(Stmt& s, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, s.out(), nullptr) != SQLITE_OK) {
      return SqlError(db, std::string("prepare ") + sql);
    }
    return OkStatus();
  }
  static void Bind(sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  Status Done(sqlite3_stmt* s, const char* what) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) return SqlError(db, what);
    return OkStatus();
  }

  template <typename K, typename V>
  Status FlushTable(const char* name, Table<K, V>& t) {
    for (const K& k : t.TakeDirty()) {
      const V* v = t.Find(k);
      if (v != nullptr) {
        Bind(upsert.get(), 1, name);
        Bind(upsert.get(), 2, EncKey(k));
        Bind(upsert.get(), 3, EncVal(*v));
        LT_TRY_STATUS(Done(upsert.get(), "write state row"));
      } else {
        Bind(del.get(), 1, name);
        Bind(del.get(), 2, EncKey(k));
        LT_TRY_STATUS(Done(del.get(), "delete state row"));
      }
    }
    return OkStatus();
  }

  template <typename K, typename V>
  Status LoadTable(const char* name, Table<K, V>& t) {
    sqlite3_stmt* s = load.get();
    Bind(s, 1, name);
    int rc;
    Status st;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      std::string k(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), sqlite3_column_bytes(s, 0));
      std::string v(reinterpret_cast<const char*>(sqlite3_column_text(s, 1)), sqlite3_column_bytes(s, 1));
      K key{};
      V val{};
      st = DecKey(k, &key);
      if (st.ok()) st = DecVal(v, &val);
      if (!st.ok()) break;
      t.Load(key, std::move(val));
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (!st.ok()) return st.error().Wrap(std::string("ledger database: table ") + name);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqlError(db, "load state");
    return OkStatus();
  }

  Result<std::optional<std::string>> GetMeta(const std::string& k) {
    sqlite3_stmt* s = get_meta.get();
    Bind(s, 1, k);
    std::optional<std::string> out;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      out = std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), sqlite3_column_bytes(s, 0));
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqlError(db, "read meta");
    return out;
  }
  Status PutMeta(const std::string& k, const std::string& v) {
    Bind(put_meta.get(), 1, k);
    Bind(put_meta.get(), 2, v);
    return Done(put_meta.get(), "write meta");
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, bool read_only) {
  auto impl = std::make_unique<Impl>();
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &impl->db, flags, nullptr) != SQLITE_OK) {
    return SqlError(impl->db, "open " + path);
  }
  sqlite3_busy_timeout(impl->db, 5000);
  if (!read_only) {
    // WAL + FULL: each COMMIT fsyncs the WAL, so an acknowledged transaction is durable even
    // across power loss (NORMAL would only survive process crashes). Group commit amortizes it.
    LT_TRY_STATUS(impl->Exec("PRAGMA journal_mode=WAL"));
    LT_TRY_STATUS(impl->Exec("PRAGMA synchronous=FULL"));
    LT_TRY_STATUS(impl->Exec(
        "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS state(tbl TEXT NOT NULL, k TEXT NOT NULL, v TEXT NOT NULL,"
        " PRIMARY KEY(tbl, k)) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS txlog(idx INTEGER PRIMARY KEY, time INTEGER NOT NULL, type TEXT NOT NULL,"
        " sender TEXT, body TEXT NOT NULL, outcome TEXT NOT NULL);"
        "INSERT OR IGNORE INTO meta(k, v) VALUES('schema_version', '1');"));
    LT_TRY_STATUS(impl->Prepare(impl->upsert, "INSERT OR REPLACE INTO state(tbl, k, v) VALUES(?1, ?2, ?3)"));
    LT_TRY_STATUS(impl->Prepare(impl->del, "DELETE FROM state WHERE tbl = ?1 AND k = ?2"));
    LT_TRY_STATUS(impl->Prepare(
        impl->append,
        "INSERT INTO txlog(idx, time, type, sender, body, outcome) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
    LT_TRY_STATUS(impl->Prepare(impl->put_meta, "INSERT OR REPLACE INTO meta(k, v) VALUES(?1, ?2)"));
  }
  auto st = impl->Prepare(impl->get_meta, "SELECT v FROM meta WHERE k = ?1");
  if (!st.ok()) return NotFound("ledger database " + path + " has no ledger in it (run lt ledger init)");
  LT_TRY_STATUS(impl->Prepare(impl->load, "SELECT k, v FROM state WHERE tbl = ?1 ORDER BY k"));
  LT_TRY_STATUS(impl->Prepare(
      impl->select_log,
      "SELECT idx, time, type, body, outcome FROM txlog WHERE idx >= ?1 ORDER BY idx LIMIT ?2"));
  LT_TRY_STATUS(impl->Prepare(impl->count_log, "SELECT COUNT(*) FROM txlog"));
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<std::optional<std::string>> Store::GenesisText() { return impl_->GetMeta("genesis"); }
Status Store::WriteGenesis(const std::string& text) { return impl_->PutMeta("genesis", text); }

Status Store::Begin() { return impl_->Exec("BEGIN IMMEDIATE"); }
Status Store::Commit() { return impl_->Exec("COMMIT"); }
void Store::Rollback() { (void)impl_->Exec("ROLLBACK"); }

Status Store::AppendLog(const TxLogEntry& e, const std::string& sender) {
  sqlite3_stmt* s = impl_->append.get();
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(e.index));
  sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(e.time));
  Impl::Bind(s, 3, e.type);
  if (sender.empty()) {
    sqlite3_bind_null(s, 4);
  } else {
    Impl::Bind(s, 4, sender);
  }
  Impl::Bind(s, 5, e.tx.dump());
  Impl::Bind(s, 6, e.outcome.dump());
  return impl_->Done(s, "append to the tx log");
}

Status Store::Flush(LedgerState& st) {
  LT_TRY_STATUS(impl_->FlushTable("accounts", st.accounts_));
  LT_TRY_STATUS(impl_->FlushTable("pending", st.pending_));
  LT_TRY_STATUS(impl_->FlushTable("namespaces", st.namespaces_));
  LT_TRY_STATUS(impl_->FlushTable("models", st.models_));
  LT_TRY_STATUS(impl_->FlushTable("tags", st.tags_));
  LT_TRY_STATUS(impl_->FlushTable("manifests", st.manifests_));
  LT_TRY_STATUS(impl_->FlushTable("providers", st.providers_));
  LT_TRY_STATUS(impl_->FlushTable("offers", st.offers_));
  LT_TRY_STATUS(impl_->FlushTable("sessions", st.sessions_));
  LT_TRY_STATUS(impl_->FlushTable("builder_seconds", st.builder_seconds_));
  LT_TRY_STATUS(impl_->FlushTable("days", st.days_));
  if (st.globals_dirty_) {
    LT_TRY_STATUS(impl_->PutMeta("globals", GlobalsToJson(st.g_).dump()));
    st.globals_dirty_ = false;
  }
  return OkStatus();
}

Result<LedgerState> Store::LoadState(const Genesis& genesis) {
  LedgerState st(genesis);
  LT_TRY(auto globals, impl_->GetMeta("globals"));
  if (!globals) return Corrupt("ledger database: no globals row");
  LT_TRY(st.g_, GlobalsFromJson(ParseRow(*globals)));
  LT_TRY_STATUS(impl_->LoadTable("accounts", st.accounts_));
  LT_TRY_STATUS(impl_->LoadTable("pending", st.pending_));
  LT_TRY_STATUS(impl_->LoadTable("namespaces", st.namespaces_));
  LT_TRY_STATUS(impl_->LoadTable("models", st.models_));
  LT_TRY_STATUS(impl_->LoadTable("tags", st.tags_));
  LT_TRY_STATUS(impl_->LoadTable("manifests", st.manifests_));
  LT_TRY_STATUS(impl_->LoadTable("providers", st.providers_));
  LT_TRY_STATUS(impl_->LoadTable("offers", st.offers_));
  LT_TRY_STATUS(impl_->LoadTable("sessions", st.sessions_));
  LT_TRY_STATUS(impl_->LoadTable("builder_seconds", st.builder_seconds_));
  LT_TRY_STATUS(impl_->LoadTable("days", st.days_));
  st.globals_dirty_ = false;
  return st;
}

Result<uint64_t> Store::LogSize() {
  sqlite3_stmt* s = impl_->count_log.get();
  int rc = sqlite3_step(s);
  uint64_t n = rc == SQLITE_ROW ? static_cast<uint64_t>(sqlite3_column_int64(s, 0)) : 0;
  sqlite3_reset(s);
  if (rc != SQLITE_ROW) return SqlError(impl_->db, "count the tx log");
  return n;
}

Result<std::vector<TxLogEntry>> Store::ReadLog(uint64_t from, uint64_t limit) {
  std::vector<TxLogEntry> out;
  // SQLite integers are signed: an index past INT64_MAX would wrap to a negative one and read from
  // the start (issue 15, L3). No log holds such an index.
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (from > kMax || limit == 0) return out;
  sqlite3_stmt* s = impl_->select_log.get();
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(from));
  sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(std::min(limit, kMax)));
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    TxLogEntry e;
    e.index = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
    e.time = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
    e.type = reinterpret_cast<const char*>(sqlite3_column_text(s, 2));
    e.tx = ParseRow(
        std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 3)), sqlite3_column_bytes(s, 3)));
    e.outcome = ParseRow(
        std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 4)), sqlite3_column_bytes(s, 4)));
    if (e.tx.is_discarded() || e.outcome.is_discarded()) {
      sqlite3_reset(s);
      return Corrupt("ledger database: tx log entry " + std::to_string(e.index) + " is not valid JSON");
    }
    out.push_back(std::move(e));
  }
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  if (rc != SQLITE_DONE) return SqlError(impl_->db, "read the tx log");
  return out;
}

}  // namespace lt::ledger
