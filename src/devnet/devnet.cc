#include "devnet/devnet.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "devnet/http_view.h"
#include "devnet/showcase.h"
#include "ledger/client.h"
#include "ledger/evm_ledger.h"
#include "registry/cid.h"
#include "util/bytes.h"
#include "util/random.h"
#include "util/json.h"

namespace lt::devnet {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

Status WriteText(const std::string& path, const std::string& data, bool secret = false) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return IoError("cannot write " + path);
  f << data;
  f.close();
  if (secret) ::chmod(path.c_str(), 0600);
  return f ? OkStatus() : IoError("cannot write " + path);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  auto nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

void Say(const std::string& s) { std::cout << s << std::endl; }

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b,
                                const std::vector<std::string>& c) {
  a.insert(a.end(), b.begin(), b.end());
  a.insert(a.end(), c.begin(), c.end());
  return a;
}

// LT_DEVNET_FALLBACKS=1 takes every fallback path (tests them while the real commands exist).
bool ForceFallbacks() {
  const char* v = std::getenv("LT_DEVNET_FALLBACKS");
  return v != nullptr && std::string(v) == "1";
}
void Step(const std::string& s) {
  static const bool tty = ::isatty(1) != 0;  // bold titles on a terminal only
  std::cout << (tty ? "\n\033[1m== " : "\n== ") << s << (tty ? "\033[0m" : "") << std::endl;
}

// D is wiped at start, but only if it looks like a devnet's (or is empty): never a user's folder.
// A devnet's folder holds devnet.json once it is ready, and devnet.started (its pid) from the first
// moment, so a start interrupted by Ctrl-C or a failed start leaves a folder the next run may wipe.
constexpr char kStartedFile[] = "devnet.started";

Status PrepareDatadir(const Plan& p) {
  const std::string& d = p.options.datadir;
  std::error_code ec;
  if (fs::exists(d, ec)) {
    if (!fs::is_directory(d, ec)) return InvalidArgument("--datadir " + d + ": not a directory");
    bool empty = fs::is_empty(d, ec);
    std::vector<std::string> marks;
    for (const std::string& f : {d + "/devnet.json", d + "/" + kStartedFile}) {
      if (fs::exists(f, ec)) marks.push_back(f);
    }
    if (!empty && marks.empty()) {
      return InvalidArgument(
          "--datadir " + d +
          ": exists, is not empty and holds no devnet.json; refusing to wipe it (pick a new folder)");
    }
    for (const std::string& mark : marks) {
      std::ifstream f(mark);
      json prev = ParseJson(std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>()));
      int pid = prev.is_object() && prev.value("pid", json()).is_number_integer() ? prev["pid"].get<int>() : 0;
      std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline");
      std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
      if (pid > 0 && pid != ::getpid() && cmdline.find("devnet") != std::string::npos) {
        return MakeError(ErrorCode::kFailedPrecondition, "--datadir " + d + ": a devnet (pid " +
                                                             std::to_string(pid) +
                                                             ") is running there; stop it first (Ctrl-C)");
      }
    }
    fs::remove_all(d, ec);
    if (ec) return IoError("cannot clear " + d + ": " + ec.message());
  }
  fs::create_directories(d, ec);
  if (ec) return IoError("cannot create " + d + ": " + ec.message());
  LT_TRY_STATUS(WriteText(d + "/" + kStartedFile, json{{"pid", static_cast<int>(::getpid())}}.dump() + "\n"));
  for (const auto& sub : {p.keys_dir, p.logs_dir, p.builder_datadir, p.client_datadir}) {
    fs::create_directories(sub, ec);
    if (ec) return IoError("cannot create " + sub + ": " + ec.message());
  }
  for (const auto& r : p.routers) fs::create_directories(r.datadir, ec);
  for (const auto& pp : p.providers) fs::create_directories(pp.datadir, ec);
  if (ec) return IoError("cannot create folders under " + d + ": " + ec.message());
  return OkStatus();
}

Status CreateKeys(Devnet& d) {
  for (auto& a : d.plan.accounts) {
    uint8_t raw[16];
    SecureRandom::Default()->Fill(raw);
    LT_TRY_STATUS(WriteText(a.password_file, HexEncode(ByteSpan(raw, sizeof raw)) + "\n", true));
    LT_TRY(std::string out, d.sup->RunOk("lt key new (" + a.name + ")",
                                         {"--log-level", "warn", "key", "new", "--light", "--keystore",
                                          a.keystore, "--password-file", a.password_file},
                                         d.Log("keys")));
    a.address = Trim(out);
    if (a.address.size() != 42)
      return InternalError("lt key new printed no address for " + a.name + ": " + out);
    Say("  " + a.name + std::string(10 - std::min<size_t>(9, a.name.size()), ' ') + a.address);
  }
  return OkStatus();
}

// --chain anvil: anvil as a child, gas money for every actor, the Compute Contract deployed with
// the devnet's genesis (tokens minted to the allocations), D/chain.json for every role.
Status StartChain(Devnet& d) {
  const Plan& p = d.plan;
  evm::AnvilOptions ao;
  ao.log_file = d.Log("anvil");
  LT_TRY(d.anvil, evm::AnvilNode::Start(ao));
  U256 gas_money = *U256::FromMor("1000");  // 1000 ETH each (anvil's native token has 18 decimals too)
  for (const auto& a : p.accounts) {
    LT_TRY(crypto::Address addr, crypto::ParseAddress(a.address));
    LT_TRY_STATUS(d.anvil->SetBalance(addr, gas_money));
  }
  // As `lt ledger init` reads it: from the text (a json built in C++ holds signed integers).
  LT_TRY(ledger::Genesis g,
         ledger::ParseGenesisText(GenesisJson(p).dump(), static_cast<uint64_t>(std::time(nullptr))));
  evm::DeployConfig config = ledger::DeployConfigFromGenesis(g);
  std::vector<evm::ComputeContractClient::Allocation> nonzero;
  for (const auto& a : config.allocations) {
    if (!a.wallet.IsZero() || !a.vault.IsZero()) nonzero.push_back(a);
  }
  config.allocations = nonzero;
  evm::TxSender deployer(&d.anvil->rpc(), *crypto::PrivateKey::FromHex(evm::AnvilNode::kDevKeyHex),
                         kChainId);
  LT_TRY(d.deployment, evm::DeployComputeContract(deployer, config));
  return WriteText(p.chain_path, d.deployment.ToJson().dump(2) + "\n");
}

Status StartLedger(Devnet& d) {
  const Plan& p = d.plan;
  LT_TRY_STATUS(WriteText(p.genesis_path, GenesisJson(p).dump(2) + "\n"));
  if (p.on_chain()) {
    LT_TRY_STATUS(StartChain(d));
    const Account& r = p.account("relayer");
    LT_TRY_STATUS(AsStatus(d.sup->Start("ledger",
                                        {"ledger", "serve", "--chain", p.chain_path, "--keystore", r.keystore,
                                         "--password-file", r.password_file, "--listen",
                                         "127.0.0.1:" + std::to_string(p.ledger_port)},
                                        d.Log("ledger"))));
    return d.sup->WaitReady("ledger", p.ledger_url(), "/health", 30000);
  }
  LT_TRY_STATUS(AsStatus(d.sup->RunOk(
      "lt ledger init",
      {"--log-level", "warn", "ledger", "init", "--datadir", p.ledger_datadir, "--genesis", p.genesis_path},
      d.Log("ledger"))));
  LT_TRY_STATUS(AsStatus(d.sup->Start("ledger",
                                      {"ledger", "serve", "--datadir", p.ledger_datadir, "--listen",
                                       "127.0.0.1:" + std::to_string(p.ledger_port)},
                                      d.Log("ledger"))));
  return d.sup->WaitReady("ledger", p.ledger_url(), "/health", 30000);
}

Status StartRouters(Devnet& d) {
  for (const auto& r : d.plan.routers) {
    const Account& a = d.plan.account(r.name);
    LT_TRY_STATUS(AsStatus(d.sup->Start(
        r.name,
        d.Lt(r.datadir, Concat({"router", "serve", "--listen", "127.0.0.1:" + std::to_string(r.port)},
                               d.plan.ledger_args(),
                               {"--keystore", a.keystore, "--password-file", a.password_file, "--stake", "200",
                                "--settle-every-seconds", "2"})),
        d.Log(r.name))));
  }
  for (const auto& r : d.plan.routers) LT_TRY_STATUS(d.sup->WaitReady(r.name, r.url(), "/health", 30000));
  return OkStatus();
}

// The real publication (REGISTRY, interfaces.md §2): `lt model push`.
Status PushModel(Devnet& d) {
  const Plan& p = d.plan;
  const Account& b = p.account("builder");
  std::vector<std::string> args = {"model",         "push",        kModelRef,          p.model_file,
                                   "--format",      "llama2c",     "--tokenizer",      p.tokenizer_file,
                                   "--builder-fee-bps", "500",     "--license",        "MIT",
                                   "--keystore",      b.keystore,
                                   "--password-file", b.password_file, "--store",      p.builder_datadir + "/store",
                                   "--gateway",     p.gateway_url()};
  args = Concat(args, p.ledger_args(), {});
  for (const auto& r : p.routers) args.insert(args.end(), {"--router", r.url()});
  return AsStatus(d.sup->RunOk("lt model push", d.Lt(p.builder_datadir, args), d.Log("builder")));
}

// The fallback (the old demo shortcut): the store holds the file, the tag is its SHA-256.
Status RegisterModelByFileDigest(Devnet& d) {
  const Plan& p = d.plan;
  const Account& b = p.account("builder");
  std::ifstream f(p.model_file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  Hash32 h = registry::Sha256(ByteSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  std::string manifest = HexEncode0x(h);
  std::vector<std::string> key = Concat(p.ledger_args(), {"--keystore", b.keystore, "--password-file", b.password_file}, {});
  std::vector<std::string> reg = {"--log-level",       "warn", "ledger", "register-model", kModelName,
                                  "--builder-fee-bps", "500"};
  reg.insert(reg.end(), key.begin(), key.end());
  LT_TRY_STATUS(AsStatus(d.sup->RunOk("lt ledger register-model", reg, d.Log("builder"))));
  std::vector<std::string> tag = {"--log-level", "warn",       "ledger", "set-tag",
                                  kModelRef,     "--manifest", manifest};
  tag.insert(tag.end(), key.begin(), key.end());
  LT_TRY_STATUS(AsStatus(d.sup->RunOk("lt ledger set-tag", tag, d.Log("builder"))));
  return OkStatus();
}

Status PublishModel(Devnet& d) {
  const Plan& p = d.plan;
  bool pushed = false;
  if (!ForceFallbacks()) {
    // A failure here is a real defect of the build: say so and stop, never paper over it.
    Status s = PushModel(d);
    if (!s.ok()) return s.error().Wrap("publishing " + std::string(kModelRef) + " with lt model push");
    pushed = true;
    d.modes.publish = "lt model push";
  }
  if (!pushed) {
    // The gateway serves the file's own DAG so peers can fetch it by CID.
    LT_TRY(std::string cid,
           d.sup->RunOk("lt store add", d.Lt(p.builder_datadir, {"store", "add", p.model_file}),
                        d.Log("builder")));
    d.model_cid = Trim(cid);
    LT_TRY_STATUS(RegisterModelByFileDigest(d));
    d.modes.publish = "lt ledger register-model + set-tag (file digest)";
  }
  LT_TRY(auto lc, ledger::RemoteLedger::Connect(p.ledger_url()));
  LT_TRY(ledger::ModelInfo model, lc->GetModel(kModelName));
  auto manifest = model.Tag(kModelTag);
  if (!manifest) {
    return InternalError(std::string("the ledger has no tag ") + kModelRef +
                         " after publishing: " + model.ToJson().dump());
  }
  d.manifest = HexEncode0x(*manifest);
  if (pushed) d.model_cid = ManifestCid(d.manifest);
  LT_TRY_STATUS(AsStatus(d.sup->Start(
      "builder",
      d.Lt(p.builder_datadir, {"store", "serve", "--listen", "127.0.0.1:" + std::to_string(p.gateway_port)}),
      d.Log("builder"))));
  return d.sup->WaitReady("builder", p.gateway_url(), "/ipfs/" + d.model_cid, 30000, true);
}

// Starts one provider: the model pulled through the registry (its [[model]] has no path), or,
// with LT_DEVNET_FALLBACKS, named by the model file's path.
Status StartProvider(Devnet& d, const ProviderPlan& pp, bool pulled) {
  LT_TRY_STATUS(WriteText(pp.config, ProviderToml(d.plan, pp, pulled)));
  LT_TRY_STATUS(AsStatus(
      d.sup->Start(pp.name,
                   d.Lt(pp.datadir, Concat({"provider", "serve", "--config", pp.config},
                                           d.plan.on_chain() ? d.plan.ledger_args() : std::vector<std::string>{}, {})),
                   d.Log(pp.name))));
  return d.sup->WaitReady(pp.name, pp.http_url(), "/health", 120000);
}

Status StartProviders(Devnet& d) {
  const bool pulled = !ForceFallbacks();
  for (const auto& pp : d.plan.providers) LT_TRY_STATUS(StartProvider(d, pp, pulled));
  d.modes.provider_model = pulled ? "pulled" : "path";
  // Registration (PROVIDER, `stake` in provider.toml) is asynchronous: give it a moment.
  for (int i = 0; i < 20 && !d.stop->load(); ++i) {
    auto lc = ledger::RemoteLedger::Connect(d.plan.ledger_url());
    auto providers = lc.ok() ? (*lc)->GetProviders() : Result<std::vector<ledger::ProviderInfo>>(lc.error());
    size_t n = 0;
    if (providers.ok()) {
      for (const auto& pp : d.plan.providers) {
        for (const auto& e : *providers) {
          if (EqualsIgnoreCase(e.address.ToChecksumHex(), d.plan.account(pp.name).address)) ++n;
        }
      }
    }
    if (n == d.plan.providers.size()) {
      d.modes.providers_registered = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return OkStatus();
}

// The user's local OpenAI API (CLIENT, interfaces.md §6), when this build has it.
Status StartUserApi(Devnet& d) {
  const Plan& p = d.plan;
  if (ForceFallbacks()) {
    d.modes.user_api = "none";
    Say("  LT_DEVNET_FALLBACKS: no local API; the showcase talks to providers with lt session chat");
    return OkStatus();
  }
  const Account& u = p.account("user");
  std::vector<std::string> args = {
      "client",          "serve",        "--listen",   "127.0.0.1:" + std::to_string(p.options.api_port),
      "--keystore", u.keystore,
      "--password-file", u.password_file};
  args = Concat(args, p.ledger_args(), {});
  for (const auto& r : p.routers) args.insert(args.end(), {"--router", r.url()});
  args.insert(args.end(), {"--idle-seconds", "5"});
  LT_TRY_STATUS(AsStatus(d.sup->Start("client", d.Lt(p.client_datadir, args), d.Log("client"))));
  LT_TRY_STATUS(d.sup->WaitReady("client", p.api_url(), "/v1/models", 30000));
  d.modes.user_api = "lt client serve";
  d.api_up = true;
  return OkStatus();
}

void PrintWhere(const Devnet& d) {
  const Plan& p = d.plan;
  Step("The devnet is up");
  Say("  ledger     " + p.ledger_url() + "   (GET /stats, /day, /account/ADDR, /txs)");
  for (const auto& r : p.routers)
    Say("  " + r.name + "    " + r.url() + "   (dashboard: open " + r.url() + "/ in a browser; GET /providers, /records)");
  Say("  builder    " + p.gateway_url() + "   (IPFS gateway of the builder's store)");
  for (const auto& pp : p.providers) {
    Say("  " + pp.name + "  sessions " + pp.endpoint() + ", " + pp.http_url() + "/status   price " +
        pp.price + " MOR/s, " + std::to_string(pp.threads) + " thread(s)");
  }
  if (d.api_up) {
    Say("  user API   " + p.api_url() + "/v1   (OpenAI-compatible; model " + kModelRef + ")");
    Say("\n  try: curl " + p.api_url() +
        "/v1/chat/completions -H 'content-type: application/json' \\\n"
        "         -d '{\"model\":\"" +
        std::string(kModelRef) + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}'");
  } else {
    Say("  user API   none (lt client serve is missing or did not start; see above)");
  }
  Say("\n  model      " + std::string(kModelRef) + " -> manifest " + d.manifest);
  Say("  endpoints, addresses, keystores, passwords: " + p.options.datadir + "/devnet.json");
  Say("\n  as the user (settings in " + p.client_datadir + "/config.toml):");
  Say("    lt --datadir " + p.client_datadir + " models");
  Say("    lt --datadir " + p.client_datadir + " chat " + std::string(kModelRef) + " 'Once upon a time'");
  Say("  fund any address from the devnet's faucet: lt devnet fund --devnet " + p.options.datadir +
      "/devnet.json 0xADDRESS 100");
  Say("  logs: " + p.logs_dir + "/<name>.log");
}

}  // namespace

json Modes::ToJson() const {
  return {{"publish", publish},
          {"provider_model", provider_model},
          {"user_api", user_api},
          {"chats", chats},
          {"providers_registered", providers_registered}};
}

std::vector<std::string> Devnet::Lt(const std::string& datadir, std::vector<std::string> args) const {
  std::vector<std::string> out = {"--datadir", datadir};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

json DevnetJson(const Devnet& d) {
  const Plan& p = d.plan;
  auto child = [&](const std::string& name) { return json{{"pid", d.sup->Pid(name)}, {"log", d.Log(name)}}; };
  json accounts = json::array();
  for (const auto& a : p.accounts) {
    accounts.push_back({{"name", a.name},
                        {"role", a.role},
                        {"address", a.address},
                        {"keystore", a.keystore},
                        {"password_file", a.password_file}});
  }
  json routers = json::array();
  for (const auto& r : p.routers) {
    json j = child(r.name);
    j.update(
        {{"name", r.name}, {"url", r.url()}, {"address", p.account(r.name).address}, {"datadir", r.datadir}});
    routers.push_back(j);
  }
  json providers = json::array();
  for (const auto& pp : p.providers) {
    json j = child(pp.name);
    j.update({{"name", pp.name},
              {"address", p.account(pp.name).address},
              {"session", pp.endpoint()},
              {"http", pp.http_url()},
              {"price_per_second", pp.price},
              {"threads", pp.threads},
              {"config", pp.config},
              {"datadir", pp.datadir}});
    providers.push_back(j);
  }
  json ledger = child("ledger");
  ledger.update({{"url", p.ledger_url()}, {"datadir", p.ledger_datadir}, {"genesis", p.genesis_path}});
  json builder = child("builder");
  builder.update({{"address", p.account("builder").address},
                  {"gateway", p.gateway_url()},
                  {"datadir", p.builder_datadir}});
  json user = {{"address", p.account("user").address}, {"datadir", p.client_datadir}};
  if (d.api_up) {
    user.update(child("client"));
    user["api"] = p.api_url() + "/v1";
  } else {
    user["api"] = nullptr;
  }
  json chain = nullptr;
  if (p.on_chain()) {
    chain = {{"kind", "evm"},
             {"rpc", d.deployment.rpc},
             {"chain_id", d.deployment.chain_id},
             {"contract", d.deployment.contract.ToChecksumHex()},
             {"token", d.deployment.token.ToChecksumHex()},
             {"block", d.deployment.block},
             {"deployment", p.chain_path}};
  }
  return {{"version", 1},
          {"pid", static_cast<int>(::getpid())},
          {"datadir", p.options.datadir},
          {"chain_id", kChainId},
          {"verifying_contract", p.on_chain() ? d.deployment.contract.ToChecksumHex() : kVerifyingContract},
          {"chain", chain},
          {"day_seconds", p.options.day_seconds},
          {"model", {{"name", kModelRef}, {"manifest", d.manifest}, {"cid", d.model_cid}}},
          {"ledger", ledger},
          {"routers", routers},
          {"builder", builder},
          {"providers", providers},
          {"user", user},
          {"accounts", accounts},
          {"modes", d.modes.ToJson()}};
}

Status Run(const DevnetOptions& options, const std::string& exe, const std::atomic<bool>* stop) {
  auto started = std::chrono::steady_clock::now();
  LT_TRY(Plan plan, MakePlan(options));
  LT_TRY_STATUS(PrepareDatadir(plan));
  Supervisor sup(exe, stop);
  Devnet d;
  d.plan = std::move(plan);
  d.sup = &sup;
  d.stop = stop;
  auto interrupted = [&] { return stop->load(); };

  Status s = [&]() -> Status {
    Step("Keys: one secp256k1 key per actor (light V3 keystores under " + d.plan.keys_dir + ")");
    LT_TRY_STATUS(CreateKeys(d));
    Step(d.plan.on_chain() ? "The Compute Contract on anvil, deployed from a genesis (days of " +
                                 std::to_string(options.day_seconds) + " s)"
                           : "Ledger from a genesis (days of " + std::to_string(options.day_seconds) + " s)");
    LT_TRY_STATUS(StartLedger(d));
    if (d.plan.on_chain()) {
      Say("  anvil at " + d.deployment.rpc + ", ComputeContract " + d.deployment.contract.ToChecksumHex() +
          ", MOR token " + d.deployment.token.ToChecksumHex() + " (" + d.plan.chain_path + ")");
      Say("  ledger API served from the chain at " + d.plan.ledger_url());
    } else {
      Say("  ledger at " + d.plan.ledger_url());
    }
    Step("Two routers, each staking 200 MOR");
    LT_TRY_STATUS(StartRouters(d));
    Step("The builder publishes " + std::string(kModelRef) + " and serves its store");
    LT_TRY_STATUS(PublishModel(d));
    Say("  " + d.modes.publish + ": manifest " + d.manifest);
    Step("Three providers (prices 0.001, 0.002, 0.0005 MOR/s)");
    LT_TRY_STATUS(StartProviders(d));
    Say(std::string("  model ") +
        (d.modes.provider_model == "pulled" ? "pulled through the registry"
                                            : "loaded from its file (fallback)") +
        "; providers registered on the ledger: " + (d.modes.providers_registered ? "yes" : "not yet"));
    Step("The user's local OpenAI API on port " + std::to_string(options.api_port));
    LT_TRY_STATUS(StartUserApi(d));
    d.modes.chats = d.api_up ? "local OpenAI API" : "lt session ticket + lt session chat";
    LT_TRY_STATUS(WriteText(d.plan.options.datadir + "/devnet.json", DevnetJson(d).dump(2) + "\n"));
    // The user's settings for lt chat / lt models (doc/client.md "Settings"), by the real command.
    LT_TRY_STATUS(AsStatus(d.sup->RunOk(
        "lt init",
        d.Lt(d.plan.client_datadir, {"init", "--force", "--devnet", d.plan.options.datadir + "/devnet.json"}),
        d.Log("keys"))));
    PrintWhere(d);
    return OkStatus();
  }();
  if (!s.ok()) {
    sup.StopAll();
    if (interrupted()) {
      Say("\nlt devnet: interrupted during start; every child stopped.");
      return OkStatus();
    }
    return s;
  }

  if (options.showcase && !interrupted()) {
    Status sc = RunShowcase(d);
    if (!sc.ok() && !interrupted()) Say("\n  showcase: " + sc.error().message);
  }
  auto serving = std::chrono::steady_clock::now();
  if (!interrupted()) {
    Say(options.exit_after > 0 ? "\nServing for " + std::to_string(options.exit_after) +
                                     " s (--exit-after); Ctrl-C stops earlier."
                               : "\nServing until Ctrl-C.");
  }
  while (!interrupted()) {
    if (options.exit_after > 0 &&
        std::chrono::steady_clock::now() - serving >= std::chrono::seconds(options.exit_after)) {
      break;
    }
    for (const auto& [name, code] : sup.Exited()) {
      Say("lt devnet: " + name + " exited with code " + std::to_string(code) + "; last lines of " +
          d.Log(name) + ":\n" + Supervisor::Tail(d.Log(name)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  Say("\nStopping every child (user API, providers, builder, routers, ledger)...");
  sup.StopAll();
  auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
  Say("lt devnet: stopped after " + std::to_string(secs) + " s. Data and logs stay in " +
      d.plan.options.datadir);
  return OkStatus();
}

}  // namespace lt::devnet
