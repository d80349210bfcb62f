// The answers of an OpenAI-compatible API, written once for every server that answers a user
// (`lt client serve` and `lt engine serve`): a chat completion or a legacy text completion,
// whole or as Server-Sent Event chunks, with usage, tool calls (passed through from openai
// upstreams) and OpenAI's error for a route or method that does not exist.
//
//   chat   object "chat.completion" / "chat.completion.chunk"; choices[0].message (or .delta)
//          {role, content, tool_calls?}; the stream opens with a {role:"assistant",content:""}
//          delta and ends with an empty delta carrying finish_reason
//   text   object "text_completion" (whole and chunks); choices[0].text
//   usage  {prompt_tokens, completion_tokens, total_tokens}; in a stream only with
//          stream_options.include_usage, as a last chunk with "choices": [] before [DONE]
// Thread-safety: pure functions.
#ifndef LT_OPENAI_RESPONSE_H_
#define LT_OPENAI_RESPONSE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "openai/chat_request.h"

namespace lt::openai {

enum class Kind { kChat, kText };

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  nlohmann::json ToJson() const;
  // From a usage object (missing or bad fields count 0).
  static Usage FromJson(const nlohmann::json& j);
};

// What every chunk and answer carries.
struct AnswerHead {
  Kind kind = Kind::kChat;
  std::string id;
  int64_t created = 0;
  std::string model;
  std::string system_fingerprint;  // "" : not sent
};

// "chatcmpl-..." or "cmpl-..." followed by `suffix`.
std::string AnswerId(Kind kind, std::string_view suffix);

// A whole answer. tool_calls: a JSON array, or null/empty for none (chat only).
nlohmann::json Answer(const AnswerHead& head, const std::string& text, const std::string& finish_reason,
                      const nlohmann::json& tool_calls, const Usage& usage);

// SSE events ("data: {...}\n\n"). First: the chat's opening role delta ("" for text).
std::string StreamStart(const AnswerHead& head);
std::string StreamDelta(const AnswerHead& head, std::string_view text);
// Tool calls of a chat, whole, as one delta (each with its "index").
std::string StreamToolCalls(const AnswerHead& head, const nlohmann::json& tool_calls);
// The closing events: finish_reason, usage when asked for, [DONE].
std::string StreamEnd(const AnswerHead& head, const std::string& finish_reason, bool include_usage,
                      const Usage& usage);
// An error inside a stream that already started (then the stream ends).
std::string StreamError(const ApiError& error);

// Folds one streamed delta's "tool_calls" (each with an "index"; id, type and function.name
// when it starts, function.arguments in pieces) into `calls`, the whole calls so far (a JSON
// array, ordered by index). At most kMaxToolCalls calls; false for a malformed delta.
inline constexpr size_t kMaxToolCalls = 128;
bool MergeToolCallDeltas(nlohmann::json* calls, const nlohmann::json& deltas);

// The routes a server answers, for the error of a request that none matched.
struct Route {
  std::string_view method;
  std::string_view path;
  bool prefix = false;  // path is a prefix ("/v1/models/")
};
// 405 method_not_allowed (with `allow` set to the route's methods, comma-separated) when `path`
// is a route under other methods; else 404 unknown_url naming the method and path.
ApiError NoRoute(std::string_view method, std::string_view path, std::span<const Route> routes,
                 std::string* allow);
// An error the HTTP layer made by itself (404 no route for the method, 413 body too large, 414,
// 431, 400 malformed request, 500, 503) in OpenAI's words: the status kept, `net_code` mapped to an OpenAI type and code.
ApiError FromHttpRefusal(int status, std::string_view net_code, std::string_view message);

}  // namespace lt::openai

#endif  // LT_OPENAI_RESPONSE_H_
