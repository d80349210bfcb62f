#include "engine/session.h"

#include <algorithm>

namespace lt::engine {

Session::Session(std::shared_ptr<const Model> model, std::vector<int> prompt_tokens, int steps, SamplingParams sampling)
    : Session(model, KvCache{}, std::move(prompt_tokens), steps, sampling) {}

Session::Session(std::shared_ptr<const Model> model, KvCache cache, std::vector<int> prompt_tokens, int steps,
                 SamplingParams sampling)
    : model_(std::move(model)),
      cache_(std::move(cache)),
      sampler_(model_->config().vocab_size, sampling),
      prompt_(std::move(prompt_tokens)),
      steps_(steps) {
  Init(steps);
}

void Session::Init(int steps) {
  const int vocab = model_->config().vocab_size;
  const int ctx = model_->config().seq_len;
  if (prompt_.empty()) prompt_.push_back(std::max(0, model_->tokenizer().bos_id()));
  for (int& t : prompt_) t = std::clamp(t, 0, vocab - 1);
  if (steps <= 0 || steps > ctx) steps = ctx;
  steps_ = steps;
  if (cache_.state == nullptr || &cache_.state->model() != model_.get()) {
    cache_.state = std::make_unique<RunState>(model_);
    cache_.tokens.clear();
  }
  // Keep the common prefix (never the whole prompt: its last token must be evaluated).
  const size_t limit = std::min(cache_.tokens.size(), prompt_.size() - 1);
  size_t common = 0;
  while (common < limit && cache_.tokens[common] == prompt_[common]) ++common;
  reused_ = static_cast<int>(common);
  cache_.tokens.resize(common);
  computed_ = reused_;
  token_ = prompt_[0];
}

bool Session::Stops(int token) const {
  const Tokenizer& tok = model_->tokenizer();
  if (tok.IsEog(token)) return true;
  return tok.kind() == TokenizerKind::kLlama2c && token == tok.bos_id();
}

bool Session::Next(ThreadPool* pool, Step* out) {
  if (done()) return false;
  const Tokenizer& tok = model_->tokenizer();
  const int vocab = model_->config().vocab_size;
  if (!prefilled_) {
    // Evaluate the prompt (beyond the reused prefix) in one batch, up to `steps` positions.
    const int end = std::min(static_cast<int>(prompt_.size()), steps_);
    if (end > computed_) {
      float* l = cache_.state->Forward(prompt_.data() + computed_, end - computed_, computed_, pool);
      logits_.assign(l, l + vocab);
      cache_.tokens.insert(cache_.tokens.end(), prompt_.begin() + computed_, prompt_.begin() + end);
      computed_ = end;
    }
    prefilled_ = true;
  }
  const int prompt_end = std::min(static_cast<int>(prompt_.size()), steps_);
  if (reported_ < prompt_end) {
    const int next = prompt_[static_cast<size_t>(reported_++)];
    out->token = next;
    out->prompt = true;
    out->piece = tok.Decode(token_, next);
    token_ = next;
    return true;
  }
  if (computed_ < static_cast<int>(prompt_.size())) {  // the prompt filled every step
    reason_ = FinishReason::kLength;
    return false;
  }
  if (need_forward_) {
    if (computed_ >= steps_) {
      reason_ = FinishReason::kLength;
      return false;
    }
    float* l = cache_.state->Forward(token_, computed_, pool);
    logits_.assign(l, l + vocab);
    cache_.tokens.push_back(token_);
    ++computed_;
    need_forward_ = false;
  }
  std::vector<float> scratch(logits_);  // the sampler modifies its input
  const int next = sampler_.Sample(scratch.data());
  ++generated_;
  need_forward_ = true;
  if (Stops(next)) {
    reason_ = FinishReason::kStop;
    return false;
  }
  out->token = next;
  out->prompt = false;
  out->piece = tok.Decode(token_, next);
  token_ = next;
  return true;
}

KvCache Session::TakeCache() {
  KvCache c = std::move(cache_);
  cache_ = KvCache{};
  reason_ = reason_ == FinishReason::kNone ? FinishReason::kStop : reason_;
  return c;
}

}  // namespace lt::engine
