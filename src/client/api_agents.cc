// Agents on the local OpenAI API (api_server.h, doc/agents.md "In lt client serve"): a chat
// completion whose model is an agent is one turn of agent::AgentHost. The SDK sees a normal
// answer: the agent's reply, then each pending action in plain words with the URL that confirms
// it; `lt_actions` carries the actions' views. Nothing is signed here: a pending action waits for
// the user (POST /v1/lt/actions/{id}/confirm, the /lt/actions page or `lt chat`).
#include <ctime>

#include "agent/host.h"
#include "client/api_server.h"
#include "util/json.h"
#include "util/random.h"

namespace lt::client {

using nlohmann::json;

namespace {

// "Pending action 1a2b...: On chain 31337, call deposit on ComputeContract ... Nothing is sent
// until you confirm it (...)".
std::string ActionLine(const json& a) {
  std::string line = "Pending action " + JsonStr(a, "id") + ": " + JsonStr(a, "text");
  line += " Nothing is sent until you confirm it (the /lt/actions page of this API, or POST /v1/lt/actions/" +
          JsonStr(a, "id") + "/confirm); it expires unconfirmed.";
  return line;
}

}  // namespace

std::string ApiServer::AgentName(const std::string& model) const { return agents_ ? agents_->Find(model) : ""; }

std::vector<json> ApiServer::AgentModels() const {
  std::vector<json> out;
  if (!agents_) return out;
  for (const auto& [name, spec] : agents_->agents()) {
    out.push_back({{"id", name},
                   {"object", "model"},
                   {"created", 0},
                   {"owned_by", name.substr(0, name.find('/'))},
                   {"lt_kind", "agent"},
                   {"lt_base_model", spec.base_model}});
  }
  return out;
}

net::HttpResponse ApiServer::AgentCompletion(const std::string& agent, const json& body, bool stream,
                                             bool include_usage, const std::string& warning) {
  std::vector<json> messages;
  for (const auto& m : body["messages"]) {
    if (JsonStr(m, "role") == "system" || JsonStr(m, "role") == "developer") {
      return OpenAiErrorResponse(400,
                                 agent + " is an agent with its own system prompt: send user and assistant messages "
                                         "only",
                                 "invalid_request_error", "agent_system_message", "messages");
    }
    messages.push_back(m);
  }
  auto turn = agents_->Turn(agent, messages);
  if (!turn.ok()) {
    int status = turn.error().code == ErrorCode::kInvalidArgument ? 502 : 503;
    return OpenAiErrorResponse(status, "agent " + agent + ": " + turn.error().message, "server_error", "agent_failed");
  }
  if (!turn->refused.empty()) {
    return OpenAiErrorResponse(400, turn->refused, "invalid_request_error", "secret_detected", "messages");
  }
  std::string text = turn->reply;
  for (const auto& a : turn->actions) text += (text.empty() ? "" : "\n\n") + ActionLine(a);
  openai::Usage usage{turn->prompt_tokens, turn->completion_tokens};
  Bytes idb(12);
  SecureRandom::Default()->Fill(idb);
  openai::AnswerHead head{openai::Kind::kChat, openai::AnswerId(openai::Kind::kChat, HexEncode(idb)),
                          static_cast<int64_t>(std::time(nullptr)), agent, ""};
  json actions = turn->actions;
  net::HttpResponse r;
  if (!warning.empty()) r.headers.emplace("X-LT-Allowance-Warning", warning);
  r.headers.emplace("X-LT-Agent-Actions", std::to_string(turn->actions.size()));
  if (!stream) {
    json o = openai::Answer(head, text, "stop", json::array(), usage);
    o["lt_actions"] = actions;
    r.body = o.dump(-1, ' ', false, json::error_handler_t::replace);
    return r;
  }
  // The turn is over before the first byte: the stream carries it whole, in the SDK's shape.
  r.content_type = "text/event-stream";
  r.headers.emplace("Cache-Control", "no-cache");
  std::string sse = openai::StreamStart(head) + openai::StreamDelta(head, text) +
                    openai::StreamEnd(head, "stop", include_usage, usage);
  r.stream = [sse](net::ChunkSink& sink) { sink.Write(sse); };
  return r;
}

}  // namespace lt::client
