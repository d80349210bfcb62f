#include "router/liveness.h"

#include "wire/json_text.h"
#include "wire/router_api.h"
#include "util/json.h"

namespace lt::router {

using nlohmann::json;

Result<PongReply> ParsePongReply(const std::string& body) {
  json j = ParseJson(body);
  if (j.is_discarded() || !j.is_object() || !j.contains("pong") || !j.contains("signature") ||
      !j["signature"].is_string()) {
    return InvalidArgument("liveness answer is not {\"pong\":{...},\"signature\":\"0x..\"}");
  }
  PongReply r;
  LT_TRY(r.pong, wire::FromJson<wire::Pong>(j["pong"], "pong"));
  LT_TRY(r.signature, crypto::ParseSignature(j["signature"].get<std::string>()));
  return r;
}

namespace {

// The plain form of a batch with n well-formed entries (wire/json_text.h); false for anything
// else, which the strict parser below then decides.
bool ReadPlainPongBatch(std::string_view body, size_t n, std::vector<Result<PongReply>>* out) {
  wire::json_text::Reader r(body);
  std::vector<Result<PongReply>> got;
  got.reserve(n);
  bool have_list = false;
  bool plain = r.Object([&](std::string_view key) {
    if (key != "pongs" || have_list) return false;
    have_list = true;
    return r.Array([&] {
      if (got.size() >= n) return false;
      PongReply reply;
      bool have_pong = false, have_sig = false;
      bool entry = r.Object([&](std::string_view k) {
        if (k == "pong" && !have_pong) return have_pong = true, wire::json_text::ReadMessage(r, &reply.pong);
        if (k == "signature" && !have_sig) return have_sig = true, wire::json_text::ReadSignature(r, &reply.signature);
        return false;
      });
      if (!entry || !have_pong || !have_sig) return false;
      got.emplace_back(reply);
      return true;
    });
  });
  if (!plain || !have_list || got.size() != n || !r.AtEnd()) return false;
  *out = std::move(got);
  return true;
}

}  // namespace

std::vector<Result<PongReply>> ParsePongBatch(const std::string& body, size_t n) {
  std::vector<Result<PongReply>> plain;
  if (ReadPlainPongBatch(body, n, &plain)) return plain;
  return ParsePongBatchStrict(body, n);
}

std::vector<Result<PongReply>> ParsePongBatchStrict(const std::string& body, size_t n) {
  json j = ParseJson(body);
  if (j.is_discarded() || !j.is_object() || !j.contains("pongs") || !j["pongs"].is_array() || j["pongs"].size() != n) {
    Error e = InvalidArgument("batched liveness answer is not {\"pongs\":[...]} with " + std::to_string(n) + " entries");
    return std::vector<Result<PongReply>>(n, Result<PongReply>(e));
  }
  std::vector<Result<PongReply>> out;
  out.reserve(n);
  for (const json& e : j["pongs"]) {
    if (!e.is_object() || !e.contains("pong") || !e.contains("signature") || !e["signature"].is_string()) {
      out.emplace_back(InvalidArgument("liveness answer is not {\"pong\":{...},\"signature\":\"0x..\"}"));
      continue;
    }
    auto pong = wire::FromJson<wire::Pong>(e["pong"], "pong");
    auto sig = pong.ok() ? crypto::ParseSignature(e["signature"].get<std::string>()) : Result<crypto::Signature>(pong.error());
    if (!sig.ok()) {
      out.emplace_back(sig.error());
      continue;
    }
    out.emplace_back(PongReply{*pong, *sig});
  }
  return out;
}

uint64_t HttpProber::requests() const {
  std::lock_guard<std::mutex> l(mu_);
  return requests_;
}

uint64_t HttpProber::challenges() const {
  std::lock_guard<std::mutex> l(mu_);
  return challenges_;
}

Result<PongReply> HttpProber::Ping(const std::string& base_url, const Hash32& challenge) {
  auto me = std::make_shared<Waiter>();
  me->challenge = challenge;
  std::unique_lock<std::mutex> l(mu_);
  auto& slot = providers_[base_url];
  if (!slot) slot = std::make_unique<Provider>();
  Provider& p = *slot;
  p.pending.push_back(me);
  while (!me->result) {
    if (p.in_flight >= kMaxInFlightPerUrl || p.pending.empty()) {
      me->cv.wait(l);
      continue;
    }
    // Lead a request for the oldest waiting challenges (this one among them or not).
    std::vector<std::shared_ptr<Waiter>> batch;
    while (!p.pending.empty() && batch.size() < wire::kMaxPingChallenges) {
      batch.push_back(std::move(p.pending.front()));
      p.pending.pop_front();
    }
    ++p.in_flight;
    ++requests_;
    challenges_ += batch.size();
    l.unlock();
    std::vector<Hash32> challenges;
    challenges.reserve(batch.size());
    for (const auto& w : batch) challenges.push_back(w->challenge);
    std::vector<Result<PongReply>> results = Send(base_url, p, challenges);
    l.lock();
    --p.in_flight;
    for (size_t k = 0; k < batch.size(); ++k) batch[k]->result = std::move(results[k]);
    // A request slot is free: the oldest waiting check leads the next one.
    std::shared_ptr<Waiter> next = p.pending.empty() ? nullptr : p.pending.front();
    l.unlock();
    // Woken after the unlock, so a woken check does not at once block on mu_ again (a second
    // sleep and wake-up per check); the shared_ptrs keep each waiter alive until then.
    for (const auto& w : batch) {
      if (w != me) w->cv.notify_one();
    }
    if (next) next->cv.notify_one();
    l.lock();
  }
  return std::move(*me->result);
}

Result<net::HttpClientResponse> HttpProber::Request(const std::string& base_url, Provider& p, bool post,
                                                   const std::string& what) {
  std::unique_ptr<net::HttpClient> client;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!p.idle.empty()) {
      client = std::move(p.idle.back());
      p.idle.pop_back();
    }
  }
  if (!client) {
    net::HttpClientOptions o;
    o.connect_timeout_ms = timeout_ms_;
    o.read_timeout_ms = timeout_ms_;
    o.write_timeout_ms = timeout_ms_;
    LT_TRY(auto c, net::HttpClient::Create(base_url, o));
    client = std::make_unique<net::HttpClient>(std::move(c));
  }
  auto r = post ? client->Post("/ping", what) : client->Get("/ping?challenge=" + what);
  if (!r.ok()) return r.error();  // the client is dropped: its connection may be broken
  std::lock_guard<std::mutex> l(mu_);
  if (p.idle.size() < kMaxIdlePerUrl) p.idle.push_back(std::move(client));
  return r;
}

std::vector<Result<PongReply>> HttpProber::Send(const std::string& base_url, Provider& p,
                                                const std::vector<Hash32>& challenges) {
  bool batch_refused;
  {
    std::lock_guard<std::mutex> l(mu_);
    batch_refused = p.batch_refused;
  }
  auto not_ok = [&](int status) {
    return MakeError(ErrorCode::kUnavailable, "liveness " + base_url + " answered HTTP " + std::to_string(status));
  };
  if (!batch_refused) {  // one challenge too: the batch answer is read without a JSON tree
    auto r = Request(base_url, p, true, wire::PingChallengesBody(challenges));
    if (!r.ok()) return std::vector<Result<PongReply>>(challenges.size(), Result<PongReply>(r.error()));
    if (r->status == 200) return ParsePongBatch(r->body, challenges.size());
    if (r->status != 404 && r->status != 405) {
      return std::vector<Result<PongReply>>(challenges.size(), Result<PongReply>(not_ok(r->status)));
    }
    std::lock_guard<std::mutex> l(mu_);
    p.batch_refused = true;  // an older provider: one GET per challenge from now on
  }
  std::vector<Result<PongReply>> out;
  out.reserve(challenges.size());
  for (const auto& c : challenges) {
    auto r = Request(base_url, p, false, HexEncode0x(c));
    if (!r.ok()) {
      out.emplace_back(r.error());
    } else if (r->status != 200) {
      out.emplace_back(not_ok(r->status));
    } else {
      out.push_back(ParsePongReply(r->body));
    }
  }
  return out;
}

}  // namespace lt::router
