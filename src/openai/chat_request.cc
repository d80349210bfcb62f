#include "openai/chat_request.h"

#include <algorithm>
#include <array>
#include <limits>

namespace lt::openai {

using nlohmann::json;

json ApiError::Body() const {
  json e = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (!code.empty()) e["code"] = code;
  if (!param.empty()) e["param"] = param;
  return json{{"error", e}};
}

ApiError InvalidValue(std::string param, std::string message) {
  ApiError e;
  e.status = 400;
  e.message = std::move(message);
  e.code = "invalid_value";
  e.param = std::move(param);
  return e;
}

std::string ChatRequest::LastUserText() const {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->role == "user") return it->text;
  }
  return "";
}

bool CheckPlainText(const ChatRequest& request, ApiError* error) {
  if (request.wants_tools) {
    *error = InvalidValue("tools",
                          "this model runs on the builtin engine, which cannot call tools (send tool_choice \"none\" "
                          "or no tools; providers with an openai backend pass tools to their upstream)");
    error->code = "unsupported_parameter";
    return false;
  }
  if (!request.response_format.empty() && request.response_format != "text") {
    *error = InvalidValue("response_format", "this model runs on the builtin engine, which only writes text "
                                             "(response_format type '" + request.response_format.substr(0, 40) +
                                             "' is not supported)");
    error->code = "unsupported_parameter";
    return false;
  }
  return true;
}

namespace {

constexpr std::array<std::string_view, 6> kRoles = {"system", "developer", "user", "assistant", "tool", "function"};

const json* Field(const json& body, const char* key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

// A number in [lo, hi] (in (lo, hi] when lo_open); `range` words the interval for the error.
bool Number(const json& body, const char* key, double lo, double hi, bool lo_open, const char* range,
            std::optional<double>* out, ApiError* error) {
  const json* v = Field(body, key);
  if (v == nullptr) return true;
  if (!v->is_number()) {
    *error = InvalidValue(key, std::string("'") + key + "' must be a number " + range);
    return false;
  }
  double d = v->get<double>();
  if (d < lo || d > hi || (lo_open && d == lo)) {
    *error = InvalidValue(key, std::string("'") + key + "' must be a number " + range);
    return false;
  }
  if (out != nullptr) *out = d;
  return true;
}

bool Content(const json& m, size_t index, std::string* text, ApiError* error) {
  std::string param = "messages[" + std::to_string(index) + "].content";
  const json* c = Field(m, "content");
  if (c == nullptr) return true;
  if (c->is_string()) {
    *text = c->get<std::string>();
    return true;
  }
  if (!c->is_array()) {
    *error = InvalidValue(param, "message content must be a string or an array of text parts");
    return false;
  }
  for (const auto& part : *c) {
    auto type = part.is_object() ? part.find("type") : part.end();
    auto t = part.is_object() ? part.find("text") : part.end();
    if (!part.is_object() || type == part.end() || !type->is_string() || *type != "text" || t == part.end() ||
        !t->is_string()) {
      *error = InvalidValue(param, "only text content parts {\"type\":\"text\",\"text\":\"...\"} are supported");
      return false;
    }
    *text += t->get<std::string>();
  }
  return true;
}

}  // namespace

bool ParseChatRequest(const json& body, ChatRequest* out, ApiError* error) {
  *out = ChatRequest();
  if (!body.is_object()) {
    *error = InvalidValue("", "the request body must be a JSON object");
    error->code = "invalid_json";
    return false;
  }
  if (const json* m = Field(body, "model")) {
    if (!m->is_string()) {
      *error = InvalidValue("model", "'model' must be a string");
      return false;
    }
    out->model = m->get<std::string>();
  }
  const json* messages = Field(body, "messages");
  if (messages == nullptr || !messages->is_array() || messages->empty()) {
    *error = InvalidValue("messages", "'messages' must be a non-empty array");
    return false;
  }
  if (messages->size() > kMaxMessages) {
    *error = InvalidValue("messages", "'messages' has more than " + std::to_string(kMaxMessages) + " entries");
    return false;
  }
  for (size_t i = 0; i < messages->size(); ++i) {
    const json& m = (*messages)[i];
    std::string param = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) {
      *error = InvalidValue(param, "each message must be an object");
      return false;
    }
    const json* role = Field(m, "role");
    if (role == nullptr || !role->is_string() ||
        std::find(kRoles.begin(), kRoles.end(), role->get<std::string>()) == kRoles.end()) {
      *error = InvalidValue(param + ".role",
                            "each message needs a 'role' of system, developer, user, assistant, tool or function");
      return false;
    }
    ChatMessage msg;
    msg.role = role->get<std::string>();
    if (!Content(m, i, &msg.text, error)) return false;
    out->messages.push_back(std::move(msg));
  }
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    const json* v = Field(body, key);
    if (v == nullptr) continue;
    if (!v->is_number_integer() || v->get<int64_t>() < 1 || v->get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      *error = InvalidValue(key, std::string("'") + key + "' must be a positive integer");
      return false;
    }
    int64_t n = v->get<int64_t>();
    out->max_tokens = out->max_tokens ? std::min(*out->max_tokens, n) : n;
  }
  if (!Number(body, "temperature", 0, 2, false, "from 0 to 2", &out->temperature, error)) return false;
  if (!Number(body, "top_p", 0, 1, true, "in (0, 1]", &out->top_p, error)) return false;
  if (!Number(body, "presence_penalty", -2, 2, false, "from -2 to 2", nullptr, error)) return false;
  if (!Number(body, "frequency_penalty", -2, 2, false, "from -2 to 2", nullptr, error)) return false;
  if (const json* s = Field(body, "seed")) {
    if (!s->is_number_integer()) {
      *error = InvalidValue("seed", "'seed' must be an integer");
      return false;
    }
    out->seed = s->is_number_unsigned() ? static_cast<int64_t>(s->get<uint64_t>()) : s->get<int64_t>();
  }
  if (const json* n = Field(body, "n")) {
    if (!n->is_number_integer() || n->get<int64_t>() < 1) {
      *error = InvalidValue("n", "'n' must be a positive integer");
      return false;
    }
    if (n->get<int64_t>() != 1) {
      *error = InvalidValue("n", "only n = 1 is supported (one choice per request)");
      return false;
    }
  }
  if (const json* s = Field(body, "stop")) {
    bool ok = s->is_string() || (s->is_array() && s->size() <= kMaxStopStrings);
    if (s->is_array()) {
      for (const auto& e : *s) ok = ok && e.is_string();
    }
    if (!ok) {
      *error = InvalidValue("stop", "'stop' must be a string or an array of up to 4 strings");
      return false;
    }
    if (s->is_string()) {
      out->stop.push_back(s->get<std::string>());
    } else {
      for (const auto& e : *s) out->stop.push_back(e.get<std::string>());
    }
    std::erase_if(out->stop, [](const std::string& x) { return x.empty(); });
  }
  if (const json* s = Field(body, "stream")) {
    if (!s->is_boolean()) {
      *error = InvalidValue("stream", "'stream' must be a boolean");
      return false;
    }
    out->stream = s->get<bool>();
  }
  if (const json* t = Field(body, "tools")) {
    if (!t->is_array()) {
      *error = InvalidValue("tools", "'tools' must be an array");
      return false;
    }
    const json* choice = Field(body, "tool_choice");
    out->wants_tools = !t->empty() && !(choice != nullptr && choice->is_string() && *choice == "none");
  }
  if (const json* rf = Field(body, "response_format")) {
    auto type = rf->is_object() ? rf->find("type") : rf->end();
    if (!rf->is_object() || type == rf->end() || !type->is_string()) {
      *error = InvalidValue("response_format", "'response_format' must be an object with a string 'type'");
      return false;
    }
    out->response_format = type->get<std::string>();
  }
  if (const json* so = Field(body, "stream_options")) {
    if (!so->is_object()) {
      *error = InvalidValue("stream_options", "'stream_options' must be an object");
      return false;
    }
    if (const json* iu = Field(*so, "include_usage")) {
      if (!iu->is_boolean()) {
        *error = InvalidValue("stream_options.include_usage", "'stream_options.include_usage' must be a boolean");
        return false;
      }
      out->include_usage = iu->get<bool>();
    }
  }
  return true;
}

}  // namespace lt::openai
