#include "router/transparency.h"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "analytics/dashboard.h"
#include "analytics/leaderboard.h"
#include "analytics/report.h"
#include "analytics/signing.h"
#include "crypto/keccak.h"
#include "util/log.h"
#include "util/sqlite.h"

namespace lt::router {

using nlohmann::json;
using net::HttpResponse;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS analytics_sessions(session_id TEXT PRIMARY KEY, model TEXT NOT NULL,
  manifest TEXT NOT NULL, provider TEXT NOT NULL, started INTEGER NOT NULL, seconds INTEGER NOT NULL, tokens_out INTEGER NOT NULL,
  ttft_ms INTEGER NOT NULL, claimed_tps INTEGER NOT NULL, price REAL NOT NULL, user_key TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS analytics_sessions_started ON analytics_sessions(started);
CREATE TABLE IF NOT EXISTS analytics_unmet(day INTEGER NOT NULL, model TEXT NOT NULL, reason TEXT NOT NULL,
  count INTEGER NOT NULL, PRIMARY KEY(day, model, reason)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS analytics_reports(day INTEGER PRIMARY KEY, generated_at INTEGER NOT NULL,
  pass INTEGER NOT NULL, watch INTEGER NOT NULL, fail INTEGER NOT NULL, doc TEXT NOT NULL);
)sql";

using Stmt = SqliteStmt;

std::string AnalyticsPath(const std::string& router_db) {
  const std::string ext = ".db";
  if (router_db.size() > ext.size() && router_db.compare(router_db.size() - ext.size(), ext.size(), ext) == 0) {
    return router_db.substr(0, router_db.size() - ext.size()) + "-analytics.db";
  }
  return router_db + "-analytics.db";
}

double WeiToMor(const U256& wei) {
  try {
    return std::stod(wei.ToDecimal()) / 1e18;
  } catch (...) {
    return 0;
  }
}

HttpResponse RawJson(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

Result<std::unique_ptr<Transparency>> Transparency::Open(const std::string& router_db_path, const crypto::PrivateKey& key,
                                                         ledger::Ledger& ledger, const Clock* clock) {
  std::string path = AnalyticsPath(router_db_path);
  LT_TRY(sqlite3 * db, OpenSqlite(path, SQLITE_OPEN_NOMUTEX, 5000,
                                  {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", kSchema}, "analytics db"));
  LT_TRY(auto copy, crypto::PrivateKey::FromBytes(key.secret().span()));
  std::unique_ptr<Transparency> t(new Transparency(db, std::move(copy), ledger, clock));
  (void)t->DaySeconds();  // cache the ledger's day length now (best effort)
  return t;
}

Transparency::Transparency(sqlite3* db, crypto::PrivateKey key, ledger::Ledger& ledger, const Clock* clock)
    : db_(db), key_(std::move(key)), ledger_(ledger), clock_(clock) {
  crypto::Keccak256 h;
  h.Update(std::string_view("lt-analytics-user-salt/v1"));
  h.Update(key_.secret().span());
  salt_ = h.Finalize();
}

Transparency::~Transparency() {
  {
    std::lock_guard<std::mutex> l(mu_);
    FlushUnmetLocked(true);
  }
  sqlite3_close(db_);
}

std::string Transparency::UserKey(const crypto::Address& user) const {
  crypto::Keccak256 h;
  h.Update(ByteSpan(salt_.data(), salt_.size()));
  h.Update(ByteSpan(user.bytes.data(), user.bytes.size()));
  Hash32 d = h.Finalize();
  return HexEncode(ByteSpan(d.data(), 16));
}

uint64_t Transparency::DaySeconds() {
  uint64_t d = day_seconds_.load();
  if (d != 0) return d;
  auto g = ledger_.GetGenesis();
  if (!g.ok() || g->day_seconds == 0) return 86400;  // not cached: asked again next time
  day_seconds_ = g->day_seconds;
  return g->day_seconds;
}

// ---- Hooks ---------------------------------------------------------------------------------------

void Transparency::OnSettled(const std::vector<ReceiptRow>& rows, const std::vector<SessionRecord>& records,
                             const ProviderBook& book) {
  Store(rows, records, book);
  if (auto c = CloseDays(); !c.ok()) LT_DEBUG("router: analytics: " << c.error().message);
}

void Transparency::Store(const std::vector<ReceiptRow>& rows, const std::vector<SessionRecord>& records,
                         const ProviderBook& book) {
  std::lock_guard<std::mutex> l(mu_);
  sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
  for (size_t i = 0; i < rows.size() && i < records.size(); ++i) {
    const auto& t = rows[i].receipt.ticket.ticket;
    const SessionRecord& rec = records[i];
    uint32_t claimed = 0;
    for (const auto& o : book.Offers(t.manifest))
      if (o.provider == t.provider) claimed = o.tps;
    Stmt s(db_,
           "INSERT OR IGNORE INTO analytics_sessions(session_id, model, provider, started, seconds, tokens_out, "
           "ttft_ms, claimed_tps, price, user_key, manifest) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    s.Bind(1, HexEncode0x(rec.session_id))
        .Bind(2, rec.model)
        .Bind(3, rec.provider.ToChecksumHex())
        .Bind(4, static_cast<int64_t>(rec.started))
        .Bind(5, static_cast<int64_t>(rec.seconds))
        .Bind(6, static_cast<int64_t>(rec.tokens_out))
        .Bind(7, static_cast<int64_t>(rec.ttft_ms))
        .Bind(8, static_cast<int64_t>(claimed))
        .BindDouble(9, WeiToMor(t.price_per_second))
        .Bind(10, UserKey(t.user))
        .Bind(11, HexEncode0x(rec.manifest));
    if (s.Step() != SQLITE_DONE) LT_WARN("router: analytics: could not store a session: " << sqlite3_errmsg(db_));
  }
  sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  boards_.clear();
}

void Transparency::OnUnmet(const std::string& model, std::string_view reason) {
  uint64_t ds = day_seconds_.load();  // never asks the ledger on this path
  uint64_t day = clock_->NowSeconds() / (ds == 0 ? 86400 : ds);
  std::lock_guard<std::mutex> l(mu_);
  auto& per_model = unmet_buffer_[day];
  if (per_model.size() >= 10000 && !per_model.count(model)) return;  // bounded, as the router's counters
  ++per_model[model.substr(0, 200)][std::string(reason)];
  FlushUnmetLocked(false);
}

void Transparency::FlushUnmetLocked(bool force) {
  uint64_t now = clock_->MonotonicMillis();
  if (unmet_buffer_.empty() || (!force && now - unmet_flushed_ms_ < 5000)) return;
  unmet_flushed_ms_ = now;
  sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
  for (const auto& [day, models] : unmet_buffer_)
    for (const auto& [model, reasons] : models)
      for (const auto& [reason, n] : reasons) {
        Stmt s(db_,
               "INSERT INTO analytics_unmet(day, model, reason, count) VALUES(?,?,?,?) "
               "ON CONFLICT(day, model, reason) DO UPDATE SET count = count + excluded.count");
        s.Bind(1, static_cast<int64_t>(day)).Bind(2, model).Bind(3, reason).Bind(4, static_cast<int64_t>(n));
        if (s.Step() != SQLITE_DONE) LT_WARN("router: analytics: could not store unmet counts: " << sqlite3_errmsg(db_));
      }
  sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  unmet_buffer_.clear();
}

// ---- Reads ---------------------------------------------------------------------------------------

Result<std::vector<analytics::Session>> Transparency::SessionsBetween(uint64_t from, uint64_t to) {
  Stmt s(db_,
         "SELECT session_id, model, provider, started, seconds, tokens_out, ttft_ms, claimed_tps, price, user_key, "
         "manifest "
         "FROM analytics_sessions WHERE started >= ? AND started < ? ORDER BY started, session_id");
  s.Bind(1, static_cast<int64_t>(from)).Bind(2, static_cast<int64_t>(to));
  std::vector<analytics::Session> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    analytics::Session x;
    x.session_id = s.Text(0);
    x.model = s.Text(1);
    x.provider = s.Text(2);
    x.started = static_cast<uint64_t>(s.Int(3));
    x.seconds = static_cast<uint32_t>(s.Int(4));
    x.tokens_out = static_cast<uint32_t>(s.Int(5));
    x.ttft_ms = static_cast<uint32_t>(s.Int(6));
    x.claimed_tps = static_cast<uint32_t>(s.Int(7));
    x.price_per_second = s.Double(8);
    x.user_key = s.Text(9);
    x.manifest = s.Text(10);
    out.push_back(std::move(x));
  }
  if (rc != SQLITE_DONE) return IoError(std::string("analytics db: reading sessions: ") + sqlite3_errmsg(db_));
  return out;
}

analytics::UnmetCounts Transparency::UnmetBetweenDays(uint64_t first_day, uint64_t last_day) {
  FlushUnmetLocked(true);
  analytics::UnmetCounts out;
  Stmt s(db_, "SELECT model, reason, SUM(count) FROM analytics_unmet WHERE day >= ? AND day <= ? GROUP BY model, reason");
  s.Bind(1, static_cast<int64_t>(first_day)).Bind(2, static_cast<int64_t>(last_day));
  while (s.Step() == SQLITE_ROW) out[s.Text(0)][s.Text(1)] = static_cast<uint64_t>(s.Int(2));
  return out;
}

HttpResponse Transparency::Leaderboard(const std::string& window, ProviderBook& book) {
  if (window != "day" && window != "week") {
    return HttpResponse::ErrorJson(400, "invalid_argument", "window must be day or week");
  }
  uint64_t ds = DaySeconds();
  uint64_t span = window == "day" ? ds : 7 * ds;
  uint64_t now = clock_->NowSeconds();
  // Supply: the providers offering each manifest now (best effort: the cached book).
  std::map<std::string, std::vector<std::string>> offering;
  for (const auto& p : book.View()) {
    for (const auto& o : p.offers) offering[o.manifest].push_back(p.address.ToChecksumHex());
  }
  if (auto c = CloseDays(); !c.ok()) LT_DEBUG("router: analytics: " << c.error().message);
  analytics::LeaderboardInput in;
  uint64_t ms = clock_->MonotonicMillis();
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = boards_.find(window);
    if (it != boards_.end() && ms - it->second.at_ms < 2000) return HttpResponse::Json(200, it->second.body);
    in.window = window;
    in.window_seconds = span;
    in.now = now;
    auto sessions = SessionsBetween(now > span ? now - span : 0, now + 1);
    if (!sessions.ok()) return HttpResponse::FromError(sessions.error());
    in.sessions = std::move(*sessions);
    uint64_t first_day = (now > span ? now - span : 0) / ds;
    in.unmet = UnmetBetweenDays(first_day, now / ds);
  }
  for (const auto& s : in.sessions) {
    auto o = offering.find(s.manifest);
    if (o == offering.end()) continue;
    auto& list = in.supply[s.model];
    for (const auto& a : o->second)
      if (std::find(list.begin(), list.end(), a) == list.end()) list.push_back(a);
  }
  // Registered names and sizes (network calls, outside the lock; cached in facts_).
  std::set<std::string> listed;
  for (const auto& s : in.sessions) listed.insert(s.model);
  for (const auto& entry : in.unmet) listed.insert(entry.first);
  facts_.Refresh(ledger_, book, listed);
  in.registered = facts_.Registered();
  in.sizes = facts_.Sizes();
  json body = analytics::ComputeLeaderboard(in);
  body["daySeconds"] = ds;
  body["router"] = key_.GetAddress().ToChecksumHex();
  std::lock_guard<std::mutex> l(mu_);
  boards_[window] = Cached{body, ms};
  return HttpResponse::Json(200, body);
}

Result<size_t> Transparency::CloseDays() {
  uint64_t ds = DaySeconds();
  if (day_seconds_.load() == 0) return MakeError(ErrorCode::kUnavailable, "analytics: the ledger's day length is not known yet");
  uint64_t now = clock_->NowSeconds();
  uint64_t grace = std::min<uint64_t>(ds / 2, 60);
  if (now < grace) return size_t{0};
  uint64_t closed_before = (now - grace) / ds;  // days < this one are closed (and past the grace)
  std::lock_guard<std::mutex> l(mu_);
  if (last_close_check_ == closed_before) return size_t{0};
  FlushUnmetLocked(true);
  std::set<uint64_t> days;
  uint64_t oldest = closed_before > 31 ? closed_before - 31 : 0;
  {
    Stmt s(db_,
           "SELECT DISTINCT started / ? FROM analytics_sessions WHERE started >= ? AND started < ? "
           "UNION SELECT DISTINCT day FROM analytics_unmet WHERE day >= ? AND day < ?");
    s.Bind(1, static_cast<int64_t>(ds))
        .Bind(2, static_cast<int64_t>(oldest * ds))
        .Bind(3, static_cast<int64_t>(closed_before * ds))
        .Bind(4, static_cast<int64_t>(oldest))
        .Bind(5, static_cast<int64_t>(closed_before));
    while (s.Step() == SQLITE_ROW) days.insert(static_cast<uint64_t>(s.Int(0)));
  }
  {
    Stmt s(db_, "SELECT day FROM analytics_reports WHERE day >= ?");
    s.Bind(1, static_cast<int64_t>(oldest));
    while (s.Step() == SQLITE_ROW) days.erase(static_cast<uint64_t>(s.Int(0)));
  }
  size_t made = 0;
  for (uint64_t day : days) {
    analytics::ReportInput in;
    in.day = day;
    in.day_seconds = ds;
    in.router = key_.GetAddress().ToChecksumHex();
    in.generated_at = now;
    LT_TRY(in.sessions, SessionsBetween(day * ds, (day + 1) * ds));
    in.unmet = UnmetBetweenDays(day, day);
    json report = analytics::ComputeDailyReport(in);
    json doc = analytics::SignReport(report, key_);
    Stmt s(db_, "INSERT OR IGNORE INTO analytics_reports(day, generated_at, pass, watch, fail, doc) VALUES(?,?,?,?,?,?)");
    s.Bind(1, static_cast<int64_t>(day))
        .Bind(2, static_cast<int64_t>(now))
        .Bind(3, report["verdicts"]["pass"].get<int64_t>())
        .Bind(4, report["verdicts"]["watch"].get<int64_t>())
        .Bind(5, report["verdicts"]["fail"].get<int64_t>())
        .Bind(6, analytics::CanonicalJson(doc));
    if (s.Step() != SQLITE_DONE) return IoError(std::string("analytics db: storing a report: ") + sqlite3_errmsg(db_));
    LT_INFO("router: analytics report for day " << day << ": " << report["verdicts"].dump());
    ++made;
  }
  last_close_check_ = closed_before;
  return made;
}

HttpResponse Transparency::ReportsIndex() {
  if (auto c = CloseDays(); !c.ok()) LT_WARN("router: analytics: " << c.error().message);
  std::lock_guard<std::mutex> l(mu_);
  json days = json::array();
  // `unjudged` is read from the signed document (reports made before it existed count 0 there).
  Stmt s(db_,
         "SELECT day, generated_at, pass, watch, fail, COALESCE(json_extract(doc, '$.report.verdicts.unjudged'), 0) "
         "FROM analytics_reports ORDER BY day DESC LIMIT 400");
  while (s.Step() == SQLITE_ROW) {
    days.push_back({{"day", s.Int(0)},
                    {"generatedAt", s.Int(1)},
                    {"verdicts", {{"pass", s.Int(2)}, {"watch", s.Int(3)}, {"fail", s.Int(4)}, {"unjudged", s.Int(5)}}}});
  }
  uint64_t ds = DaySeconds();
  return HttpResponse::Json(200, {{"router", key_.GetAddress().ToChecksumHex()},
                                  {"daySeconds", ds},
                                  {"currentDay", clock_->NowSeconds() / ds},
                                  {"reports", days}});
}

HttpResponse Transparency::Report(const std::string& day) {
  if (auto c = CloseDays(); !c.ok()) LT_WARN("router: analytics: " << c.error().message);
  uint64_t d = 0;
  bool latest = day == "latest";
  if (!latest) {
    auto r = std::from_chars(day.data(), day.data() + day.size(), d);
    if (day.empty() || r.ec != std::errc() || r.ptr != day.data() + day.size()) {
      return HttpResponse::ErrorJson(400, "invalid_argument", "the day must be a day number or \"latest\"");
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  Stmt s(db_, latest ? "SELECT doc FROM analytics_reports ORDER BY day DESC LIMIT 1"
                     : "SELECT doc FROM analytics_reports WHERE day = ?");
  if (!latest) s.Bind(1, static_cast<int64_t>(d));
  if (s.Step() == SQLITE_ROW) return RawJson(200, s.Text(0));
  return HttpResponse::ErrorJson(404, "not_found",
                                 latest ? std::string("no day has closed with sessions yet")
                                        : "no report for day " + day + " (not closed yet, or nothing happened)");
}

HttpResponse Transparency::Dashboard() const {
  HttpResponse r;
  r.status = 200;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::string(analytics::DashboardHtml());
  r.headers.emplace("Cache-Control", "no-store");
  return r;
}

}  // namespace lt::router
