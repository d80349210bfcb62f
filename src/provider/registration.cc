#include "provider/registration.h"

#include <algorithm>
#include <chrono>

#include "net/http.h"
#include "util/log.h"
#include "util/thread.h"

namespace lt::provider {

using nlohmann::json;

namespace {

bool TpsSame(const OfferSpec& want, uint32_t have) {
  if (!want.tps_measured) return want.tps == have;
  uint64_t w = want.tps, h = have;
  return h > 0 && w * 100 >= h * (100 - kTpsTolerancePercent) && w * 100 <= h * (100 + kTpsTolerancePercent * 2);
}

std::string Short(const Hash32& h) { return HexEncode0x(h).substr(0, 10) + ".."; }

}  // namespace

std::optional<ledger::ProviderInfo> FindProviderRow(const std::vector<ledger::ProviderInfo>& providers,
                                                    const crypto::Address& me) {
  for (const auto& p : providers) {
    if (p.address == me) return p;
  }
  return std::nullopt;
}

std::optional<Hash32> TagManifest(const std::vector<ledger::ModelInfo>& models, const std::string& name_tag) {
  std::string name = name_tag, tag = "latest";
  if (auto c = name_tag.rfind(':'); c != std::string::npos) {
    name = name_tag.substr(0, c);
    tag = name_tag.substr(c + 1);
  }
  for (const auto& m : models) {
    if (m.name == name) return m.Tag(tag);
  }
  return std::nullopt;
}

std::set<Hash32> TaggedManifests(const std::vector<ledger::ModelInfo>& models) {
  std::set<Hash32> out;
  for (const auto& m : models) {
    for (const auto& [tag, manifest] : m.tags) out.insert(manifest);
  }
  return out;
}

std::string RegistrationEndpoint(const std::string& endpoint, const std::string& listen, int session_port,
                                 const std::string& http_listen, int http_port) {
  auto local = [](std::string host) { return host.empty() || host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host; };
  std::string ep = endpoint;
  std::string host;
  int port = session_port;
  if (auto hp = net::ParseHostPort(endpoint); !endpoint.empty() && hp.ok()) {
    host = hp->first;
    port = hp->second;
  } else {
    auto lp = net::ParseHostPort(listen);
    host = local(lp.ok() ? lp->first : "");
    ep = host + ":" + std::to_string(session_port);
  }
  if (http_port == port + 1) return ep;
  auto hh = net::ParseHostPort(http_listen);
  std::string http_host = hh.ok() && hh->first != "0.0.0.0" && hh->first != "::" && !hh->first.empty() ? hh->first : host;
  if (http_host == "127.0.0.1" && host != "127.0.0.1" && host != "localhost") http_host = host;
  return ep + ";http://" + http_host + ":" + std::to_string(http_port);
}

RegistrationPlan PlanRegistration(const RegistrationSpec& want, const std::optional<ledger::ProviderInfo>& row,
                                  const std::set<Hash32>& tagged) {
  RegistrationPlan plan;
  bool registered = row.has_value();
  U256 have_stake = registered ? row->stake : U256();
  std::string have_endpoint = registered ? row->endpoint : "";
  U256 missing = want.stake > have_stake ? *want.stake.CheckedSub(have_stake) : U256();
  if (!registered || have_endpoint != want.endpoint || !missing.IsZero()) {
    ledger::Tx tx;
    tx.type = ledger::TxType::kRegisterProvider;
    tx.endpoint = want.endpoint;
    tx.amount = missing;
    plan.txs.push_back(tx);
    if (!registered) {
      plan.notes.push_back("register as provider at " + want.endpoint + " with stake " + want.stake.ToMor() + " MOR");
    } else {
      plan.notes.push_back("update registration: endpoint " + have_endpoint + " -> " + want.endpoint + ", stake " +
                           have_stake.ToMor() + " -> " + (have_stake.CheckedAdd(missing).value_or(U256::Max())).ToMor() +
                           " MOR");
    }
  }
  std::map<Hash32, ledger::OfferInfo> have_offers;
  if (registered) {
    for (const auto& o : row->offers) have_offers[o.manifest] = o;
  }
  std::set<Hash32> wanted;
  for (const auto& w : want.offers) {
    if (!wanted.insert(w.manifest).second) continue;  // two models with one manifest: the first wins
    if (!tagged.count(w.manifest)) {
      plan.notes.push_back("model " + w.name + ": manifest " + Short(w.manifest) +
                           " is not tagged by any model on the ledger; no offer published");
      continue;
    }
    if (w.tps == 0) {
      // Never publish 0 tps (the offer would look dead, or win on a figure nobody measured):
      // the measurement is retried until it succeeds.
      plan.notes.push_back("model " + w.name + ": tokens per second not measured yet; no offer published");
      continue;
    }
    auto it = have_offers.find(w.manifest);
    if (it != have_offers.end()) {
      const ledger::OfferInfo& o = it->second;
      if (o.price_per_second == w.price_per_second && o.min_seconds == w.min_seconds && o.slots == w.slots &&
          TpsSame(w, o.tps)) {
        continue;
      }
    }
    ledger::Tx tx;
    tx.type = ledger::TxType::kSetOffer;
    tx.manifest = w.manifest;
    tx.price_per_second = w.price_per_second;
    tx.min_seconds = w.min_seconds;
    tx.tps = w.tps;
    tx.slots = w.slots;
    plan.txs.push_back(tx);
    plan.notes.push_back(std::string(it == have_offers.end() ? "publish" : "update") + " offer for " + w.name + ": " +
                         w.price_per_second.ToMor() + " MOR/s, min " + std::to_string(w.min_seconds) + " s, " +
                         std::to_string(w.tps) + " tps, " + std::to_string(w.slots) + " slots");
  }
  for (const auto& [manifest, o] : have_offers) {
    if (wanted.count(manifest)) continue;
    ledger::Tx tx;
    tx.type = ledger::TxType::kSetOffer;
    tx.manifest = manifest;
    tx.slots = 0;
    plan.txs.push_back(tx);
    plan.notes.push_back("withdraw offer for " + (o.model.empty() ? Short(manifest) : o.model) + " (no longer served)");
  }
  return plan;
}

Registrar::Registrar(LedgerLink* link, crypto::Address me, RegistrationSpec spec, MeasureTps measure)
    : link_(link), me_(me), spec_(std::move(spec)), measure_(std::move(measure)) {}

Registrar::~Registrar() { Stop(); }

void Registrar::Start() {
  thread_ = GuardedThread("registration", [this] { Loop(); });
}

void Registrar::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

json Registrar::Describe() const {
  std::lock_guard<std::mutex> l(mu_);
  json offers = json::array();
  for (const auto& o : spec_.offers) {
    offers.push_back({{"model", o.name}, {"manifest", HexEncode0x(o.manifest)}, {"tps", o.tps}});
  }
  return {{"state", state_},
          {"transactions", transactions_},
          {"last_error", last_error_},
          {"endpoint", spec_.endpoint},
          {"stake", spec_.stake.ToMor()},
          {"offers", offers}};
}

void Registrar::Loop() {
  uint64_t backoff_ms = 1000;
  while (true) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stop_) return;
    }
    Status s = RunOnce();
    std::unique_lock<std::mutex> l(mu_);
    if (s.ok()) {
      state_ = "registered";
      last_error_.clear();
      return;
    }
    state_ = "retrying";
    last_error_ = s.error().message;
    LT_WARN("registration: " << s.error().message << " (retry in " << backoff_ms / 1000 << " s)");
    cv_.wait_for(l, std::chrono::milliseconds(backoff_ms), [this] { return stop_; });
    if (stop_) return;
    backoff_ms = std::min<uint64_t>(backoff_ms * 2, 60000);
  }
}

Status Registrar::RunOnce() {
  bool measure = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    measure = !measured_;
  }
  std::string unmeasured;  // models whose tps could not be measured (their upstream is down?)
  if (measure) {
    for (size_t i = 0; i < spec_.offers.size(); ++i) {
      if (spec_.offers[i].tps != 0 || !measure_) continue;
      auto t = measure_(i);
      std::lock_guard<std::mutex> l(mu_);
      if (!t.ok()) {
        LT_WARN("registration: model " << spec_.offers[i].name << ": tps not measured: " << t.error().message);
        unmeasured += (unmeasured.empty() ? "" : ", ") + spec_.offers[i].name;
      } else {
        spec_.offers[i].tps = *t;
        LT_INFO("registration: model " << spec_.offers[i].name << " measured at " << *t << " tokens/s");
      }
    }
    std::lock_guard<std::mutex> l(mu_);
    measured_ = unmeasured.empty();
  }
  LT_TRY(ledger::RemoteLedger * ledger, link_->Ledger());
  LT_TRY(auto providers, ledger->GetProviders());
  LT_TRY(auto models, ledger->GetModels());
  RegistrationSpec spec;
  {
    std::lock_guard<std::mutex> l(mu_);
    spec = spec_;
  }
  RegistrationPlan plan = PlanRegistration(spec, FindProviderRow(providers, me_), TaggedManifests(models));
  for (const auto& n : plan.notes) LT_INFO("registration: " << n);
  if (plan.txs.empty()) LT_INFO("registration: the ledger is up to date (no transaction)");
  for (const auto& tx : plan.txs) {
    auto r = link_->Submit(tx);
    if (!r.ok()) {
      return r.error().Wrap(std::string("ledger refused ") + std::string(ledger::TxTypeName(tx.type)) +
                            (tx.type == ledger::TxType::kRegisterProvider ? " (is the wallet's MOR enough for stake?)" : ""));
    }
    std::lock_guard<std::mutex> l(mu_);
    ++transactions_;
  }
  // What could be published is; the rest waits for a measurement (the loop retries with backoff).
  if (!unmeasured.empty()) return MakeError(ErrorCode::kUnavailable, "tokens per second not measured for " + unmeasured);
  return OkStatus();
}

}  // namespace lt::provider
