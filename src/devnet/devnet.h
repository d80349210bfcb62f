// `lt devnet`: the whole network on one machine as child processes of the same binary
// (doc/devnet.md). Run() lays out the plan, creates keys and a genesis, starts the ledger (with
// --chain anvil: starts anvil, deploys the Compute Contract with that genesis and serves the
// ledger API from the chain; every role then uses --chain D/chain.json), two
// staked routers, the builder (publishes demo/stories:260k and serves its store), three
// providers and the user's local OpenAI API, writes D/devnet.json, runs the showcase, serves
// until *stop or --exit-after, and stops every child (reverse start order).
// Each step that depends on another component's command is one function that uses the real
// command when this build has it and today's equivalent otherwise; `modes` in devnet.json says
// which ran. Thread-safety: one thread (the one that forks the children).
#ifndef LT_DEVNET_DEVNET_H_
#define LT_DEVNET_DEVNET_H_

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>

#include "devnet/plan.h"
#include "evm/anvil.h"
#include "evm/deploy.h"
#include "devnet/supervisor.h"
#include "util/result.h"

namespace lt::devnet {

// What ran for each step that has a real command and a fallback.
struct Modes {
  std::string publish;                // "lt model push" | "lt ledger register-model + set-tag (file digest)"
  std::string provider_model;         // "pulled" | "path"
  std::string user_api;               // "lt client serve" | "none"
  std::string chats;                  // "local OpenAI API" | "lt session ticket + lt session chat"
  bool providers_registered = false;  // the ledger lists the providers (register_provider)
  nlohmann::json ToJson() const;
};

struct Devnet {
  Plan plan;
  Supervisor* sup = nullptr;
  const std::atomic<bool>* stop = nullptr;
  Modes modes;
  std::string manifest;   // bytes32 tickets name, 0x + 64 hex
  std::string model_cid;  // CID of the model file (or the manifest, when pushed)
  bool api_up = false;
  std::unique_ptr<evm::AnvilNode> anvil;  // --chain anvil: the chain (a child process)
  evm::Deployment deployment;             // --chain anvil: the Compute Contract on it

  std::string Log(const std::string& name) const { return plan.logs_dir + "/" + name + ".log"; }
  // Global args every child gets (log level).
  std::vector<std::string> Lt(const std::string& datadir, std::vector<std::string> args) const;
};

// Runs the devnet; returns when stopped. exe: the lt binary (/proc/self/exe).
Status Run(const DevnetOptions& options, const std::string& exe, const std::atomic<bool>* stop);

// The D/devnet.json document (doc/devnet.md).
nlohmann::json DevnetJson(const Devnet& d);

}  // namespace lt::devnet

#endif  // LT_DEVNET_DEVNET_H_
