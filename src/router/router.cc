#include "router/router.h"

#include <algorithm>
#include <chrono>

#include "ledger/model_hints.h"
#include "ledger/names.h"
#include "registry/cid.h"
#include "util/log.h"
#include "wire/billing.h"
#include "wire/json_text.h"
#include "wire/session_id.h"

namespace lt::router {

using nlohmann::json;
using net::HttpResponse;

namespace {

HttpResponse Err(int status, std::string_view code, const std::string& message) {
  return HttpResponse::ErrorJson(status, code, message);
}

HttpResponse FromError(const Error& e) { return HttpResponse::FromError(e); }


}  // namespace

Router::Router(RouterOptions options, ledger::Ledger& ledger, crypto::PrivateKey key, const Clock* clock, Random* rng,
               LivenessProber* prober, std::unique_ptr<RouterStore> store)
    : options_(std::move(options)),
      ledger_(ledger),
      key_(std::move(key)),
      address_(key_.GetAddress()),
      domain_(U256(ledger.domain().chain_id), ledger.domain().verifying_contract),
      clock_(clock),
      rng_(rng),
      prober_(prober),
      store_(std::move(store)),
      book_(options_.book, clock),
      gate_(options_.queue, clock) {}

Router::~Router() { Stop(); }

Result<std::unique_ptr<Router>> Router::Create(RouterOptions options, ledger::Ledger& ledger, crypto::PrivateKey key,
                                               const Clock* clock, Random* rng, LivenessProber* prober) {
  if (options.db_path.empty() || options.db_path == ":memory:") {
    return InvalidArgument("router: a database file is required (receipts must be durable)");
  }
  LT_TRY(auto store, RouterStore::Open(options.db_path));
  std::unique_ptr<Router> r(new Router(std::move(options), ledger, std::move(key), clock, rng, prober, std::move(store)));
  LT_TRY_STATUS(r->LoadState());
  LT_TRY(r->transparency_, Transparency::Open(r->options_.db_path, r->key_, ledger, clock));
  return r;
}

// Reserves blocks of 2^16 sequences: a restart resumes after the last reserved block.
Result<Hash32> Router::NextSessionId() {
  constexpr uint64_t kBlock = uint64_t{1} << 16;
  std::lock_guard<std::mutex> l(rng_mu_);
  if (next_seq_ >= seq_limit_) {
    LT_TRY(uint64_t first, store_->ReserveSessionSequences(kBlock));
    next_seq_ = first;
    seq_limit_ = first + kBlock;
  }
  return wire::RouterSessionId(address_, next_seq_++);
}

Status Router::LoadState() {
  uint64_t now = clock_->NowSeconds();
  LT_TRY(auto nonces, store_->LoadNonces(now));
  LT_TRY(auto tickets, store_->OpenTickets(now > options_.receipt_grace_s ? now - options_.receipt_grace_s : 0));
  LT_TRY(auto pending, store_->Receipts(ReceiptStatus::kPending, SIZE_MAX));
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& n : nonces) stored_nonces_[n.key] = n.expires_at;
  }
  for (const auto& t : tickets) {
    AddExposure(t.ticket.user, t.ticket.session_id, wire::WorstCost(t.ticket), t.ticket.expires_at + options_.receipt_grace_s);
  }
  for (const auto& r : pending) AddExposure(r.receipt.ticket.ticket.user, r.receipt.ticket.ticket.session_id, r.cost, UINT64_MAX);
  LT_TRY(auto announces, store_->LoadAnnounces(now));
  for (const auto& a : announces) {
    book_.Announce(a.provider, a.http, {}, a.http_expires_at, options_.max_roots_per_announcer);
    if (!a.cid.empty()) book_.Announce(a.provider, "", {a.cid}, a.expires_at, options_.max_roots_per_announcer);
  }
  pending_ = pending.size();
  if (!pending.empty()) LT_INFO("router: " << pending.size() << " acknowledged receipts await settlement");
  return OkStatus();
}

// ---- Caches over the ledger --------------------------------------------------------------------

Result<Router::Resolved> Router::ResolveModel(const std::string& model) {
  // A manifest given directly.
  if (model.size() == 66 && model.rfind("0x", 0) == 0) {
    auto m = HexDecodeFixed<32>(model);
    if (!m.ok()) return InvalidArgument("model: " + m.error().message);
    std::string name = book_.ModelOf(*m);
    return Resolved{*m, name.empty() ? model : name};
  }
  if (auto at = model.find('@'); at != std::string::npos) {
    LT_TRY_STATUS(ledger::ValidateModelName(model.substr(0, at)));
    auto cid = registry::Cid::Parse(model.substr(at + 1));
    if (!cid.ok()) return InvalidArgument("model '" + model.substr(0, 300) + "': " + cid.error().message);
    return Resolved{cid->digest, model};
  }
  std::string name = model, tag = "latest";
  size_t slash = model.rfind('/');
  size_t colon = model.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    name = model.substr(0, colon);
    tag = model.substr(colon + 1);
  }
  auto nv = ledger::ValidateModelName(name);
  if (!nv.ok()) return InvalidArgument("model '" + model.substr(0, 300) + "': " + nv.error().message);
  auto tv = ledger::ValidateTag(tag);
  if (!tv.ok()) return InvalidArgument("model '" + model.substr(0, 300) + "': " + tv.error().message);
  std::string key = name + ":" + tag;
  uint64_t now = clock_->MonotonicMillis();
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = models_.find(key);
    // Misses are cached for a fifth of the time, so a new tag shows up soon.
    if (it != models_.end() && now - it->second.at_ms < (it->second.found ? options_.model_cache_ms
                                                                           : options_.model_cache_ms / 5)) {
      if (!it->second.found) return NotFound(it->second.error);
      return it->second.r;
    }
  }
  auto m = ledger_.GetModel(name);
  CachedModel c{{}, false, "", now};
  if (!m.ok()) {
    if (m.error().code != ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kUnavailable, "ledger unavailable (model " + name + "): " + m.error().message);
    }
    auto all = ledger_.GetModels();  // only on a miss, which is cached
    c.error = ledger::UnknownModelMessage(name, all.ok() ? *all : std::vector<ledger::ModelInfo>{});
  } else {
    if (auto manifest = m->Tag(tag)) {
      c.found = true;
      c.r = Resolved{*manifest, key};
    } else {
      c.error = ledger::MissingTagMessage(*m, tag);
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  if (models_.size() > 10000) models_.clear();
  models_[key] = c;
  if (!c.found) return NotFound(c.error);
  return c.r;
}

Result<ledger::AccountInfo> Router::Account(const crypto::Address& user) {
  const crypto::Address& key = user;
  uint64_t now = clock_->MonotonicMillis();
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = accounts_.find(key);
    if (it != accounts_.end() && now - it->second.at_ms < options_.account_cache_ms) return it->second.info;
  }
  auto a = ledger_.GetAccount(user);
  if (!a.ok()) return MakeError(ErrorCode::kUnavailable, "ledger unavailable (account): " + a.error().message);
  std::lock_guard<std::mutex> l(mu_);
  if (accounts_.size() > 100000) accounts_.clear();
  accounts_[key] = CachedAccount{*a, now};
  return *a;
}

Status Router::UseNonce(const crypto::Address& user, uint64_t nonce, uint64_t expires_at) {
  uint64_t now = clock_->NowSeconds();
  std::lock_guard<std::mutex> l(mu_);
  auto& used = nonces_[user];
  // Nonces used before a restart are known only by their salted hash (doc/router.md "Storage").
  if (used.count(nonce) || (!stored_nonces_.empty() && stored_nonces_.count(store_->NonceKey(user, nonce)))) {
    return MakeError(ErrorCode::kAlreadyExists, "nonce " + std::to_string(nonce) + " of " + user.ToChecksumHex() +
                                                    " was already used (replayed RFC)");
  }
  if (used.size() >= options_.max_nonces_per_user) std::erase_if(used, [now](const auto& e) { return e.second < now; });
  if (used.size() >= options_.max_nonces_per_user) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "too many unexpired RFCs from " + user.ToChecksumHex() + " (limit " +
                         std::to_string(options_.max_nonces_per_user) + ")");
  }
  used[nonce] = expires_at;
  return OkStatus();
}

// ---- Exposure ----------------------------------------------------------------------------------

void Router::PutExposureLocked(const crypto::Address& u, const Hash32& s, const U256& amount, uint64_t drop_at) {
  EraseExposureLocked(s);
  exposure_[s] = Exposure{u, amount, drop_at};
  UserExposure& ue = by_user_[u];
  ue.sessions.insert(s);
  ue.total = ue.total.CheckedAdd(amount).value_or(U256::Max());
  ue.next_drop = std::min(ue.next_drop, drop_at);
}

bool Router::ReserveCoverLocked(wire::Ticket& t, uint64_t want, const U256& funds, const Hash32* renewing,
                                U256* cover) {
  *cover = funds.CheckedSub(ExposureLocked(t.user, renewing)).value_or(U256());
  uint64_t max_s = want;
  if (!t.price_per_second.IsZero()) {
    U256 affordable = cover->Div(t.price_per_second).value_or(U256());
    if (affordable < U256(max_s)) max_s = affordable.Low64();
  }
  U256 min_cost = t.price_per_second.CheckedMul(U256(t.min_seconds)).value_or(U256::Max());
  t.max_seconds = static_cast<uint32_t>(std::min<uint64_t>(max_s, UINT32_MAX));
  if (t.max_seconds == 0 || t.min_seconds > t.max_seconds || min_cost > *cover) {
    t.max_seconds = 0;
    return false;
  }
  // Reserved under the same lock, so concurrent requests of one user cannot overdraw.
  PutExposureLocked(t.user, t.session_id, wire::WorstCost(t), t.expires_at + options_.receipt_grace_s);
  return true;
}

void Router::EraseExposureLocked(const Hash32& s) {
  auto it = exposure_.find(s);
  if (it == exposure_.end()) return;
  auto bu = by_user_.find(it->second.user);
  if (bu != by_user_.end()) {
    UserExposure& ue = bu->second;
    ue.sessions.erase(s);
    if (ue.sessions.empty()) {
      by_user_.erase(bu);
    } else if (ue.total == U256::Max()) {
      ue.next_drop = 0;  // saturated: recompute on the next read
    } else {
      ue.total = ue.total.CheckedSub(it->second.amount).value_or(U256());
    }
  }
  exposure_.erase(it);
}

void Router::AddExposure(const crypto::Address& user, const Hash32& sid, const U256& amount, uint64_t drop_at) {
  std::lock_guard<std::mutex> l(mu_);
  PutExposureLocked(user, sid, amount, drop_at);
}

void Router::DropExposure(const Hash32& sid) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = exposure_.find(sid);
  if (it == exposure_.end()) return;
  accounts_.erase(it->second.user);  // the ledger's figures changed
  EraseExposureLocked(sid);
}

U256 Router::ExposureLocked(const crypto::Address& user, const Hash32* except) {
  auto bu = by_user_.find(user);
  if (bu == by_user_.end()) return U256();
  UserExposure& ue = bu->second;
  uint64_t now = clock_->NowSeconds();
  if (ue.next_drop < now) {
    // Some session's exposure lapsed: recompute the total without the lapsed ones.
    ue.total = U256();
    ue.next_drop = UINT64_MAX;
    for (auto it = ue.sessions.begin(); it != ue.sessions.end();) {
      auto e = exposure_.find(*it);
      if (e == exposure_.end() || e->second.drop_at < now) {
        if (e != exposure_.end()) exposure_.erase(e);
        it = ue.sessions.erase(it);
        continue;
      }
      ue.total = ue.total.CheckedAdd(e->second.amount).value_or(U256::Max());
      ue.next_drop = std::min(ue.next_drop, e->second.drop_at);
      ++it;
    }
    if (ue.sessions.empty()) {
      by_user_.erase(bu);
      return U256();
    }
  }
  U256 total = ue.total;
  if (except != nullptr && total != U256::Max()) {
    if (auto e = exposure_.find(*except); e != exposure_.end() && e->second.user == user) {
      total = total.CheckedSub(e->second.amount).value_or(U256());
    }
  }
  return total;
}

U256 Router::ExposureOf(const crypto::Address& user) {
  std::lock_guard<std::mutex> l(mu_);
  return ExposureLocked(user, nullptr);
}

// ---- Intake ------------------------------------------------------------------------------------

void Router::CountRefused(const std::string& code) {
  std::lock_guard<std::mutex> l(mu_);
  ++counters_.rejected[code];
}

HttpResponse Router::Unmet(const std::string& model, router::Unmet reason, const std::string& message) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (counters_.unmet.size() < 10000 || counters_.unmet.count(model)) ++counters_.unmet[model][std::string(UnmetName(reason))];
  }
  if (transparency_) transparency_->OnUnmet(model, UnmetName(reason));
  int status = 503;
  if (reason == Unmet::kTooExpensive || reason == Unmet::kTooSlow || reason == Unmet::kMinSecondsTooLong) status = 409;
  if (reason == Unmet::kInsufficientFunds) status = 402;
  if (reason == Unmet::kUnknownModel) status = 404;
  json body = {{"error", {{"code", UnmetName(reason)}, {"message", message}}}, {"reason", UnmetName(reason)}};
  HttpResponse r = HttpResponse::Json(status, body);
  if (status == 503) r.headers.emplace("Retry-After", "1");
  return r;
}

HttpResponse Router::HandleRfc(const std::string& body) {
  {
    std::lock_guard<std::mutex> l(mu_);
    ++counters_.rfcs;
  }
  auto req = wire::RfcRequest::Parse(body);
  if (!req.ok()) {
    CountRefused("malformed");
    return FromError(req.error());
  }
  const wire::Rfc& rfc = req->rfc;
  auto signer = rfc.Recover(domain_, req->signature);
  if (!signer.ok() || *signer != rfc.user) {
    CountRefused("bad_signature");
    return Err(401, "unauthenticated",
               "RFC signature is not by rfc.user " + rfc.user.ToChecksumHex() +
                   (signer.ok() ? " (recovered " + signer->ToChecksumHex() + ")" : " (" + signer.error().message + ")") +
                   "; sign with the domain chainId " + domain_.chain_id().ToDecimal() + ", verifyingContract " +
                   domain_.verifying_contract().ToChecksumHex());
  }
  uint64_t now = clock_->NowSeconds();
  if (rfc.expires_at <= now) {
    CountRefused("expired");
    return Err(409, "expired", "RFC expired at " + std::to_string(rfc.expires_at) + " (now " + std::to_string(now) + ")");
  }
  if (rfc.expires_at > now + options_.max_rfc_ttl_s) {
    CountRefused("malformed");
    return Err(400, "invalid_argument", "RFC expiresAt is more than " + std::to_string(options_.max_rfc_ttl_s) +
                                            " s ahead (now " + std::to_string(now) + ")");
  }
  if (rfc.max_price_per_second.IsZero()) {
    CountRefused("malformed");
    return Err(400, "invalid_argument", "maxPricePerSecond must be greater than zero");
  }
  if (rfc.want_seconds == 0) {
    CountRefused("malformed");
    return Err(400, "invalid_argument", "wantSeconds must be greater than zero");
  }
  if (auto n = UseNonce(rfc.user, rfc.nonce, rfc.expires_at); !n.ok()) {
    CountRefused(n.error().code == ErrorCode::kAlreadyExists ? "replayed" : "too_many_nonces");
    return n.error().code == ErrorCode::kAlreadyExists ? Err(409, "replayed", n.error().message) : FromError(n.error());
  }
  // From here on the nonce is spent: persist it with whatever ticket comes out.
  auto persist = [&](const TicketRow* t) {
    Status s = store_->PutNonceAndTicket(rfc.user, rfc.nonce, rfc.expires_at, t);
    if (!s.ok()) LT_ERROR("router: " << s.error().message);
    return s;
  };
  auto resolved = ResolveModel(rfc.model);
  if (!resolved.ok()) {
    (void)persist(nullptr);
    if (resolved.error().code == ErrorCode::kNotFound) {
      return Unmet(rfc.model.substr(0, 128), Unmet::kUnknownModel, resolved.error().message);
    }
    CountRefused(resolved.error().code == ErrorCode::kUnavailable ? "ledger_unavailable" : "malformed");
    return FromError(resolved.error());
  }
  auto account = Account(rfc.user);
  if (!account.ok()) {
    (void)persist(nullptr);
    CountRefused("ledger_unavailable");
    HttpResponse r = Err(503, "ledger_unavailable", account.error().message);
    r.headers.emplace("Retry-After", "2");
    return r;
  }
  if (account->vault.IsZero()) {
    (void)persist(nullptr);
    CountRefused("no_vault");
    return Err(402, "no_vault", "user " + rfc.user.ToChecksumHex() + " has no MOR in the vault (deposit first)");
  }
  // Priority: wait for a matching slot.
  uint64_t retry_after = 1;
  auto permit = gate_.Enter(PriorityClass(account->vault), &retry_after);
  if (!permit.ok()) {
    (void)persist(nullptr);
    CountRefused("shed");
    HttpResponse r = Err(429, "overloaded", permit.error().message);
    r.headers.emplace("Retry-After", std::to_string(retry_after));
    return r;
  }
  if (auto f = book_.EnsureFresh(ledger_); !f.ok()) {
    (void)persist(nullptr);
    CountRefused("ledger_unavailable");
    HttpResponse r = Err(503, "ledger_unavailable", f.error().message);
    r.headers.emplace("Retry-After", "2");
    return r;
  }
  const std::string& model = resolved->model;
  std::vector<OfferInfo> offers = book_.Offers(resolved->manifest);
  MatchCriteria crit{rfc.max_price_per_second, rfc.min_tps, rfc.max_latency_ms, rfc.want_seconds,
                     rfc.exclude_providers};
  Ranking ranking;
  {
    std::lock_guard<std::mutex> l(rng_mu_);
    ranking = RankOffers(offers, crit, *rng_);
  }
  if (ranking.order.empty()) {
    (void)persist(nullptr);
    return Unmet(model, ranking.reason, "no offer for " + model + " can serve this RFC: " + std::string(UnmetName(ranking.reason)));
  }
  // Liveness: a signed Pong to a fresh challenge, at most max_liveness_tries candidates.
  const OfferInfo* chosen = nullptr;
  int tries = 0;
  bool any_busy = false;
  std::string last_failure;
  for (size_t idx : ranking.order) {
    if (tries >= options_.max_liveness_tries) break;
    const OfferInfo& o = offers[idx];
    if (book_.IsBanned(o.provider)) continue;  // banned by a concurrent request
    ++tries;
    Hash32 challenge;
    SecureRandom::Default()->Fill(challenge);
    auto url = book_.LivenessUrl(o.provider);
    auto t0 = std::chrono::steady_clock::now();
    Result<PongReply> pong = url.ok() ? prober_->Ping(*url, challenge) : Result<PongReply>(url.error());
    double rtt = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::string why;
    if (!pong.ok()) {
      why = pong.error().message;
    } else if (pong->pong.challenge != challenge) {
      why = "pong answers another challenge";
    } else if (pong->pong.provider != o.provider) {
      why = "pong names provider " + pong->pong.provider.ToChecksumHex();
    } else if (auto s = pong->pong.Recover(domain_, pong->signature); !s.ok() || *s != o.provider) {
      why = "pong signature is not the provider's";
    } else if (pong->pong.at + options_.max_pong_skew_s < now || pong->pong.at > now + options_.max_pong_skew_s) {
      why = "pong time " + std::to_string(pong->pong.at) + " is too far from " + std::to_string(now);
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      ++counters_.liveness_checks;
      if (!why.empty()) ++counters_.liveness_failures;
    }
    if (!why.empty()) {
      book_.RecordLiveness(o.provider, false, rtt, -1);
      last_failure = o.provider.ToChecksumHex() + ": " + why;
      LT_INFO("router: liveness of " << last_failure << " (banned for " << book_.BanRemainingMs(o.provider) << " ms)");
      continue;
    }
    book_.RecordLiveness(o.provider, true, rtt, pong->pong.free_slots);
    if (pong->pong.free_slots == 0) {
      any_busy = true;
      continue;
    }
    chosen = &o;
    break;
  }
  if (chosen == nullptr) {
    (void)persist(nullptr);
    if (last_failure.empty() && any_busy) return Unmet(model, Unmet::kAllBusy, "every candidate for " + model + " is busy");
    if (last_failure.empty()) return Unmet(model, Unmet::kAllBanned, "every candidate for " + model + " is banned");
    return Unmet(model, Unmet::kLivenessFailed,
                 "no candidate for " + model + " passed the liveness check (last: " + last_failure + ")");
  }
  // Ticket: as many seconds as the user can cover.
  wire::Ticket t;
  {
    auto id = NextSessionId();
    if (!id.ok()) return FromError(id.error());
    t.session_id = *id;
  }
  t.user = rfc.user;
  t.provider = chosen->provider;
  t.router = address_;
  t.manifest = chosen->manifest;
  t.price_per_second = chosen->price_per_second;
  t.min_seconds = chosen->min_seconds;
  t.issued_at = now;
  t.expires_at = now + options_.ticket_ttl_s;
  U256 cover;
  {
    std::lock_guard<std::mutex> l(mu_);
    ReserveCoverLocked(t, rfc.want_seconds, account->allowance_left.CheckedAdd(account->vault).value_or(U256::Max()),
                       nullptr, &cover);
  }
  if (t.max_seconds == 0) {
    (void)persist(nullptr);
    return Unmet(model, Unmet::kInsufficientFunds,
                 "user " + rfc.user.ToChecksumHex() + " cannot cover " + std::to_string(std::max<uint32_t>(1, t.min_seconds)) +
                     " s at " + t.price_per_second.ToDecimal() + " per second (allowance left + vault - open tickets = " +
                     cover.ToDecimal() + ")");
  }
  wire::TicketGrant grant;
  grant.ticket.ticket = t;
  grant.ticket.router_sig = t.Sign(key_, domain_);
  auto ep = ParseProviderEndpoint(chosen->endpoint);
  grant.endpoint = ep.ok() ? ep->session : chosen->endpoint;
  grant.model = model;
  // The ticket's JSON is made once, for the journal and for the answer (wire::TicketGrant's form).
  TicketRow row{t, model, wire::json_text::DumpMessage(t)};
  if (auto s = persist(&row); !s.ok()) {
    DropExposure(t.session_id);
    return Err(500, "io", "could not record the ticket: " + s.error().message);
  }
  book_.TookSlot(chosen->provider);
  {
    std::lock_guard<std::mutex> l(mu_);
    ++counters_.tickets;
  }
  HttpResponse ok;
  ok.body = grant.Dump(row.json);
  return ok;
}

}  // namespace lt::router
