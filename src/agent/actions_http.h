// The pending actions on the local API of `lt client serve` (doc/agents.md "Local API"):
//   GET  /v1/lt/actions                  every action, newest first: {"object":"list","data":[...]}
//   GET  /v1/lt/actions/{id}             one action
//   POST /v1/lt/actions/{id}/confirm     signs with the user's key and sends; the action with tx_hash
//   POST /v1/lt/actions/{id}/reject      nothing is sent
//   GET  /lt/actions                     a small web page listing them, with Confirm and Reject
// The API is local, as the OpenAI routes are: a request with an Origin header is served only
// from the page's own origin (http://<Host>) or an origin in `allow_origins` (else 403), a POST
// needs a JSON content type (else 415; a cross-site form cannot send one), and with `api_key`
// set every /v1 route needs "Authorization: Bearer <key>" (else 401; the page asks for it).
// Errors: {"error":{"code","message"}} with the status of the error code (404, 409, 429...).
// Thread-safety: handlers run concurrently; ActionStore is thread-safe.
#ifndef LT_AGENT_ACTIONS_HTTP_H_
#define LT_AGENT_ACTIONS_HTTP_H_

#include <string>
#include <vector>

#include "agent/actions.h"
#include "net/http.h"

namespace lt::agent {

struct ActionsHttpOptions {
  std::vector<std::string> allow_origins;
  std::string api_key;
};

// Adds the routes above to `http`; `store` must outlive the server.
void RegisterActionRoutes(net::HttpServer& http, ActionStore* store, ActionsHttpOptions options = {});

// a == b in time that depends only on the lengths (API keys).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// The web page's HTML (no external resources).
const std::string& ActionsPageHtml();

}  // namespace lt::agent

#endif  // LT_AGENT_ACTIONS_HTTP_H_
