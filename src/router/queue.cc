#include "router/queue.h"

#include <algorithm>
#include <chrono>

namespace lt::router {

int PriorityClass(const U256& vault) {
  U256 whole = vault.Div(OneMor()).value_or(U256());
  U256 x = whole.CheckedAdd(U256(1)).value_or(U256::Max());
  // floor(log2(x)) = index of the highest set bit.
  const auto& l = x.limbs();
  for (int i = 3; i >= 0; --i) {
    if (l[i] != 0) return i * 64 + (63 - __builtin_clzll(l[i]));
  }
  return 0;
}

AgeingQueue::PushResult AgeingQueue::Push(uint64_t id, int cls, uint64_t now_ms) {
  PushResult r;
  Entry e{static_cast<int64_t>(now_ms) - static_cast<int64_t>(cls) * static_cast<int64_t>(age_step_ms_), seq_++, id};
  if (max_waiting_ == 0) return r;
  if (order_.size() >= max_waiting_) {
    auto last = std::prev(order_.end());
    if (!(e < *last)) return r;  // the newcomer is the lowest: shed it
    r.evicted = last->id;
    by_id_.erase(last->id);
    order_.erase(last);
  }
  order_.insert(e);
  by_id_[id] = e;
  r.admitted = true;
  return r;
}

std::optional<uint64_t> AgeingQueue::Pop() {
  if (order_.empty()) return std::nullopt;
  Entry e = *order_.begin();
  order_.erase(order_.begin());
  by_id_.erase(e.id);
  return e.id;
}

bool AgeingQueue::Remove(uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  order_.erase(it->second);
  by_id_.erase(it);
  return true;
}

PriorityGate::PriorityGate(QueueOptions options, const Clock* clock)
    : options_(options), clock_(clock), queue_(options.max_waiting, options.age_step_ms) {
  if (options_.max_active == 0) options_.max_active = 1;
}

PriorityGate::Permit& PriorityGate::Permit::operator=(Permit&& o) noexcept {
  if (this != &o) {
    Release();
    gate_ = o.gate_;
    o.gate_ = nullptr;
  }
  return *this;
}

void PriorityGate::Permit::Release() {
  if (gate_ != nullptr) gate_->ReleaseSlot();
  gate_ = nullptr;
}

uint64_t PriorityGate::RetryAfterLocked() const {
  // Roughly the time to drain the queue at one slot-turn per age step, at least one second.
  uint64_t turns = (queue_.size() + options_.max_active) / options_.max_active;
  uint64_t s = (turns * options_.age_step_ms + 999) / 1000;
  return std::clamp<uint64_t>(s, 1, 30);
}

Result<PriorityGate::Permit> PriorityGate::Enter(int cls, uint64_t* retry_after_s) {
  std::unique_lock<std::mutex> l(mu_);
  if (active_ < options_.max_active && queue_.size() == 0) {
    ++active_;
    return Permit(this);
  }
  uint64_t id = next_id_++;
  auto pushed = queue_.Push(id, cls, clock_->MonotonicMillis());
  if (pushed.evicted) {
    if (auto w = waiters_.find(*pushed.evicted); w != waiters_.end()) {
      w->second->state = 2;
      w->second->cv.notify_one();
    }
  }
  if (!pushed.admitted) {
    ++shed_;
    if (retry_after_s != nullptr) *retry_after_s = RetryAfterLocked();
    return MakeError(ErrorCode::kResourceExhausted,
                     "shed: the router is overloaded and every waiting request has a higher priority (class " +
                         std::to_string(cls) + ")");
  }
  Waiter me;
  waiters_[id] = &me;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.max_wait_ms);
  me.cv.wait_until(l, deadline, [&] { return me.state != 0; });
  int s = me.state;
  waiters_.erase(id);
  if (s == 1) return Permit(this);
  if (s == 0) queue_.Remove(id);
  ++shed_;
  if (retry_after_s != nullptr) *retry_after_s = RetryAfterLocked();
  return MakeError(ErrorCode::kResourceExhausted,
                   s == 0 ? "shed: waited " + std::to_string(options_.max_wait_ms) + " ms for a matching slot"
                          : "shed: the router is overloaded and higher-priority requests took the queue (class " +
                                std::to_string(cls) + ")");
}

void PriorityGate::ReleaseSlot() {
  std::lock_guard<std::mutex> l(mu_);
  if (active_ > 0) --active_;
  while (active_ < options_.max_active) {
    auto id = queue_.Pop();
    if (!id) break;
    auto w = waiters_.find(*id);
    if (w == waiters_.end()) continue;  // every queued id has its waiter; never hand a slot to nobody
    ++active_;
    w->second->state = 1;
    w->second->cv.notify_one();
  }
}

size_t PriorityGate::active() const {
  std::lock_guard<std::mutex> l(mu_);
  return active_;
}
size_t PriorityGate::waiting() const {
  std::lock_guard<std::mutex> l(mu_);
  return queue_.size();
}
uint64_t PriorityGate::shed_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return shed_;
}

}  // namespace lt::router
