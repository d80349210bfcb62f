#include "engine/engine.h"

#include <algorithm>

#include "engine/thread_pool.h"
#include "util/thread.h"

namespace lt::engine {

struct Engine::Active {
  Request request;
  std::unique_ptr<Session> session;
  bool cancelled = false;
};

Engine::Engine(std::shared_ptr<const Model> model, EngineOptions options)
    : model_(std::move(model)), options_(options) {
  threads_ = options_.threads > 0 ? options_.threads : ThreadPool::DefaultThreads();
  options_.slots = std::max(1, options_.slots);
  options_.max_queue = std::max(0, options_.max_queue);
  thread_ = GuardedThread("engine", [this] { Loop(); });
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Status Engine::Submit(Request request) {
  const int ctx = model_->config().seq_len;
  if (request.prompt_tokens.empty() && model_->tokenizer().bos_id() >= 0) {
    request.prompt_tokens.push_back(model_->tokenizer().bos_id());
  }
  if (request.prompt_tokens.empty()) return InvalidArgument("the prompt is empty");
  if (static_cast<int>(request.prompt_tokens.size()) >= ctx) {
    return InvalidArgument("the prompt is " + std::to_string(request.prompt_tokens.size()) +
                           " tokens, the model's context is " + std::to_string(ctx));
  }
  if (request.max_new_tokens <= 0) return InvalidArgument("max_tokens must be positive");
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stop_) return MakeError(ErrorCode::kUnavailable, "the engine is shutting down");
    if (static_cast<int>(queue_.size()) >= options_.max_queue + options_.slots - active_count_) {
      return MakeError(ErrorCode::kResourceExhausted, "the engine is busy (" + std::to_string(queue_.size()) +
                                                          " requests waiting); retry later");
    }
    queue_.push_back(std::move(request));
  }
  cv_.notify_all();
  return OkStatus();
}

int Engine::active() const {
  std::lock_guard<std::mutex> lk(mu_);
  return active_count_;
}

int Engine::waiting() const {
  std::lock_guard<std::mutex> lk(mu_);
  return static_cast<int>(queue_.size());
}

int Engine::cached() const {
  std::lock_guard<std::mutex> lk(mu_);
  return static_cast<int>(caches_.size());
}

void Engine::DropCache(const std::string& key) {
  std::lock_guard<std::mutex> lk(mu_);
  for (auto it = caches_.begin(); it != caches_.end(); ++it) {
    if (it->key == key) {
      caches_.erase(it);
      return;
    }
  }
}

std::deque<Engine::Cached>::iterator Engine::LongestPrefix(const std::vector<int>& prompt) {
  auto best = caches_.end();
  size_t best_len = 1;  // more than BOS
  for (auto it = caches_.begin(); it != caches_.end(); ++it) {
    if (!it->key.empty()) continue;
    const std::vector<int>& t = it->cache.tokens;
    size_t n = 0;
    while (n < t.size() && n < prompt.size() && t[n] == prompt[n]) ++n;
    if (n > best_len && 2 * n >= t.size()) {
      best = it;
      best_len = n;
    }
  }
  return best;
}

void Engine::Loop() {
  ThreadPool pool(threads_);
  std::vector<std::unique_ptr<Active>> active;
  auto finish = [](Active& a, Status status) {
    Completion c;
    c.prompt_tokens = a.session ? a.session->prompt_tokens() : static_cast<int>(a.request.prompt_tokens.size());
    c.completion_tokens = a.session ? a.session->generated_tokens() : 0;
    c.cached_tokens = a.session ? a.session->reused_tokens() : 0;
    c.reason = a.cancelled ? FinishReason::kStop : (a.session ? a.session->finish_reason() : FinishReason::kNone);
    c.cancelled = a.cancelled;
    c.status = std::move(status);
    if (a.request.on_done) a.request.on_done(c);
  };
  for (;;) {
    std::vector<Request> admitted;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || !queue_.empty() || !active.empty(); });
      if (stop_) {
        std::deque<Request> rest;
        rest.swap(queue_);
        lk.unlock();
        Status down = MakeError(ErrorCode::kUnavailable, "the engine shut down");
        for (auto& a : active) finish(*a, down);
        for (auto& r : rest) {
          Active a{std::move(r), nullptr, false};
          finish(a, down);
        }
        return;
      }
      while (!queue_.empty() && static_cast<int>(active.size() + admitted.size()) < options_.slots) {
        admitted.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      active_count_ = static_cast<int>(active.size() + admitted.size());
    }
    for (auto& r : admitted) {
      auto a = std::make_unique<Active>();
      int prompt = static_cast<int>(r.prompt_tokens.size());
      int steps = std::min(model_->config().seq_len, prompt - 1 + r.max_new_tokens);
      KvCache cache;
      if (!r.cache_key.empty() || r.reuse_prefix) {
        std::lock_guard<std::mutex> lk(mu_);
        auto found = r.cache_key.empty() ? LongestPrefix(r.prompt_tokens) : caches_.end();
        for (auto it = caches_.begin(); it != caches_.end() && !r.cache_key.empty(); ++it) {
          if (it->key == r.cache_key) {
            found = it;
            break;
          }
        }
        if (found != caches_.end()) {
          cache = std::move(found->cache);
          caches_.erase(found);
        }
      }
      a->session = std::make_unique<Session>(model_, std::move(cache), r.prompt_tokens, steps, r.sampling);
      a->request = std::move(r);
      active.push_back(std::move(a));
    }
    // One step of every active session (a round), then retire the finished ones.
    for (auto& a : active) {
      Session::Step step;
      if (!a->session->Next(&pool, &step)) continue;
      if (!step.prompt && a->request.on_token && !a->request.on_token(step.token, step.piece)) a->cancelled = true;
    }
    for (auto& a : active) {
      if (a->session->done() || a->cancelled) {
        if ((!a->request.cache_key.empty() || a->request.reuse_prefix) && options_.max_cached > 0) {
          KvCache kept = a->session->TakeCache();
          std::lock_guard<std::mutex> lk(mu_);
          for (auto it = caches_.begin(); it != caches_.end() && !a->request.cache_key.empty(); ++it) {
            if (it->key == a->request.cache_key) {
              caches_.erase(it);
              break;
            }
          }
          caches_.push_back({a->request.cache_key, std::move(kept)});
          while (static_cast<int>(caches_.size()) > options_.max_cached) caches_.pop_front();
        }
        finish(*a, OkStatus());
        a.reset();
      }
    }
    active.erase(std::remove(active.begin(), active.end(), nullptr), active.end());
    {
      std::lock_guard<std::mutex> lk(mu_);
      active_count_ = static_cast<int>(active.size());
    }
  }
}

}  // namespace lt::engine
