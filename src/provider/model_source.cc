#include "provider/model_source.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "ledger/client.h"
#include "registry/gateway.h"
#include "registry/holders.h"
#include "registry/manifest.h"
#include "registry/resolve.h"
#include "util/log.h"
#include "util/thread.h"

namespace lt::provider {

namespace {

bool IsTokenizerName(const std::string& name) {
  std::string base = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  return base.rfind("tok", 0) == 0 || base.find("tokenizer") != std::string::npos;
}

}  // namespace

Result<std::unique_ptr<ModelSource>> ModelSource::Open(const ProviderConfig& config,
                                                       const std::string& datadir) {
  std::string dir = datadir + "/store";
  bool needed =
      std::any_of(config.models.begin(), config.models.end(), [](const ModelConfig& m) { return m.pull; });
  struct stat st {};
  if (!needed && ::stat(dir.c_str(), &st) != 0) return std::unique_ptr<ModelSource>();
  auto s = registry::Store::Open(dir);
  if (!s.ok()) return s.error().Wrap("model store " + dir);
  return std::unique_ptr<ModelSource>(new ModelSource(std::move(*s)));
}

ModelSource::~ModelSource() { Stop(); }

Status ModelSource::PullModels(ProviderConfig& config) {
  std::unique_ptr<ledger::RemoteLedger> l;
  for (ModelConfig& mc : config.models) {
    if (!mc.pull) continue;
    auto ref = registry::ParseModelRef(mc.name);
    if (!ref.ok()) return ref.error().Wrap("model " + mc.name + " (no path: the name is pulled)");
    if (ref->cid) return InvalidArgument("model " + mc.name + ": a pulled model is named NAME[:TAG]");
    if (!l) {
      auto c = ledger::RemoteLedger::Connect(config.ledger);
      if (!c.ok())
        return c.error().Wrap("ledger " + config.ledger + " unreachable (needed to pull " + mc.name + ")");
      l = std::move(*c);
    }
    LT_TRY(registry::Resolved res, registry::ResolveTag(*l, ref->name, ref->tag));
    registry::RouterHolders holders(config.routers, config.peers);
    LT_INFO("pulling " << res.name << ":" << res.tag << " manifest " << res.manifest.ToString());
    auto m = registry::EnsureModel(*store_, holders, res.manifest, res.name + ":" + res.tag, res.name);
    if (!m.ok()) return m.error().Wrap("pulling model " + mc.name);
    const Hash32 offered = registry::ManifestDigest(res.manifest);
    if (m->manifest.kind == "agent") {
      // An agent is served by its base model's weights; the offer and the tickets name the
      // agent's manifest, so its sessions are billed to the agent (doc/agents.md "Sessions and pay").
      const nlohmann::json& a = m->manifest.agent;
      auto base = a.is_object() && a.contains("base_model") && a["base_model"].is_string()
                      ? registry::ParseModelRef(a["base_model"].get<std::string>())
                      : Result<registry::ModelRef>(InvalidArgument("the agent manifest names no base_model"));
      if (!base.ok() || base->cid) {
        return InvalidArgument("agent " + mc.name + ": " + (base.ok() ? "base_model must be NAME:TAG" : base.error().message));
      }
      LT_TRY(registry::Resolved bres, registry::ResolveTag(*l, base->name, base->tag));
      LT_INFO("agent " << mc.name << " runs on " << bres.name << ":" << bres.tag << ": pulling it");
      m = registry::EnsureModel(*store_, holders, bres.manifest, bres.name + ":" + bres.tag, bres.name);
      if (!m.ok()) return m.error().Wrap("pulling " + bres.name + ":" + bres.tag + ", the base model of agent " + mc.name);
      if (m->manifest.kind == "agent") return InvalidArgument("agent " + mc.name + ": its base model is an agent");
    }
    // One file: the model. Several: the tokenizer by its name, the model the largest of the rest.
    const registry::LocalFile* model = nullptr;
    const registry::LocalFile* tok = nullptr;
    for (const auto& f : m->files) {
      if (m->files.size() > 1 && IsTokenizerName(f.name)) {
        if (!tok) tok = &f;
      } else if (!model || f.size > model->size) {
        model = &f;
      }
    }
    if (!model) return InvalidArgument("model " + mc.name + ": the pulled manifest names no model file");
    mc.path = model->path;
    if (tok && mc.tokenizer.empty()) mc.tokenizer = tok->path;
    mc.manifest = offered;
    mc.has_manifest = true;
    std::string sources;
    for (const auto& [url, n] : m->blocks_by_peer) sources += (sources.empty() ? "" : ", ") + url + ": " + std::to_string(n);
    LT_INFO("model " << mc.name << " pulled: " << mc.path << (tok ? " tokenizer " + tok->path : std::string())
                     << " (" << m->fetched.blocks_fetched << " blocks fetched"
                     << (sources.empty() ? std::string() : " from " + sources) << ")");
  }
  return OkStatus();
}

void ModelSource::Mount(net::HttpServer& http) { registry::MountGateway(http, *store_); }

void ModelSource::StartAnnouncing(const std::vector<std::string>& routers, const crypto::PrivateKey& key,
                                  const wire::Domain& domain, const std::string& http_url,
                                  int interval_seconds) {
  if (routers.empty() || announcer_.joinable()) return;
  auto k = crypto::PrivateKey::FromBytes(key.secret().span());
  if (!k.ok()) return;
  announcer_ = GuardedThread("announcer", [this, routers, key = std::move(*k), domain, http_url, interval_seconds] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      auto roots = registry::HeldRoots(*store_);
      if (roots.ok() && !roots->empty()) {
        auto out = registry::AnnounceHeld(routers, key, domain, http_url, *roots);
        for (const auto& f : out.failed) LT_WARN("announce to " << f);
        if (!out.ok.empty())
          LT_DEBUG("announced " << roots->size() << " roots to " << out.ok.size() << " routers");
      }
      lock.lock();
      cv_.wait_for(lock, std::chrono::seconds(interval_seconds), [this] { return stop_; });
    }
  });
}

void ModelSource::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (announcer_.joinable()) announcer_.join();
}

std::string ProviderHttpUrl(const ProviderConfig& config, int http_port) {
  std::string host = "127.0.0.1";
  auto hp = net::ParseHostPort(config.http_listen);
  if (hp.ok() && !hp->first.empty() && hp->first != "0.0.0.0" && hp->first != "::") {
    host = hp->first;
  } else if (!config.endpoint.empty()) {
    auto ep = net::ParseHostPort(config.endpoint.substr(0, config.endpoint.find(';')));
    if (ep.ok() && !ep->first.empty() && ep->first != "0.0.0.0") host = ep->first;
  }
  return "http://" + host + ":" + std::to_string(http_port);
}

}  // namespace lt::provider
