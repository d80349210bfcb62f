#include "ledger/server.h"

#include <charconv>

#include "util/log.h"
#include "util/json.h"
#include "util/thread.h"

namespace lt::ledger {

using net::HttpRequest;
using net::HttpResponse;
using nlohmann::json;

namespace {

HttpResponse Ok(const json& j) { return HttpResponse::Json(200, j); }

// A typed view (or a list of them) in its one JSON form.
template <typename T>
json ViewJson(const T& v) {
  return v.ToJson();
}
template <typename T>
json ViewJson(const std::vector<T>& v) {
  json out = json::array();
  for (const auto& e : v) out.push_back(e.ToJson());
  return out;
}

template <typename T>
HttpResponse Reply(const Result<T>& r) {
  if (!r.ok()) return HttpResponse::FromError(r.error());
  return Ok(ViewJson(*r));
}

Result<uint64_t> QueryU64(const HttpRequest& req, const std::string& name, uint64_t dflt) {
  if (!req.HasQuery(name)) return dflt;
  std::string v = req.Query(name);
  uint64_t out = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) {
    return InvalidArgument("query parameter " + name + " must be a non-negative integer");
  }
  return out;
}

Result<json> ParseBody(const HttpRequest& req) { return ParseJsonChecked(req.body, "request body"); }

json SubmitJson(const SubmitResult& r) { return {{"index", r.index}, {"outcome", r.outcome.ToJson()}}; }

}  // namespace

LedgerServer::LedgerServer(Ledger& ledger, LedgerServerOptions options)
    : ledger_(ledger), options_(options), http_([&] {
        net::HttpServerOptions o;
        o.max_body_bytes = options.max_body_bytes;
        o.threads = options.threads;
        return o;
      }()) {
  Register();
}

LedgerServer::~LedgerServer() { Stop(); }

void LedgerServer::Register() {
  http_.Post("/tx", [this](const HttpRequest& req) {
    auto body = ParseBody(req);
    if (!body.ok()) return HttpResponse::FromError(body.error());
    auto stx = ParseSignedTx(*body, ledger_.domain());
    if (!stx.ok()) return HttpResponse::FromError(stx.error());
    auto r = ledger_.Submit(*stx);
    if (!r.ok()) return HttpResponse::FromError(r.error());
    return Ok(SubmitJson(*r));
  });
  http_.Post("/txs", [this](const HttpRequest& req) {
    auto body = ParseBody(req);
    if (!body.ok()) return HttpResponse::FromError(body.error());
    if (!body->is_object() || !body->value("txs", json()).is_array()) {
      return HttpResponse::FromError(InvalidArgument("expected {\"txs\": [...]}"));
    }
    const json& arr = (*body)["txs"];
    std::vector<SignedTx> txs;
    std::vector<json> results(arr.size());
    std::vector<size_t> where;
    for (size_t i = 0; i < arr.size(); ++i) {
      auto stx = ParseSignedTx(arr[i], ledger_.domain());
      if (!stx.ok()) {
        results[i] = {
            {"error", {{"code", ErrorCodeName(stx.error().code)}, {"message", stx.error().message}}}};
        continue;
      }
      txs.push_back(std::move(*stx));
      where.push_back(i);
    }
    auto rs = ledger_.SubmitMany(txs);
    for (size_t k = 0; k < rs.size(); ++k) {
      if (rs[k].ok()) {
        results[where[k]] = SubmitJson(*rs[k]);
      } else {
        results[where[k]] = {
            {"error", {{"code", ErrorCodeName(rs[k].error().code)}, {"message", rs[k].error().message}}}};
      }
    }
    return Ok({{"results", results}});
  });
  http_.Post("/close-day", [this](const HttpRequest&) {
    auto r = ledger_.CloseDays();
    if (!r.ok()) return HttpResponse::FromError(r.error());
    return Ok({{"closed", *r}});
  });
  http_.Get("/account/([^/]+)", [this](const HttpRequest& req) {
    auto a = crypto::ParseAddress(req.matches[1]);
    if (!a.ok()) return HttpResponse::FromError(a.error().Wrap("address"));
    auto info = ledger_.GetAccount(*a);
    if (!info.ok()) return HttpResponse::FromError(info.error());
    return Ok(AccountInfoToJson(*info));
  });
  http_.Get("/models", [this](const HttpRequest&) { return Reply(ledger_.GetModels()); });
  http_.Get("/models/(.+)",
            [this](const HttpRequest& req) { return Reply(ledger_.GetModel(req.matches[1])); });
  http_.Get("/providers", [this](const HttpRequest&) { return Reply(ledger_.GetProviders()); });
  http_.Get("/routers", [this](const HttpRequest&) { return Reply(ledger_.GetRouters()); });
  http_.Get("/day", [this](const HttpRequest&) { return Reply(ledger_.GetDay()); });
  http_.Get("/stats", [this](const HttpRequest&) { return Reply(ledger_.GetStats()); });
  http_.Get("/genesis", [this](const HttpRequest&) {
    auto g = ledger_.GetGenesis();
    if (!g.ok()) return HttpResponse::FromError(g.error());
    return Ok(GenesisToJson(*g));
  });
  http_.Get("/state", [this](const HttpRequest&) {
    auto s = ledger_.GetStateInfo();
    if (!s.ok()) return HttpResponse::FromError(s.error());
    return Ok({{"state_hash", HexEncode0x(s->state_hash)},
               {"invariant_ok", s->invariant_ok},
               {"invariant_error", s->invariant_error},
               {"tx_log_size", s->tx_log_size}});
  });
  http_.Get("/txs", [this](const HttpRequest& req) {
    auto from = QueryU64(req, "from", 0);
    if (!from.ok()) return HttpResponse::FromError(from.error());
    auto limit = QueryU64(req, "limit", 100);
    if (!limit.ok()) return HttpResponse::FromError(limit.error());
    uint64_t lim = std::min<uint64_t>(*limit, options_.max_txs_page);
    auto txs = ledger_.GetTxs(*from, lim);
    if (!txs.ok()) return HttpResponse::FromError(txs.error());
    json arr = json::array();
    for (const auto& e : *txs) arr.push_back(TxLogEntryToJson(e));
    json out = {{"from", *from}, {"txs", arr}};
    out["next"] = *from + txs->size();
    return Ok(out);
  });
  http_.Get("/health", [](const HttpRequest&) { return Ok({{"ok", true}}); }, net::Lane::kEventLoop);
}

Result<int> LedgerServer::Listen(const std::string& host, int port) { return http_.Listen(host, port); }

void LedgerServer::TickLoop() {
  std::unique_lock<std::mutex> lock(tick_mu_);
  while (!stopping_) {
    tick_cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms));
    if (stopping_) break;
    lock.unlock();
    auto r = ledger_.CloseDays();
    if (!r.ok()) LT_WARN("ledger: closing days failed: " << r.error().message);
    lock.lock();
  }
}

void LedgerServer::Run() {
  if (options_.tick_ms > 0 && !tick_thread_.joinable()) tick_thread_ = GuardedThread("ledger tick", [this] { TickLoop(); });
  http_.Run();
}

void LedgerServer::Start() {
  serve_thread_ = GuardedThread("ledger http", [this] { Run(); });
}

void LedgerServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(tick_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  tick_cv_.notify_all();
  http_.Stop();
  if (serve_thread_.joinable()) serve_thread_.join();
  if (tick_thread_.joinable()) tick_thread_.join();
}

}  // namespace lt::ledger
