// lt client serve | lt chat: the user's side (DESIGN §8, doc/client.md). `client serve` is the
// local OpenAI-compatible API over a SessionPool; `chat` streams one prompt (or stdin lines, an
// interactive conversation) through the same pool and closes the session on exit.
// `lt bench client` is in cmd_client_bench.cc.
#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/chain_ledger.h"
#include "cli/client_agents.h"
#include "cli/client_local.h"
#include "cli/commands.h"
#include "cli/user_config.h"
#include "client/api_server.h"
#include "client/secret_guard.h"
#include "client/session_pool.h"
#include "crypto/keystore.h"
#include "ledger/client.h"
#include "util/fs.h"
#include "util/log.h"

namespace lt::cli {
namespace {

using nlohmann::json;

struct ClientFlags {
  std::string listen = "127.0.0.1:8080";
  std::string ledger;
  std::string chain;
  std::vector<std::string> routers;
  std::string keystore, password_file;
  std::string max_price = "0.01";
  uint32_t max_latency_ms = 0, min_tps = 0, want_seconds = 600;
  int idle_seconds = 60;
  int request_timeout_seconds = 30, first_token_timeout_seconds = 0;
  std::string bip39_wordlist;
  std::string config, devnet;
  std::string datadir;  // for the hint when nothing is configured
  // serve
  std::vector<std::string> allow_origins;
  std::string api_key, api_key_file;
  AgentFlags agents;
  LocalFlags local;
  // chat
  std::string model, prompt;
  int max_tokens = 256;
  double temperature = -1;
  uint64_t seed = 0;
};

void AddCommonFlags(CLI::App* c, ClientFlags& f) {
  c->add_option("--ledger", f.ledger, "Ledger URL (default: from --config, --devnet or <datadir>/config.toml)");
  c->add_option("--chain", f.chain,
                "Deployment file or devnet.json: read the Compute Contract on that chain instead of --ledger");
  c->add_option("--router", f.routers, "Router URL (repeat for failover, tried in order); required");
  c->add_option("--keystore", f.keystore, "The user's keystore; required");
  c->add_option("--password-file", f.password_file, "File whose first line is the keystore password");
  c->add_option("--max-price", f.max_price, "Highest price accepted, MOR per second")->capture_default_str();
  c->add_option("--max-latency-ms", f.max_latency_ms, "Preferred provider latency (0: no target)")
      ->capture_default_str();
  c->add_option("--min-tps", f.min_tps, "Lowest provider speed accepted, tokens/s")->capture_default_str();
  c->add_option("--want-seconds", f.want_seconds, "Session length asked for in each RFC")
      ->capture_default_str();
  c->add_option("--idle-seconds", f.idle_seconds, "Close a session unused this long (final voucher)")
      ->capture_default_str();
  c->add_option("--request-timeout-seconds", f.request_timeout_seconds,
                "Give up on a provider that sends nothing for this long: close its session, fail over (0: never)")
      ->capture_default_str();
  c->add_option("--first-token-timeout-seconds", f.first_token_timeout_seconds,
                "The same for the first token of a request (0: --request-timeout-seconds)")
      ->capture_default_str();
  c->add_option("--bip39-wordlist", f.bip39_wordlist,
                "A BIP-39 English wordlist file (default: the official list built in; a file must match its SHA-256)");
}

struct Setup {
  crypto::PrivateKey user;
  wire::Domain domain;
  client::Preferences prefs;
  std::vector<std::string> words;
  std::unique_ptr<LocalLedgerBridge> bridge;  // --chain: the chain's ledger API, in this process
  std::string ledger_url;
  std::unique_ptr<ledger::RemoteLedger> ledger;  // the connection that gave the domain (agents reuse it)
};

Result<Setup> Prepare(const ClientFlags& f) {
  if (f.ledger.empty() && f.chain.empty()) return InvalidArgument(NoNetworkHint(f.datadir));
  if (f.routers.empty() && f.local.model.empty())
    return InvalidArgument("give at least one --router URL (flag or config key router)");
  if (f.keystore.empty()) return InvalidArgument("give --keystore (flag or config key keystore)");
  if (f.request_timeout_seconds < 0) return InvalidArgument("--request-timeout-seconds must be 0 or positive");
  if (f.first_token_timeout_seconds < 0)
    return InvalidArgument("--first-token-timeout-seconds must be 0 or positive");
  LT_TRY(SecretBytes pw, ReadPassword(f.password_file, "User keystore password: ", false));
  LT_TRY(crypto::PrivateKey user, crypto::LoadKeystoreFile(f.keystore, pw.span()));
  std::unique_ptr<LocalLedgerBridge> bridge;
  LT_TRY(std::string url, LedgerUrlFor(f.ledger, f.chain, std::nullopt, &bridge));
  auto ledger = ledger::RemoteLedger::Connect(url);
  if (!ledger.ok()) {
    return MakeError(ledger.error().code, "ledger " + url + " unreachable (" + ledger.error().message +
                                              "); is it running? ('lt devnet' starts one; fix the URL with --ledger)");
  }
  Setup s{std::move(user),
          wire::Domain(U256((*ledger)->domain().chain_id), (*ledger)->domain().verifying_contract),
          {},
          {},
          std::move(bridge),
          url,
          std::move(*ledger)};
  auto price = U256::FromMor(f.max_price);
  if (!price.ok() || price->IsZero())
    return InvalidArgument("--max-price must be a positive MOR amount per second");
  s.prefs.max_price_per_second = *price;
  s.prefs.max_latency_ms = f.max_latency_ms;
  s.prefs.min_tps = f.min_tps;
  s.prefs.want_seconds = f.want_seconds;
  if (f.want_seconds == 0) return InvalidArgument("--want-seconds must be positive");
  if (f.idle_seconds <= 0) return InvalidArgument("--idle-seconds must be positive");
  if (!f.bip39_wordlist.empty()) {
    LT_TRY(s.words, client::LoadBip39Wordlist(f.bip39_wordlist));
  } else {
    s.words = client::BuiltinBip39Wordlist();
  }
  return s;
}

client::PoolOptions PoolOptionsFrom(const ClientFlags& f, const Setup& s) {
  client::PoolOptions o;
  o.routers = f.routers;
  o.ledger = s.ledger_url;
  o.idle_seconds = f.idle_seconds;
  o.request_timeout_seconds = f.request_timeout_seconds;
  o.first_token_timeout_seconds = f.first_token_timeout_seconds;
  return o;
}

AgentContext MakeAgentContext(const ClientFlags& f, const Setup& s, const client::SecretGuard& guard,
                              client::SessionPool& pool) {
  AgentContext ac;
  ac.chain_file = f.chain;
  ac.ledger = s.ledger.get();
  ac.routers = f.routers;
  ac.user = &s.user;
  ac.guard = &guard;
  ac.pool = &pool;
  ac.prefs = s.prefs;
  ac.allow_origins = f.allow_origins;
  return ac;
}

Status Serve(const ClientFlags& f) {
  SetLogTag("client");
  LT_TRY(auto hp, net::ParseHostPort(f.listen));
  sigset_t set = BlockStopSignals();  // before any thread starts
  LT_TRY(Setup s, Prepare(f));
  client::SecretGuard guard(s.words);
  if (!guard.mnemonic_check()) {
    LT_WARN("client: the BIP-39 wordlist did not load: the secret guard cannot detect mnemonics");
  }
  client::SessionPool pool(PoolOptionsFrom(f, s), s.user, s.domain);
  pool.Start();
  client::ApiOptions api_options;
  api_options.defaults = s.prefs;
  api_options.allow_origins = f.allow_origins;
  api_options.api_key = f.api_key;
  if (!f.api_key_file.empty()) {
    LT_TRY(std::string key, RealFileSystem::Default()->ReadFile(f.api_key_file, 1 << 16));
    api_options.api_key = key.substr(0, key.find_first_of("\r\n"));
    if (api_options.api_key.empty()) return InvalidArgument("--api-key-file " + f.api_key_file + ": the first line is empty");
  }
  client::ApiServer api(&pool, &guard, api_options);
  LT_TRY(auto local, LocalEngine::Load(f.local));
  if (local) {
    LocalEngine* l = local.get();
    api.SetLocal(
        l->name(), [l](const net::HttpRequest& r) { return l->Chat(r); },
        [l](const net::HttpRequest& r) { return l->Complete(r); });
    LT_INFO("client: " << l->name() << " runs here (--local): its requests and the agents' never leave this machine");
  }
  net::HttpServerOptions ho;
  ho.max_body_bytes = 4 << 20;
  ho.write_timeout_seconds = 300;
  net::HttpServer http(ho);
  api.Register(http);
  LT_TRY(int port, http.Listen(hp.first, hp.second));
  AgentContext ac = MakeAgentContext(f, s, guard, pool);
  ac.api_key = api_options.api_key;
  if (local) ac.local_chat = local->AgentChat();
  LT_TRY(auto agents, StartAgents(f.agents, ac, http));
  api.SetAgents(agents.get());
  api.RegisterFallbacks(http);  // last: they match every path
  LT_INFO("client: user " << pool.user().ToChecksumHex() << ", OpenAI API at http://" << hp.first << ":"
                          << port << "/v1");
  std::cout << "listening on " << hp.first << ":" << port << std::endl;
  ServeUntilStopSignal(set, [&] { http.Run(); }, [&] { http.Stop(); });
  pool.CloseAll();
  LT_INFO("client: every session closed with its final voucher");
  return OkStatus();
}

Status Chat(CommandContext& ctx, const ClientFlags& f, bool prompt_given) {
  SetLogTag("chat");
  LT_TRY(Setup s, Prepare(f));
  client::SecretGuard guard(s.words);
  client::SessionPool pool(PoolOptionsFrom(f, s), s.user, s.domain);
  pool.Start();
  // An agent (the ledger says the model's kind): its turns run here, its actions asked y/N.
  AgentContext ac = MakeAgentContext(f, s, guard, pool);
  std::string agent_name;
  LT_TRY(auto agent_host, StartChatAgent(f.model, ac, &agent_name));
  std::vector<json> agent_convo;
  json messages = json::array();
  Status result = OkStatus();
  auto ask = [&](const std::string& text) -> Status {
    if (agent_host) return AgentChatTurn(*agent_host, agent_name, &agent_convo, text, std::cin, std::cout, ctx.global.json);
    messages.push_back({{"role", "user"}, {"content", text}});
    json req = {{"model", f.model}, {"messages", messages}, {"max_tokens", f.max_tokens}, {"stream", true}};
    if (f.temperature >= 0) req["temperature"] = f.temperature;
    if (f.seed != 0) req["seed"] = f.seed;
    if (auto finding = guard.ScanRequest(req)) {
      messages.erase(messages.size() - 1);
      return InvalidArgument(finding->Message());
    }
    if (std::string w = pool.AllowanceWarning(); !w.empty()) std::cerr << "warning: " << w << std::endl;
    client::ChatOutcome out;
    client::ClientError err;
    bool printed = false;
    bool ok = pool.Chat(
        f.model, req, s.prefs,
        [&](std::string_view d) {
          if (!ctx.global.json) std::cout << d << std::flush;
          printed = true;
          return true;
        },
        &out, &err);
    if (printed && !ctx.global.json) std::cout << std::endl;
    if (!ok) {
      messages.erase(messages.size() - 1);
      return MakeError(err.status == 404 ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                       err.message + " [" + err.code + "]");
    }
    messages.push_back({{"role", "assistant"}, {"content", out.result.text}});
    if (ctx.global.json) {
      std::cout << json{{"text", out.result.text},
                        {"finish_reason", out.result.finish_reason},
                        {"provider", out.provider},
                        {"model", out.model},
                        {"failovers", out.failovers}}
                       .dump()
                << std::endl;
    }
    return OkStatus();
  };
  if (prompt_given) {
    result = ask(f.prompt);
  } else {
    bool tty = isatty(0) != 0;
    int failed = 0, asked = 0;
    std::string line;
    while (true) {
      if (tty) std::cerr << "> " << std::flush;
      if (!std::getline(std::cin, line)) break;
      if (line.empty()) continue;
      ++asked;
      Status st = ask(line);
      if (!st.ok()) {
        (void)Fail(st.error());  // one line (JSON under --json); the conversation goes on
        ++failed;
      }
    }
    if (failed > 0) {
      result = MakeError(ErrorCode::kUnavailable, std::to_string(failed) + " of " + std::to_string(asked) +
                                                      " messages were not answered (see above)");
    }
  }
  json status = pool.Status();
  pool.CloseAll();
  for (const auto& sess : status["sessions"]) {
    std::cerr << "session with " << sess["provider"].get<std::string>() << " closed after " << sess["seconds"]
              << " s (final voucher sent)" << std::endl;
  }
  return result;
}

}  // namespace

void RegisterClientBenchCommand(CLI::App& app, CommandContext& ctx);  // cmd_client_bench.cc

void RegisterClientCommands(CLI::App& app, CommandContext& ctx) {
  static ClientFlags f;
  auto* client = app.add_subcommand("client", "The user's local OpenAI-compatible API");
  client->require_subcommand(1);
  auto* serve = client->add_subcommand(
      "serve", "Serve /v1/models and /v1/chat/completions on localhost (doc/client.md)");
  serve->add_option("--listen", f.listen, "host:port (keep it on 127.0.0.1)")->capture_default_str();
  AddCommonFlags(serve, f);
  serve->add_option("--allow-origin", f.allow_origins,
                    "A web origin (e.g. http://localhost:3000) whose pages may call the API (repeat; default: none)");
  serve->add_option("--api-key", f.api_key, "Require 'Authorization: Bearer KEY' on every request");
  serve->add_option("--api-key-file", f.api_key_file, "The same, the key read from the file's first line");
  AddAgentFlags(serve, &f.agents);
  serve->add_option("--local", f.local.model,
                    "Run this model file (llama2.c .bin or GGUF) here with the built-in engine: requests naming it and "
                    "every agent's completions never leave this machine");
  serve->add_option("--local-tokenizer", f.local.tokenizer, "Tokenizer of a --local llama2.c checkpoint");
  serve->add_option("--local-name", f.local.name, "Model id of --local in the API (default: the file name without extension)");
  serve->add_option("--local-threads", f.local.threads, "Engine threads of --local (0: all cores)")->capture_default_str();
  AddConfigFlags(serve, &f.config, &f.devnet);
  serve->callback([&ctx, serve] {
    RunCommand(ctx, [&]() -> Status {
      f.datadir = ctx.global.Datadir();
      LT_TRY_STATUS(ApplyUserConfig(serve, f.datadir, f.config, f.devnet));
      return Serve(f);
    });
  });

  auto* chat =
      app.add_subcommand("chat", "Chat with a model through the network: one prompt, or stdin lines");
  chat->add_option("model", f.model, "Model name, e.g. demo/stories:260k")->required();
  auto* prompt =
      chat->add_option("prompt", f.prompt, "The prompt (omit it to read one message per stdin line)");
  AddCommonFlags(chat, f);
  chat->add_option("--max-tokens", f.max_tokens, "Maximum tokens per answer")->capture_default_str();
  chat->add_option("--temperature", f.temperature, "Sampling temperature (default: the provider's)");
  chat->add_option("--seed", f.seed, "Sampling seed (0: the provider's)");
  AddConfigFlags(chat, &f.config, &f.devnet);
  chat->callback([&ctx, chat, prompt] {
    RunCommand(ctx, [&]() -> Status {
      f.datadir = ctx.global.Datadir();
      LT_TRY_STATUS(ApplyUserConfig(chat, f.datadir, f.config, f.devnet));
      return Chat(ctx, f, prompt->count() > 0);
    });
  });
  RegisterClientBenchCommand(app, ctx);
}

}  // namespace lt::cli
