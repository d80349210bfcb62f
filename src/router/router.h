// Router: the composition root of `lt router serve` (DESIGN §5, doc/router.md). It takes
// signed Requests For Compute, queues them by balance, matches them on the ledger's offers,
// checks the chosen provider's liveness, signs tickets, takes receipts, settles them in
// batches, and keeps the public session records.
//
// The Handle* methods are the HTTP API without the transport (server.h maps routes to them):
// each takes a request body and returns the HTTP response, never throws, and answers bad input
// with {"error":{"code","message"}} (plus "reason" when nothing matched). See doc/router.md for
// every status and code.
// Intake order for POST /rfc: parse and bound -> signature (recovered signer == rfc.user, under
// the ledger's EIP-712 domain) -> expiry (not past, at most max_rfc_ttl_s ahead) -> price and
// seconds > 0 -> nonce (a used-nonce set per user, each kept until its RFC expires: replays
// are refused, out-of-order nonces are fine) -> model name -> the user's account (vault > 0;
// cached account_cache_ms) -> the priority gate (queue.h) -> match (matcher.h) -> liveness of up
// to max_liveness_tries candidates -> ticket.
// Exposure: every ticket counts price * max(maxSeconds, minSeconds) against its user until a
// receipt replaces it by the receipt's cost (or until it expired receipt_grace_s ago); settling
// removes it. Cover = allowance left + vault - exposure.
// Settlement: a thread sends settle_batch every settle_every_ms or as soon as
// settle_every_receipts receipts are pending; the ledger's per-receipt outcome marks each
// settled ("session already settled" counts as settled) or refused with the reason.
// Ownership: the Router borrows the Ledger, Clock, Random and LivenessProber; they must outlive it.
// Thread-safety: Handle* and the views may be called from many threads at once.
#ifndef LT_ROUTER_ROUTER_H_
#define LT_ROUTER_ROUTER_H_

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "crypto/keys.h"
#include "ledger/ledger.h"
#include "net/http.h"
#include "router/liveness.h"
#include "router/providers.h"
#include "router/queue.h"
#include "router/store.h"
#include "router/transparency.h"
#include "util/clock.h"
#include "util/random.h"
#include "wire/router_api.h"

namespace lt::router {

struct RouterOptions {
  std::string db_path;                  // SQLite file (":memory:" is refused: receipts must be durable)
  uint64_t ticket_ttl_s = 600;          // tickets expire after 10 minutes (renewable)
  uint64_t max_rfc_ttl_s = 300;         // an RFC may not expire later than this from now
  uint64_t account_cache_ms = 2000;
  uint64_t model_cache_ms = 30000;
  uint64_t settle_every_ms = 10000;
  size_t settle_every_receipts = 100;
  size_t max_batch = 1000;
  int max_liveness_tries = 3;
  uint64_t max_pong_skew_s = 60;        // |pong.at - now| allowed
  uint64_t receipt_grace_s = 600;       // exposure kept after a ticket expired without receipt
  size_t max_nonces_per_user = 4096;
  uint64_t announce_ttl_s = 3600;       // an announced root lasts this long after the announce's `at`
  size_t max_roots_per_announcer = 10000;
  size_t max_announcers = 10000;
  // All announcers' roots together (about 300 bytes of memory each, and a row on disk): without
  // it 10,000 announcers of 10,000 roots each, no stake needed, could make a router hold ~30 GB.
  size_t max_announced_roots = 1000000;
  QueueOptions queue;
  ProviderBookOptions book;
};

class Router {
 public:
  static Result<std::unique_ptr<Router>> Create(RouterOptions options, ledger::Ledger& ledger,
                                                crypto::PrivateKey key, const Clock* clock, Random* rng,
                                                LivenessProber* prober);
  ~Router();

  const crypto::Address& address() const { return address_; }
  const wire::Domain& domain() const { return domain_; }

  net::HttpResponse HandleRfc(const std::string& body);
  net::HttpResponse HandleRenew(const std::string& body);
  net::HttpResponse HandleReceipt(const std::string& body);
  net::HttpResponse HandleAnnounce(const std::string& body);
  net::HttpResponse Providers();
  net::HttpResponse Holders(const std::string& cid);
  net::HttpResponse Stats();
  net::HttpResponse Health();
  net::HttpResponse ReceiptsView(const std::string& status, uint64_t limit);
  net::HttpResponse RecordsView(uint64_t since, uint64_t limit);

  // Sends one settle_batch of pending receipts (if any); returns how many were decided.
  Result<size_t> SettleOnce();
  // The settlement thread (every settle_every_ms, or sooner when enough receipts are pending).
  void Start();
  void Stop();

  // The user's current exposure with this router (tests, /stats).
  U256 ExposureOf(const crypto::Address& user);
  ProviderBook& book() { return book_; }
  Transparency& transparency() { return *transparency_; }  // doc/analytics.md

 private:
  Router(RouterOptions options, ledger::Ledger& ledger, crypto::PrivateKey key, const Clock* clock, Random* rng,
         LivenessProber* prober, std::unique_ptr<RouterStore> store);
  struct Resolved {
    Hash32 manifest{};
    std::string model;
  };
  Result<Resolved> ResolveModel(const std::string& model);
  Result<ledger::AccountInfo> Account(const crypto::Address& user);
  Status UseNonce(const crypto::Address& user, uint64_t nonce, uint64_t expires_at);
  void AddExposure(const crypto::Address& user, const Hash32& sid, const U256& amount, uint64_t drop_at);
  void DropExposure(const Hash32& sid);
  U256 ExposureLocked(const crypto::Address& user, const Hash32* except);
  net::HttpResponse Unmet(const std::string& model, router::Unmet reason, const std::string& message);
  void CountRefused(const std::string& code);
  Status LoadState();
  void PruneMemory();  // expired nonces and announces (the settlement thread calls it)
  void SettleLoop();
  Result<size_t> SettleBatch(std::vector<ReceiptRow> rows);
  // Marks `rows` settled; by_us[k] false: the ledger had settled row k from another receipt.
  Status FinishSettled(const std::vector<ReceiptRow>& rows, const std::vector<bool>& by_us);

  RouterOptions options_;
  ledger::Ledger& ledger_;
  crypto::PrivateKey key_;
  crypto::Address address_;
  wire::Domain domain_;
  const Clock* clock_;
  Random* rng_;
  std::mutex rng_mu_;
  // Session ids: this router's address and a sequence (wire/session_id.h); [next_seq_,
  // seq_limit_) is reserved in the store. Guarded by rng_mu_.
  uint64_t next_seq_ = 0, seq_limit_ = 0;
  Result<Hash32> NextSessionId();
  LivenessProber* prober_;
  std::unique_ptr<RouterStore> store_;
  std::unique_ptr<Transparency> transparency_;  // set by Create
  ProviderBook book_;
  PriorityGate gate_;

  // Keys of the maps below: addresses and session ids as bytes (no hex string per lookup).
  struct BytesHash {
    template <typename T>
    size_t operator()(const T& v) const {
      return std::hash<std::string_view>()(std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
    }
    size_t operator()(const crypto::Address& a) const { return (*this)(a.bytes); }
  };
  std::mutex mu_;  // nonces, exposure, caches, stats
  std::unordered_map<crypto::Address, std::map<uint64_t, uint64_t>, BytesHash> nonces_;  // user -> nonce -> expires
  std::unordered_map<std::string, uint64_t> stored_nonces_;  // RouterStore::NonceKey -> expires, from before a restart
  struct Exposure {
    crypto::Address user;
    U256 amount;
    uint64_t drop_at;  // unix seconds; UINT64_MAX while a receipt is pending
  };
  // Per user the sum of its sessions' exposure, kept up to date on every change, so an RFC
  // reads it in O(1); it is recomputed (dropping expired sessions) only when the earliest
  // drop_at has passed.
  struct UserExposure {
    U256 total;
    uint64_t next_drop = UINT64_MAX;  // earliest drop_at among sessions
    std::unordered_set<Hash32, BytesHash> sessions;
  };
  std::unordered_map<Hash32, Exposure, BytesHash> exposure_;            // session id -> exposure
  std::unordered_map<crypto::Address, UserExposure, BytesHash> by_user_;  // user -> sessions
  void PutExposureLocked(const crypto::Address& user, const Hash32& sid, const U256& amount, uint64_t drop_at);
  // The cover rule, for new tickets and renewals alike: t.max_seconds becomes the seconds the user
  // can still pay for at t's price (at most `want`), from `funds` (allowance left + vault) less
  // the open tickets other than `renewing`; when at least minSeconds fit, the ticket's worst cost
  // is reserved and the answer is true, else t.max_seconds is 0. `cover` gets what was left to
  // cover with (for messages). Caller holds mu_.
  bool ReserveCoverLocked(wire::Ticket& t, uint64_t want, const U256& funds, const Hash32* renewing, U256* cover);
  void EraseExposureLocked(const Hash32& sid);
  struct CachedAccount {
    ledger::AccountInfo info;
    uint64_t at_ms;
  };
  std::unordered_map<crypto::Address, CachedAccount, BytesHash> accounts_;
  struct CachedModel {
    Resolved r;
    bool found;
    std::string error;
    uint64_t at_ms;
  };
  std::unordered_map<std::string, CachedModel> models_;
  struct Counters {
    uint64_t rfcs = 0, tickets = 0, renewals = 0, receipts = 0, receipt_duplicates = 0, settled = 0, refused = 0,
             settle_batches = 0, settle_errors = 0, liveness_checks = 0, liveness_failures = 0;
    std::map<std::string, uint64_t> rejected;                       // code -> count
    std::map<std::string, std::map<std::string, uint64_t>> unmet;   // model -> reason -> count
  } counters_;
  std::string last_settle_error_;

  std::atomic<uint64_t> pending_{0};
  std::mutex settle_mu_;  // one settle at a time
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stop_ = false;
  std::thread loop_;
};

}  // namespace lt::router

#endif  // LT_ROUTER_ROUTER_H_
