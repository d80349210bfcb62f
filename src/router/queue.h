// The balance-priority queue of the router's intake (DESIGN §5.2, doc/router.md "Queue").
//
// Every RFC that passed the signature, nonce, expiry and vault checks gets a class
// floor(log2(1 + vault in whole MOR)) and must take one of `max_active` matching slots before it
// is matched. When none is free it waits. Waiters are ordered by an ageing key
//     key = enqueued_ms - class * age_step_ms            (smaller is served first)
// which is the same as "effective class = class + waited / age_step": FIFO inside a class, and
// a low class that has waited long enough overtakes newer high-class arrivals, so nobody starves.
// The number of waiters is bounded (`max_waiting`). When it is full, the waiter with the largest
// key (the lowest effective class, i.e. the lowest class first) is shed in favour of a newcomer
// with a smaller key; otherwise the newcomer itself is shed. A waiter that waits longer than
// `max_wait_ms` is shed too. A shed RFC gets 429 with a Retry-After estimate.
//
// AgeingQueue is the pure data structure (deterministic; tests drive it with explicit times).
// PriorityGate wraps it for threads: Enter() blocks until a slot is granted or the waiter is
// shed; the returned Permit frees the slot when destroyed.
// Thread-safety: AgeingQueue none; PriorityGate is thread-safe.
#ifndef LT_ROUTER_QUEUE_H_
#define LT_ROUTER_QUEUE_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include "util/clock.h"
#include "util/result.h"
#include "util/uint256.h"

namespace lt::router {

// floor(log2(1 + floor(vault / 10^18))): 0 for under 1 MOR, 1 for [1, 3) MOR, 2 for [3, 7) ...
int PriorityClass(const U256& vault_base_units);

struct QueueOptions {
  size_t max_active = 32;        // RFCs matched at the same time
  size_t max_waiting = 256;      // RFCs waiting for a slot
  uint64_t age_step_ms = 1000;   // waiting this long is worth one class
  uint64_t max_wait_ms = 5000;   // a waiter is shed after this
};

class AgeingQueue {
 public:
  struct PushResult {
    bool admitted = false;                // the newcomer is queued
    std::optional<uint64_t> evicted;      // id of a waiter shed to make room
  };
  explicit AgeingQueue(size_t max_waiting, uint64_t age_step_ms)
      : max_waiting_(max_waiting), age_step_ms_(age_step_ms) {}

  PushResult Push(uint64_t id, int cls, uint64_t now_ms);
  // The id with the smallest key, removed; nullopt when empty.
  std::optional<uint64_t> Pop();
  // Removes a waiter (timeout); false when absent.
  bool Remove(uint64_t id);
  size_t size() const { return order_.size(); }

 private:
  struct Entry {
    int64_t key;
    uint64_t seq;
    uint64_t id;
    bool operator<(const Entry& o) const { return key != o.key ? key < o.key : seq < o.seq; }
  };
  size_t max_waiting_;
  uint64_t age_step_ms_;
  uint64_t seq_ = 0;
  std::set<Entry> order_;
  std::unordered_map<uint64_t, Entry> by_id_;
};

class PriorityGate {
 public:
  PriorityGate(QueueOptions options, const Clock* clock);

  class Permit {
   public:
    Permit() = default;
    explicit Permit(PriorityGate* g) : gate_(g) {}
    Permit(Permit&& o) noexcept : gate_(o.gate_) { o.gate_ = nullptr; }
    Permit& operator=(Permit&& o) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { Release(); }
    void Release();

   private:
    PriorityGate* gate_ = nullptr;
  };

  // Blocks until a slot is granted, or fails with kResourceExhausted ("shed: ...") when shed.
  // `retry_after_s` (if not null) receives the suggested Retry-After on failure.
  Result<Permit> Enter(int cls, uint64_t* retry_after_s = nullptr);

  size_t active() const;
  size_t waiting() const;
  uint64_t shed_count() const;

 private:
  void ReleaseSlot();
  uint64_t RetryAfterLocked() const;

  QueueOptions options_;
  const Clock* clock_;
  mutable std::mutex mu_;
  AgeingQueue queue_;
  size_t active_ = 0;
  uint64_t next_id_ = 1;
  uint64_t shed_ = 0;
  // A thread in Enter(), on its own stack. Each has its own condition variable, so a freed slot
  // wakes the one waiter it goes to (and an eviction the one evicted), not every waiter: with
  // one shared variable each release woke them all, and at 64 connections `lt bench router`
  // fell from 60 % to 40 % of its ceiling.
  struct Waiter {
    int state = 0;  // 0 waiting, 1 granted, 2 shed
    std::condition_variable cv;
  };
  std::unordered_map<uint64_t, Waiter*> waiters_;  // by queue id; notified under mu_
};

}  // namespace lt::router

#endif  // LT_ROUTER_QUEUE_H_
