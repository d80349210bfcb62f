#include "cli/client_local.h"

#include <filesystem>

#include "util/json.h"

namespace lt::cli {

using nlohmann::json;

Result<std::unique_ptr<LocalEngine>> LocalEngine::Load(const LocalFlags& flags) {
  if (flags.model.empty()) return std::unique_ptr<LocalEngine>();
  if (flags.threads < 0) return InvalidArgument("--local-threads must be 0 (all cores) or more");
  std::unique_ptr<LocalEngine> l(new LocalEngine());
  auto model = engine::Model::Load(flags.model, flags.tokenizer);
  if (!model.ok()) return model.error().Wrap("--local " + flags.model);
  l->model_ = *model;
  l->name_ = flags.name.empty() ? std::filesystem::path(flags.model).stem().string() : flags.name;
  l->engine_ = std::make_unique<engine::Engine>(l->model_, engine::EngineOptions{flags.threads, 2, 64});
  engine_server::OpenAiServerOptions o;
  o.model_name = l->name_;
  l->api_ = std::make_unique<engine_server::OpenAiServer>(l->engine_.get(), o);
  return l;
}

agent::AgentChatFn LocalEngine::AgentChat() {
  return [this](const std::string&, const agent::AgentSpec&, const json& request) -> Result<json> {
    json body = request;
    body["model"] = name_;
    body["stream"] = false;
    net::HttpRequest req;
    req.method = "POST";
    req.path = "/v1/chat/completions";
    req.headers.emplace("Content-Type", "application/json");
    req.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    net::HttpResponse r = api_->ChatCompletions(req);
    auto answer = ParseJsonChecked(r.body, "the local model's answer");
    if (r.status != 200) {
      std::string m = answer.ok() && answer->is_object() && answer->contains("error") && (*answer)["error"].is_object() &&
                              (*answer)["error"].contains("message") && (*answer)["error"]["message"].is_string()
                          ? (*answer)["error"]["message"].get<std::string>()
                          : r.body.substr(0, 200);
      return MakeError(ErrorCode::kUnavailable, "local model " + name_ + ": HTTP " + std::to_string(r.status) + ": " + m);
    }
    return answer;
  };
}

}  // namespace lt::cli
