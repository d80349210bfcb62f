#include "provider/node.h"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <thread>

#include "net/http.h"
#include "provider/backend.h"
#include "provider/receipts.h"
#include "provider/server.h"
#include "util/fs.h"
#include "util/log.h"
#include "wire/messages.h"

namespace lt::provider {

using nlohmann::json;

Result<std::unique_ptr<Backend>> MakeBackend(const ModelConfig& m) {
  if (m.backend == "builtin") {
    BuiltinBackendOptions o;
    o.model_path = m.path;
    o.tokenizer_path = m.tokenizer;
    o.threads = m.threads;
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
  std::unique_ptr<ReceiptSink> receipts;
  std::vector<std::shared_ptr<ServedModel>> models;
  std::unique_ptr<SessionServer> server;
  net::HttpServer http;
  std::thread http_thread;
  int session_port = 0, http_port = 0;

  Impl(ProviderConfig c, crypto::PrivateKey k, std::string d)
      : config(std::move(c)), identity(std::move(k)), datadir(std::move(d)) {}

  uint32_t FreeSlots() const {
    uint32_t free = 0;
    for (const auto& m : models) {
      uint32_t busy = m->in_flight.load();
      free += busy < m->slots ? m->slots - busy : 0;
    }
    return free;
  }

  void Routes() {
    http.Get("/health", [](const net::HttpRequest&) { return net::HttpResponse::Json(200, {{"ok", true}}); });
    http.Get("/ping", [this](const net::HttpRequest& req) {
      auto ch = HexDecodeFixed<32>(req.Query("challenge"));
      if (!ch.ok()) {
        return net::HttpResponse::FromError(InvalidArgument("challenge must be 0x + 64 hex digits: " + ch.error().message));
      }
      wire::Pong p;
      p.challenge = *ch;
      p.provider = identity.GetAddress();
      p.free_slots = FreeSlots();
      p.at = SystemClock::Default()->NowSeconds();
      return net::HttpResponse::Json(200, {{"pong", p.ToJson()}, {"signature", HexEncode0x(p.Sign(identity, domain))}});
    });
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
                      {"busy", m->in_flight.load()}});
      }
      json j = registry.Status();
      j["address"] = identity.GetAddress().ToChecksumHex();
      j["endpoint"] = config.endpoint;
      j["session_port"] = session_port;
      j["models"] = ms;
      j["bans"] = json::array();  // routers report bans; none are known locally yet
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
    LT_TRY(auto client, net::HttpClient::Create(c.ledger));
    LT_TRY(auto resp, client.Get("/genesis"));
    if (resp.status != 200) return net::ErrorFromResponse(resp).Wrap("ledger " + c.ledger + " /genesis");
    LT_TRY(json g, resp.Json());
    if (!g.contains("chain_id") || !g.contains("verifying_contract") || !g["verifying_contract"].is_string()) {
      return InvalidArgument("ledger " + c.ledger + " /genesis has no chain_id and verifying_contract");
    }
    LT_TRY(U256 chain, U256FromJson(g["chain_id"]));
    LT_TRY(auto vc, crypto::ParseAddress(g["verifying_contract"].get<std::string>()));
    impl->domain = wire::Domain(chain, vc);
  }
  for (const auto& mc : c.models) {
    auto m = std::make_shared<ServedModel>();
    m->name = mc.name;
    m->price_per_second = mc.price_per_second;
    m->min_seconds = mc.min_seconds;
    m->slots = mc.slots;
    if (mc.has_manifest) {
      m->manifest = mc.manifest;
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
  impl->receipts = std::make_unique<RouterReceiptSink>(c.routers, spool);
  return std::unique_ptr<ProviderNode>(new ProviderNode(std::move(impl)));
}

Status ProviderNode::Start() {
  Impl& i = *impl_;
  SessionServices svc;
  svc.policy.domain = i.domain;
  std::vector<crypto::Address> accepted = i.config.accepted_routers;
  bool any = i.config.accept_any_router;
  svc.policy.router_accepted = [accepted, any](const crypto::Address& a) {
    return any || std::find(accepted.begin(), accepted.end(), a) != accepted.end();
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
  ServerOptions so;
  so.listen = i.config.listen;
  so.max_connections = i.config.max_connections;
  i.server = std::make_unique<SessionServer>(std::move(svc), so);
  LT_TRY(i.session_port, i.server->Listen());
  i.server->Start();
  i.Routes();
  LT_TRY(auto hp, net::ParseHostPort(i.config.http_listen));
  LT_TRY(i.http_port, i.http.Listen(hp.first, hp.second));
  i.http_thread = std::thread([&i] { i.http.Run(); });
  LT_INFO("provider " << i.identity.GetAddress().ToChecksumHex() << " serving sessions on port " << i.session_port
                      << ", status on port " << i.http_port);
  for (const auto& m : i.models) {
    LT_INFO("model " << m->name << " manifest " << HexEncode0x(m->manifest) << " (" << m->backend->kind() << ", "
                     << m->price_per_second.ToMor() << " MOR/s, " << m->slots << " slots)");
  }
  return OkStatus();
}

void ProviderNode::Stop() {
  if (!impl_) return;
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
