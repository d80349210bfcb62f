// Pending actions (doc/agents.md "Pending actions"): what an agent's propose_transaction becomes.
// Nothing is signed or sent when an action is made; the user confirms or rejects it (the local
// API, the web page, `lt chat`). Each action has a random id (16 hex digits), expires
// `ttl_seconds` after it was made (an expired one cannot be confirmed), and is shown in plain
// words: chain, contract name and address (from the trusted set), function and decoded
// arguments, value, the gas estimate (eth_estimateGas from the user) and what it would do to the
// user's balances (the trusted function's effects applied to the balances read now; the
// estimate is the eth_call simulation: a call that would revert says why).
// Confirm signs the EIP-1559 transaction with the user's key (Wallet) and sends it; the view then
// carries the transaction hash, and `tool_message`: the tool result the agent gets for its call
// ({"status":"confirmed","tx_hash":..}), to put in the conversation in place of the pending
// result. Reject sends nothing (its tool_message says "rejected"). States: pending -> sending -> confirmed | failed; pending -> rejected | expired.
// At most `max_actions` are kept (the oldest finished ones are dropped first; when all are
// pending a new one is refused).
// Thread-safety: all methods may be called from any thread; one confirm at a time per action.
#ifndef LT_AGENT_ACTIONS_H_
#define LT_AGENT_ACTIONS_H_

#include <map>
#include <mutex>
#include <string>

#include "agent/wallet.h"
#include "util/clock.h"

namespace lt::agent {

struct ActionOptions {
  uint64_t ttl_seconds = 600;
  size_t max_actions = 256;
  bool simulate = true;  // estimate and simulate when the action is made
};

class ActionStore {
 public:
  ActionStore(Wallet* wallet, const Clock* clock, ActionOptions options = {});

  // Makes a pending action and returns its view.
  Result<nlohmann::json> Add(Proposal p, std::string tool_call_id = "");
  // Every action, newest first.
  nlohmann::json List();
  Result<nlohmann::json> Get(const std::string& id);
  // Errors: kNotFound (no such id), kFailedPrecondition (not pending, or expired).
  Result<nlohmann::json> Confirm(const std::string& id);
  Result<nlohmann::json> Reject(const std::string& id);
  Wallet* wallet() const { return wallet_; }

 private:
  struct Action {
    std::string id;
    Proposal proposal;
    std::string tool_call_id;
    uint64_t created = 0;
    uint64_t expires = 0;
    uint64_t seq = 0;
    std::string state = "pending";
    nlohmann::json view;  // the plain-words rendering, made once
    std::string tx_hash;
    std::string error;
  };
  nlohmann::json View(const Action& a) const;
  void ExpireLocked();
  nlohmann::json Render(const Proposal& p);

  Wallet* wallet_;
  const Clock* clock_;
  ActionOptions options_;
  std::mutex mu_;
  std::map<std::string, Action> actions_;
  uint64_t next_seq_ = 1;
};

}  // namespace lt::agent

#endif  // LT_AGENT_ACTIONS_H_
