// Fuzz target: the OpenAI chat and text-completion request parsers (openai/chat_request.h,
// openai/completion_request.h, through ParseAnyRequest as a provider reads a request) behind the
// bounded JSON parser (util/json.h), on arbitrary bytes, as any local application or a user's
// peer could send them; and the merge of streamed tool-call deltas (openai/response.h) on the
// body's "tool_calls", as an upstream could send them. Invariants beyond "no crash, no exception": an accepted request has at least one message,
// every role is a known one, max_tokens is positive, at most 4 stop strings and none empty; a
// refusal is a 400 with a message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "openai/chat_request.h"
#include "openai/completion_request.h"
#include "openai/response.h"
#include "util/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto body = lt::ParseJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (body.is_discarded()) return 0;
  if (body.is_object() && body.contains("tool_calls")) {
    nlohmann::json calls;
    if (lt::openai::MergeToolCallDeltas(&calls, body["tool_calls"]) &&
        (!calls.is_array() || calls.size() > lt::openai::kMaxToolCalls)) {
      __builtin_trap();
    }
  }
  lt::openai::ChatRequest r;
  lt::openai::ApiError e;
  if (!lt::openai::ParseAnyRequest(body, &r, &e)) {
    if (e.status != 400 || e.message.empty()) __builtin_trap();
    (void)e.Body().dump();
    return 0;
  }
  if (r.messages.empty()) __builtin_trap();
  for (const auto& m : r.messages) {
    if (m.role != "system" && m.role != "developer" && m.role != "user" && m.role != "assistant" && m.role != "tool" &&
        m.role != "function") {
      __builtin_trap();
    }
  }
  if (r.max_tokens && *r.max_tokens < 1) __builtin_trap();
  if (r.stop.size() > 4) __builtin_trap();
  for (const auto& s : r.stop) {
    if (s.empty()) __builtin_trap();
  }
  if (r.raw_prompt && r.messages.size() != 1) __builtin_trap();
  lt::openai::ApiError plain;
  (void)lt::openai::CheckBuiltinEngine(r, &plain);
  (void)r.LastUserText();
  return 0;
}
