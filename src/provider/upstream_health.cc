#include "provider/upstream_health.h"

#include <chrono>

#include "util/clock.h"
#include "util/log.h"
#include "util/thread.h"

namespace lt::provider {

UpstreamMonitor::UpstreamMonitor(std::vector<std::shared_ptr<ServedModel>> models, int interval_ms)
    : interval_ms_(std::max(interval_ms, 100)) {
  for (auto& m : models) {
    if (m->backend && m->backend->kind() == "openai") models_.push_back(std::move(m));
  }
  for (const auto& m : models_) state_[m.get()] = State{};
}

UpstreamMonitor::~UpstreamMonitor() { Stop(); }

void UpstreamMonitor::Start() {
  if (models_.empty()) return;
  CheckAll();
  thread_ = GuardedThread("upstream monitor", [this] { Loop(); });
}

void UpstreamMonitor::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void UpstreamMonitor::Nudge() {
  {
    std::lock_guard<std::mutex> l(mu_);
    nudged_ = true;
  }
  cv_.notify_all();
}

void UpstreamMonitor::CheckAll() {
  for (const auto& m : models_) {
    Status s = m->backend->CheckHealth();
    bool was = m->available.load();
    std::lock_guard<std::mutex> l(mu_);
    State& st = state_[m.get()];
    st.checked_at = SystemClock::Default()->NowSeconds();
    if (s.ok()) {
      if (!was) LT_INFO("provider: model " << m->name << ": upstream is back; resumed");
      m->available = true;
    } else {
      ++st.failures;
      st.last_error = s.error().message;
      if (was) {
        LT_WARN("provider: model " << m->name << ": upstream is down (" << st.last_error
                                   << "); paused: no new sessions, no free slots in Pongs");
      }
      m->available = false;
    }
  }
}

void UpstreamMonitor::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    cv_.wait_for(l, std::chrono::milliseconds(interval_ms_), [this] { return stop_ || nudged_; });
    if (stop_) break;
    nudged_ = false;
    l.unlock();
    CheckAll();
    l.lock();
  }
}

nlohmann::json UpstreamMonitor::Describe(const ServedModel& m) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = state_.find(&m);
  if (it == state_.end()) return nlohmann::json::object();
  nlohmann::json j = {{"available", m.available.load()},
                      {"upstream_failures", it->second.failures},
                      {"checked_at", it->second.checked_at}};
  j["upstream_error"] = it->second.last_error.empty() ? nlohmann::json() : nlohmann::json(it->second.last_error);
  return j;
}

}  // namespace lt::provider
