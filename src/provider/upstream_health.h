// UpstreamMonitor: keeps an eye on the servers behind the `openai` backend (issue 15, U1; doc/
// provider.md "Upstream health").
//
// Every `interval_ms` (and at once when a generation fails) it asks each such model's backend
// for its health (Backend::CheckHealth: GET /v1/models with short timeouts). A model whose check
// fails is paused (ServedModel::available = false): its slots leave the free slots reported in
// Pongs, new sessions for it are refused and requests on open sessions fail at once with
// kUnavailable, so routers stop matching it and clients fail over instead of paying for errors.
// The first passing check resumes it. Every transition is logged; Describe() feeds /status.
// Models of the builtin backend are never paused (their health is the process's own).
// Thread-safety: all methods are thread-safe; the models outlive the monitor.
#ifndef LT_PROVIDER_UPSTREAM_HEALTH_H_
#define LT_PROVIDER_UPSTREAM_HEALTH_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "provider/session.h"

namespace lt::provider {

class UpstreamMonitor {
 public:
  UpstreamMonitor(std::vector<std::shared_ptr<ServedModel>> models, int interval_ms);
  ~UpstreamMonitor();
  UpstreamMonitor(const UpstreamMonitor&) = delete;
  UpstreamMonitor& operator=(const UpstreamMonitor&) = delete;

  // Checks every model once (so a node starts with the truth), then keeps checking on a thread.
  void Start();
  void Stop();
  // Checks every watched model now, on the caller's thread.
  void CheckAll();
  // A generation failed: check again soon.
  void Nudge();
  // {"available", "upstream_error", "upstream_failures", "checked_at"} for /status ({} when the
  // model is not watched).
  nlohmann::json Describe(const ServedModel& m) const;

 private:
  struct State {
    std::string last_error;
    uint64_t failures = 0;
    uint64_t checked_at = 0;
  };
  void Loop();

  std::vector<std::shared_ptr<ServedModel>> models_;  // those with an upstream
  int interval_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<const ServedModel*, State> state_;
  bool stop_ = false, nudged_ = false;
  std::thread thread_;
};

}  // namespace lt::provider

#endif  // LT_PROVIDER_UPSTREAM_HEALTH_H_
