// From an OpenAI chat request to an engine Request, and the text that goes back: written once for
// every path that serves a chat with the built-in engine (`lt engine serve` and the provider's
// `builtin` backend), so both honour the same fields the same way.
//
// ChatToRequest: the prompt (every message through the model's chat template, engine/
// chat_template.h and doc/engine.md "Prompt format"), max_tokens (bounded by the context), temperature,
// top_p and seed (none: `default_seed`, or the clock when that is 0). On failure: false with an
// OpenAI error (400 invalid_value: no user message; 400 context_length_exceeded: the prompt does
// not fit the context).
// ToolPlanOf: whether the answer is to be parsed for tool calls (the request offers tools and
// tool_choice is not "none"), in which syntax and for which names (engine/tool_calls.h); the
// servers then hold the answer back until it is whole, taking each token's text through
// ToolPlan::Piece (tool markers that are control tokens keep their text).
// StopFilter: generated pieces in, text to send out: stop strings cut the text (the stop string
// itself is never sent), text that could still become a stop string is held back, output never
// ends inside a UTF-8 sequence, and single control bytes other than \n \t \r are dropped.
// Thread-safety: ChatToRequest is pure; a StopFilter belongs to one request (callers lock).
#ifndef LT_ENGINE_CHAT_H_
#define LT_ENGINE_CHAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "engine/tool_calls.h"
#include "openai/chat_request.h"
#include "util/result.h"

namespace lt::engine {

// Fills `out` but its callbacks.
bool ChatToRequest(const Model& model, const openai::ChatRequest& chat, uint64_t default_seed, Request* out,
                   openai::ApiError* error);

struct ToolPlan {
  bool active = false;
  ToolSyntax syntax = ToolSyntax::kTagged;
  std::vector<std::string> names;
  // The tool markers that are control tokens of the vocabulary (Mistral v0.3's [TOOL_CALLS],
  // Llama 3.1's <|python_tag|>): control tokens decode to "", so while tools are active their
  // text is kept for the parser (llama.cpp's "preserved tokens").
  std::vector<int> preserved;
  const Tokenizer* tokenizer = nullptr;

  ParsedAnswer Parse(std::string_view text) const { return ParseToolCalls(syntax, text, names); }
  // The text a generated token adds to the answer: `piece`, or a preserved marker's text.
  std::string_view Piece(int token, std::string_view piece) const;
};

ToolPlan ToolPlanOf(const Model& model, const openai::ChatRequest& chat);

class StopFilter {
 public:
  explicit StopFilter(std::vector<std::string> stop);
  // Adds a generated piece; returns the text now safe to send (maybe empty). After a stop string
  // was seen, stopped() is true and further pieces are ignored.
  std::string Push(std::string_view piece);
  // At the end of generation: whatever was held back.
  std::string Finish();
  bool stopped() const { return stopped_; }
  const std::string& text() const { return text_; }  // everything kept so far

 private:
  std::vector<std::string> stop_;
  size_t max_stop_ = 0;
  std::string text_;
  size_t released_ = 0;
  bool stopped_ = false;
};

}  // namespace lt::engine

#endif  // LT_ENGINE_CHAT_H_
