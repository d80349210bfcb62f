// ModelSource: where a provider's models come from when the config names them but gives no path,
// and how the provider shares what it holds (doc/registry.md "Provider pulling").
//
// PullModels resolves each [[model]] with `pull` set (name:tag, no path) on the ledger, pulls the
// manifest and its files into <datadir>/store from holders (routers' GET /holders/<cid> plus the
// config's `peers`), and fills in path, tokenizer and the ledger's manifest bytes32. Mount adds
// the store's trustless-gateway routes (/ipfs/<cid>) to the provider's HTTP server, so it serves
// what it holds; StartAnnouncing sends POST /announce (doc/router.md) with the HTTP URL and the
// held roots to every router now and then every `interval_seconds` (routers expire an announced
// root after their --announce-ttl, 1 h by default). Failures are logged and retried then.
// Thread-safety: PullModels/Mount/StartAnnouncing/Stop from the controlling thread.
#ifndef LT_PROVIDER_MODEL_SOURCE_H_
#define LT_PROVIDER_MODEL_SOURCE_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/keys.h"
#include "net/http.h"
#include "provider/config.h"
#include "registry/store.h"
#include "wire/typed.h"

namespace lt::provider {

class ModelSource {
 public:
  // Opens <datadir>/store. Null (no error) when no model needs pulling and no store exists yet.
  static Result<std::unique_ptr<ModelSource>> Open(const ProviderConfig& config, const std::string& datadir);
  ~ModelSource();

  // Pulls every model with `pull` set and fills its path, tokenizer and manifest.
  Status PullModels(ProviderConfig& config);
  void Mount(net::HttpServer& http);
  // `http_url` is the provider's own base URL ("http://host:port") as routers should reach it.
  void StartAnnouncing(const std::vector<std::string>& routers, const crypto::PrivateKey& key,
                       const wire::Domain& domain, const std::string& http_url, int interval_seconds = 300);
  void Stop();

  registry::Store& store() { return *store_; }

 private:
  explicit ModelSource(std::unique_ptr<registry::Store> s) : store_(std::move(s)) {}
  std::unique_ptr<registry::Store> store_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread announcer_;
};

// "http://host:port" for the provider's HTTP listener: the listen host, or the endpoint's host
// when listening on all interfaces.
std::string ProviderHttpUrl(const ProviderConfig& config, int http_port);

}  // namespace lt::provider

#endif  // LT_PROVIDER_MODEL_SOURCE_H_
