// The agent runtime in the user's client (doc/agents.md "Runtime"). Given a chat function (one
// OpenAI chat completion: request JSON in, answer JSON out, as the SDK sees it, `tool_calls`
// included), an agent and the user's messages, one Turn:
//   1. retrieves the trusted functions that match the user's last message (DocIndex, top k) and
//      prepends the agent's system prompt, those docs and the house rules as the system message;
//   2. sends the conversation with the tools (the built-in ones the agent lists; their schemas are
//      ours) to the agent's base model;
//   3. runs read-only tool calls at once (get_balance, get_contract, estimate) and sends their
//      results back, at most `max_rounds` times;
//   4. turns propose_transaction into a pending action (ActionStore) and returns to the user with
//      it: nothing is signed. A refused proposal (outside the trusted set, arguments that do not
//      encode) is reported to the agent as the tool's result, and the loop goes on.
// The screen (the client's secret guard) looks at every request before it is sent and every
// answer before it is used: a finding ends the turn with the refusal, and nothing is sent (or the
// answer is dropped). The agent's context never holds the user's key: the wallet signs.
// Thread-safety: Turn may be called from several threads (the parts it uses are thread-safe).
#ifndef LT_AGENT_RUNTIME_H_
#define LT_AGENT_RUNTIME_H_

#include <functional>
#include <optional>

#include "agent/actions.h"
#include "agent/agent_spec.h"
#include "agent/retrieval.h"

namespace lt::agent {

using ChatFn = std::function<Result<nlohmann::json>(const nlohmann::json& request)>;
// A refusal message when the JSON holds a secret; nullopt when it is clean.
using ScreenFn = std::function<std::optional<std::string>(const nlohmann::json& body)>;

struct RuntimeOptions {
  size_t max_rounds = 6;   // chat calls per turn
  size_t retrieve_k = 3;
  size_t max_tool_calls = 8;  // per answer
};

struct TurnResult {
  std::vector<nlohmann::json> messages;  // appended to the conversation, in order
  std::string reply;                     // the assistant's last text
  std::vector<nlohmann::json> actions;   // pending actions made in this turn (ActionStore views)
  std::string refused;                   // the screen's refusal, when it ended the turn
  std::vector<RetrievalHit> retrieved;
  // The sum of the answers' usage (an answer without usage counts nothing).
  int64_t prompt_tokens = 0, completion_tokens = 0;
};

class AgentRuntime {
 public:
  AgentRuntime(AgentSpec spec, const TrustedSet* set, const DocIndex* index, ActionStore* actions, ChatFn chat,
               ScreenFn screen, RuntimeOptions options = {});
  // `messages`: the conversation so far (OpenAI messages, without the system message).
  Result<TurnResult> Turn(const std::vector<nlohmann::json>& messages);
  // The system message this runtime would send for `user_text`.
  std::string SystemPrompt(const std::vector<RetrievalHit>& hits) const;

 private:
  // One tool call's result text; `action` receives the view of a pending action made.
  std::string RunTool(const std::string& name, const std::string& arguments, const std::string& call_id,
                      std::optional<nlohmann::json>* action);
  nlohmann::json Tools() const;

  AgentSpec spec_;
  const TrustedSet* set_;
  const DocIndex* index_;
  ActionStore* actions_;
  ChatFn chat_;
  ScreenFn screen_;
  RuntimeOptions options_;
};

}  // namespace lt::agent

#endif  // LT_AGENT_RUNTIME_H_
