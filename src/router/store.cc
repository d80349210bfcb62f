#include "router/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "crypto/keccak.h"
#include "util/log.h"
#include "util/sqlite.h"
#include "util/json.h"
#include "util/thread.h"

namespace lt::router {

using nlohmann::json;

std::string_view ReceiptStatusName(ReceiptStatus s) {
  switch (s) {
    case ReceiptStatus::kPending: return "pending";
    case ReceiptStatus::kSettled: return "settled";
    case ReceiptStatus::kRefused: return "refused";
  }
  return "pending";
}

json SessionRecordToJson(const SessionRecord& r) {
  return {{"seq", r.seq},
          {"sessionId", HexEncode0x(r.session_id)},
          {"model", r.model},
          {"manifest", HexEncode0x(r.manifest)},
          {"provider", r.provider.ToChecksumHex()},
          {"started", r.started},
          {"seconds", r.seconds},
          {"tokensOut", r.tokens_out},
          {"ttftMs", r.ttft_ms},
          {"settledAt", r.settled_at}};
}

namespace {

// One prepared statement, reset on destruction.
// The shared statement, with errors named "router db: <what>: <SQLite's message>".
class Stmt : public SqliteStmt {
 public:
  using SqliteStmt::SqliteStmt;
  Error Err(const char* what) const { return SqliteStmt::Err("router db", what); }
};

Status Exec(sqlite3* db, const char* sql) { return SqliteExec(db, sql, "router db"); }

Result<sqlite3*> OpenConn(const std::string& path, bool full) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return IoError("router db " + path + ": " + m);
  }
  sqlite3_busy_timeout(db, 10000);
  Status s = Exec(db, "PRAGMA journal_mode=WAL");
  if (s.ok()) s = Exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  if (s.ok()) s = Exec(db, "PRAGMA secure_delete=ON");  // deleted rows are zeroed, not left in free space
  if (!s.ok()) {
    sqlite3_close(db);
    return s.error();
  }
  return db;
}

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS used_nonces(key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS used_nonces_expiry ON used_nonces(expires_at);
CREATE TABLE IF NOT EXISTS tickets(session_id TEXT PRIMARY KEY, user TEXT NOT NULL, expires_at INTEGER NOT NULL,
  model TEXT NOT NULL, ticket TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tickets_expiry ON tickets(expires_at);
CREATE TABLE IF NOT EXISTS announcers(provider TEXT PRIMARY KEY, http TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS announce_roots(provider TEXT NOT NULL, cid TEXT NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY(provider, cid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS announce_roots_expiry ON announce_roots(expires_at);
CREATE TABLE IF NOT EXISTS receipts(session_id TEXT PRIMARY KEY, status TEXT NOT NULL, reason TEXT NOT NULL,
  received_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, cost TEXT NOT NULL, receipt TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS receipts_status ON receipts(status, received_at);
CREATE TABLE IF NOT EXISTS records(seq INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL UNIQUE,
  model TEXT NOT NULL, manifest TEXT NOT NULL, provider TEXT NOT NULL, started INTEGER NOT NULL,
  seconds INTEGER NOT NULL, tokens_out INTEGER NOT NULL, ttft_ms INTEGER NOT NULL, settled_at INTEGER NOT NULL);
)sql";

Result<TicketRow> TicketFromRow(const std::string& ticket_json, const std::string& model) {
  json j = ParseJson(ticket_json);
  auto t = wire::FromJson<wire::Ticket>(j);
  if (!t.ok()) return Corrupt("router db: stored ticket: " + t.error().message);
  return TicketRow{*t, model};
}

Result<ReceiptRow> ReceiptFromRow(const Stmt& s) {
  // columns: status, reason, received_at, updated_at, cost, receipt, session_id
  ReceiptRow row;
  std::string st = s.Text(0);
  row.status = st == "settled" ? ReceiptStatus::kSettled : st == "refused" ? ReceiptStatus::kRefused : ReceiptStatus::kPending;
  row.reason = s.Text(1);
  row.received_at = static_cast<uint64_t>(s.Int(2));
  row.updated_at = static_cast<uint64_t>(s.Int(3));
  if (auto c = U256::FromDecimal(s.Text(4)); c.ok()) row.cost = *c;
  if (s.Text(5).empty()) {  // scrubbed after settlement: only the session id is left
    auto sid = HexDecodeFixed<32>(s.Text(6));
    if (!sid.ok()) return Corrupt("router db: stored receipt with a bad session id");
    row.receipt.ticket.ticket.session_id = *sid;
    row.scrubbed = true;
    return row;
  }
  json j = ParseJson(s.Text(5));
  auto r = wire::Receipt::FromJson(j, "receipt");
  if (!r.ok()) return Corrupt("router db: stored receipt: " + r.error().message);
  row.receipt = *r;
  return row;
}


}  // namespace

struct RouterStore::Impl {
  sqlite3* fast = nullptr;     // synchronous=NORMAL: nonces, tickets
  sqlite3* durable = nullptr;  // synchronous=FULL: receipts, records
  std::mutex fast_mu, durable_mu;
  // The two intake journal files (intake_journal.h): new rows go to journals[active]; an apply
  // switches `active` and empties the other file once its rows are in the tables, so appends
  // never wait for SQLite. `unapplied`: the rows of both files not in the tables yet.
  // Lock order: apply_mu, then journal_mu (held briefly), then fast_mu.
  std::mutex apply_mu;
  std::mutex journal_mu;
  std::unique_ptr<IntakeJournal> journals[2];
  int active = 0;
  std::vector<IntakeRow> unapplied;
  std::thread applier;
  std::condition_variable applier_cv;
  bool stopping = false;  // guarded by journal_mu
  Hash32 salt{};                       // of the nonce keys
  std::atomic<bool> scrubbed{false};   // rows naming a user deleted since the last checkpoint
  std::atomic<uint64_t> last_checkpoint_ms{0};
  ~Impl() {
    sqlite3_close(fast);
    sqlite3_close(durable);
  }
};

RouterStore::RouterStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RouterStore::~RouterStore() {
  Impl& im = *impl_;
  {
    std::lock_guard<std::mutex> l(im.journal_mu);
    im.stopping = true;
  }
  im.applier_cv.notify_all();
  if (im.applier.joinable()) im.applier.join();
  if (im.journals[0]) (void)ApplyJournal();  // what is left stays in the journal if this fails
}

static Status LoadSalt(sqlite3* db, Hash32* salt);

Result<std::unique_ptr<RouterStore>> RouterStore::Open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  LT_TRY(impl->durable, OpenConn(path, true));
  LT_TRY_STATUS(Exec(impl->durable, kSchema));
  LT_TRY(impl->fast, OpenConn(path, false));
  LT_TRY_STATUS(LoadSalt(impl->durable, &impl->salt));
  for (int k = 0; k < 2; ++k) {
    LT_TRY(impl->journals[k], IntakeJournal::Open(path + "-intake." + std::to_string(k), &impl->unapplied));
  }
  auto store = std::unique_ptr<RouterStore>(new RouterStore(std::move(impl)));
  LT_TRY_STATUS(store->MigrateNonces());
  LT_TRY_STATUS(store->ApplyJournal());  // rows a crash left in the journal
  Impl* im = store->impl_.get();
  im->applier = GuardedThread("journal applier", [store = store.get(), im] {
    std::unique_lock<std::mutex> l(im->journal_mu);
    while (!im->stopping) {
      im->applier_cv.wait_for(l, std::chrono::milliseconds(kApplyIntervalMs));
      if (im->stopping) break;
      l.unlock();
      Status s = store->ApplyJournal();
      if (!s.ok()) LT_WARN("router: " << s.error().message << " (the rows stay in the journal; retrying)");
      l.lock();
    }
  });
  return store;
}

static Status LoadSalt(sqlite3* db, Hash32* salt) {
  Stmt get(db, "SELECT v FROM meta WHERE k = 'nonce_salt'");
  int rc = get.Step();
  if (rc == SQLITE_ROW) {
    auto v = HexDecodeFixed<32>(get.Text(0));
    if (!v.ok()) return Corrupt("router db: meta nonce_salt is not 32 bytes of hex");
    *salt = *v;
    return OkStatus();
  }
  if (rc != SQLITE_DONE) return get.Err("reading the nonce salt");
  std::random_device rd;  // /dev/urandom
  for (size_t i = 0; i < salt->size(); i += 4) {
    uint32_t x = rd();
    for (size_t k = 0; k < 4; ++k) (*salt)[i + k] = static_cast<uint8_t>(x >> (8 * k));
  }
  Stmt put(db, "INSERT OR IGNORE INTO meta(k, v) VALUES('nonce_salt', ?)");
  put.Bind(1, HexEncode0x(*salt));
  if (put.Step() != SQLITE_DONE) return put.Err("storing the nonce salt");
  if (sqlite3_changes(db) == 0) return LoadSalt(db, salt);  // another process won the race
  return OkStatus();
}

// A database from before used_nonces kept (user, nonce) in table nonces: hash them, drop it.
Status RouterStore::MigrateNonces() {
  sqlite3* db = impl_->durable;
  {
    Stmt has(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'nonces'");
    if (has.Step() != SQLITE_ROW) return OkStatus();
  }
  LT_TRY_STATUS(Exec(db, "BEGIN IMMEDIATE"));
  {
    Stmt sel(db, "SELECT user, nonce, expires_at FROM nonces");
    Stmt ins(db, "INSERT OR IGNORE INTO used_nonces(key, expires_at) VALUES(?, ?)");
    int rc;
    while ((rc = sel.Step()) == SQLITE_ROW) {
      auto a = crypto::ParseAddress(sel.Text(0));
      if (!a.ok()) continue;
      ins.Reset();
      ins.Bind(1, NonceKey(*a, static_cast<uint64_t>(sel.Int(1)))).Bind(2, sel.Int(2));
      if (ins.Step() != SQLITE_DONE) {
        Error e = ins.Err("migrating nonces");
        (void)Exec(db, "ROLLBACK");
        return e;
      }
    }
  }
  if (Status s = Exec(db, "DROP TABLE nonces"); !s.ok()) {
    (void)Exec(db, "ROLLBACK");
    return s;
  }
  LT_TRY_STATUS(Exec(db, "COMMIT"));
  impl_->scrubbed = true;
  return OkStatus();
}

std::string RouterStore::NonceKey(const crypto::Address& user, uint64_t nonce) const {
  crypto::Keccak256 h;
  h.Update(impl_->salt);
  h.Update(user.bytes);
  uint8_t be[8];
  for (int i = 0; i < 8; ++i) be[i] = static_cast<uint8_t>(nonce >> (56 - 8 * i));
  h.Update(ByteSpan(be, 8));
  return HexEncode(h.Finalize());
}

bool RouterStore::CheckpointIfScrubbed(uint64_t now_ms, uint64_t min_interval_ms) {
  Impl& im = *impl_;
  if (!im.scrubbed.load()) return false;
  uint64_t last = im.last_checkpoint_ms.load();
  if (last != 0 && now_ms < last + min_interval_ms) return false;
  im.last_checkpoint_ms = now_ms == 0 ? 1 : now_ms;
  im.scrubbed = false;
  int log = 0, done = 0;
  int rc;
  {
    std::lock_guard<std::mutex> l(im.durable_mu);
    rc = sqlite3_wal_checkpoint_v2(im.durable, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
  }
  if (rc != SQLITE_OK) im.scrubbed = true;  // a reader held it: try again next time
  return rc == SQLITE_OK;
}

namespace {

Status WriteRows(sqlite3* db, const std::vector<IntakeRow>& rows) {
  LT_TRY_STATUS(Exec(db, "BEGIN IMMEDIATE"));
  Stmt n(db, "INSERT OR IGNORE INTO used_nonces(key, expires_at) VALUES(?,?)");
  Stmt t(db, "INSERT OR REPLACE INTO tickets(session_id, user, expires_at, model, ticket) VALUES(?,?,?,?,?)");
  for (const IntakeRow& w : rows) {
    n.Reset();
    // The rows outlive each step: bound without copies.
    n.BindStatic(1, w.nonce_key).Bind(2, static_cast<int64_t>(w.nonce_expires));
    if (n.Step() != SQLITE_DONE) {
      Error e = n.Err("storing a nonce");
      (void)Exec(db, "ROLLBACK");
      return e;
    }
    if (!w.has_ticket) continue;
    t.Reset();
    t.BindStatic(1, w.session_id)
        .BindStatic(2, w.user)
        .Bind(3, static_cast<int64_t>(w.ticket_expires))
        .BindStatic(4, w.model)
        .BindStatic(5, w.ticket_json);
    if (t.Step() != SQLITE_DONE) {
      Error e = t.Err("storing a ticket");
      (void)Exec(db, "ROLLBACK");
      return e;
    }
  }
  return Exec(db, "COMMIT");
}

}  // namespace

Status RouterStore::ApplyJournal() {
  Impl& im = *impl_;
  std::lock_guard<std::mutex> al(im.apply_mu);  // one apply at a time: a reader waits for it
  std::vector<IntakeRow> rows;
  int applied;
  {
    std::lock_guard<std::mutex> jl(im.journal_mu);
    if (im.unapplied.empty()) return OkStatus();
    rows.swap(im.unapplied);
    applied = im.active;
    im.active ^= 1;  // new rows go to the other file meanwhile
  }
  Status s = OkStatus();
  {
    std::lock_guard<std::mutex> fl(im.fast_mu);
    s = WriteRows(im.fast, rows);
  }
  if (!s.ok()) {  // kept (first) for the next try; the files are left as they are
    std::lock_guard<std::mutex> jl(im.journal_mu);
    rows.insert(rows.end(), std::make_move_iterator(im.unapplied.begin()), std::make_move_iterator(im.unapplied.end()));
    im.unapplied.swap(rows);
    return s;
  }
  // Every row of that file is in the tables now (rows left there by an earlier failed apply
  // too), and nobody appends to it until the next switch.
  LT_TRY_STATUS(im.journals[applied]->Truncate());
  // The other file holds only applied rows (replayed on open, or kept by a failed apply) unless
  // something was appended since the switch.
  std::lock_guard<std::mutex> jl(im.journal_mu);
  if (im.unapplied.empty()) return im.journals[im.active]->Truncate();
  return OkStatus();
}

// Each caller appends its own row with one write() under journal_mu (a few microseconds), so
// an RFC never sleeps waiting for another's append; the lock also keeps `unapplied` and the
// active file in step for the applier's switch.
Status RouterStore::PutNonceAndTicket(const crypto::Address& user, uint64_t nonce, uint64_t nonce_expires,
                                      const TicketRow* ticket) {
  std::vector<IntakeRow> rows(1);
  IntakeRow& row = rows[0];
  row.nonce_key = NonceKey(user, nonce);
  row.nonce_expires = nonce_expires;
  if (ticket != nullptr) {
    row.has_ticket = true;
    row.session_id = HexEncode0x(ticket->ticket.session_id);
    row.user = ticket->ticket.user.ToLowerHex();
    row.ticket_expires = ticket->ticket.expires_at;
    row.model = ticket->model;
    row.ticket_json = ticket->json.empty() ? wire::ToJson(ticket->ticket).dump() : ticket->json;
  }
  Impl& im = *impl_;
  std::lock_guard<std::mutex> jl(im.journal_mu);
  if (im.unapplied.size() >= kMaxUnapplied) {
    return IoError("router db: " + std::to_string(im.unapplied.size()) +
                   " intake rows could not be applied to the database (see the log); refusing new ones");
  }
  LT_TRY_STATUS(im.journals[im.active]->Append(rows));
  im.unapplied.push_back(std::move(row));
  if (im.unapplied.size() >= kApplyEarlyRows) im.applier_cv.notify_one();
  return OkStatus();
}

Status RouterStore::PutTicket(const TicketRow& t) {
  LT_TRY_STATUS(ApplyJournal());  // the journal's rows first (intake_journal.h)
  std::lock_guard<std::mutex> l(impl_->fast_mu);
  Stmt s(impl_->fast, "INSERT OR REPLACE INTO tickets(session_id, user, expires_at, model, ticket) VALUES(?,?,?,?,?)");
  s.Bind(1, HexEncode0x(t.ticket.session_id))
      .Bind(2, t.ticket.user.ToLowerHex())
      .Bind(3, static_cast<int64_t>(t.ticket.expires_at))
      .Bind(4, t.model)
      .Bind(5, wire::ToJson(t.ticket).dump());
  if (s.Step() != SQLITE_DONE) return s.Err("storing a ticket");
  return OkStatus();
}

Status RouterStore::PutAnnounce(const crypto::Address& provider, const std::string& http,
                               const std::vector<std::string>& roots, uint64_t expires_at, size_t max_roots) {
  std::lock_guard<std::mutex> l(impl_->fast_mu);
  sqlite3* db = impl_->fast;
  std::string p = provider.ToLowerHex();
  auto fail = [&](const Stmt& st, const char* what) {
    Error e = st.Err(what);
    (void)Exec(db, "ROLLBACK");
    return e;
  };
  LT_TRY_STATUS(Exec(db, "BEGIN IMMEDIATE"));
  Stmt a(db,
         "INSERT INTO announcers(provider, http, expires_at) VALUES(?1, ?2, ?3) ON CONFLICT(provider) DO UPDATE SET "
         "http = CASE WHEN ?2 = '' THEN http ELSE ?2 END, expires_at = MAX(expires_at, ?3)");
  a.Bind(1, p).Bind(2, http).Bind(3, static_cast<int64_t>(expires_at));
  if (a.Step() != SQLITE_DONE) return fail(a, "storing an announce");
  Stmt r(db,
         "INSERT INTO announce_roots(provider, cid, expires_at) VALUES(?1, ?2, ?3) ON CONFLICT(provider, cid) DO UPDATE "
         "SET expires_at = MAX(expires_at, ?3)");
  for (const auto& cid : roots) {
    r.Reset();
    r.Bind(1, p).Bind(2, cid).Bind(3, static_cast<int64_t>(expires_at));
    if (r.Step() != SQLITE_DONE) return fail(r, "storing an announced root");
  }
  Stmt trim(db,
            "DELETE FROM announce_roots WHERE provider = ?1 AND cid NOT IN (SELECT cid FROM announce_roots WHERE "
            "provider = ?1 ORDER BY expires_at DESC, cid LIMIT ?2)");
  trim.Bind(1, p).Bind(2, static_cast<int64_t>(max_roots));
  if (trim.Step() != SQLITE_DONE) return fail(trim, "bounding announced roots");
  return Exec(db, "COMMIT");
}

Result<std::vector<RouterStore::AnnounceRow>> RouterStore::LoadAnnounces(uint64_t now) {
  std::lock_guard<std::mutex> l(impl_->fast_mu);
  Stmt s(impl_->fast,
         "SELECT a.provider, a.http, a.expires_at, COALESCE(r.cid, ''), COALESCE(r.expires_at, a.expires_at) "
         "FROM announcers a "
         "LEFT JOIN announce_roots r ON r.provider = a.provider AND r.expires_at >= ?1 WHERE a.expires_at >= ?1 "
         "ORDER BY a.provider");
  s.Bind(1, static_cast<int64_t>(now));
  std::vector<AnnounceRow> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    auto a = crypto::ParseAddress(s.Text(0));
    if (!a.ok()) return Corrupt("router db: announce row with a bad address");
    out.push_back({*a, s.Text(1), static_cast<uint64_t>(s.Int(2)), s.Text(3), static_cast<uint64_t>(s.Int(4))});
  }
  if (rc != SQLITE_DONE) return s.Err("loading announces");
  return out;
}

Status RouterStore::PruneAnnounces(uint64_t now) {
  std::lock_guard<std::mutex> l(impl_->fast_mu);
  Stmt r(impl_->fast, "DELETE FROM announce_roots WHERE expires_at < ?");
  r.Bind(1, static_cast<int64_t>(now));
  if (r.Step() != SQLITE_DONE) return r.Err("pruning announced roots");
  Stmt a(impl_->fast, "DELETE FROM announcers WHERE expires_at < ?");
  a.Bind(1, static_cast<int64_t>(now));
  if (a.Step() != SQLITE_DONE) return a.Err("pruning announcers");
  return OkStatus();
}

Result<std::vector<RouterStore::NonceRow>> RouterStore::LoadNonces(uint64_t now) {
  LT_TRY_STATUS(ApplyJournal());  // the journal's rows first (intake_journal.h)
  std::lock_guard<std::mutex> l(impl_->fast_mu);
  Stmt s(impl_->fast, "SELECT key, expires_at FROM used_nonces WHERE expires_at >= ?");
  s.Bind(1, static_cast<int64_t>(now));
  std::vector<NonceRow> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back({s.Text(0), static_cast<uint64_t>(s.Int(1))});
  if (rc != SQLITE_DONE) return s.Err("loading nonces");
  return out;
}

Status RouterStore::PruneNonces(uint64_t now) {
  LT_TRY_STATUS(ApplyJournal());  // the journal's rows first (intake_journal.h)
  std::lock_guard<std::mutex> l(impl_->fast_mu);
  Stmt s(impl_->fast, "DELETE FROM used_nonces WHERE expires_at < ?");
  s.Bind(1, static_cast<int64_t>(now));
  if (s.Step() != SQLITE_DONE) return s.Err("pruning nonces");
  return OkStatus();
}

Result<std::optional<TicketRow>> RouterStore::GetTicket(const Hash32& sid) {
  LT_TRY_STATUS(ApplyJournal());  // the journal's rows first (intake_journal.h)
  std::lock_guard<std::mutex> l(impl_->fast_mu);
  Stmt s(impl_->fast, "SELECT ticket, model FROM tickets WHERE session_id = ?");
  s.Bind(1, HexEncode0x(sid));
  int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<TicketRow>();
  if (rc != SQLITE_ROW) return s.Err("reading a ticket");
  LT_TRY(TicketRow t, TicketFromRow(s.Text(0), s.Text(1)));
  return std::optional<TicketRow>(std::move(t));
}

Result<std::vector<TicketRow>> RouterStore::OpenTickets(uint64_t after) {
  LT_TRY_STATUS(ApplyJournal());  // the journal's rows first (intake_journal.h)
  std::lock_guard<std::mutex> l(impl_->fast_mu);
  Stmt s(impl_->fast,
         "SELECT t.ticket, t.model FROM tickets t LEFT JOIN receipts r ON r.session_id = t.session_id "
         "WHERE t.expires_at > ? AND r.session_id IS NULL");
  s.Bind(1, static_cast<int64_t>(after));
  std::vector<TicketRow> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    LT_TRY(TicketRow t, TicketFromRow(s.Text(0), s.Text(1)));
    out.push_back(std::move(t));
  }
  if (rc != SQLITE_DONE) return s.Err("loading open tickets");
  return out;
}

Status RouterStore::PruneTickets(uint64_t before) {
  LT_TRY_STATUS(ApplyJournal());  // the journal's rows first (intake_journal.h)
  std::lock_guard<std::mutex> l(impl_->fast_mu);
  Stmt s(impl_->fast,
         "DELETE FROM tickets WHERE expires_at < ? AND session_id NOT IN "
         "(SELECT session_id FROM receipts WHERE status = 'pending')");
  s.Bind(1, static_cast<int64_t>(before));
  if (s.Step() != SQLITE_DONE) return s.Err("pruning expired tickets");
  if (sqlite3_changes(impl_->fast) > 0) impl_->scrubbed = true;
  return OkStatus();
}

Result<uint64_t> RouterStore::ReserveSessionSequences(uint64_t count) {
  std::lock_guard<std::mutex> l(impl_->durable_mu);
  uint64_t first = 1;
  {
    Stmt get(impl_->durable, "SELECT v FROM meta WHERE k = 'session_seq_limit'");
    int rc = get.Step();
    if (rc == SQLITE_ROW) {
      auto v = U256::FromDecimal(get.Text(0));
      if (!v.ok() || !v->FitsU64()) return Corrupt("router db: meta session_seq_limit is not a number");
      first = std::max<uint64_t>(1, v->Low64());
    } else if (rc != SQLITE_DONE) {
      return get.Err("reading the session sequence");
    }
  }
  if (first > UINT64_MAX - count) return MakeError(ErrorCode::kResourceExhausted, "router: session ids exhausted");
  Stmt put(impl_->durable, "INSERT OR REPLACE INTO meta(k, v) VALUES('session_seq_limit', ?)");
  put.Bind(1, std::to_string(first + count));
  if (put.Step() != SQLITE_DONE) return put.Err("storing the session sequence");
  return first;
}

Result<bool> RouterStore::PutReceipt(const wire::Receipt& r, const U256& cost, uint64_t now) {
  std::lock_guard<std::mutex> l(impl_->durable_mu);
  Stmt s(impl_->durable,
         "INSERT OR IGNORE INTO receipts(session_id, status, reason, received_at, updated_at, cost, receipt) "
         "VALUES(?, 'pending', '', ?, ?, ?, ?)");
  s.Bind(1, HexEncode0x(r.session_id()))
      .Bind(2, static_cast<int64_t>(now))
      .Bind(3, static_cast<int64_t>(now))
      .Bind(4, cost.ToDecimal())
      .Bind(5, r.ToJson().dump());
  if (s.Step() != SQLITE_DONE) return s.Err("storing a receipt");
  return sqlite3_changes(impl_->durable) > 0;
}

Result<std::optional<ReceiptRow>> RouterStore::GetReceipt(const Hash32& sid) {
  std::lock_guard<std::mutex> l(impl_->durable_mu);
  Stmt s(impl_->durable,
         "SELECT status, reason, received_at, updated_at, cost, receipt, session_id FROM receipts WHERE session_id = ?");
  s.Bind(1, HexEncode0x(sid));
  int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<ReceiptRow>();
  if (rc != SQLITE_ROW) return s.Err("reading a receipt");
  LT_TRY(ReceiptRow row, ReceiptFromRow(s));
  return std::optional<ReceiptRow>(std::move(row));
}

Result<std::vector<ReceiptRow>> RouterStore::Receipts(ReceiptStatus status, size_t limit) {
  std::lock_guard<std::mutex> l(impl_->durable_mu);
  Stmt s(impl_->durable,
         "SELECT status, reason, received_at, updated_at, cost, receipt, session_id FROM receipts WHERE status = ? "
         "ORDER BY received_at, session_id LIMIT ?");
  s.Bind(1, std::string(ReceiptStatusName(status))).Bind(2, static_cast<int64_t>(limit));
  std::vector<ReceiptRow> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    LT_TRY(ReceiptRow row, ReceiptFromRow(s));
    out.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return s.Err("listing receipts");
  return out;
}

Status RouterStore::MarkSettled(const std::vector<SessionRecord>& records, uint64_t now) {
  LT_TRY_STATUS(ApplyJournal());  // the journal's rows first (intake_journal.h)
  std::lock_guard<std::mutex> l(impl_->durable_mu);
  sqlite3* db = impl_->durable;
  LT_TRY_STATUS(Exec(db, "BEGIN IMMEDIATE"));
  for (const auto& r : records) {
    std::string sid = HexEncode0x(r.session_id);
    // The signed receipt and the ticket name the user: not needed once the ledger settled it.
    Stmt u(db, "UPDATE receipts SET status = 'settled', reason = ?, updated_at = ?, receipt = '' WHERE session_id = ?");
    u.Bind(1, std::string(r.publish ? "" : "settled by another party")).Bind(2, static_cast<int64_t>(now)).Bind(3, sid);
    Stmt d(db, "DELETE FROM tickets WHERE session_id = ?");
    d.Bind(1, sid);
    Stmt i(db,
           "INSERT OR IGNORE INTO records(session_id, model, manifest, provider, started, seconds, tokens_out, "
           "ttft_ms, settled_at) VALUES(?,?,?,?,?,?,?,?,?)");
    i.Bind(1, sid)
        .Bind(2, r.model)
        .Bind(3, HexEncode0x(r.manifest))
        .Bind(4, r.provider.ToChecksumHex())
        .Bind(5, static_cast<int64_t>(r.started))
        .Bind(6, static_cast<int64_t>(r.seconds))
        .Bind(7, static_cast<int64_t>(r.tokens_out))
        .Bind(8, static_cast<int64_t>(r.ttft_ms))
        .Bind(9, static_cast<int64_t>(now));
    if (u.Step() != SQLITE_DONE || (r.publish && i.Step() != SQLITE_DONE) || d.Step() != SQLITE_DONE) {
      Error e = IoError(std::string("router db: marking receipts settled: ") + sqlite3_errmsg(db));
      (void)Exec(db, "ROLLBACK");
      return e;
    }
  }
  LT_TRY_STATUS(Exec(db, "COMMIT"));
  if (!records.empty()) impl_->scrubbed = true;
  return OkStatus();
}

Status RouterStore::MarkRefused(const Hash32& sid, const std::string& reason, uint64_t now) {
  LT_TRY_STATUS(ApplyJournal());  // the journal's rows first (intake_journal.h)
  std::lock_guard<std::mutex> l(impl_->durable_mu);
  sqlite3* db = impl_->durable;
  LT_TRY_STATUS(Exec(db, "BEGIN IMMEDIATE"));
  // The ledger will never settle it: the reason is kept, the user's receipt and ticket are not.
  Stmt u(db, "UPDATE receipts SET status = 'refused', reason = ?, updated_at = ?, receipt = '' WHERE session_id = ?");
  u.Bind(1, reason).Bind(2, static_cast<int64_t>(now)).Bind(3, HexEncode0x(sid));
  Stmt d(db, "DELETE FROM tickets WHERE session_id = ?");
  d.Bind(1, HexEncode0x(sid));
  if (u.Step() != SQLITE_DONE || d.Step() != SQLITE_DONE) {
    Error e = IoError(std::string("router db: marking a receipt refused: ") + sqlite3_errmsg(db));
    (void)Exec(db, "ROLLBACK");
    return e;
  }
  LT_TRY_STATUS(Exec(db, "COMMIT"));
  impl_->scrubbed = true;
  return OkStatus();
}

Result<uint64_t> RouterStore::CountReceipts(ReceiptStatus status) {
  std::lock_guard<std::mutex> l(impl_->durable_mu);
  Stmt s(impl_->durable, "SELECT COUNT(*) FROM receipts WHERE status = ?");
  s.Bind(1, std::string(ReceiptStatusName(status)));
  if (s.Step() != SQLITE_ROW) return s.Err("counting receipts");
  return static_cast<uint64_t>(s.Int(0));
}

Result<std::vector<SessionRecord>> RouterStore::Records(uint64_t since_seq, size_t limit) {
  std::lock_guard<std::mutex> l(impl_->durable_mu);
  Stmt s(impl_->durable,
         "SELECT seq, session_id, model, manifest, provider, started, seconds, tokens_out, ttft_ms, settled_at "
         "FROM records WHERE seq > ? ORDER BY seq LIMIT ?");
  s.Bind(1, static_cast<int64_t>(since_seq)).Bind(2, static_cast<int64_t>(limit));
  std::vector<SessionRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    SessionRecord r;
    r.seq = static_cast<uint64_t>(s.Int(0));
    auto sid = HexDecodeFixed<32>(s.Text(1));
    auto m = HexDecodeFixed<32>(s.Text(3));
    auto p = crypto::ParseAddress(s.Text(4));
    if (!sid.ok() || !m.ok() || !p.ok()) return Corrupt("router db: malformed record " + std::to_string(r.seq));
    r.session_id = *sid;
    r.model = s.Text(2);
    r.manifest = *m;
    r.provider = *p;
    r.started = static_cast<uint64_t>(s.Int(5));
    r.seconds = static_cast<uint32_t>(s.Int(6));
    r.tokens_out = static_cast<uint32_t>(s.Int(7));
    r.ttft_ms = static_cast<uint32_t>(s.Int(8));
    r.settled_at = static_cast<uint64_t>(s.Int(9));
    out.push_back(r);
  }
  if (rc != SQLITE_DONE) return s.Err("listing records");
  return out;
}

}  // namespace lt::router
