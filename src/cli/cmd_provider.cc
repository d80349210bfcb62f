// lt provider serve | bench | status: the provider role (doc/provider.md).
#include <signal.h>

#include <iostream>

#include "cli/chain_ledger.h"
#include "cli/commands.h"
#include "crypto/keystore.h"
#include "net/http.h"
#include "provider/backend.h"
#include "provider/config.h"
#include "provider/model_source.h"
#include "provider/node.h"
#include "util/fs.h"
#include "util/log.h"

namespace lt::cli {
namespace {

struct ProviderFlags {
  std::string config;
  std::string chain;  // overrides the config's ledger URL: the Compute Contract on that chain
  std::string url = "http://127.0.0.1:7071";
  int tokens = 128;
  int runs = 3;
};

Status Serve(CommandContext& ctx, const ProviderFlags& f) {
  SetLogTag("provider");
  LT_TRY(provider::ProviderConfig config, provider::LoadProviderConfig(f.config));
  LT_TRY(SecretBytes password, ReadPassword(config.password_file, "Provider keystore password: ", false));
  LT_TRY(crypto::PrivateKey key, crypto::LoadKeystoreFile(config.keystore, password.span()));
  sigset_t set = BlockStopSignals();  // before any thread starts
  // --chain: the provider's ledger link talks to the chain through a ledger API in this process;
  // the provider's key pays the gas of its own transactions (registration, direct settlement).
  std::unique_ptr<LocalLedgerBridge> bridge;
  LT_TRY(config.ledger, LedgerUrlFor(config.ledger, f.chain, key, &bridge));
  std::string datadir = ctx.global.Datadir();
  LT_TRY(auto node, provider::ProviderNode::Create(config, std::move(key), datadir));
  LT_TRY_STATUS(node->Start());
  // One machine-readable line so scripts and tests learn the ports.
  std::cout << nlohmann::json{{"address", node->address().ToChecksumHex()},
                              {"session_port", node->session_port()},
                              {"http_port", node->http_port()}}
                   .dump()
            << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  LT_INFO("provider: signal " << sig << ", stopping");
  node->Stop();
  return OkStatus();
}

Status Bench(CommandContext& ctx, const ProviderFlags& f) {
  LT_TRY(provider::ProviderConfig config, provider::LoadProviderConfig(f.config));
  // Models without `path` come from <datadir>/store as `serve` pulls them (already there after a
  // serve: only the ledger is asked which manifest the tag names).
  LT_TRY(auto source, provider::ModelSource::Open(config, ctx.global.Datadir()));
  if (source) LT_TRY_STATUS(source->PullModels(config));
  nlohmann::json out = nlohmann::json::array();
  std::string human;
  for (const auto& m : config.models) {
    LT_TRY(auto backend, provider::MakeBackend(m));
    auto r = provider::BenchBackend(*backend, f.tokens, f.runs);
    if (!r.ok()) return r.error().Wrap("model " + m.name);
    out.push_back({{"model", m.name},
                   {"backend", m.backend},
                   {"tokens_per_second", r->tokens_per_second},
                   {"tokens", r->tokens},
                   {"seconds", r->seconds},
                   {"ttft_ms", r->ttft_ms}});
    char line[256];
    std::snprintf(line, sizeof line, "%-32s %-8s %10.1f tokens/s  (%llu tokens in %.2f s, ttft %.1f ms)\n",
                  m.name.c_str(), m.backend.c_str(), r->tokens_per_second, static_cast<unsigned long long>(r->tokens),
                  r->seconds, r->ttft_ms);
    human += line;
  }
  if (!human.empty()) human.pop_back();
  PrintResult(ctx, out, human);
  return OkStatus();
}

// The status URL: --url, else the http_listen of --config (the address `serve` listens on).
Result<std::string> StatusUrl(const ProviderFlags& f) {
  if (f.config.empty()) return f.url;
  LT_TRY(provider::ProviderConfig config, provider::LoadProviderConfig(f.config));
  LT_TRY(auto hp, net::ParseHostPort(config.http_listen));
  if (hp.second == 0) return InvalidArgument(f.config + ": http_listen has port 0 (chosen at start): give --url");
  return provider::ProviderHttpUrl(config, hp.second);
}

Status StatusCmd(CommandContext& ctx, const ProviderFlags& f) {
  LT_TRY(std::string url, StatusUrl(f));
  auto client = net::HttpClient::Create(url);
  if (!client.ok()) return client.error().Wrap("provider " + url);
  auto resp = client->Get("/status");
  if (!resp.ok()) return resp.error().Wrap("provider " + url + " (is 'lt provider serve' running?)");
  if (resp->status != 200) return net::ErrorFromResponse(*resp).Wrap("provider " + url);
  LT_TRY(nlohmann::json j, resp->Json());
  std::string human = "provider " + j.value("address", std::string("?")) + "\n";
  human += "endpoint: " + j.value("endpoint", std::string("?")) + " (sessions; status at " + url + ")\n";
  human += "sessions: " + std::to_string(j.value("active_sessions", 0)) + " active, " +
           std::to_string(j.value("total_sessions", 0)) + " total, " + std::to_string(j.value("refused_handshakes", 0)) +
           " refused\n";
  human += "earned (signed by users): " + j.value("earned_mor", std::string("0")) + " MOR\n";
  if (j.contains("ledger") && j["ledger"].is_object()) {
    const auto& l = j["ledger"];
    if (l.contains("claimable_mor")) {
      human += "ledger: claimable " + l.value("claimable_mor", std::string("0")) + " MOR, wallet " +
               l.value("wallet_mor", std::string("0")) + " MOR, provider stake " +
               l.value("provider_stake_mor", std::string("0")) + " MOR (lt claim moves claimable to the wallet)\n";
    } else {
      human += "ledger: unreachable (" + l.value("error", std::string("?")) + ")\n";
    }
  }
  if (j.contains("receipts") && j["receipts"].is_object()) {
    const auto& r = j["receipts"];
    human += "receipts: " + r.value("to_routers", nlohmann::json(0)).dump() + " to routers, " +
             r.value("settled_directly", nlohmann::json(0)).dump() + " settled directly, " +
             r.value("spooled", nlohmann::json(0)).dump() + " spooled, " + r.value("refused", nlohmann::json(0)).dump() +
             " refused\n";
  }
  if (j.contains("registration") && j["registration"].is_object()) {
    const auto& r = j["registration"];
    human += "registration: " + r.value("state", std::string("?")) + " at " + r.value("endpoint", std::string()) + ", " +
             r.value("transactions", nlohmann::json(0)).dump() + " transactions this run";
    if (!r.value("last_error", std::string()).empty()) human += " (last error: " + r.value("last_error", std::string()) + ")";
    human += "\n";
  }
  for (const auto& r : j.value("routers", nlohmann::json::array())) {
    human += "router " + r.value("router", std::string()) + ": ";
    if (r.contains("error")) {
      human += "unreachable (" + r.value("error", std::string()) + ")\n";
    } else if (!r.value("listed", false)) {
      human += "does not list this provider yet\n";
    } else {
      uint64_t banned = r.value("banned_ms", uint64_t{0});
      human += (banned > 0 ? "BANNED for " + std::to_string((banned + 999) / 1000) + " s more" : std::string("not banned")) +
               ", liveness " + r.value("liveness_ok", nlohmann::json(0)).dump() + " ok / " +
               r.value("liveness_failed", nlohmann::json(0)).dump() + " failed\n";
    }
  }
  for (const auto& m : j.value("models", nlohmann::json::array())) {
    human += "model " + m.value("name", std::string()) + ": " + m.value("price_per_second_mor", std::string()) +
             " MOR/s, " + std::to_string(m.value("busy", 0)) + "/" + std::to_string(m.value("slots", 0)) + " slots busy\n";
  }
  human.pop_back();
  PrintResult(ctx, j, human);
  return OkStatus();
}

}  // namespace

void RegisterProviderCommands(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<ProviderFlags>();
  auto* p = app.add_subcommand("provider", "Serve inference sessions as a provider");
  p->require_subcommand(1);
  auto* serve = p->add_subcommand("serve", "Serve sessions for the models in provider.toml");
  serve->add_option("--config", f->config, "provider.toml")->required();
  serve->add_option("--chain", f->chain,
                    "Deployment file or devnet.json: the Compute Contract on that chain instead of the config's "
                    "ledger URL (the provider's key pays the gas)");
  serve->callback([&ctx, f] { RunCommand(ctx, [&] { return Serve(ctx, *f); }); });
  auto* bench = p->add_subcommand("bench", "Measure tokens per second of each configured model");
  bench->add_option("--config", f->config, "provider.toml")->required();
  bench->add_option("--tokens", f->tokens, "Tokens per generation")->capture_default_str();
  bench->add_option("--runs", f->runs, "Generations per model")->capture_default_str();
  bench->callback([&ctx, f] { RunCommand(ctx, [&] { return Bench(ctx, *f); }); });
  auto* status = p->add_subcommand("status", "Sessions, earnings and bans of a running provider");
  auto* url = status->add_option("--url", f->url, "The provider's status endpoint (http_listen)")->capture_default_str();
  status->add_option("--config", f->config, "provider.toml: its http_listen is the status endpoint")->excludes(url);
  status->callback([&ctx, f] { RunCommand(ctx, [&] { return StatusCmd(ctx, *f); }); });
}

}  // namespace lt::cli
