// The local OpenAI-compatible API of `lt client serve` (doc/client.md): routes on a
// net::HttpServer, every answer in the OpenAI shape so the official SDKs work unchanged.
//
//   GET  /v1/models             models with a live offer (SessionPool::LiveModels)
//   GET  /v1/models/{id}        one of them, or 404 model_not_found
//   POST /v1/chat/completions   streamed (SSE, "data: [DONE]") or not; extra fields lt_max_price
//                               (MOR/s), lt_max_latency_ms, lt_min_tps, lt_want_seconds override
//                               the flags and are not sent on
//   POST /v1/completions        the legacy text completion (openai/completion_request.h), sent
//                               to providers as its own body on the same session protocol
// Unknown routes 404 and known routes under another method 405 (GET, POST, DELETE; catch-all
// routes registered last), request bodies over kMaxBodyBytes 413, all in OpenAI's shape. A body
// over the HTTP server's own cap (4 MiB in `lt client serve`) gets net's 413 {"error":{"code",
// "message"}} before any handler runs, as do PUT/PATCH to unknown routes (net's 404).
//   GET  /v1/sessions, /health  the open sessions; liveness of the API
// With agents (SetAgents; doc/agents.md "In lt client serve"), /v1/models lists them too and a
// chat completion whose model is an agent's name is one agent turn (client/api_agents.cc). With a
// local model (SetLocal), requests naming it are answered in this process.
// The API is local and says so (issue 15, M2; doc/client.md "Local API"): a request that carries
// an Origin header (a browser's) is served only when that origin is in `allow_origins` (else
// 403), a CORS preflight (OPTIONS) is answered only for those origins, a POST must have a JSON
// content type (else 415: a web page cannot send one without a preflight), and when `api_key` is
// set every request needs "Authorization: Bearer <key>" (else 401), as OpenAI SDKs send it.
// Every request is then validated (openai/chat_request.h) and its body checked by the secret
// guard before anything leaves the machine.
// Errors: {"error":{"message","type","param","code"}} with 4xx/5xx. Headers on chat answers:
// X-LT-Allowance-Warning (when the allowance runs low), X-LT-Provider, X-LT-Failovers.
// Thread-safety: handlers run concurrently; the pool and the guard are thread-safe.
#ifndef LT_CLIENT_API_SERVER_H_
#define LT_CLIENT_API_SERVER_H_

#include <optional>
#include <string>
#include <vector>

#include "client/secret_guard.h"
#include "client/session_pool.h"
#include "net/http.h"
#include "openai/response.h"

namespace lt::agent {
class AgentHost;
}

namespace lt::client {

// The largest request body the API reads (larger: 413 request_too_large).
inline constexpr size_t kMaxBodyBytes = 2 << 20;

struct ApiOptions {
  Preferences defaults;
  std::vector<std::string> allow_origins;  // exact origins ("http://localhost:3000"); none by default
  std::string api_key;                     // "" : no key needed
};

// An OpenAI-shaped error response.
net::HttpResponse OpenAiErrorResponse(int status, const std::string& message, const std::string& type,
                                      const std::string& code, const std::string& param = "");

// Reads lt_max_price / lt_max_latency_ms / lt_min_tps / lt_want_seconds from `body` over the
// defaults and removes them from `body`. An error names the bad field.
Status TakePreferences(nlohmann::json& body, Preferences* prefs);

class ApiServer {
 public:
  ApiServer(SessionPool* pool, const SecretGuard* guard, ApiOptions options);
  // The API's routes. Then any other routes the process serves (agents), then RegisterFallbacks:
  // routes match in the order they were added, and the fallbacks match every path.
  void Register(net::HttpServer& http);
  void RegisterFallbacks(net::HttpServer& http);
  // Agents served next to the models (not owned; may be null).
  void SetAgents(agent::AgentHost* agents) { agents_ = agents; }
  // A model this process runs itself (`--local`): requests for `name` go to these handlers (after
  // the local checks and the secret guard), never to the network. Before Register.
  void SetLocal(std::string name, net::Handler chat, net::Handler completions) {
    local_name_ = std::move(name);
    local_chat_ = std::move(chat);
    local_completions_ = std::move(completions);
  }

 private:
  net::HttpResponse Models();
  net::HttpResponse Model(const std::string& id);
  // 404 for an OpenAI route asked without its /v1 prefix, naming the base URL to use.
  static net::HttpResponse MissingV1(const net::HttpRequest& req);
  // A route that does not exist: 404 unknown_url, or 405 (with Allow) on a known route.
  static net::HttpResponse NoRoute(const net::HttpRequest& req);
  net::HttpResponse ChatCompletions(const net::HttpRequest& req);
  net::HttpResponse Completions(const net::HttpRequest& req);
  // Both routes: the request checked, sent through the pool, answered in `kind`'s shape.
  net::HttpResponse Complete(const net::HttpRequest& req, openai::Kind kind);
  // A chat completion for agent `agent` (api_agents.cc): one turn of the runtime; the answer's
  // text is the agent's reply followed by its pending actions in plain words, which also come
  // as `lt_actions` (the views of GET /v1/lt/actions).
  net::HttpResponse AgentCompletion(const std::string& agent, const nlohmann::json& body, bool stream,
                                    bool include_usage, const std::string& warning);
  // The agent `model` names ("" when it names none).
  std::string AgentName(const std::string& model) const;
  // /v1/models entries of the agents.
  std::vector<nlohmann::json> AgentModels() const;
  // The local-only checks every route runs first; an error answer, or nothing.
  std::optional<net::HttpResponse> Refuse(const net::HttpRequest& req) const;
  net::Handler Guarded(net::Handler h) const;
  net::HttpResponse Preflight(const net::HttpRequest& req) const;

  SessionPool* pool_;
  const SecretGuard* guard_;
  ApiOptions options_;
  agent::AgentHost* agents_ = nullptr;
  std::string local_name_;
  net::Handler local_chat_, local_completions_;
};

}  // namespace lt::client

#endif  // LT_CLIENT_API_SERVER_H_
