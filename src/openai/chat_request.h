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
//   tool_choice            "none", "auto", "required" or an object with a string "type"
//                          ({"type":"function","function":{"name": string}}; other types kept
//                          as "other" for upstreams)
//   messages[].tool_calls  an array (at most kMaxMessageToolCalls) of objects; those of type
//                          "function" (or no type) {"id"?, "function": {"name": string,
//                          "arguments": string or object}}, others skipped; tool_call_id and
//                          name of a message: strings
//   response_format        an object with a string "type"
//   logprobs               a boolean;  top_logprobs  an integer from 0 to 20
//   logit_bias             an object (of token id -> bias)
// Everything else (user, ...) is left in the body for backends that forward it; tools,
// tool_choice and response_format too, unchanged. CheckBuiltinEngine says what the builtin
// engine cannot honour.
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

inline constexpr size_t kMaxMessageToolCalls = 128;

// One tool call of an assistant message (the history an agent sends back).
struct ChatToolCall {
  std::string id;         // "" when absent
  std::string name;
  std::string arguments;  // JSON text as sent (an object sent as an object is dumped)
};

struct ChatMessage {
  std::string role;
  std::string text;  // the content's text (parts joined); "" for null content
  std::vector<ChatToolCall> tool_calls = {};  // assistant messages
  std::string tool_call_id = {};              // tool messages; "" when absent
  std::string name = {};                      // "" when absent
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
  // "tools" is a non-empty array and tool_choice is not "none": the model may call them.
  bool wants_tools = false;
  std::string response_format;  // its "type"; "" when absent
  bool logprobs = false;         // logprobs: true (the answer must carry them)
  bool logit_bias = false;       // logit_bias is a non-empty object
  nlohmann::json tools;          // the "tools" array as sent; null when absent
  std::string tool_choice;       // "none", "auto", "required", "function", "other"; "" when absent
  std::string tool_choice_name;  // the function's name when tool_choice is "function"

  // The text of the last user message ("" when there is none).
  std::string LastUserText() const;
};

// For the builtin engine, which writes text and parses tool calls out of it (doc/engine.md "Tool
// calls") but cannot force them: false with a 400 unsupported_parameter naming `tool_choice`
// ("required", a named function, or another object type), `response_format` (other than "text"),
// `logprobs` (true) or `logit_bias` (non-empty): it returns no logprobs and biases no token, and
// answering as if it did would mislead the client. Or invalid_value
// naming `tools[i]` for a tool that is not {"type":"function","function":{"name": string, ...}}
// (at most kMaxTools); true otherwise (they all pass unchanged to openai upstreams).
inline constexpr size_t kMaxTools = 128;
bool CheckBuiltinEngine(const ChatRequest& request, ApiError* error);

// Parses and validates `body` (already bounded in size and depth by the caller).
// On failure: false, with `error` saying which parameter and why (status 400).
bool ParseChatRequest(const nlohmann::json& body, ChatRequest* out, ApiError* error);

}  // namespace lt::openai

#endif  // LT_OPENAI_CHAT_REQUEST_H_
