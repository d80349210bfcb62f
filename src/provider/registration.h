// Registration: the provider's presence on the ledger (doc/provider.md "Ledger registration").
//
// On start the provider compares what it wants published (endpoint, stake, one offer per served
// model) with what the ledger has (GET /providers) and sends only the difference:
//   - register_provider when not registered, the endpoint changed, or the stake is below the
//     configured `stake` (the transaction adds stake, so it carries the missing amount only; a
//     larger stake on the ledger is left alone: unstaking is an explicit operator action);
//   - set_offer per model whose manifest, price, min_seconds, slots or tps differ; a measured tps
//     from half to twice the ledger's counts as unchanged (benchmarks on a loaded machine are
//     noisy, and a restart must cost no transaction);
//   - set_offer with slots = 0 (withdraw) for offers on the ledger of models no longer served.
// Offers for manifests no registered model tags are skipped with a note (the ledger would refuse).
// PlanRegistration is pure; Registrar runs it in the background with retries (backoff 1 s .. 60 s
// while the ledger is unreachable or refuses), logs every decision and never stops the node.
// Offers are NOT withdrawn at shutdown (decision): a restart then costs nothing, and routers'
// liveness checks already skip a provider that is down.
// Thread-safety: the functions are pure; Registrar's methods may be called from any thread.
#ifndef LT_PROVIDER_REGISTRATION_H_
#define LT_PROVIDER_REGISTRATION_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ledger/tx.h"
#include "provider/ledger_link.h"

namespace lt::provider {

inline constexpr uint32_t kTpsTolerancePercent = 50;  // measured: [h - 50 %, h + 100 %] is unchanged

struct OfferSpec {
  std::string name;  // "namespace/name:tag"
  Hash32 manifest{};
  U256 price_per_second;
  uint32_t min_seconds = 0;
  uint32_t slots = 1;
  uint32_t tps = 0;           // tokens per second to publish
  bool tps_measured = false;  // measured at start (tolerance applies) rather than configured
};

struct RegistrationSpec {
  std::string endpoint;  // as registered: "host:port" or "host:port;http://host:port"
  U256 stake;            // total provider stake wanted (base units)
  std::vector<OfferSpec> offers;
};

struct RegistrationPlan {
  std::vector<ledger::Tx> txs;     // in order: register_provider first
  std::vector<std::string> notes;  // one line per decision, for the log
};

// `row`: this provider as the ledger has it, or nullopt when it is not registered.
// `tagged`: the manifests registered models tag.
RegistrationPlan PlanRegistration(const RegistrationSpec& want, const std::optional<ledger::ProviderInfo>& row,
                                  const std::set<Hash32>& tagged);
// This provider among the ledger's, if registered.
std::optional<ledger::ProviderInfo> FindProviderRow(const std::vector<ledger::ProviderInfo>& providers,
                                                    const crypto::Address& me);
// The manifest the ledger tags "namespace/name[:tag]" with (tag "latest" when none), if any.
std::optional<Hash32> TagManifest(const std::vector<ledger::ModelInfo>& models, const std::string& name_tag);
std::set<Hash32> TaggedManifests(const std::vector<ledger::ModelInfo>& models);
// The endpoint string to register: `endpoint` (or the listen address, 0.0.0.0 read as
// 127.0.0.1, with the bound port), plus ";http://host:port" when the status port is not the
// session port + 1 (routers look for liveness there by default, doc/router.md).
std::string RegistrationEndpoint(const std::string& endpoint, const std::string& listen, int session_port,
                                 const std::string& http_listen, int http_port);

class Registrar {
 public:
  // Measures the tokens per second of offer i (a short builtin bench) for offers with tps 0.
  using MeasureTps = std::function<Result<uint32_t>(size_t index)>;
  Registrar(LedgerLink* link, crypto::Address me, RegistrationSpec spec, MeasureTps measure);
  ~Registrar();
  void Start();
  void Stop();
  // {"state":"pending"|"registered"|"retrying","transactions":N,"last_error":"..","endpoint",
  //  "offers":[{"model","manifest","tps"}]}
  nlohmann::json Describe() const;

 private:
  void Loop();
  Status RunOnce();

  LedgerLink* link_;
  crypto::Address me_;
  RegistrationSpec spec_;
  MeasureTps measure_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool measured_ = false;
  std::string state_ = "pending";
  std::string last_error_;
  uint64_t transactions_ = 0;
  std::thread thread_;
};

}  // namespace lt::provider

#endif  // LT_PROVIDER_REGISTRATION_H_
