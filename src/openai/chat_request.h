// The OpenAI chat-completion request, parsed and validated in one place (doc/client.md "OpenAI
// API"). Every path that takes such a request — the user's local API, the engine's server, the
// provider's backends — parses it here, so a request is refused the same way wherever it
// arrives, with OpenAI's error shape, and no later code reads an unchecked field (a message whose
// "role" was a number used to abort every provider).
//
// What is checked (null counts as absent, as OpenAI treats it):
//   model                  a string, when present
//   messages               a non-empty array (at most kMaxMessages) of objects with a string
//                          "role" (system, developer, user, assistant, tool, function) and a
//                          "content" that is a string, null, or an array of text parts
//                          {"type":"text","text":"..."}; other part types are refused
//   max_tokens,            integers from 1 to 2^31-1 (not "10", 1.5, 0 or -1); the smaller of
//   max_completion_tokens  the two applies
//   temperature            a number from 0 to 2;  top_p  a number in (0, 1]
//   presence_penalty,      numbers from -2 to 2
//   frequency_penalty
//   seed                   an integer;  n  1 (n > 1 is refused: one choice per request)
//   stop                   a string or an array of up to 4 strings (empty strings ignored)
//   stream                 a boolean;  stream_options  an object whose include_usage is a boolean
//   tools                  an array (wants_tools: non-empty and tool_choice is not "none")
//   response_format        an object with a string "type"
// Everything else (tool_choice, user, ...) is left in the body for backends that forward it;
// tools and response_format too, unchanged (CheckPlainText refuses them for the builtin engine).
// Thread-safety: pure functions.
#ifndef LT_OPENAI_CHAT_REQUEST_H_
#define LT_OPENAI_CHAT_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace lt::openai {

inline constexpr size_t kMaxMessages = 4096;
inline constexpr size_t kMaxStopStrings = 4;

// An error as OpenAI reports it: the HTTP status and the body {"error":{message,type,param,code}}.
struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string code;   // "" for null
  std::string param;  // "" for null
  nlohmann::json Body() const;
};

ApiError InvalidValue(std::string param, std::string message);

struct ChatMessage {
  std::string role;
  std::string text;  // the content's text (parts joined); "" for null content
};

struct ChatRequest {
  std::string model;  // "" when absent
  std::vector<ChatMessage> messages;
  std::optional<int64_t> max_tokens;  // the smaller of max_tokens and max_completion_tokens
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> seed;
  std::vector<std::string> stop;  // non-empty strings
  bool stream = false;
  bool include_usage = false;
  // A legacy text completion (openai/completion_request.h): one user message whose text is
  // continued as it is, never put in a chat template.
  bool raw_prompt = false;
  // Fields the builtin engine cannot honour, for CheckPlainText: "tools" (a non-empty array,
  // unless tool_choice is "none") and a response_format other than {"type":"text"}.
  bool wants_tools = false;
  std::string response_format;  // its "type"; "" when absent

  // The text of the last user message ("" when there is none).
  std::string LastUserText() const;
};

// For a backend that generates plain text (the builtin engine): false with a 400
// unsupported_parameter naming `tools` or `response_format` when the request asks for them
// (they pass unchanged to openai upstreams); true otherwise.
bool CheckPlainText(const ChatRequest& request, ApiError* error);

// Parses and validates `body` (already bounded in size and depth by the caller).
// On failure: false, with `error` saying which parameter and why (status 400).
bool ParseChatRequest(const nlohmann::json& body, ChatRequest* out, ApiError* error);

}  // namespace lt::openai

#endif  // LT_OPENAI_CHAT_REQUEST_H_
