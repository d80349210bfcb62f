#include "engine/thread_pool.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LT_PAUSE() _mm_pause()
#else
#define LT_PAUSE() std::this_thread::yield()
#endif

namespace lt::engine {

int ThreadPool::DefaultThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = DefaultThreads();
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(0); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  Wake();
  for (auto& t : workers_) t.join();
}

void ThreadPool::Wake() {
  {
    std::lock_guard<std::mutex> lk(mu_);  // a sleeper either sees the new generation or is woken
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
}

void ThreadPool::RunTasks() {
  for (;;) {
    int i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= n_) break;
    (*fn_)(i);
  }
}

void ThreadPool::WorkerLoop(uint32_t seen) {
  // `seen` is the generation at construction, so a loop started before this thread ran is not missed.
  for (;;) {
    // Spin for a short while (about 50 microseconds), then sleep until the generation changes.
    uint32_t g = seen;
    auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
    int spins = 0;
    while ((g = generation_.load(std::memory_order_acquire)) == seen) {
      LT_PAUSE();
      if (++spins % 64 == 0 && std::chrono::steady_clock::now() > spin_until) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      }
    }
    seen = g;
    if (stop_.load()) return;
    RunTasks();
    active_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::ParallelFor(int n, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    for (int i = 0; i < n; ++i) fn(i);
    return;
  }
  fn_ = &fn;
  n_ = n;
  next_.store(0, std::memory_order_relaxed);
  active_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  Wake();
  RunTasks();
  while (active_.load(std::memory_order_acquire) != 0) LT_PAUSE();
  fn_ = nullptr;
}

}  // namespace lt::engine
