#include "client/session_pool.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "ledger/client.h"
#include "net/http.h"
#include "openai/completion_request.h"
#include "openai/response.h"
#include "util/log.h"
#include "util/json.h"
#include "util/thread.h"

namespace lt::client {

using nlohmann::json;

std::string Preferences::Key() const {
  return max_price_per_second.ToDecimal() + "/" + std::to_string(max_latency_ms) + "/" +
         std::to_string(min_tps) + "/" + std::to_string(want_seconds);
}

SessionPool::SessionPool(PoolOptions options, const crypto::PrivateKey& user, const wire::Domain& domain)
    : options_(std::move(options)), routers_(options_.routers), user_(user), user_address_(user.GetAddress()), domain_(domain) {}

SessionPool::~SessionPool() {
  stop_ = true;
  janitor_cv_.notify_all();
  if (janitor_.joinable()) janitor_.join();
  CloseAll();
}

void SessionPool::Start() {
  janitor_ = GuardedThread("session janitor", [this] {
    std::unique_lock<std::mutex> l(janitor_mu_);
    while (!stop_) {
      janitor_cv_.wait_for(l, std::chrono::seconds(1));
      if (stop_) break;
      l.unlock();
      CatchAll("session janitor round", [this] { Tick(); });
      l.lock();
    }
  });
}

uint64_t SessionPool::NowMs() const { return SystemClock::Default()->MonotonicMillis(); }

std::shared_ptr<SessionPool::Entry> SessionPool::GetEntry(const std::string& key) {
  std::lock_guard<std::mutex> l(mu_);
  auto& e = entries_[key];
  if (!e) e = std::make_shared<Entry>();
  return e;
}

namespace {

// A router's refusal (its HTTP status and error code; `msg` names the router) as an OpenAI error.
ClientError RouterError(int status, const std::string& code, const std::string& msg) {
  ClientError e;
  e.code = code.empty() ? "router_error" : code;
  e.message = msg;
  if (status == 404) {
    e = {404, "invalid_request_error", "model_not_found", msg};
  } else if (status == 402) {
    e.status = 402;
    e.type = "insufficient_quota";
    e.message = msg + " (deposit MOR into your vault: lt deposit)";
  } else if (status == 409 && (code == "too_expensive" || code == "too_slow")) {
    e.status = 409;
    e.type = "invalid_request_error";
    e.message = msg + " (raise --max-price / lt_max_price or lower --min-tps / lt_min_tps)";
  } else if (status == 409 && code == "min_seconds_too_long") {
    e.status = 409;
    e.type = "invalid_request_error";
    e.message = msg + " (every offer bills a longer minimum session: raise --want-seconds / lt_want_seconds)";
  } else if (status == 400) {
    // What the router found malformed came from the request: a model name such as "x" or
    // "ACME/x", a zero price or seconds. A 502 here told OpenAI clients to retry it.
    e.status = 400;
    e.type = "invalid_request_error";
  } else if (status == 429) {
    e.status = 429;
    e.type = "rate_limit_error";
  } else if (status == 503) {
    e.status = 503;
  } else {
    e.status = 502;  // our RFC was refused (signature, nonce...): a client-side fault to report
  }
  return e;
}

}  // namespace

// Usage after a failover (doc/client.md "Usage"): completion_tokens counts every token of the
// text the user got, those streamed by failed providers (one per chunk) and the answering
// provider's own; prompt_tokens is what the answering provider read.
void AddFailedChunks(json* usage, uint32_t chunks) {
  if (chunks == 0) return;
  openai::Usage u = openai::Usage::FromJson(*usage);
  u.completion_tokens += chunks;
  *usage = u.ToJson();
}

// The request that continues an answer after `streamed` (chunks) was already given to the
// user: the text is appended (as an assistant message, or to a completion's prompt) and the
// token budget reduced. False when the budget is spent: the answer is complete ("length").
bool ContinuationRequest(const json& request, const std::optional<int64_t>& max_tokens, const std::string& streamed,
                  uint32_t chunks, json* out) {
  *out = request;
  if (streamed.empty()) return true;
  if (max_tokens) {
    int64_t left = *max_tokens - static_cast<int64_t>(chunks);
    if (left <= 0) return false;
    (*out)["max_tokens"] = left;
    out->erase("max_completion_tokens");
  }
  if (openai::IsCompletionBody(request)) {
    (*out)["prompt"] = (request["prompt"].is_array() && !request["prompt"].empty() ? request["prompt"][0]
                                                                                    : request["prompt"])
                           .get<std::string>() +
                       streamed;
  } else {
    (*out)["messages"].push_back({{"role", "assistant"}, {"content", streamed}});
  }
  return true;
}


Status CheckTicketForRfc(const wire::Ticket& t, const wire::Rfc& rfc) {
  if (t.user != rfc.user) return InvalidArgument("the ticket is for " + t.user.ToChecksumHex() + ", not for us");
  if (t.price_per_second > rfc.max_price_per_second) {
    return InvalidArgument("the ticket's price " + t.price_per_second.ToDecimal() + " per second exceeds the " +
                           rfc.max_price_per_second.ToDecimal() + " we asked for");
  }
  if (t.min_seconds > rfc.want_seconds) {
    return InvalidArgument("the ticket's minimum of " + std::to_string(t.min_seconds) + " s exceeds the " +
                           std::to_string(rfc.want_seconds) + " s we asked for");
  }
  if (t.min_seconds > t.max_seconds) {
    return InvalidArgument("the ticket's minSeconds " + std::to_string(t.min_seconds) + " exceeds its maxSeconds " +
                           std::to_string(t.max_seconds));
  }
  return OkStatus();
}

bool SessionPool::RequestTicket(const std::string& model, const Preferences& prefs,
                                const std::set<std::string>& excluded, wire::TicketGrant* grant, ClientError* err) {
  wire::Rfc rfc;
  rfc.user = user_address_;
  rfc.model = model;
  rfc.max_price_per_second = prefs.max_price_per_second;
  rfc.min_tps = prefs.min_tps;
  rfc.max_latency_ms = prefs.max_latency_ms;
  rfc.want_seconds = prefs.want_seconds;
  for (const auto& p : excluded) {
    auto a = crypto::ParseAddress(p);
    if (a.ok() && rfc.exclude_providers.size() < wire::kMaxAddressList) rfc.exclude_providers.push_back(*a);
  }
  rfc.nonce = SecureRandom::Default()->NextU64() >> 1;
  rfc.expires_at = SystemClock::Default()->NowSeconds() + 60;
  rpc::RouterFailure failure;
  auto g = routers_.RequestTicket(
      wire::RfcRequest::Make(rfc, user_, domain_),
      [&](const wire::TicketGrant& grant) -> lt::Status {
        auto bad = CheckTicketForRfc(grant.ticket.ticket, rfc);
        if (!bad.ok()) LT_WARN("client: refused a ticket from a router: " << bad.error().message);
        return bad;
      },
      &failure);
  if (g.ok()) {
    *grant = std::move(*g);
    return true;
  }
  if (failure.http_status == 0) {
    *err = {503, "server_error", "routers_unavailable", failure.message};
  } else if (failure.code == "bad_answer") {
    *err = {502, "server_error", "bad_ticket", failure.message};
  } else {
    *err = RouterError(failure.http_status, failure.code, failure.message);
  }
  return false;
}

bool SessionPool::RenewTicket(const wire::TicketGrant& old, wire::TicketGrant* fresh) {
  auto g = routers_.Renew(wire::RenewRequest::Make(old.ticket, user_, domain_));
  if (!g.ok()) return false;
  *fresh = std::move(*g);
  if (fresh->endpoint.empty()) fresh->endpoint = old.endpoint;
  return true;
}

bool SessionPool::Ensure(Entry& e, const std::string& model, const Preferences& prefs,
                         std::set<std::string>& excluded, std::shared_ptr<SessionClient>* session,
                         wire::TicketGrant* grant, ClientError* err) {
  std::lock_guard<std::mutex> l(e.open_mu);
  if (e.session && e.session->open() && !excluded.count(e.grant.ticket.ticket.provider.ToChecksumHex())) {
    uint64_t age_s = (NowMs() - e.opened_ms) / 1000;
    if (age_s + 15 < e.grant.ticket.ticket.max_seconds) {
      *session = e.session;
      *grant = e.grant;
      return true;
    }
    LT_INFO("client: session with " << e.grant.ticket.ticket.provider.ToChecksumHex() << " nears its "
                                    << e.grant.ticket.ticket.max_seconds << " s; opening a new one");
  }
  if (e.session) {
    if (e.in_flight == 0) (void)e.session->Close();
    e.session.reset();
  }
  for (int attempt = 0; attempt < 4; ++attempt) {
    wire::TicketGrant g;
    if (!RequestTicket(model, prefs, excluded, &g, err)) return false;
    std::string provider = g.ticket.ticket.provider.ToChecksumHex();
    if (excluded.count(provider)) {
      LT_WARN("client: router offered the failed provider " << provider << " again; asking again");
      continue;
    }
    auto hp = net::ParseHostPort(g.endpoint);
    if (!hp.ok()) {
      excluded.insert(provider);
      *err = {502, "server_error", "bad_endpoint",
              "provider endpoint " + g.endpoint + ": " + hp.error().message};
      continue;
    }
    auto s = SessionClient::Connect(hp->first, hp->second, domain_, g.ticket, user_);
    if (!s.ok()) {
      LT_WARN("client: provider " << provider << " at " << g.endpoint
                                  << " refused the session: " << s.error().message);
      excluded.insert(provider);
      *err = {503, "server_error", "provider_unavailable", "provider " + provider + ": " + s.error().message};
      continue;
    }
    LT_INFO("client: session " << HexEncode0x(g.ticket.ticket.session_id).substr(0, 10) << " with "
                               << provider << " for " << g.model << " at "
                               << g.ticket.ticket.price_per_second.ToMor() << " MOR/s, up to "
                               << g.ticket.ticket.max_seconds << " s");
    e.session = std::shared_ptr<SessionClient>(std::move(*s));
    e.grant = g;
    e.opened_ms = NowMs();
    e.last_used_ms = e.opened_ms;
    *session = e.session;
    *grant = g;
    return true;
  }
  if (err->code == "internal") *err = {503, "server_error", "no_provider", "no provider could be reached"};
  return false;
}

bool SessionPool::Prepare(const std::string& model, const Preferences& prefs, ClientError* err) {
  auto e = GetEntry(model + "|" + prefs.Key());
  std::set<std::string> excluded;
  std::shared_ptr<SessionClient> s;
  wire::TicketGrant g;
  return Ensure(*e, model, prefs, excluded, &s, &g, err);
}

bool SessionPool::Chat(const std::string& model, const json& request, const Preferences& prefs,
                       const std::function<bool(std::string_view)>& on_delta, ChatOutcome* out,
                       ClientError* err) {
  auto e = GetEntry(model + "|" + prefs.Key());
  std::set<std::string> excluded;
  std::string streamed;  // text already handed to on_delta
  uint32_t streamed_chunks = 0;
  std::optional<int64_t> max_tokens;  // the token budget the caller's request set (checked before)
  {
    openai::ChatRequest checked;
    openai::ApiError bad;
    if (openai::ParseAnyRequest(request, &checked, &bad)) max_tokens = checked.max_tokens;
  }
  ChatTimeouts timeouts;
  timeouts.inactivity_ms = std::max(0, options_.request_timeout_seconds) * 1000;
  timeouts.first_token_ms = options_.first_token_timeout_seconds > 0 ? options_.first_token_timeout_seconds * 1000
                                                                     : timeouts.inactivity_ms;
  std::optional<ClientError> timed_out;  // set when a provider stalled during this request
  uint32_t failed_chunks = 0;            // tokens streamed by providers that then failed
  std::string last_provider, last_model;
  for (int attempt = 0; attempt <= options_.max_failovers; ++attempt) {
    json req;
    if (!ContinuationRequest(request, max_tokens, streamed, streamed_chunks, &req)) {
      // The failed providers already streamed the whole budget: the answer is complete.
      out->result = ChatResult();
      out->result.text = streamed;
      out->result.finish_reason = "length";
      out->result.chunks = streamed_chunks;
      out->result.usage = json::object();
      AddFailedChunks(&out->result.usage, failed_chunks);
      out->provider = last_provider;
      out->model = last_model;
      out->failovers = attempt;
      return true;
    }
    std::shared_ptr<SessionClient> session;
    wire::TicketGrant grant;
    if (!Ensure(*e, model, prefs, excluded, &session, &grant, err)) {
      // No other provider after a stall: the stall is the answer (504), not the router's refusal.
      if (timed_out && err->status >= 500) *err = *timed_out;
      return false;
    }
    {
      std::lock_guard<std::mutex> l(e->open_mu);
      ++e->in_flight;
    }
    uint32_t chunks_before = streamed_chunks;
    std::function<bool(std::string_view)> cb;
    if (on_delta) {
      cb = [&](std::string_view d) {
        streamed += d;
        ++streamed_chunks;
        return on_delta(d);
      };
    }
    auto r = session->Chat(req, cb, timeouts);
    {
      std::lock_guard<std::mutex> l(e->open_mu);
      --e->in_flight;
      e->last_used_ms = NowMs();
    }
    std::string provider = grant.ticket.ticket.provider.ToChecksumHex();
    last_provider = provider;
    last_model = grant.model;
    if (r.ok()) {
      out->result = std::move(*r);
      if (on_delta) out->result.text = streamed;
      AddFailedChunks(&out->result.usage, failed_chunks);
      out->provider = provider;
      out->model = grant.model;
      out->failovers = attempt;
      return true;
    }
    const Error& x = r.error();
    if (session->open() && x.code == ErrorCode::kInvalidArgument) {
      // The request itself is invalid: another provider would refuse it too.
      *err = {400, "invalid_request_error", "invalid_request", x.message};
      return false;
    }
    if (session->open()) {
      // The provider failed this request (its backend is down, its slots are full...): the session
      // is closed (the seconds of errors only are not signed for: doc/client.md "Money rules") and
      // the request goes to another provider, which the next RFC asks for by excluding this one.
      LT_WARN("client: provider " << provider << " failed a request (" << x.message << "); failing over");
      excluded.insert(provider);
      {
        std::lock_guard<std::mutex> l(e->open_mu);
        if (e->session == session) e->session.reset();
      }
      (void)session->Close();
      *err = x.code == ErrorCode::kResourceExhausted
                 ? ClientError{429, "rate_limit_error", "provider_busy", "provider " + provider + ": " + x.message}
                 : ClientError{502, "server_error", "provider_error", "provider " + provider + ": " + x.message};
      failed_chunks += streamed_chunks - chunks_before;
      continue;
    }
    failed_chunks += streamed_chunks - chunks_before;
    bool stalled = x.code == ErrorCode::kTimeout;  // Chat closed the session (ChatTimeouts)
    LT_WARN("client: provider " << provider << (stalled ? " stopped answering (" : " failed during a request (")
                                << r.error().message << (stalled ? "; session closed" : "") << "); failing over"
                                << (streamed.empty() ? "" : ", continuing the streamed answer"));
    excluded.insert(provider);
    if (stalled) {
      timed_out = ClientError{504, "server_error", "provider_timeout",
                              "provider " + provider + " stopped answering: " + r.error().message};
      *err = *timed_out;
    } else {
      *err = {503, "server_error", "provider_failed", "provider " + provider + " failed: " + r.error().message};
    }
  }
  return false;
}

void SessionPool::CloseAll() {
  std::map<std::string, std::shared_ptr<Entry>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    all = entries_;
  }
  for (auto& [k, e] : all) {
    std::lock_guard<std::mutex> l(e->open_mu);
    if (e->session) (void)e->session->Close();
    e->session.reset();
  }
}

int SessionPool::Tick() {
  std::map<std::string, std::shared_ptr<Entry>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    all = entries_;
  }
  int closed = 0;
  uint64_t now = NowMs();
  uint64_t now_s = SystemClock::Default()->NowSeconds();
  for (auto& [k, e] : all) {
    std::unique_lock<std::mutex> l(e->open_mu);
    if (!e->session) continue;
    if (!e->session->open()) {
      e->session.reset();
      continue;
    }
    if (e->in_flight == 0 && now - e->last_used_ms >= static_cast<uint64_t>(options_.idle_seconds) * 1000) {
      auto v = e->session->Close();
      LT_INFO("client: closed the idle session with "
              << e->grant.ticket.ticket.provider.ToChecksumHex() << " after "
              << (v.ok() ? std::to_string(v->voucher.seconds) : "?") << " s (final voucher sent)");
      e->session.reset();
      ++closed;
      continue;
    }
    // Renew when less than min(120 s, half the ticket's life) is left.
    const auto& t = e->grant.ticket.ticket;
    uint64_t margin =
        std::min<uint64_t>(120, (t.expires_at > t.issued_at ? t.expires_at - t.issued_at : 0) / 2);
    if (t.expires_at < now_s + margin) {
      wire::TicketGrant fresh;
      if (RenewTicket(e->grant, &fresh) && e->session->Renew(fresh.ticket).ok()) {
        e->grant = fresh;
        LT_INFO("client: renewed the ticket of session "
                << HexEncode0x(fresh.ticket.ticket.session_id).substr(0, 10) << " until "
                << fresh.ticket.ticket.expires_at);
      }
    }
  }
  return closed;
}

json SessionPool::Status() {
  std::map<std::string, std::shared_ptr<Entry>> all;
  {
    std::lock_guard<std::mutex> l(mu_);
    all = entries_;
  }
  json list = json::array();
  uint64_t now = NowMs();
  for (auto& [k, e] : all) {
    std::lock_guard<std::mutex> l(e->open_mu);
    if (!e->session || !e->session->open()) continue;
    list.push_back({{"model", e->grant.model},
                    {"provider", e->grant.ticket.ticket.provider.ToChecksumHex()},
                    {"sessionId", HexEncode0x(e->grant.ticket.ticket.session_id)},
                    {"seconds", (now - e->opened_ms) / 1000},
                    {"maxSeconds", e->grant.ticket.ticket.max_seconds},
                    {"idleSeconds", (now - e->last_used_ms) / 1000},
                    {"inFlight", e->in_flight}});
  }
  return {{"sessions", list}};
}

Result<std::vector<std::string>> SessionPool::LiveModels() {
  LT_TRY(auto ledger, ledger::RemoteLedger::Connect(options_.ledger));
  LT_TRY(auto providers, ledger->GetProviders());
  LT_TRY(auto models, ledger->GetModels());
  std::set<crypto::Address> banned;
  for (const auto& view : routers_.Providers()) {
    if (!view.answer.ok()) continue;
    for (const auto& p : *view.answer) {
      if (p.banned_ms > 0) banned.insert(p.address);
    }
  }
  std::set<Hash32> live;
  for (const auto& p : providers) {
    if (banned.count(p.address)) continue;
    for (const auto& o : p.offers) {
      if (o.slots > 0) live.insert(o.manifest);
    }
  }
  std::vector<std::string> out;
  for (const auto& m : models) {
    for (const auto& [tag, manifest] : m.tags) {
      if (live.count(manifest)) out.push_back(m.name + ":" + tag);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string SessionPool::AllowanceWarning() {
  std::lock_guard<std::mutex> l(warn_mu_);
  uint64_t now = NowMs();
  if (warn_checked_ms_ != 0 && now - warn_checked_ms_ < 5000) return warn_text_;
  warn_checked_ms_ = now;
  auto ledger = ledger::RemoteLedger::Connect(options_.ledger);
  if (!ledger.ok()) return warn_text_;
  auto a = (*ledger)->GetAccount(user_address_);
  if (!a.ok()) return warn_text_;
  std::string text;
  if (a->allowance_left.IsZero() && a->vault.IsZero()) {
    text = "allowance and vault are empty: deposit MOR into the vault (lt deposit) to keep using the network";
  } else if (a->allowance_total.IsZero() ||
             a->allowance_left.CheckedMul(U256(10)).value_or(a->allowance_total) < a->allowance_total) {
    text = "allowance low: " + a->allowance_left.ToMor() + " of " + a->allowance_total.ToMor() +
           " MOR left today; further use is paid from the vault (" + a->vault.ToMor() + " MOR)";
  }
  if (text != warn_text_ && !text.empty()) LT_WARN("client: " << text);
  warn_text_ = text;
  return warn_text_;
}

}  // namespace lt::client
