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

bool CheckBuiltinEngine(const ChatRequest& request, ApiError* error) {
  if (request.wants_tools && (request.tool_choice == "required" || request.tool_choice == "function" ||
                              request.tool_choice == "other")) {
    *error = InvalidValue("tool_choice",
                          "this model runs on the builtin engine, which cannot force a tool call (tool_choice '" +
                              request.tool_choice + "'); send tool_choice \"auto\" or \"none\" (providers with "
                              "an openai backend pass tool_choice to their upstream)");
    error->code = "unsupported_parameter";
    return false;
  }
  if (request.wants_tools && request.tools.size() > kMaxTools) {
    *error = InvalidValue("tools", "'tools' has more than " + std::to_string(kMaxTools) + " entries");
    return false;
  }
  for (size_t i = 0; request.wants_tools && i < request.tools.size(); ++i) {
    const json& t = request.tools[i];
    auto type = t.is_object() ? t.find("type") : t.end();
    auto fn = t.is_object() ? t.find("function") : t.end();
    auto name = fn != t.end() && fn->is_object() ? fn->find("name") : t.end();
    bool ok = t.is_object() && (type == t.end() || (type->is_string() && *type == "function")) && fn != t.end() &&
              fn->is_object() && name != fn->end() && name->is_string() && !name->get<std::string>().empty();
    if (!ok) {
      *error = InvalidValue("tools[" + std::to_string(i) + "]",
                            "each tool must be {\"type\":\"function\",\"function\":{\"name\":\"...\", ...}}");
      return false;
    }
  }
  if (request.logprobs || request.logit_bias) {
    const char* field = request.logprobs ? "logprobs" : "logit_bias";
    *error = InvalidValue(field, std::string("this model runs on the builtin engine, which ") +
                                     (request.logprobs ? "does not return logprobs; send logprobs false or leave it out"
                                                       : "does not bias tokens; leave logit_bias out or empty") +
                                     " (providers with an openai backend pass it to their upstream)");
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

// messages[i].tool_calls, tool_call_id and name.
bool ToolFields(const json& m, size_t index, ChatMessage* msg, ApiError* error) {
  std::string param = "messages[" + std::to_string(index) + "]";
  for (const char* key : {"tool_call_id", "name"}) {
    const json* v = Field(m, key);
    if (v == nullptr) continue;
    if (!v->is_string()) {
      *error = InvalidValue(param + "." + key, std::string("'") + key + "' must be a string");
      return false;
    }
    (std::string_view(key) == "name" ? msg->name : msg->tool_call_id) = v->get<std::string>();
  }
  const json* calls = Field(m, "tool_calls");
  if (calls == nullptr) return true;
  if (!calls->is_array() || calls->size() > kMaxMessageToolCalls) {
    *error = InvalidValue(param + ".tool_calls", "'tool_calls' must be an array of at most " +
                                                     std::to_string(kMaxMessageToolCalls) + " calls");
    return false;
  }
  for (size_t k = 0; k < calls->size(); ++k) {
    const json& c = (*calls)[k];
    std::string cp = param + ".tool_calls[" + std::to_string(k) + "]";
    if (!c.is_object()) {
      *error = InvalidValue(cp, "each tool call must be an object");
      return false;
    }
    // Calls of other types (OpenAI's "custom" tools) pass to upstreams; the engine skips them.
    const json* type = Field(c, "type");
    if (type != nullptr && !(type->is_string() && *type == "function")) continue;
    const json* fn = Field(c, "function");
    const json* name = fn != nullptr && fn->is_object() ? Field(*fn, "name") : nullptr;
    if (name == nullptr || !name->is_string()) {
      *error = InvalidValue(cp, "each tool call needs a 'function' object with a string 'name'");
      return false;
    }
    ChatToolCall call;
    call.name = name->get<std::string>();
    if (const json* id = Field(c, "id")) {
      if (!id->is_string()) {
        *error = InvalidValue(cp + ".id", "a tool call's 'id' must be a string");
        return false;
      }
      call.id = id->get<std::string>();
    }
    const json* args = Field(*fn, "arguments");
    if (args == nullptr) {
      call.arguments = "{}";
    } else if (args->is_string()) {
      call.arguments = args->get<std::string>();
    } else if (args->is_object()) {
      call.arguments = args->dump(-1, ' ', false, json::error_handler_t::replace);
    } else {
      *error = InvalidValue(cp + ".function.arguments", "a tool call's 'arguments' must be a JSON string");
      return false;
    }
    msg->tool_calls.push_back(std::move(call));
  }
  return true;
}

// tool_choice: "none", "auto", "required" or {"type":"function","function":{"name":"..."}} (or
// another object type, kept as "other").
bool ToolChoice(const json& body, ChatRequest* out, ApiError* error) {
  const json* c = Field(body, "tool_choice");
  if (c == nullptr) return true;
  if (c->is_string() && (*c == "none" || *c == "auto" || *c == "required")) {
    out->tool_choice = c->get<std::string>();
    return true;
  }
  const json* type = c->is_object() ? Field(*c, "type") : nullptr;
  if (type == nullptr || !type->is_string()) {
    *error = InvalidValue("tool_choice", "'tool_choice' must be \"none\", \"auto\", \"required\" or an object "
                                         "with a string 'type', e.g. {\"type\":\"function\",\"function\":{\"name\":\"...\"}}");
    return false;
  }
  const json* fn = Field(*c, "function");
  const json* name = fn != nullptr && fn->is_object() ? Field(*fn, "name") : nullptr;
  if (*type == "function" && (name == nullptr || !name->is_string())) {
    *error = InvalidValue("tool_choice.function.name", "a function tool_choice needs a string 'function.name'");
    return false;
  }
  // Other types (OpenAI's "allowed_tools", "custom") pass to upstreams; the engine refuses them.
  out->tool_choice = *type == "function" ? "function" : "other";
  if (name != nullptr && name->is_string()) out->tool_choice_name = name->get<std::string>();
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
    if (!ToolFields(m, i, &msg, error)) return false;
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
    out->tools = *t;
  }
  if (!ToolChoice(body, out, error)) return false;
  out->wants_tools = out->tools.is_array() && !out->tools.empty() && out->tool_choice != "none";
  if (const json* rf = Field(body, "response_format")) {
    auto type = rf->is_object() ? rf->find("type") : rf->end();
    if (!rf->is_object() || type == rf->end() || !type->is_string()) {
      *error = InvalidValue("response_format", "'response_format' must be an object with a string 'type'");
      return false;
    }
    out->response_format = type->get<std::string>();
  }
  if (const json* lp = Field(body, "logprobs")) {
    if (!lp->is_boolean()) {
      *error = InvalidValue("logprobs", "'logprobs' must be a boolean");
      return false;
    }
    out->logprobs = lp->get<bool>();
  }
  if (const json* tl = Field(body, "top_logprobs")) {
    if (!tl->is_number_integer() || tl->get<int64_t>() < 0 || tl->get<int64_t>() > 20) {
      *error = InvalidValue("top_logprobs", "'top_logprobs' must be an integer from 0 to 20");
      return false;
    }
  }
  if (const json* lb = Field(body, "logit_bias")) {
    if (!lb->is_object()) {
      *error = InvalidValue("logit_bias", "'logit_bias' must be an object of token ids to biases");
      return false;
    }
    out->logit_bias = !lb->empty();
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
