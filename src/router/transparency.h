// Transparency: the router's side of doc/analytics.md. It keeps, for every settled session, the
// analytics row (model, provider, start, seconds, tokens, ttft, the offer's claimed TPS, the
// price, and a salted user key), counts unmet RFCs per day, model and reason, serves
// GET /leaderboard, GET /reports, GET /reports/<day|latest> and the dashboard at GET /, and
// computes and signs the daily report of each day after it closed (the ledger's day length).
//
// Storage: its own SQLite file beside the router's (router.db -> router-analytics.db), tables
// analytics_sessions, analytics_unmet, analytics_reports. The user key is
//   hex(keccak256(salt || address)[0:16]), salt = keccak256("lt-analytics-user-salt/v1" || router key)
// so it needs the router's private key to compute: it is stored only here, used only to count
// distinct users and their shares, and never served. Analytics are best-effort: a failure to
// write them is logged and never fails settlement.
// Thread-safety: all methods are thread-safe.
#ifndef LT_ROUTER_TRANSPARENCY_H_
#define LT_ROUTER_TRANSPARENCY_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analytics/records.h"
#include "crypto/keys.h"
#include "ledger/ledger.h"
#include "net/http.h"
#include "router/model_facts.h"
#include "router/providers.h"
#include "router/store.h"
#include "util/clock.h"

struct sqlite3;

namespace lt::router {

class Transparency {
 public:
  static Result<std::unique_ptr<Transparency>> Open(const std::string& router_db_path, const crypto::PrivateKey& key,
                                                    ledger::Ledger& ledger, const Clock* clock);
  ~Transparency();

  // Hooks from the router (never fail: errors are logged).
  void OnSettled(const std::vector<ReceiptRow>& rows, const std::vector<SessionRecord>& records,
                 const ProviderBook& book);
  void OnUnmet(const std::string& model, std::string_view reason);

  // HTTP views.
  net::HttpResponse Leaderboard(const std::string& window, ProviderBook& book);
  net::HttpResponse ReportsIndex();
  net::HttpResponse Report(const std::string& day);  // a day number or "latest"
  net::HttpResponse Dashboard() const;

  // Computes, signs and stores the reports of closed days that have none. Returns how many.
  Result<size_t> CloseDays();
  uint64_t DaySeconds();
  std::string UserKey(const crypto::Address& user) const;  // tests

 private:
  Transparency(sqlite3* db, crypto::PrivateKey key, ledger::Ledger& ledger, const Clock* clock);
  void Store(const std::vector<ReceiptRow>& rows, const std::vector<SessionRecord>& records, const ProviderBook& book);
  Result<std::vector<analytics::Session>> SessionsBetween(uint64_t from, uint64_t to);
  analytics::UnmetCounts UnmetBetweenDays(uint64_t first_day, uint64_t last_day);
  void FlushUnmetLocked(bool force);

  sqlite3* db_;
  crypto::PrivateKey key_;
  Hash32 salt_{};
  ledger::Ledger& ledger_;
  const Clock* clock_;
  std::atomic<uint64_t> day_seconds_{0};
  std::mutex mu_;  // db_, the unmet buffer, caches
  std::map<uint64_t, analytics::UnmetCounts> unmet_buffer_;  // day -> counts not yet written
  uint64_t unmet_flushed_ms_ = 0;
  uint64_t last_close_check_ = 0;
  struct Cached {
    nlohmann::json body;
    uint64_t at_ms = 0;
  };
  std::map<std::string, Cached> boards_;
  ModelFacts facts_{clock_};  // registered names and sizes for the leaderboard
};

}  // namespace lt::router

#endif  // LT_ROUTER_TRANSPARENCY_H_
