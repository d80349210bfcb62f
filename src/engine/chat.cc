#include "engine/chat.h"

#include <algorithm>
#include <chrono>

#include "engine/chat_template.h"

namespace lt::engine {

namespace {

// Length of the longest prefix of s that does not end inside a UTF-8 sequence.
size_t CompleteUtf8Prefix(std::string_view s) {
  size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    unsigned char c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: look further back
    size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

}  // namespace

bool ChatToRequest(const Model& model, const openai::ChatRequest& chat, uint64_t default_seed, Request* out,
                   openai::ApiError* error) {
  bool have_user = false;
  for (const auto& m : chat.messages) have_user = have_user || m.role == "user";
  if (!have_user) {
    *error = openai::InvalidValue("messages", "'messages' must contain a user message (the start of the story)");
    return false;
  }
  const int ctx = model.config().seq_len;
  Request& r = *out;
  if (chat.raw_prompt) {  // a text completion (/v1/completions): the prompt is continued as it is
    r.prompt_tokens = model.tokenizer().Encode(chat.LastUserText(), true, false);
  } else {
    std::vector<ChatTurn> turns;
    turns.reserve(chat.messages.size());
    for (const auto& m : chat.messages) {
      ChatTurn t{m.role, m.text};
      for (const auto& c : m.tool_calls) t.tool_calls.push_back({c.id, c.name, c.arguments});
      t.tool_call_id = m.tool_call_id;
      turns.push_back(std::move(t));
    }
    r.prompt_tokens = RenderChat(model.tokenizer(), ChatFormatOf(model.tokenizer()), turns,
                                 chat.wants_tools ? chat.tools : nlohmann::json())
                          .tokens;
  }
  if (static_cast<int>(r.prompt_tokens.size()) >= ctx) {
    *error = {400,
              "the prompt of " + std::to_string(r.prompt_tokens.size()) + " tokens does not fit the context of " +
                  std::to_string(ctx) + " tokens",
              "invalid_request_error", "context_length_exceeded", "messages"};
    return false;
  }
  r.max_new_tokens = chat.max_tokens ? static_cast<int>(std::min<int64_t>(*chat.max_tokens, ctx)) : ctx;
  r.sampling.temperature = chat.temperature ? static_cast<float>(*chat.temperature) : 1.0f;
  r.sampling.top_p = chat.top_p ? static_cast<float>(*chat.top_p) : 1.0f;
  if (chat.seed) {
    r.sampling.seed = static_cast<uint64_t>(*chat.seed);
  } else {
    r.sampling.seed = default_seed != 0
                          ? default_seed
                          : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1;
  }
  if (r.sampling.seed == 0) r.sampling.seed = 0x9e3779b97f4a7c15ull;  // 0 means "from the clock" in run.c
  return true;
}

ToolPlan ToolPlanOf(const Model& model, const openai::ChatRequest& chat) {
  ToolPlan plan;
  if (chat.raw_prompt || !chat.wants_tools) return plan;
  plan.active = true;
  plan.syntax = ToolSyntaxOf(ChatFormatOf(model.tokenizer()));
  const Tokenizer& tok = model.tokenizer();
  plan.tokenizer = &tok;
  for (std::string_view marker : {"[TOOL_CALLS]", "<|python_tag|>", "<tool_call>", "</tool_call>"}) {
    int id = tok.Find(marker);
    if (id >= 0 && tok.type(id) == TokenType::kControl) plan.preserved.push_back(id);
  }
  for (const auto& t : chat.tools) {  // shapes checked by openai::CheckBuiltinEngine
    auto fn = t.is_object() ? t.find("function") : t.end();
    if (fn == t.end() || !fn->is_object()) continue;
    auto name = fn->find("name");
    if (name != fn->end() && name->is_string()) plan.names.push_back(name->get<std::string>());
  }
  return plan;
}

std::string_view ToolPlan::Piece(int token, std::string_view piece) const {
  if (!active || tokenizer == nullptr) return piece;
  for (int id : preserved) {
    if (id == token) return tokenizer->text(id);
  }
  return piece;
}

StopFilter::StopFilter(std::vector<std::string> stop) : stop_(std::move(stop)) {
  std::erase_if(stop_, [](const std::string& s) { return s.empty(); });
  for (const auto& s : stop_) max_stop_ = std::max(max_stop_, s.size());
}

std::string StopFilter::Push(std::string_view piece) {
  if (stopped_) return "";
  if (piece.size() == 1) {
    unsigned char c = static_cast<unsigned char>(piece[0]);
    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') piece = {};
  }
  size_t from = text_.size() > max_stop_ ? text_.size() - max_stop_ : 0;
  text_ += piece;
  for (const auto& s : stop_) {
    size_t p = text_.find(s, from);
    if (p != std::string::npos && p < text_.size()) {
      text_.resize(p);
      stopped_ = true;
    }
  }
  size_t hold = stopped_ || max_stop_ == 0 ? 0 : max_stop_ - 1;
  size_t end = text_.size() > hold ? text_.size() - hold : 0;
  end = std::max(released_, stopped_ ? text_.size() : CompleteUtf8Prefix(std::string_view(text_).substr(0, end)));
  std::string out = text_.substr(released_, end - released_);
  released_ = end;
  return out;
}

std::string StopFilter::Finish() {
  std::string out = text_.substr(released_);
  released_ = text_.size();
  return out;
}

}  // namespace lt::engine
