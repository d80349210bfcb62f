#include "openai/completion_request.h"

namespace lt::openai {

using nlohmann::json;

namespace {

const json* Field(const json& body, const char* key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace

bool IsCompletionBody(const json& body) {
  return body.is_object() && body.contains("prompt") && !body.contains("messages");
}

bool ParseCompletionRequest(const json& body, ChatRequest* out, bool* echo, ApiError* error) {
  *out = ChatRequest();
  if (!body.is_object()) {
    *error = InvalidValue("", "the request body must be a JSON object");
    error->code = "invalid_json";
    return false;
  }
  if (body.contains("messages")) {
    *error = InvalidValue("messages", "/v1/completions takes a 'prompt', not 'messages' (use /v1/chat/completions)");
    return false;
  }
  const json* p = Field(body, "prompt");
  std::string prompt;
  if (p != nullptr && p->is_string()) {
    prompt = p->get<std::string>();
  } else if (p != nullptr && p->is_array() && p->size() == 1 && (*p)[0].is_string()) {
    prompt = (*p)[0].get<std::string>();
  } else {
    *error = InvalidValue("prompt",
                          "'prompt' must be a string or an array of one string (token arrays and several prompts "
                          "are not supported)");
    return false;
  }
  bool want_echo = false;
  if (const json* e = Field(body, "echo")) {
    if (!e->is_boolean()) {
      *error = InvalidValue("echo", "'echo' must be a boolean");
      return false;
    }
    want_echo = e->get<bool>();
  }
  if (const json* s = Field(body, "suffix"); s != nullptr && !(s->is_string() && s->get<std::string>().empty())) {
    *error = InvalidValue("suffix", "'suffix' is not supported");
    return false;
  }
  if (const json* l = Field(body, "logprobs"); l != nullptr && !(l->is_number_integer() && l->get<int64_t>() == 0)) {
    *error = InvalidValue("logprobs", "'logprobs' is not supported");
    return false;
  }
  if (const json* b = Field(body, "best_of"); b != nullptr && !(b->is_number_integer() && b->get<int64_t>() == 1)) {
    *error = InvalidValue("best_of", "only best_of = 1 is supported (one choice per request)");
    return false;
  }
  // Every other field means what it means for a chat: checked by the one chat parser.
  json chat = body;
  for (const char* k : {"prompt", "echo", "suffix", "logprobs", "best_of"}) chat.erase(k);
  chat["messages"] = json::array({{{"role", "user"}, {"content", prompt}}});
  if (!ParseChatRequest(chat, out, error)) return false;
  out->raw_prompt = true;
  if (!out->max_tokens) out->max_tokens = kCompletionDefaultMaxTokens;
  if (echo != nullptr) *echo = want_echo;
  return true;
}

bool ParseAnyRequest(const json& body, ChatRequest* out, ApiError* error) {
  if (IsCompletionBody(body)) return ParseCompletionRequest(body, out, nullptr, error);
  return ParseChatRequest(body, out, error);
}

json CompletionBodyToSend(const json& body, const ChatRequest& checked) {
  json out = body;
  out.erase("echo");
  out.erase("max_completion_tokens");
  out["prompt"] = checked.messages.empty() ? std::string() : checked.messages[0].text;
  if (checked.max_tokens) out["max_tokens"] = *checked.max_tokens;
  return out;
}

}  // namespace lt::openai
