// Router: renewal, receipts, settlement, announces and the read views (the rest of router.h).
#include <algorithm>

#include "ledger/client.h"
#include "registry/cid.h"
#include "router/router.h"
#include "util/log.h"
#include "util/json.h"
#include "wire/billing.h"
#include "util/thread.h"

namespace lt::router {

using nlohmann::json;
using net::HttpResponse;

namespace {

HttpResponse Err(int status, std::string_view code, const std::string& message) {
  return HttpResponse::ErrorJson(status, code, message);
}

U256 ReceiptCost(const wire::Ticket& t, const wire::Voucher& v) {
  return wire::SessionCost(t, v.seconds).value_or(U256::Max());
}

// The ledger could not decide (down, slow, a nonce race SignAndSubmit gave up on): keep pending.
bool Transient(const Error& e) {
  return e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kTimeout || e.code == ErrorCode::kInternal ||
         e.code == ErrorCode::kIo;
}

}  // namespace

// ---- Renewal -----------------------------------------------------------------------------------

HttpResponse Router::HandleRenew(const std::string& body) {
  json j = ParseJson(body);
  if (j.is_discarded()) return Err(400, "invalid_argument", "request body is not valid JSON");
  auto req = wire::RenewRequest::FromJson(j);
  if (!req.ok()) return HttpResponse::FromError(req.error());
  const wire::Ticket& old = req->ticket.ticket;
  auto rs = old.Recover(domain_, req->ticket.router_sig);
  if (old.router != address_ || !rs.ok() || *rs != address_) {
    return Err(403, "permission_denied", "the ticket was not issued by this router (" + address_.ToChecksumHex() + ")");
  }
  auto us = old.Recover(domain_, req->user_sig);
  if (!us.ok() || *us != old.user) {
    return Err(401, "unauthenticated", "userSignature is not by the ticket's user " + old.user.ToChecksumHex());
  }
  uint64_t now = clock_->NowSeconds();
  if (old.expires_at + 60 < now) {
    return Err(409, "expired", "the ticket expired at " + std::to_string(old.expires_at) + "; request a new one");
  }
  auto existing = store_->GetReceipt(old.session_id);
  if (existing.ok() && existing->has_value()) {
    return Err(409, "session_closed", "session " + HexEncode0x(old.session_id) + " already has a receipt");
  }
  auto account = Account(old.user);
  if (!account.ok()) return Err(503, "ledger_unavailable", account.error().message);
  if (account->vault.IsZero()) {
    return Err(402, "no_vault", "user " + old.user.ToChecksumHex() + " has no MOR in the vault");
  }
  wire::Ticket t = old;
  t.issued_at = now;
  t.expires_at = now + options_.ticket_ttl_s;
  {
    std::lock_guard<std::mutex> l(mu_);
    U256 cover;
    if (!ReserveCoverLocked(t, old.max_seconds, account->allowance_left.CheckedAdd(account->vault).value_or(U256::Max()),
                            &old.session_id, &cover)) {
      return Err(402, "insufficient_funds", "user " + old.user.ToChecksumHex() + " can no longer cover this session");
    }
    ++counters_.renewals;
  }
  std::string model = book_.ModelOf(t.manifest);
  if (auto row = store_->GetTicket(old.session_id); row.ok() && row->has_value()) model = (*row)->model;
  if (auto s = store_->PutTicket(TicketRow{t, model.empty() ? HexEncode0x(t.manifest) : model}); !s.ok()) {
    return Err(500, "io", "could not record the renewed ticket: " + s.error().message);
  }
  wire::TicketGrant grant;
  grant.ticket.ticket = t;
  grant.ticket.router_sig = t.Sign(key_, domain_);
  grant.model = model;
  auto offers = book_.Offers(t.manifest);
  for (const auto& o : offers) {
    if (o.provider != t.provider) continue;
    auto ep = ParseProviderEndpoint(o.endpoint);
    grant.endpoint = ep.ok() ? ep->session : o.endpoint;
  }
  return HttpResponse::Json(200, grant.ToJson());
}

// ---- Receipts ----------------------------------------------------------------------------------

HttpResponse Router::HandleReceipt(const std::string& body) {
  json j = ParseJson(body);
  if (j.is_discarded()) return Err(400, "invalid_argument", "request body is not valid JSON");
  auto rb = wire::Receipt::FromJson(j);
  if (!rb.ok()) return HttpResponse::FromError(rb.error());
  const wire::Ticket& t = rb->ticket.ticket;
  const wire::Voucher& v = rb->voucher.voucher;
  auto rs = t.Recover(domain_, rb->ticket.router_sig);
  if (!rs.ok() || *rs != t.router) {
    return Err(401, "unauthenticated", "ticket signature is not by the ticket's router " + t.router.ToChecksumHex());
  }
  if (t.router != address_) {
    // Only the signing router may settle (the ledger enforces it); the sender tries another.
    return Err(403, "permission_denied",
               "ticket was issued by router " + t.router.ToChecksumHex() + ", not this one (" + address_.ToChecksumHex() + ")");
  }
  if (v.session_id != t.session_id) return Err(400, "invalid_argument", "voucher.sessionId is not the ticket's sessionId");
  auto vs = v.Recover(domain_, rb->voucher.user_sig);
  if (!vs.ok() || *vs != t.user) {
    return Err(401, "unauthenticated", "voucher signature is not by the ticket's user " + t.user.ToChecksumHex());
  }
  // Only the ticket's provider posts its receipt: a user could otherwise post its own earliest
  // voucher first and have the session settled at it (wire/receipt.h).
  if (!wire::IsCountersignedByProvider(*rb, domain_)) {
    return Err(401, "unauthenticated",
               std::string(rb->provider_sig ? "providerSignature is not by" : "receipt has no providerSignature of") +
                   " the ticket's provider " + t.provider.ToChecksumHex() + " (only the provider posts its receipts)");
  }
  rb->provider_sig.reset();  // what is stored and settled is the receipt of the one form
  const wire::Receipt& r = *rb;
  U256 cost = ReceiptCost(t, v);
  uint64_t now = clock_->NowSeconds();
  auto inserted = store_->PutReceipt(r, cost, now);  // durable (fsynced) before the answer
  if (!inserted.ok()) return Err(500, "io", "could not store the receipt: " + inserted.error().message);
  if (!*inserted) {
    auto existing = store_->GetReceipt(t.session_id);
    std::string status = existing.ok() && existing->has_value() ? std::string(ReceiptStatusName((*existing)->status)) : "pending";
    std::lock_guard<std::mutex> l(mu_);
    ++counters_.receipt_duplicates;
    return HttpResponse::Json(200, {{"sessionId", HexEncode0x(t.session_id)}, {"status", status}, {"duplicate", true}});
  }
  AddExposure(t.user, t.session_id, cost, UINT64_MAX);
  if (v.tokens_out >= 16 && v.seconds > 0) {
    book_.RecordObservedTps(t.provider, t.manifest, static_cast<double>(v.tokens_out) / v.seconds);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    ++counters_.receipts;
  }
  if (++pending_ >= options_.settle_every_receipts) loop_cv_.notify_all();
  return HttpResponse::Json(200, {{"sessionId", HexEncode0x(t.session_id)},
                                  {"status", "pending"},
                                  {"cost", cost.ToDecimal()},
                                  {"duplicate", false}});
}

// ---- Settlement --------------------------------------------------------------------------------

Status Router::FinishSettled(const std::vector<ReceiptRow>& rows, const std::vector<bool>& by_us) {
  if (rows.empty()) return OkStatus();
  std::vector<SessionRecord> records;
  for (size_t k = 0; k < rows.size(); ++k) {
    const auto& r = rows[k].receipt;
    SessionRecord rec;
    rec.publish = by_us[k];
    rec.session_id = r.ticket.ticket.session_id;
    rec.manifest = r.ticket.ticket.manifest;
    rec.provider = r.ticket.ticket.provider;
    rec.started = r.ticket.ticket.issued_at;
    rec.seconds = std::min(r.voucher.voucher.seconds, r.ticket.ticket.max_seconds);
    rec.tokens_out = r.voucher.voucher.tokens_out;
    rec.ttft_ms = r.voucher.voucher.ttft_ms;
    auto t = store_->GetTicket(r.ticket.ticket.session_id);
    if (t.ok() && t->has_value()) rec.model = (*t)->model;
    if (rec.model.empty()) rec.model = book_.ModelOf(r.ticket.ticket.manifest);
    if (rec.model.empty()) rec.model = HexEncode0x(r.ticket.ticket.manifest);
    records.push_back(rec);
  }
  LT_TRY_STATUS(store_->MarkSettled(records, clock_->NowSeconds()));
  if (transparency_) {  // analytics, best effort, of the sessions this router settled
    std::vector<ReceiptRow> ours;
    std::vector<SessionRecord> published;
    for (size_t k = 0; k < rows.size(); ++k) {
      if (!records[k].publish) continue;
      ours.push_back(rows[k]);
      published.push_back(records[k]);
    }
    transparency_->OnSettled(ours, published, book_);
  }
  for (const auto& row : rows) DropExposure(row.receipt.ticket.ticket.session_id);
  pending_ -= std::min<uint64_t>(pending_, rows.size());
  std::lock_guard<std::mutex> l(mu_);
  counters_.settled += rows.size();
  return OkStatus();
}

Result<size_t> Router::SettleBatch(std::vector<ReceiptRow> rows) {
  ledger::Tx tx;
  tx.type = ledger::TxType::kSettleBatch;
  for (const auto& r : rows) tx.receipts.push_back(r.receipt);
  auto submitted = ledger::SignAndSubmit(ledger_, std::move(tx), key_);
  uint64_t now = clock_->NowSeconds();
  std::vector<ReceiptRow> settled;
  std::vector<bool> settled_by_us;
  size_t decided = 0;
  if (submitted.ok()) {
    {
      std::lock_guard<std::mutex> l(mu_);
      ++counters_.settle_batches;
    }
    const auto& outcomes = submitted->outcome.receipts;
    for (size_t i = 0; i < rows.size(); ++i) {
      const wire::SettleOutcome* o = i < outcomes.size() ? &outcomes[i] : nullptr;
      if (o != nullptr && wire::SettleDone(o->code)) {
        settled.push_back(rows[i]);
        settled_by_us.push_back(o->ok());
      } else {
        std::string err = o == nullptr ? "the ledger gave no outcome for this receipt"
                                        : std::string(wire::SettleCodeName(o->code)) + ": " + o->message;
        LT_WARN("router: receipt " << HexEncode0x(rows[i].receipt.ticket.ticket.session_id) << " refused: " << err);
        LT_TRY_STATUS(store_->MarkRefused(rows[i].receipt.ticket.ticket.session_id, err, now));
        DropExposure(rows[i].receipt.ticket.ticket.session_id);
        pending_ -= std::min<uint64_t>(pending_, 1);
        std::lock_guard<std::mutex> l(mu_);
        ++counters_.refused;
      }
      ++decided;
    }
    LT_TRY_STATUS(FinishSettled(settled, settled_by_us));
    return decided;
  }
  const Error& e = submitted.error();
  {
    std::lock_guard<std::mutex> l(mu_);
    ++counters_.settle_errors;
    last_settle_error_ = e.message;
  }
  if (Transient(e) || e.code == ErrorCode::kUnauthenticated) return e;  // keep them pending; retry later
  if (rows.size() > 1) {
    // The batch as a whole was refused (e.g. none of it could settle): decide each alone.
    for (auto& r : rows) {
      auto one = SettleBatch({r});
      if (!one.ok()) return one.error();
      decided += *one;
    }
    return decided;
  }
  // One receipt, refused as a whole (doc/ledger.md "settle_batch"): kAlreadyExists when its
  // session was settled before (by the provider, say), otherwise its reason is the message.
  if (e.code == ErrorCode::kAlreadyExists) {
    LT_TRY_STATUS(FinishSettled(rows, {false}));
    return size_t{1};
  }
  const std::string& reason = e.message;
  LT_WARN("router: receipt " << HexEncode0x(rows[0].receipt.ticket.ticket.session_id) << " refused: " << reason);
  LT_TRY_STATUS(store_->MarkRefused(rows[0].receipt.ticket.ticket.session_id, reason, now));
  DropExposure(rows[0].receipt.ticket.ticket.session_id);
  pending_ -= std::min<uint64_t>(pending_, 1);
  std::lock_guard<std::mutex> l(mu_);
  ++counters_.refused;
  return size_t{1};
}

Result<size_t> Router::SettleOnce() {
  std::lock_guard<std::mutex> l(settle_mu_);
  LT_TRY(auto rows, store_->Receipts(ReceiptStatus::kPending, options_.max_batch));
  if (rows.empty()) return size_t{0};
  auto decided = SettleBatch(std::move(rows));
  // Settled and refused receipts were scrubbed: do not let the WAL keep the old pages.
  (void)store_->CheckpointIfScrubbed(clock_->MonotonicMillis(), 1000);
  return decided;
}

void Router::SettleLoop() {
  std::unique_lock<std::mutex> l(loop_mu_);
  uint64_t backoff_ms = 0;
  while (!stop_) {
    uint64_t wait = backoff_ms > 0 ? backoff_ms : options_.settle_every_ms;
    loop_cv_.wait_for(l, std::chrono::milliseconds(wait),
                      [&] { return stop_ || (backoff_ms == 0 && pending_ >= options_.settle_every_receipts); });
    if (stop_) break;
    l.unlock();
    Result<size_t> r = MakeError(ErrorCode::kInternal, "settlement threw");
    CatchAll("router settlement round", [&] {
      r = SettleOnce();
      while (r.ok() && *r >= options_.max_batch) r = SettleOnce();
    });
    if (!r.ok()) {
      LT_WARN("router: settlement failed (will retry): " << r.error().message);
      backoff_ms = std::min<uint64_t>(std::max<uint64_t>(backoff_ms * 2, 500), options_.settle_every_ms);
    } else {
      backoff_ms = 0;
    }
    uint64_t now = clock_->NowSeconds();
    (void)store_->PruneNonces(now);
    (void)store_->PruneAnnounces(now);
    // Unused tickets once no receipt can come for them (renewal allows 60 s after expiry).
    uint64_t keep = std::max<uint64_t>(options_.receipt_grace_s, 60);
    if (now > keep) (void)store_->PruneTickets(now - keep);
    // Settled and refused receipts were scrubbed: do not let the WAL keep the old pages.
    (void)store_->CheckpointIfScrubbed(clock_->MonotonicMillis(), 1000);
    PruneMemory();
    l.lock();
  }
}

void Router::PruneMemory() {
  uint64_t now = clock_->NowSeconds();
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = nonces_.begin(); it != nonces_.end();) {
      std::erase_if(it->second, [now](const auto& e) { return e.second < now; });
      it = it->second.empty() ? nonces_.erase(it) : std::next(it);
    }
    std::erase_if(stored_nonces_, [now](const auto& e) { return e.second < now; });
  }
  book_.PruneAnnounces();
}

void Router::Start() {
  std::lock_guard<std::mutex> l(loop_mu_);
  if (loop_.joinable()) return;
  stop_ = false;
  loop_ = GuardedThread("router settlement", [this] { SettleLoop(); });
}

void Router::Stop() {
  {
    std::lock_guard<std::mutex> l(loop_mu_);
    stop_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

// ---- Announces and views -----------------------------------------------------------------------

HttpResponse Router::HandleAnnounce(const std::string& body) {
  json j = ParseJson(body);
  if (j.is_discarded()) return Err(400, "invalid_argument", "request body is not valid JSON");
  auto a = wire::SignedAnnounce::FromJson(j);
  if (!a.ok()) return HttpResponse::FromError(a.error());
  auto s = a->announce.Recover(domain_, a->signature);
  if (!s.ok() || *s != a->announce.provider) {
    return Err(401, "unauthenticated", "announce signature is not by " + a->announce.provider.ToChecksumHex());
  }
  uint64_t now = clock_->NowSeconds();
  if (a->announce.at + 300 < now || a->announce.at > now + 300) {
    return Err(409, "expired", "announce time " + std::to_string(a->announce.at) + " is not within 300 s of now");
  }
  const std::string& http = a->announce.http;
  if (!http.empty() && (http.rfind("http://", 0) != 0 || http.size() > 256)) {
    return Err(400, "invalid_argument", "announce.http must be an http:// URL of at most 256 characters");
  }
  std::vector<std::string> roots;
  size_t start = 0;
  const std::string& all = a->announce.roots;
  while (!all.empty() && start <= all.size()) {  // "a,,b" and "a," have an empty (invalid) CID
    size_t end = all.find(',', start);
    if (end == std::string::npos) end = all.size();
    std::string cid = all.substr(start, end - start);
    if (!registry::Cid::Parse(cid).ok()) return Err(400, "invalid_argument", "announce.roots: '" + cid.substr(0, 100) + "' is not a CID");
    roots.push_back(cid);
    if (roots.size() > 10000) return Err(413, "resource_exhausted", "announce.roots: more than 10000 roots");
    start = end + 1;
  }
  if (http.empty()) {
    // Without a URL the announcer must be known: registered on the ledger or announced before.
    if (auto f = book_.EnsureFresh(ledger_); !f.ok()) return Err(503, "ledger_unavailable", f.error().message);
    if (!book_.LivenessUrl(a->announce.provider).ok()) {
      return Err(403, "permission_denied",
                 "provider " + a->announce.provider.ToChecksumHex() + " is not registered on the ledger (announce an http URL)");
    }
  }
  if (!book_.HasAnnounced(a->announce.provider) && book_.Announcers() >= options_.max_announcers) {
    HttpResponse r = Err(429, "resource_exhausted", "this router tracks too many announcers; try again later");
    r.headers.emplace("Retry-After", "60");
    return r;
  }
  if (auto [held, fresh] = book_.RootCounts(a->announce.provider, roots);
      fresh > 0 && held + fresh > options_.max_announced_roots) {
    HttpResponse r = Err(429, "resource_exhausted",
                         "this router tracks too many announced roots (" + std::to_string(held) + " of at most " +
                             std::to_string(options_.max_announced_roots) + "); try again later");
    r.headers.emplace("Retry-After", "60");
    return r;
  }
  uint64_t expires_at = a->announce.at + options_.announce_ttl_s;
  if (auto st = store_->PutAnnounce(a->announce.provider, http, roots, expires_at, options_.max_roots_per_announcer);
      !st.ok()) {
    return Err(500, "io", "could not record the announce: " + st.error().message);
  }
  book_.Announce(a->announce.provider, http, roots, expires_at, options_.max_roots_per_announcer);
  return HttpResponse::Json(200, {{"ok", true}, {"roots", roots.size()}, {"expiresAt", expires_at}});
}

HttpResponse Router::Providers() {
  if (auto f = book_.EnsureFresh(ledger_); !f.ok()) return Err(503, "ledger_unavailable", f.error().message);
  return HttpResponse::Json(200, wire::ProvidersToJson(book_.View()));
}

HttpResponse Router::Holders(const std::string& cid) {
  if (!registry::Cid::Parse(cid).ok()) return Err(400, "invalid_argument", "'" + cid.substr(0, 100) + "' is not a CID");
  json holders = json::array();
  for (const auto& h : book_.Holders(cid)) holders.push_back(h.ToJson());
  return HttpResponse::Json(200, {{"cid", cid}, {"holders", holders}});
}

HttpResponse Router::Health() {
  return HttpResponse::Json(200, {{"ok", true}, {"router", address_.ToChecksumHex()}, {"domain", domain_.ToJson()}});
}

HttpResponse Router::Stats() {
  auto pending = store_->CountReceipts(ReceiptStatus::kPending);
  auto settled = store_->CountReceipts(ReceiptStatus::kSettled);
  auto refused = store_->CountReceipts(ReceiptStatus::kRefused);
  std::lock_guard<std::mutex> l(mu_);
  const Counters& c = counters_;
  json unmet = json::object();
  for (const auto& [m, reasons] : c.unmet) unmet[m] = reasons;
  return HttpResponse::Json(
      200, {{"router", address_.ToChecksumHex()},
            {"rfcs", c.rfcs},
            {"tickets", c.tickets},
            {"renewals", c.renewals},
            {"rejected", c.rejected},
            {"unmet", unmet},
            {"liveness", {{"checks", c.liveness_checks}, {"failures", c.liveness_failures}}},
            {"queue", {{"active", gate_.active()}, {"waiting", gate_.waiting()}, {"shed", gate_.shed_count()}}},
            {"receipts",
             {{"received", c.receipts},
              {"duplicates", c.receipt_duplicates},
              {"pending", pending.ok() ? *pending : 0},
              {"settled", settled.ok() ? *settled : 0},
              {"refused", refused.ok() ? *refused : 0}}},
            {"settled", c.settled},
            {"settle_batches", c.settle_batches},
            {"settle_errors", c.settle_errors},
            {"last_settle_error", last_settle_error_}});
}

HttpResponse Router::ReceiptsView(const std::string& status, uint64_t limit) {
  ReceiptStatus st;
  if (status == "pending") st = ReceiptStatus::kPending;
  else if (status == "settled") st = ReceiptStatus::kSettled;
  else if (status == "refused") st = ReceiptStatus::kRefused;
  else return Err(400, "invalid_argument", "status must be pending, settled or refused");
  auto rows = store_->Receipts(st, std::min<uint64_t>(limit, 1000));
  if (!rows.ok()) return HttpResponse::FromError(rows.error());
  json out = json::array();
  for (const auto& r : *rows) {
    // Settled and refused receipts are scrubbed: only the session id is left of them.
    json j = r.scrubbed ? json{{"sessionId", HexEncode0x(r.receipt.ticket.ticket.session_id)}} : r.receipt.ToJson();
    j["status"] = ReceiptStatusName(r.status);
    j["reason"] = r.reason;
    j["cost"] = r.cost.ToDecimal();
    j["receivedAt"] = r.received_at;
    j["updatedAt"] = r.updated_at;
    out.push_back(j);
  }
  return HttpResponse::Json(200, {{"status", status}, {"receipts", out}});
}

HttpResponse Router::RecordsView(uint64_t since, uint64_t limit) {
  auto rows = store_->Records(since, std::min<uint64_t>(limit, 1000));
  if (!rows.ok()) return HttpResponse::FromError(rows.error());
  json out = json::array();
  uint64_t next = since;
  for (const auto& r : *rows) {
    out.push_back(SessionRecordToJson(r));
    next = r.seq;
  }
  return HttpResponse::Json(200, {{"since", since}, {"next", next}, {"records", out}});
}

}  // namespace lt::router
