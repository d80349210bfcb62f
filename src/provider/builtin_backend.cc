// The `builtin` backend: the in-process CPU engine (src/engine). One engine thread owns the
// model's thread pool and steps every running generation one token at a time, round-robin, so
// several sessions share the model fairly. Chat messages become the prompt as the text of the
// last user message (the tiny llama2.c story models have no chat template).
#include "provider/backend.h"

#ifdef LT_HAVE_ENGINE

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <thread>

#include "engine/model.h"
#include "engine/session.h"
#include "engine/thread_pool.h"
#include "openai/chat_request.h"
#include "util/thread.h"

namespace lt::provider {
namespace {

using nlohmann::json;

struct Job final : Generation {
  void Cancel() override { cancelled.store(true); }
  std::atomic<bool> cancelled{false};
  std::unique_ptr<engine::Session> session;
  GenerationCallbacks cb;
};

class BuiltinBackend final : public Backend {
 public:
  BuiltinBackend(std::shared_ptr<const engine::Model> model, int threads, uint64_t seed)
      : model_(std::move(model)), pool_(threads > 0 ? threads : engine::ThreadPool::DefaultThreads()), seed_(seed) {
    worker_ = GuardedThread("builtin engine", [this] { Loop(); });
  }
  ~BuiltinBackend() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  std::string_view kind() const override { return "builtin"; }

  Result<std::shared_ptr<Generation>> Start(const json& request, GenerationCallbacks cb) override {
    // Every field is checked before use (a "role" of 5 used to throw here and end the provider).
    openai::ChatRequest req;
    openai::ApiError bad;
    if (!openai::ParseChatRequest(request, &req, &bad)) return InvalidArgument(bad.message);
    std::string prompt = req.LastUserText();
    int max_tokens = 256;
    if (req.max_tokens) max_tokens = static_cast<int>(std::min<int64_t>(*req.max_tokens, model_->config().seq_len));
    engine::SamplingParams sp;
    if (req.temperature) sp.temperature = static_cast<float>(*req.temperature);
    if (req.top_p) sp.top_p = static_cast<float>(*req.top_p);
    sp.seed = req.seed ? static_cast<uint64_t>(*req.seed) : seed_;
    auto tokens = model_->tokenizer().Encode(prompt, true, false);
    int steps = std::min<int>(static_cast<int>(tokens.size()) + max_tokens, model_->config().seq_len);
    if (static_cast<int>(tokens.size()) >= model_->config().seq_len) {
      return InvalidArgument("prompt of " + std::to_string(tokens.size()) + " tokens exceeds the context of " +
                             std::to_string(model_->config().seq_len));
    }
    auto job = std::make_shared<Job>();
    job->session = std::make_unique<engine::Session>(model_, std::move(tokens), steps, sp);
    job->cb = std::move(cb);
    {
      std::lock_guard<std::mutex> l(mu_);
      incoming_.push_back(job);
    }
    cv_.notify_one();
    return std::shared_ptr<Generation>(job);
  }

 private:
  void Loop() {
    std::list<std::shared_ptr<Job>> active;
    while (true) {
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return stop_ || !incoming_.empty() || !active.empty(); });
        if (stop_) break;
        while (!incoming_.empty()) {
          active.push_back(std::move(incoming_.front()));
          incoming_.pop_front();
        }
      }
      for (auto it = active.begin(); it != active.end();) {
        Job& j = **it;
        bool finished = false;
        try {
          finished = Step(j);
        } catch (const std::exception& e) {  // never ends the provider: this generation fails alone
          j.cb.on_done(MakeError(ErrorCode::kInternal, std::string("engine error: ") + e.what()));
          finished = true;
        }
        it = finished ? active.erase(it) : std::next(it);
      }
    }
    for (auto& j : active) j->cb.on_done(MakeError(ErrorCode::kUnavailable, "engine stopped"));
  }

  // One token of `j` (its prompt first); true when it is finished and on_done was called.
  bool Step(Job& j) {
    bool finished = false;
    {
        if (j.cancelled.load()) {
          j.cb.on_done(MakeError(ErrorCode::kUnavailable, "cancelled"));
          finished = true;
        } else {
          // Prompt tokens are forced without output; stop at the first generated token.
          engine::Session::Step step;
          bool more = true;
          while ((more = j.session->Next(&pool_, &step)) && step.prompt) {
          }
          if (more) {
            std::string_view piece = engine::Tokenizer::SafePiece(step.piece);
            if (!piece.empty() && !j.cb.on_chunk(piece)) j.cancelled.store(true);
          }
          if (!more || j.session->done()) {
            GenerationResult r;
            r.finish_reason = j.session->finish_reason() == engine::FinishReason::kLength ? "length" : "stop";
            r.prompt_tokens = static_cast<uint32_t>(j.session->prompt_tokens());
            r.completion_tokens = static_cast<uint32_t>(j.session->generated_tokens());
            j.cb.on_done(r);
            finished = true;
          }
        }
    }
    return finished;
  }

  std::shared_ptr<const engine::Model> model_;
  engine::ThreadPool pool_;
  uint64_t seed_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> incoming_;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace

Result<std::unique_ptr<Backend>> MakeBuiltinBackend(const BuiltinBackendOptions& o) {
  auto model = engine::Model::Load(o.model_path, o.tokenizer_path);
  if (!model.ok()) return model.error().Wrap("builtin backend");
  return std::unique_ptr<Backend>(new BuiltinBackend(std::move(*model), o.threads, o.seed));
}

}  // namespace lt::provider

#else

namespace lt::provider {
Result<std::unique_ptr<Backend>> MakeBuiltinBackend(const BuiltinBackendOptions&) {
  return MakeError(ErrorCode::kUnavailable, "this build of lt has no builtin engine");
}
}  // namespace lt::provider

#endif
