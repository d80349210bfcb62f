#include "engine/session.h"

#include <algorithm>

namespace lt::engine {

Session::Session(std::shared_ptr<const Model> model, std::vector<int> prompt_tokens, int steps,
                 SamplingParams sampling)
    : model_(model),
      state_(model),
      sampler_(model->config().vocab_size, sampling),
      prompt_(std::move(prompt_tokens)),
      steps_(steps) {
  const int vocab = model_->config().vocab_size;
  if (prompt_.empty()) prompt_.push_back(model_->tokenizer().bos_id());
  for (int& t : prompt_) t = std::clamp(t, 0, vocab - 1);
  if (steps_ <= 0 || steps_ > model_->config().seq_len) steps_ = model_->config().seq_len;
  token_ = prompt_[0];
}

bool Session::Next(ThreadPool* pool, Step* out) {
  if (done()) return false;
  if (pos_ >= steps_) {
    reason_ = FinishReason::kLength;
    return false;
  }
  float* logits = state_.Forward(token_, pos_, pool);
  int next;
  bool forced = pos_ < static_cast<int>(prompt_.size()) - 1;
  if (forced) {
    next = prompt_[static_cast<size_t>(pos_ + 1)];
  } else {
    next = sampler_.Sample(logits);
    ++generated_;
  }
  ++pos_;
  const Tokenizer& tok = model_->tokenizer();
  if (!forced && (next == tok.bos_id() || next == tok.eos_id())) {
    reason_ = FinishReason::kStop;
    return false;
  }
  out->token = next;
  out->prompt = forced;
  out->piece = tok.Decode(token_, next);
  token_ = next;
  return true;
}

}  // namespace lt::engine
