// The `builtin` backend: the in-process CPU engine. Requests go to one engine::Engine (its thread
// interleaves the sessions, `slots` at once, batched prefill), turned into engine requests and
// filtered on the way back by engine/chat.h, exactly as `lt engine serve` does: the provider
// path and the engine's own server honour the same fields (stop strings, max_tokens, seed).
// Prompt caching: every request is submitted with reuse_prefix, and the engine keeps as many
// finished KV caches as there are slots, so the next turn of a conversation (which repeats the
// turns so far through the chat template) prefills only what is new (engine/engine.h).
// Tools: a request that offers tools (engine::ToolPlanOf) gets no chunk until generation ends;
// then the text is parsed for tool calls (engine/tool_calls.h): the text outside them goes out
// as one chunk, the calls in GenerationResult::tool_calls with finish_reason "tool_calls".
#include "provider/backend.h"

#ifdef LT_HAVE_ENGINE

#include <atomic>
#include <mutex>

#include "engine/chat.h"
#include "engine/engine.h"
#include "openai/chat_request.h"
#include "openai/completion_request.h"
#include "util/random.h"

namespace lt::provider {
namespace {

using nlohmann::json;

// One generation: the stop filter and the caller's callbacks, driven from the engine thread.
struct Job final : Generation {
  Job(std::vector<std::string> stop, engine::ToolPlan tool_plan, GenerationCallbacks callbacks)
      : filter(std::move(stop)), plan(std::move(tool_plan)), cb(std::move(callbacks)) {}
  void Cancel() override { cancelled.store(true); }

  // Engine thread. False ends the generation (cancelled, the caller is gone, or a stop string).
  bool OnPiece(std::string_view piece) {
    if (cancelled.load()) return false;
    std::string out = filter.Push(piece);
    if (plan.active) return !filter.stopped();  // the whole text is parsed at the end
    if (!out.empty() && !cb.on_chunk(out)) {
      cancelled.store(true);
      return false;
    }
    return !filter.stopped();
  }
  void OnDone(const engine::Completion& c) {
    if (!c.status.ok()) return cb.on_done(c.status.error());
    if (cancelled.load()) return cb.on_done(MakeError(ErrorCode::kUnavailable, "cancelled"));
    std::string rest = filter.Finish();
    GenerationResult r;
    r.finish_reason = !filter.stopped() && c.reason == engine::FinishReason::kLength ? "length" : "stop";
    if (plan.active) {
      engine::ParsedAnswer a = plan.Parse(filter.text());
      rest = std::move(a.content);
      if (!a.calls.empty()) {
        r.tool_calls = engine::ToolCallsJson(a.calls, *SecureRandom::Default());
        r.finish_reason = "tool_calls";
      }
    }
    if (!rest.empty()) cb.on_chunk(rest);
    r.prompt_tokens = static_cast<uint32_t>(c.prompt_tokens);
    r.completion_tokens = static_cast<uint32_t>(c.completion_tokens);
    r.cached_tokens = static_cast<uint32_t>(c.cached_tokens);
    cb.on_done(r);
  }

  std::atomic<bool> cancelled{false};
  engine::StopFilter filter;
  engine::ToolPlan plan;
  GenerationCallbacks cb;
};

class BuiltinBackend final : public Backend {
 public:
  BuiltinBackend(std::shared_ptr<const engine::Model> model, const BuiltinBackendOptions& o)
      : engine_(std::move(model), engine::EngineOptions{o.threads, std::max(o.slots, 1), 64, std::max(o.slots, 1)}), seed_(o.seed) {}
  std::string_view kind() const override { return "builtin"; }

  Result<std::shared_ptr<Generation>> Start(const json& request, GenerationCallbacks cb) override {
    // Every field is checked before use (a "role" of 5 used to throw here and end the provider).
    openai::ChatRequest chat;
    openai::ApiError bad;
    if (!openai::ParseAnyRequest(request, &chat, &bad) || !openai::CheckBuiltinEngine(chat, &bad)) {
      return InvalidArgument(bad.param.empty() ? bad.message : bad.param + ": " + bad.message);  // as session.cc words it
    }
    engine::Request r;
    if (!engine::ChatToRequest(engine_.model(), chat, seed_, &r, &bad)) return InvalidArgument(bad.message);
    r.reuse_prefix = true;
    auto job = std::make_shared<Job>(chat.stop, engine::ToolPlanOf(engine_.model(), chat), std::move(cb));
    r.on_token = [job](int token, std::string_view piece) { return job->OnPiece(job->plan.Piece(token, piece)); };
    r.on_done = [job](const engine::Completion& c) { job->OnDone(c); };
    LT_TRY_STATUS(engine_.Submit(std::move(r)));
    return std::shared_ptr<Generation>(job);
  }

 private:
  engine::Engine engine_;
  uint64_t seed_;
};

}  // namespace

Result<std::unique_ptr<Backend>> MakeBuiltinBackend(const BuiltinBackendOptions& o) {
  auto model = engine::Model::Load(o.model_path, o.tokenizer_path);
  if (!model.ok()) return model.error().Wrap("builtin backend");
  return std::unique_ptr<Backend>(new BuiltinBackend(std::move(*model), o));
}

}  // namespace lt::provider

#else

namespace lt::provider {
Result<std::unique_ptr<Backend>> MakeBuiltinBackend(const BuiltinBackendOptions&) {
  return MakeError(ErrorCode::kUnavailable, "this build of lt has no builtin engine");
}
}  // namespace lt::provider

#endif
