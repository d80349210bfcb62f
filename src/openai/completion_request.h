// The legacy text-completion request (POST /v1/completions), parsed and validated in one place,
// as the chat request (openai/chat_request.h), into the same ChatRequest so every path serves it
// with the chat machinery (doc/client.md "OpenAI API", /v1/completions):
//   prompt      a string, or an array of exactly one string (token arrays and several prompts
//               are refused: one choice per request); it becomes one user message and
//               raw_prompt is set (the text is continued as it is, no chat template)
//   max_tokens  as for chat; absent means 16, OpenAI's default for this route
//   echo        a boolean; true puts the prompt before the completion in the answer's text
//   suffix, logprobs (> 0), best_of (> 1)   refused with a 400 naming the field
//   everything else (stop, stream, temperature, n ...) exactly as for chat.
// On the session protocol a completion travels as its OpenAI body (a "prompt" and no
// "messages"); ParseAnyRequest tells the two apart for the provider (doc/session-protocol.md).
// Thread-safety: pure functions.
#ifndef LT_OPENAI_COMPLETION_REQUEST_H_
#define LT_OPENAI_COMPLETION_REQUEST_H_

#include <nlohmann/json.hpp>

#include "openai/chat_request.h"

namespace lt::openai {

inline constexpr int64_t kCompletionDefaultMaxTokens = 16;

// Parses a /v1/completions body into `out` (raw_prompt set, one user message). `echo` may be null.
bool ParseCompletionRequest(const nlohmann::json& body, ChatRequest* out, bool* echo, ApiError* error);

// True when `body` is a completion body (a "prompt" and no "messages").
bool IsCompletionBody(const nlohmann::json& body);

// A chat or a completion body, told apart by IsCompletionBody.
bool ParseAnyRequest(const nlohmann::json& body, ChatRequest* out, ApiError* error);

// The body to send on for a checked completion: `body` with max_tokens made explicit (16 when
// absent), echo removed (the API that answers the user adds the prompt), prompt as one string.
nlohmann::json CompletionBodyToSend(const nlohmann::json& body, const ChatRequest& checked);

}  // namespace lt::openai

#endif  // LT_OPENAI_COMPLETION_REQUEST_H_
