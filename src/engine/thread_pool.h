// ThreadPool: a small persistent pool for the data-parallel loops of one forward pass.
//
// ParallelFor(n, fn) runs fn(0..n-1) spread over the pool's threads *and the caller*, and returns
// when every call has finished. Workers spin briefly after each loop (a decode step issues dozens
// of short loops, and waking a sleeping thread costs more than a small matmul) and then sleep on a
// condition variable, so an idle pool costs no CPU. There is no per-call thread creation.
// Thread-safety: one caller at a time (the engine thread); fn must be safe to run concurrently
// for distinct indices. Destruction joins the workers.
#ifndef LT_ENGINE_THREAD_POOL_H_
#define LT_ENGINE_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lt::engine {

class ThreadPool {
 public:
  // threads: total parallelism including the caller; <= 0 means the number of CPUs.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  void ParallelFor(int n, const std::function<void(int)>& fn);

  static int DefaultThreads();

 private:
  void WorkerLoop(uint32_t seen);
  void RunTasks();
  void Wake();

  std::vector<std::thread> workers_;
  const std::function<void(int)>* fn_ = nullptr;
  int n_ = 0;
  std::atomic<uint32_t> generation_{0};
  std::atomic<int> next_{0};
  std::atomic<int> active_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace lt::engine

#endif  // LT_ENGINE_THREAD_POOL_H_
