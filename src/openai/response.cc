#include "openai/response.h"

#include <algorithm>

namespace lt::openai {

using nlohmann::json;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
std::string Sse(const json& j) { return "data: " + Dump(j) + "\n\n"; }

json Head(const AnswerHead& h, bool chunk) {
  json j = {{"id", h.id},
            {"object", h.kind == Kind::kText ? "text_completion"
                       : chunk               ? "chat.completion.chunk"
                                             : "chat.completion"},
            {"created", h.created},
            {"model", h.model}};
  if (!h.system_fingerprint.empty()) j["system_fingerprint"] = h.system_fingerprint;
  return j;
}

json Chunk(const AnswerHead& h, json choice) {
  json j = Head(h, true);
  choice["index"] = 0;
  choice["logprobs"] = nullptr;
  if (!choice.contains("finish_reason")) choice["finish_reason"] = nullptr;
  j["choices"] = json::array({std::move(choice)});
  return j;
}

bool HasToolCalls(const json& tc) { return tc.is_array() && !tc.empty(); }

}  // namespace

json Usage::ToJson() const {
  return {{"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens}};
}

Usage Usage::FromJson(const json& j) {
  Usage u;
  if (!j.is_object()) return u;
  auto get = [&](const char* k) -> int64_t {
    auto it = j.find(k);
    return it != j.end() && it->is_number_integer() ? std::max<int64_t>(0, it->get<int64_t>()) : 0;
  };
  u.prompt_tokens = get("prompt_tokens");
  u.completion_tokens = get("completion_tokens");
  return u;
}

std::string AnswerId(Kind kind, std::string_view suffix) {
  return (kind == Kind::kText ? "cmpl-" : "chatcmpl-") + std::string(suffix);
}

json Answer(const AnswerHead& h, const std::string& text, const std::string& finish_reason, const json& tool_calls,
            const Usage& usage) {
  json j = Head(h, false);
  json choice = {{"index", 0}, {"logprobs", nullptr}, {"finish_reason", finish_reason}};
  if (h.kind == Kind::kText) {
    choice["text"] = text;
  } else {
    json message = {{"role", "assistant"}, {"content", text}};
    if (HasToolCalls(tool_calls)) {
      message["tool_calls"] = tool_calls;
      if (text.empty()) message["content"] = nullptr;
    }
    choice["message"] = std::move(message);
  }
  j["choices"] = json::array({std::move(choice)});
  j["usage"] = usage.ToJson();
  return j;
}

std::string StreamStart(const AnswerHead& h) {
  if (h.kind == Kind::kText) return "";
  return Sse(Chunk(h, {{"delta", {{"role", "assistant"}, {"content", ""}}}}));
}

std::string StreamDelta(const AnswerHead& h, std::string_view text) {
  if (h.kind == Kind::kText) return Sse(Chunk(h, {{"text", text}}));
  return Sse(Chunk(h, {{"delta", {{"content", text}}}}));
}

std::string StreamToolCalls(const AnswerHead& h, const json& tool_calls) {
  if (h.kind == Kind::kText || !HasToolCalls(tool_calls)) return "";
  json indexed = tool_calls;
  for (size_t i = 0; i < indexed.size(); ++i) indexed[i]["index"] = i;
  return Sse(Chunk(h, {{"delta", {{"tool_calls", indexed}}}}));
}

std::string StreamEnd(const AnswerHead& h, const std::string& finish_reason, bool include_usage, const Usage& usage) {
  std::string out = h.kind == Kind::kText ? Sse(Chunk(h, {{"text", ""}, {"finish_reason", finish_reason}}))
                                          : Sse(Chunk(h, {{"delta", json::object()}, {"finish_reason", finish_reason}}));
  if (include_usage) {
    json u = Head(h, true);
    u["choices"] = json::array();
    u["usage"] = usage.ToJson();
    out += Sse(u);
  }
  out += "data: [DONE]\n\n";
  return out;
}

std::string StreamError(const ApiError& error) { return Sse(error.Body()); }

bool MergeToolCallDeltas(json* calls, const json& deltas) {
  if (!calls->is_array()) *calls = json::array();
  if (!deltas.is_array()) return false;
  for (const json& d : deltas) {
    if (!d.is_object()) return false;
    size_t index = calls->size();
    if (auto it = d.find("index"); it != d.end()) {
      if (!it->is_number_unsigned()) return false;
      index = it->get<size_t>();
    }
    if (index >= kMaxToolCalls) return false;
    while (calls->size() <= index) calls->push_back({{"type", "function"}, {"function", {{"arguments", ""}}}});
    json& c = (*calls)[index];
    for (const auto& [k, v] : d.items()) {
      if (k == "index") continue;
      if (k != "function") {
        c[k] = v;
        continue;
      }
      if (!v.is_object()) return false;
      for (const auto& [fk, fv] : v.items()) {
        if (fk == "arguments" && fv.is_string() && c["function"]["arguments"].is_string()) {
          c["function"]["arguments"] = c["function"]["arguments"].get<std::string>() + fv.get<std::string>();
        } else {
          c["function"][fk] = fv;
        }
      }
    }
  }
  return true;
}

ApiError NoRoute(std::string_view method, std::string_view path, std::span<const Route> routes, std::string* allow) {
  allow->clear();
  for (const auto& r : routes) {
    bool match = r.prefix ? path.size() > r.path.size() && path.substr(0, r.path.size()) == r.path : path == r.path;
    if (!match) continue;
    if (allow->find(r.method) == std::string::npos) *allow += (allow->empty() ? "" : ", ") + std::string(r.method);
  }
  std::string p(path.substr(0, 200));
  if (!allow->empty()) {
    return {405, "method " + std::string(method.substr(0, 20)) + " is not allowed on " + p + " (allowed: " + *allow + ")",
            "invalid_request_error", "method_not_allowed", ""};
  }
  return {404, "no route for " + std::string(method.substr(0, 20)) + " " + p, "invalid_request_error", "unknown_url", ""};
}

ApiError FromHttpRefusal(int status, std::string_view net_code, std::string_view message) {
  ApiError e;
  e.status = status;
  e.message = std::string(message);
  e.type = status >= 500 ? "server_error" : "invalid_request_error";
  e.code = status == 404   ? "unknown_url"
           : status == 413 ? "request_too_large"
           : status == 414 ? "url_too_long"
           : status == 431 ? "headers_too_large"
           : status == 503 ? "server_busy"
           : status >= 500 ? "internal_error"
                           : std::string(net_code);
  return e;
}

}  // namespace lt::openai
