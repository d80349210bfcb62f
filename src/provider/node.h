// ProviderNode: the composition root of `lt provider serve` (STYLE practice 7). From a parsed
// ProviderConfig and the unlocked identity key it builds the backends, the session server and
// a small HTTP endpoint for routers and operators:
//   GET /ping?challenge=0x<64 hex>  -> {"pong":{challenge,provider,freeSlots,at},"signature":"0x.."}
//                                      (EIP-712 Pong signed by the provider's identity key)
//   GET /status                     -> address, endpoint, models (price, slots, busy), sessions,
//                                      earnings (sum of receipt costs), refused handshakes
//   GET /health                     -> {"ok":true}
// Receipts go to the configured routers (POST /receipts), otherwise to the spool file, and are
// settled directly with the ledger when no router takes them (receipts.h). With a ledger the
// node registers itself and its offers in the background (registration.h) and accepts tickets
// of routers staked there (staked_routers.h).
// Thread-safety: Start/Stop from the controlling thread.
#ifndef LT_PROVIDER_NODE_H_
#define LT_PROVIDER_NODE_H_

#include <memory>
#include <string>

#include "crypto/keys.h"
#include "provider/config.h"
#include "util/result.h"

namespace lt::provider {

class ProviderNode {
 public:
  static Result<std::unique_ptr<ProviderNode>> Create(const ProviderConfig& config, crypto::PrivateKey identity,
                                                      const std::string& datadir);
  ~ProviderNode();
  // Binds both listeners and starts serving.
  Status Start();
  void Stop();
  int session_port() const;
  int http_port() const;
  crypto::Address address() const;

 private:
  struct Impl;
  explicit ProviderNode(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Loads the backend of one configured model (builtin loads the model file).
Result<std::unique_ptr<class Backend>> MakeBackend(const ModelConfig& m);

// Tokens per second of a backend on a fixed prompt (`lt provider bench`): runs `runs`
// generations of up to `max_tokens` tokens and returns total tokens / total seconds.
struct BenchResult {
  double tokens_per_second = 0;
  uint64_t tokens = 0;
  double seconds = 0;
  double ttft_ms = 0;  // mean time to first token
};
Result<BenchResult> BenchBackend(Backend& backend, int max_tokens, int runs);

}  // namespace lt::provider

#endif  // LT_PROVIDER_NODE_H_
