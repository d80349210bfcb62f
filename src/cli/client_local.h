// `lt client serve --local MODEL` (doc/agents.md "Local inference"): the built-in engine in the
// client's own process. The model answers /v1/chat/completions and /v1/completions under its
// name (engine_server::OpenAiServer's handlers, no session, no payment, nothing leaves the
// machine), and every agent of the client runs on it instead of on the network's providers.
// Thread-safety: the handlers and the chat function may run on any thread (the engine queues).
#ifndef LT_CLI_CLIENT_LOCAL_H_
#define LT_CLI_CLIENT_LOCAL_H_

#include <memory>
#include <string>

#include "agent/host.h"
#include "engine/engine.h"
#include "engine_server/openai_server.h"

namespace lt::cli {

struct LocalFlags {
  std::string model;      // --local: a llama2.c checkpoint or a GGUF file
  std::string tokenizer;  // --local-tokenizer (llama2.c)
  std::string name;       // --local-name (default: the file name without extension)
  int threads = 0;
};

class LocalEngine {
 public:
  // Null (no error) when flags.model is empty.
  static Result<std::unique_ptr<LocalEngine>> Load(const LocalFlags& flags);
  const std::string& name() const { return name_; }
  // The engine server's handlers (the request as the client received it).
  net::HttpResponse Chat(const net::HttpRequest& req) { return api_->ChatCompletions(req); }
  net::HttpResponse Complete(const net::HttpRequest& req) { return api_->Completions(req); }
  // The agents' completions on the local model (the request's model is replaced by its name).
  agent::AgentChatFn AgentChat();

 private:
  std::string name_;
  std::shared_ptr<const engine::Model> model_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<engine_server::OpenAiServer> api_;
};

}  // namespace lt::cli

#endif  // LT_CLI_CLIENT_LOCAL_H_
