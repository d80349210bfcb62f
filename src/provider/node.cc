#include "provider/node.h"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <thread>

#include "net/http.h"
#include "provider/backend.h"
#include "provider/ledger_link.h"
#include "provider/model_source.h"
#include "provider/receipts.h"
#include "rpc/router_client.h"
#include "provider/registration.h"
#include "provider/staked_routers.h"
#include "provider/upstream_health.h"
#include "provider/server.h"
#include "util/fs.h"
#include "util/log.h"
#include "wire/json_text.h"
#include "wire/messages.h"
#include "wire/router_api.h"
#include "util/json.h"
#include "util/thread.h"

namespace lt::provider {

using nlohmann::json;

Result<std::unique_ptr<Backend>> MakeBackend(const ModelConfig& m) {
  if (m.backend == "builtin") {
    BuiltinBackendOptions o;
    o.model_path = m.path;
    o.tokenizer_path = m.tokenizer;
    o.threads = m.threads;
    o.slots = static_cast<int>(std::max<uint32_t>(m.slots, 1));
    return MakeBuiltinBackend(o);
  }
  OpenAiBackendOptions o;
  o.base_url = m.upstream;
  o.upstream_model = m.upstream_model.empty() ? m.name : m.upstream_model;
  if (!m.api_key_file.empty()) {
    auto k = RealFileSystem::Default()->ReadFile(m.api_key_file, 1 << 16);
    if (!k.ok()) return k.error().Wrap("model " + m.name + " api_key_file");
    std::string key = *k;
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    o.api_key = key;
  }
  return MakeOpenAiBackend(o);
}

Result<BenchResult> BenchBackend(Backend& backend, int max_tokens, int runs) {
  BenchResult br;
  double ttft_total = 0;
  for (int i = 0; i < runs; ++i) {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Status status;
    uint64_t tokens = 0;
    auto t0 = std::chrono::steady_clock::now();
    double ttft = 0;
    GenerationCallbacks cb;
    cb.on_chunk = [&](std::string_view) {
      std::lock_guard<std::mutex> l(mu);
      if (tokens++ == 0) ttft = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      return true;
    };
    cb.on_done = [&](Result<GenerationResult> r) {
      std::lock_guard<std::mutex> l(mu);
      if (!r.ok()) status = r.error();
      else if (r->completion_tokens > 0) tokens = r->completion_tokens;
      done = true;
      cv.notify_all();
    };
    json req = {{"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}},
                {"max_tokens", max_tokens},
                {"temperature", 0.8},
                {"seed", 42 + i}};
    LT_TRY(auto gen, backend.Start(req, cb));
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return done; });
    if (!status.ok()) return status.error();
    br.tokens += tokens;
    br.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ttft_total += ttft;
  }
  br.tokens_per_second = br.seconds > 0 ? static_cast<double>(br.tokens) / br.seconds : 0;
  br.ttft_ms = runs > 0 ? ttft_total / runs : 0;
  return br;
}

struct ProviderNode::Impl {
  ProviderConfig config;
  crypto::PrivateKey identity;
  std::string datadir;
  wire::Domain domain;
  SessionRegistry registry;
  std::unique_ptr<LedgerLink> ledger;            // null without a ledger URL
  std::unique_ptr<StakedRouters> staked_routers;  // null unless accept_staked_routers
  std::unique_ptr<Registrar> registrar;
  std::unique_ptr<RouterReceiptSink> receipts;
  std::vector<std::shared_ptr<ServedModel>> models;
  std::unique_ptr<ModelSource> source;  // <datadir>/store: pulled models, gateway, announces
  std::unique_ptr<SessionServer> server;
  std::unique_ptr<UpstreamMonitor> upstream;  // watches the openai backends' servers
  // Routers keep a few keep-alive connections for liveness checks (doc/router.md "Liveness"); the
  // library's default of 5 requests per connection would make them reconnect every 5 pings.
  net::HttpServer http{[] {
    net::HttpServerOptions o;
    o.keep_alive_max_requests = 10000;
    return o;
  }()};
  std::thread http_thread;
  int session_port = 0, http_port = 0;

  Impl(ProviderConfig c, crypto::PrivateKey k, std::string d)
      : config(std::move(c)), identity(std::move(k)), datadir(std::move(d)) {}

  uint32_t FreeSlots() const {
    uint32_t free = 0;
    for (const auto& m : models) {
      if (!m->available.load()) continue;  // paused: its upstream is down
      uint32_t busy = m->in_flight.load();
      free += busy < m->slots ? m->slots - busy : 0;
    }
    return free;
  }

  // The provider's account on the ledger: claimable earnings and stake (short timeouts).
  json LedgerStatus() {
    json out = {{"url", config.ledger}};
    net::HttpClientOptions o;  // /status answers quickly even when the ledger does not
    o.connect_timeout_ms = 1000;
    o.read_timeout_ms = 3000;
    auto l = ledger::RemoteLedger::Connect(config.ledger, o);
    auto a = l.ok() ? (*l)->GetAccount(identity.GetAddress()) : Result<ledger::AccountInfo>(l.error());
    if (!a.ok()) {
      out["error"] = a.error().message;
      return out;
    }
    for (auto [k, v] : {std::pair{"claimable", &a->claimable}, std::pair{"wallet", &a->wallet},
                        std::pair{"provider_stake", &a->provider_stake}}) {
      out[k] = v->ToDecimal();
      out[std::string(k) + "_mor"] = v->ToMor();
    }
    return out;
  }

  // What each configured router says of this provider (GET /providers): liveness counts and a
  // ban in force after failed liveness checks. One entry per router; unreachable ones say so.
  json RouterViews() {
    rpc::RouterClientOptions o;
    o.http.connect_timeout_ms = 1000;
    o.http.read_timeout_ms = 3000;
    rpc::RouterClient routers(config.routers, o);
    const crypto::Address me = identity.GetAddress();
    json out = json::array();
    for (const auto& view : routers.Providers()) {
      json v = {{"router", view.router}};
      if (!view.answer.ok()) {
        v["error"] = view.answer.error().message;
        out.push_back(v);
        continue;
      }
      v["listed"] = false;
      for (const auto& p : *view.answer) {
        if (p.address != me) continue;
        v["listed"] = true;
        v["banned_ms"] = p.banned_ms;
        v["consecutive_failures"] = p.consecutive_failures;
        v["liveness_ok"] = p.liveness_ok;
        v["liveness_failed"] = p.liveness_failed;
        v["reliability"] = p.reliability;
      }
      out.push_back(v);
    }
    return out;
  }

  void StartRegistration() {
    RegistrationSpec spec;
    spec.endpoint = RegistrationEndpoint(config.endpoint, config.listen, session_port, config.http_listen, http_port);
    spec.stake = config.stake;
    for (size_t k = 0; k < models.size(); ++k) {
      OfferSpec o;
      o.name = models[k]->name;
      o.manifest = models[k]->manifest;
      o.price_per_second = models[k]->price_per_second;
      o.min_seconds = models[k]->min_seconds;
      o.slots = models[k]->slots;
      for (const auto& mc : config.models) {
        if (mc.name == o.name) o.tps = mc.tps;
      }
      o.tps_measured = o.tps == 0;
      spec.offers.push_back(o);
    }
    auto measure = [this](size_t k) -> Result<uint32_t> {
      // Measured once per model and machine, then kept in <datadir>/tps.json (keyed by manifest
      // and backend) so a restart publishes the same figure and costs no transaction; delete the
      // file (or set `tps`) to measure again. The bench is `lt provider bench`'s: a warm-up run,
      // then the best of 3 runs of 128 tokens.
      std::string path = (std::filesystem::path(datadir) / "tps.json").string();
      std::string key = HexEncode0x(models[k]->manifest) + "/" + std::string(models[k]->backend->kind());
      auto text = RealFileSystem::Default()->ReadFile(path, 1 << 20);
      json saved = text.ok() ? ParseJson(*text) : json::object();
      if (!saved.is_object()) saved = json::object();
      if (saved.contains(key) && saved[key].is_number_unsigned() && saved[key].get<uint64_t>() > 0 &&
          saved[key].get<uint64_t>() <= UINT32_MAX) {
        return saved[key].get<uint32_t>();
      }
      LT_TRY(BenchResult warm, BenchBackend(*models[k]->backend, 16, 1));
      (void)warm;
      double best = 0;
      for (int run = 0; run < 3; ++run) {
        LT_TRY(BenchResult b, BenchBackend(*models[k]->backend, 128, 1));
        best = std::max(best, b.tokens_per_second);
      }
      uint32_t tps = static_cast<uint32_t>(std::clamp(best, 1.0, 4e9));
      saved[key] = tps;
      Status w = RealFileSystem::Default()->WriteFileAtomic(path, saved.dump(2) + "\n");
      if (!w.ok()) LT_WARN("registration: cannot save the measured tps: " << w.error().message);
      return tps;
    };
    registrar = std::make_unique<Registrar>(ledger.get(), identity.GetAddress(), std::move(spec), measure);
    registrar->Start();
  }

  // {"pong":{...},"signature":"0x.."}, written without a JSON tree (wire/json_text.h).
  std::string SignedPong(const Hash32& challenge, uint32_t free_slots, uint64_t at) const {
    wire::Pong p;
    p.challenge = challenge;
    p.provider = identity.GetAddress();
    p.free_slots = free_slots;
    p.at = at;
    std::string out = "{\"pong\":";
    wire::json_text::AppendMessage(p, &out);
    out += ",\"signature\":\"";
    out += HexEncode0x(p.Sign(identity, domain));
    out += "\"}";
    return out;
  }

  void Routes() {
    // Liveness answers run on the event loop: no load on the worker pool (a flood of gateway
    // requests, held connections) can make a router's check time out and ban this provider.
    http.Get("/health", [](const net::HttpRequest&) { return net::HttpResponse::Json(200, {{"ok", true}}); },
             net::Lane::kEventLoop);
    http.Get("/ping", [this](const net::HttpRequest& req) {
      auto ch = HexDecodeFixed<32>(req.Query("challenge"));
      if (!ch.ok()) {
        return net::HttpResponse::FromError(InvalidArgument("challenge must be 0x + 64 hex digits: " + ch.error().message));
      }
      net::HttpResponse res;
      res.body = SignedPong(*ch, FreeSlots(), SystemClock::Default()->NowSeconds());
      return res;
    }, net::Lane::kEventLoop);
    // A router's batched liveness check: one signed Pong per challenge, in order.
    http.Post("/ping", [this](const net::HttpRequest& req) {
      auto challenges = wire::ParsePingChallenges(req.body);
      if (!challenges.ok()) return net::HttpResponse::FromError(challenges.error());
      uint32_t free = FreeSlots();
      uint64_t at = SystemClock::Default()->NowSeconds();
      net::HttpResponse res;
      res.body.reserve(64 + 400 * challenges->size());
      res.body = "{\"pongs\":[";
      for (size_t k = 0; k < challenges->size(); ++k) {
        if (k > 0) res.body += ',';
        res.body += SignedPong((*challenges)[k], free, at);
      }
      res.body += "]}";
      return res;
    }, net::Lane::kEventLoop);
    http.Get("/status", [this](const net::HttpRequest&) {
      json ms = json::array();
      for (const auto& m : models) {
        ms.push_back({{"name", m->name},
                      {"manifest", HexEncode0x(m->manifest)},
                      {"backend", std::string(m->backend->kind())},
                      {"price_per_second", m->price_per_second.ToDecimal()},
                      {"price_per_second_mor", m->price_per_second.ToMor()},
                      {"min_seconds", m->min_seconds},
                      {"slots", m->slots},
                      {"busy", m->in_flight.load()},
                      {"available", m->available.load()}});
        if (upstream) ms.back().update(upstream->Describe(*m));
      }
      json j = registry.Status();
      j["address"] = identity.GetAddress().ToChecksumHex();
      // What the ledger lists (and routers dial): the configured endpoint, else the derived one.
      j["endpoint"] = RegistrationEndpoint(config.endpoint, config.listen, session_port, config.http_listen, http_port);
      j["session_port"] = session_port;
      j["models"] = ms;
      j["routers"] = RouterViews();
      j["receipts"] = receipts->Describe();
      if (registrar) j["registration"] = registrar->Describe();
      if (staked_routers) j["staked_routers"] = staked_routers->Describe();
      if (ledger) j["ledger"] = LedgerStatus();
      return net::HttpResponse::Json(200, j);
    });
  }
};

ProviderNode::ProviderNode(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProviderNode::~ProviderNode() { Stop(); }

Result<std::unique_ptr<ProviderNode>> ProviderNode::Create(const ProviderConfig& config, crypto::PrivateKey identity,
                                                           const std::string& datadir) {
  auto impl = std::make_unique<Impl>(config, std::move(identity), datadir);
  ProviderConfig& c = impl->config;
  if (c.has_domain) {
    impl->domain = wire::Domain(U256(c.chain_id), c.verifying_contract);
  } else {
    // The ledger may still be starting: retry for about 30 s before giving up clearly.
    auto l = ledger::RemoteLedger::Connect(c.ledger);
    for (int attempt = 0, wait_ms = 500; attempt < 8 && !l.ok() && TransientError(l.error());
         ++attempt, wait_ms = std::min(wait_ms * 2, 8000)) {
      LT_WARN("provider: ledger " << c.ledger << " unreachable (" << l.error().message << "), retry in " << wait_ms
                                  << " ms");
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
      l = ledger::RemoteLedger::Connect(c.ledger);
    }
    if (!l.ok()) return l.error().Wrap("ledger " + c.ledger + " /genesis (needed for the EIP-712 domain)");
    impl->domain = wire::Domain(U256((*l)->domain().chain_id), (*l)->domain().verifying_contract);
  }
  LT_TRY(impl->source, ModelSource::Open(c, datadir));  // models without `path` are pulled
  if (impl->source) LT_TRY_STATUS(impl->source->PullModels(c));
  std::vector<ledger::ModelInfo> ledger_models;  // to use the ledger's manifest for a model's name:tag
  if (!c.ledger.empty()) {
    impl->ledger = std::make_unique<LedgerLink>(c.ledger, &impl->identity);
    auto l = impl->ledger->Ledger();
    auto models = l.ok() ? (*l)->GetModels() : Result<std::vector<ledger::ModelInfo>>(l.error());
    if (models.ok()) {
      ledger_models = *models;
    } else {
      LT_WARN("provider: cannot read the ledger's models (" << models.error().message
                                                            << "); manifests fall back to the model files' SHA-256");
    }
  }
  for (const auto& mc : c.models) {
    auto m = std::make_shared<ServedModel>();
    m->name = mc.name;
    m->price_per_second = mc.price_per_second;
    m->min_seconds = mc.min_seconds;
    m->slots = mc.slots;
    if (mc.has_manifest) {
      m->manifest = mc.manifest;
    } else if (auto tagged = TagManifest(ledger_models, mc.name)) {
      m->manifest = *tagged;
    } else if (mc.path.empty()) {  // the openai backend without `manifest`: the ledger's tag it must be
      return NotFound("model " + mc.name + ": no manifest given and the ledger " + c.ledger +
                      " has no such NAME:TAG (tag it with 'lt model tag' or give manifest = \"0x...\")");
    } else {
      auto h = Sha256File(mc.path);
      if (!h.ok()) return h.error().Wrap("model " + mc.name);
      m->manifest = *h;
    }
    auto b = MakeBackend(mc);
    if (!b.ok()) return b.error().Wrap("model " + mc.name);
    m->backend = std::shared_ptr<Backend>(std::move(*b));
    impl->models.push_back(std::move(m));
  }
  std::string spool = c.receipts_spool.empty() ? (std::filesystem::path(datadir) / "receipts.jsonl").string()
                                               : c.receipts_spool;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(spool).parent_path(), ec);
  ReceiptSinkOptions ro;
  ro.routers = c.routers;
  ro.spool_path = spool;
  ro.direct_after_seconds = c.direct_settle_after_seconds;
  ro.retry_seconds = std::clamp<uint32_t>(c.direct_settle_after_seconds, 1, 10);
  {
    const crypto::PrivateKey* key = &impl->identity;
    const wire::Domain domain = impl->domain;
    ro.countersign = [key, domain](const wire::Receipt& r) { return wire::CountersignReceipt(*key, r, domain); };
  }
  if (impl->ledger) {
    LedgerLink* link = impl->ledger.get();
    ro.settle_direct = [link](const std::vector<Receipt>& rs) { return link->Settle(rs); };
  }
  impl->receipts = std::make_unique<RouterReceiptSink>(std::move(ro));
  return std::unique_ptr<ProviderNode>(new ProviderNode(std::move(impl)));
}

Status ProviderNode::Start() {
  Impl& i = *impl_;
  SessionServices svc;
  svc.policy.domain = i.domain;
  std::vector<crypto::Address> accepted = i.config.accepted_routers;
  bool any = i.config.accept_any_router;
  if (i.config.accept_staked_routers) {
    i.staked_routers = std::make_unique<StakedRouters>(i.config.ledger, SystemClock::Default());
  }
  StakedRouters* staked = i.staked_routers.get();
  svc.policy.router_accepted = [accepted, any, staked](const crypto::Address& a) {
    return any || std::find(accepted.begin(), accepted.end(), a) != accepted.end() ||
           (staked != nullptr && staked->IsStaked(a));
  };
  svc.policy.meter_interval_ms = i.config.meter_interval_seconds * 1000;
  svc.policy.voucher_window_ms = i.config.voucher_window_seconds != 0 ? i.config.voucher_window_seconds * 1000
                                                                      : 2 * svc.policy.meter_interval_ms;
  svc.policy.handshake_timeout_ms = i.config.handshake_timeout_ms;
  svc.identity = &i.identity;
  svc.provider = i.identity.GetAddress();
  for (const auto& m : i.models) svc.models[m->manifest] = m;
  svc.receipts = i.receipts.get();
  svc.registry = &i.registry;
  svc.clock = SystemClock::Default();
  svc.rng = SecureRandom::Default();
  i.upstream = std::make_unique<UpstreamMonitor>(i.models, static_cast<int>(i.config.upstream_check_seconds * 1000));
  UpstreamMonitor* monitor = i.upstream.get();
  svc.on_backend_failure = [monitor] { monitor->Nudge(); };
  // Used session ids survive a restart until their tickets expire.
  LT_TRY_STATUS(i.registry.OpenUsedSessions((std::filesystem::path(i.datadir) / "used_sessions.txt").string(),
                                            SystemClock::Default()->NowSeconds()));
  ServerOptions so;
  so.listen = i.config.listen;
  so.max_connections = i.config.max_connections;
  i.server = std::make_unique<SessionServer>(std::move(svc), so);
  LT_TRY(i.session_port, i.server->Listen());
  i.upstream->Start();  // checks every upstream once before the first Pong
  i.server->Start();
  i.Routes();
  if (i.source) i.source->Mount(i.http);
  LT_TRY(auto hp, net::ParseHostPort(i.config.http_listen));
  LT_TRY(i.http_port, i.http.Listen(hp.first, hp.second));
  i.http_thread = GuardedThread("provider http", [&i] { i.http.Run(); });
  if (i.source) i.source->StartAnnouncing(i.config.routers, i.identity, i.domain, ProviderHttpUrl(i.config, i.http_port));
  LT_INFO("provider " << i.identity.GetAddress().ToChecksumHex() << " serving sessions on port " << i.session_port
                      << ", status on port " << i.http_port);
  if (i.ledger) i.StartRegistration();
  for (const auto& m : i.models) {
    LT_INFO("model " << m->name << " manifest " << HexEncode0x(m->manifest) << " (" << m->backend->kind() << ", "
                     << m->price_per_second.ToMor() << " MOR/s, " << m->slots << " slots)");
  }
  return OkStatus();
}

void ProviderNode::Stop() {
  if (!impl_) return;
  if (impl_->registrar) impl_->registrar->Stop();
  if (impl_->upstream) impl_->upstream->Stop();
  if (impl_->source) impl_->source->Stop();
  if (impl_->server) impl_->server->Stop();
  if (impl_->http_thread.joinable()) {
    impl_->http.Stop();
    impl_->http_thread.join();
  }
}

int ProviderNode::session_port() const { return impl_->session_port; }
int ProviderNode::http_port() const { return impl_->http_port; }
crypto::Address ProviderNode::address() const { return impl_->identity.GetAddress(); }

}  // namespace lt::provider
