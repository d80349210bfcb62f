#include "ledger/store.h"

#include <sqlite3.h>

#include <charconv>

#include "util/json.h"
#include "util/sqlite.h"

namespace lt::ledger {

using nlohmann::json;

namespace {

constexpr const char* kWhat = "ledger database";

Error SqlError(sqlite3* db, const std::string& what) {
  return IoError(std::string(kWhat) + ": " + what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
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
  // The connection outlives the statements (members are destroyed in reverse order).
  struct Db {
    sqlite3* p = nullptr;
    ~Db() {
      if (p != nullptr) sqlite3_close(p);
    }
  } conn;
  sqlite3*& db = conn.p;
  SqliteStmt upsert, del, append, select_log, count_log, get_meta, put_meta, load;

  Status Exec(const char* sql) { return SqliteExec(db, sql, kWhat); }
  Status Prepare(SqliteStmt& s, const char* sql) { return s.Prepare(db, sql, /*persistent=*/true, kWhat); }

  template <typename K, typename V>
  Status FlushTable(const char* name, Table<K, V>& t) {
    for (const K& k : t.TakeDirty()) {
      const V* v = t.Find(k);
      if (v != nullptr) {
        upsert.Bind(1, std::string(name)).Bind(2, EncKey(k)).Bind(3, EncVal(*v));
        LT_TRY_STATUS(upsert.Done(kWhat, "write state row"));
      } else {
        del.Bind(1, std::string(name)).Bind(2, EncKey(k));
        LT_TRY_STATUS(del.Done(kWhat, "delete state row"));
      }
    }
    return OkStatus();
  }

  template <typename K, typename V>
  Status LoadTable(const char* name, Table<K, V>& t) {
    load.Bind(1, std::string(name));
    int rc;
    Status st;
    while ((rc = load.Step()) == SQLITE_ROW) {
      std::string k = load.Text(0), v = load.Text(1);
      K key{};
      V val{};
      st = DecKey(k, &key);
      if (st.ok()) st = DecVal(v, &val);
      if (!st.ok()) break;
      t.Load(key, std::move(val));
    }
    load.Reset();
    if (!st.ok()) return st.error().Wrap(std::string("ledger database: table ") + name);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqlError(db, "load state");
    return OkStatus();
  }

  Result<std::optional<std::string>> GetMeta(const std::string& k) {
    get_meta.Bind(1, k);
    std::optional<std::string> out;
    int rc = get_meta.Step();
    if (rc == SQLITE_ROW) out = get_meta.Text(0);
    get_meta.Reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqlError(db, "read meta");
    return out;
  }
  Status PutMeta(const std::string& k, const std::string& v) {
    put_meta.Bind(1, k).Bind(2, v);
    return put_meta.Done(kWhat, "write meta");
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
  SqliteStmt& s = impl_->append;
  s.Bind(1, static_cast<int64_t>(e.index)).Bind(2, static_cast<int64_t>(e.time)).Bind(3, e.type);
  if (sender.empty()) {
    s.BindNull(4);
  } else {
    s.Bind(4, sender);
  }
  s.Bind(5, e.tx.dump()).Bind(6, e.outcome.ToJson().dump());
  return s.Done(kWhat, "append to the tx log");
}

Status Store::Flush(LedgerState& st) {
  LT_TRY_STATUS(impl_->FlushTable("accounts", st.accounts_));
  LT_TRY_STATUS(impl_->FlushTable("pending", st.pending_));
  LT_TRY_STATUS(impl_->FlushTable("namespaces", st.namespaces_));
  LT_TRY_STATUS(impl_->FlushTable("models", st.models_));
  LT_TRY_STATUS(impl_->FlushTable("tags", st.tags_));
  LT_TRY_STATUS(impl_->FlushTable("manifests", st.manifests_));
  LT_TRY_STATUS(impl_->FlushTable("providers", st.providers_));
  LT_TRY_STATUS(impl_->FlushTable("router_endpoints", st.router_endpoints_));
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
  LT_TRY_STATUS(impl_->LoadTable("router_endpoints", st.router_endpoints_));
  LT_TRY_STATUS(impl_->LoadTable("offers", st.offers_));
  LT_TRY_STATUS(impl_->LoadTable("sessions", st.sessions_));
  LT_TRY_STATUS(impl_->LoadTable("builder_seconds", st.builder_seconds_));
  LT_TRY_STATUS(impl_->LoadTable("days", st.days_));
  st.globals_dirty_ = false;
  return st;
}

Result<uint64_t> Store::LogSize() {
  SqliteStmt& s = impl_->count_log;
  int rc = s.Step();
  uint64_t n = rc == SQLITE_ROW ? static_cast<uint64_t>(s.Int(0)) : 0;
  s.Reset();
  if (rc != SQLITE_ROW) return SqlError(impl_->db, "count the tx log");
  return n;
}

Result<std::vector<TxLogEntry>> Store::ReadLog(uint64_t from, uint64_t limit) {
  std::vector<TxLogEntry> out;
  // SQLite integers are signed: an index past INT64_MAX would wrap to a negative one and read from
  // the start (issue 15, L3). No log holds such an index.
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (from > kMax || limit == 0) return out;
  SqliteStmt& s = impl_->select_log;
  s.Bind(1, static_cast<int64_t>(from)).Bind(2, static_cast<int64_t>(std::min(limit, kMax)));
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    TxLogEntry e;
    e.index = static_cast<uint64_t>(s.Int(0));
    e.time = static_cast<uint64_t>(s.Int(1));
    e.type = s.Text(2);
    e.tx = ParseRow(s.Text(3));
    json outcome = ParseRow(s.Text(4));
    auto typed = outcome.is_discarded() ? Result<TxOutcome>(InvalidArgument("not valid JSON")) : TxOutcome::FromJson(outcome);
    if (e.tx.is_discarded() || !typed.ok()) {
      s.Reset();
      return Corrupt("ledger database: tx log entry " + std::to_string(e.index) + " is not valid JSON");
    }
    e.outcome = std::move(*typed);
    out.push_back(std::move(e));
  }
  s.Reset();
  if (rc != SQLITE_DONE) return SqlError(impl_->db, "read the tx log");
  return out;
}

}  // namespace lt::ledger
