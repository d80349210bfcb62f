#include "devnet/plan.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>

namespace lt::devnet {

using nlohmann::json;

namespace {

// Binds 127.0.0.1:port (0 = any) and returns the bound port, or -1. With SO_REUSEADDR, as every
// lt server listens: a port whose last connections linger in TIME_WAIT is free for them, so the
// probe must not call it taken (issue 15, L5: the devnet refused to restart for a minute).
int BindOnce(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  int result = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) result = ntohs(a.sin_port);
  }
  ::close(fd);
  return result;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string QuoteList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Quote(v[i]);
  return out + "]";
}

}  // namespace

Result<int> PickFreePort() {
  int p = BindOnce(0);
  if (p <= 0) return MakeError(ErrorCode::kUnavailable, "no free TCP port on 127.0.0.1");
  return p;
}

bool PortFree(int port) { return BindOnce(port) == port; }

const Account& Plan::account(const std::string& name) const {
  for (const auto& a : accounts) {
    if (a.name == name) return a;
  }
  static const Account kNone;
  return kNone;
}

Result<Plan> MakePlan(const DevnetOptions& options) {
  namespace fs = std::filesystem;
  if (options.datadir.empty()) return InvalidArgument("--datadir: empty");
  if (options.api_port <= 0 || options.api_port > 65535)
    return InvalidArgument("--api-port: expected 1..65535");
  if (options.day_seconds < 5) return InvalidArgument("--day-seconds: at least 5");
  if (!PortFree(options.api_port)) {
    return MakeError(ErrorCode::kUnavailable, "--api-port " + std::to_string(options.api_port) +
                                                  ": 127.0.0.1:" + std::to_string(options.api_port) +
                                                  " is in use; pick another with --api-port");
  }
  Plan p;
  p.options = options;
  p.options.datadir = fs::absolute(options.datadir).lexically_normal().string();
  const std::string& d = p.options.datadir;
  p.model_file = (fs::path(options.models_dir) / "stories260K.bin").string();
  p.tokenizer_file = (fs::path(options.models_dir) / "tok512.bin").string();
  for (const auto& f : {p.model_file, p.tokenizer_file}) {
    if (!fs::exists(f)) {
      return MakeError(ErrorCode::kNotFound,
                       "the shipped model file " + f + " is missing (set LT_MODELS_DIR or --models)");
    }
  }
  p.keys_dir = d + "/keys";
  p.logs_dir = d + "/logs";
  p.genesis_path = d + "/genesis.json";
  p.ledger_datadir = d + "/ledger";
  p.builder_datadir = d + "/builder";
  p.client_datadir = d + "/user";

  std::set<int> used{options.api_port};
  auto port = [&]() -> Result<int> {
    for (int i = 0; i < 50; ++i) {
      LT_TRY(int q, PickFreePort());
      if (used.insert(q).second) return q;
    }
    return MakeError(ErrorCode::kUnavailable, "could not find enough free ports");
  };
  LT_TRY(p.ledger_port, port());
  LT_TRY(p.gateway_port, port());
  for (int i = 1; i <= 2; ++i) {
    RouterPlan r;
    r.name = "router" + std::to_string(i);
    LT_TRY(r.port, port());
    r.datadir = d + "/" + r.name;
    p.routers.push_back(r);
  }
  // Three providers: different prices and engine threads (speeds).
  const char* prices[] = {"0.001", "0.002", "0.0005"};
  const int threads[] = {1, 2, 1};
  for (int i = 0; i < 3; ++i) {
    ProviderPlan pp;
    pp.name = "provider" + std::to_string(i + 1);
    LT_TRY(pp.session_port, port());
    LT_TRY(pp.http_port, port());
    pp.price = prices[i];
    pp.threads = threads[i];
    pp.datadir = d + "/" + pp.name;
    pp.config = pp.datadir + "/provider.toml";
    p.providers.push_back(pp);
  }
  // Who pulls from whom: provider1 from the builder's gateway, provider2 from provider1,
  // provider3 from provider2 (and the builder as a last resort).
  p.providers[0].peers = {p.gateway_url()};
  p.providers[1].peers = {p.providers[0].http_url()};
  p.providers[2].peers = {p.providers[1].http_url(), p.gateway_url()};

  auto account = [&](const std::string& name, const std::string& role, const char* wallet,
                     const char* vault) {
    Account a;
    a.name = name;
    a.role = role;
    a.keystore = p.keys_dir + "/" + name + ".json";
    a.password_file = p.keys_dir + "/" + name + ".pw";
    a.wallet = wallet;
    a.vault = vault;
    p.accounts.push_back(a);
  };
  account("user", "user", "100", "1000");
  account("builder", "builder", "10", "0");
  for (const auto& r : p.routers) account(r.name, "router", "1000", "0");
  for (const auto& pp : p.providers) account(pp.name, "provider", "100", "0");
  if (options.chain == "anvil") {
    p.chain_path = d + "/chain.json";
    // The ledger service's relayer: it pays the gas of the transactions sent to its HTTP API.
    account("relayer", "relayer", "0", "0");
  }
  return p;
}

json GenesisJson(const Plan& plan) {
  json allocations = json::array();
  for (const auto& a : plan.accounts) {
    allocations.push_back({{"address", a.address}, {"wallet", a.wallet}, {"vault", a.vault}});
  }
  return {{"chain_id", kChainId},
          {"verifying_contract", kVerifyingContract},
          {"day_seconds", plan.options.day_seconds},
          {"emission",
           {{"compute", {{"initial", "3456"}, {"decrease", "0.59255872824"}}},
            {"community", {{"initial", "3456"}, {"decrease", "0.59255872824"}}}}},
          {"params",
           {{"beta_bps", 1000},
            {"budget_bps", 100},
            {"max_builder_fee_bps", 2000},
            {"agent_share_bps", 1000},
            {"min_provider_stake", "10"},
            {"min_router_stake", "100"}}},
          {"pools", {{"compute", "1000000"}, {"community", "100000"}}},
          {"allocations", allocations},
          {"minter", plan.account("user").address}};
}

std::string ProviderToml(const Plan& plan, const ProviderPlan& p, bool pulled) {
  const Account& me = plan.account(p.name);
  std::vector<std::string> routers, accepted;
  for (const auto& r : plan.routers) {
    routers.push_back(r.url());
    accepted.push_back(plan.account(r.name).address);
  }
  std::ostringstream t;
  t << "# Written by lt devnet (doc/devnet.md). "
    << (pulled ? "The model is pulled through the registry." : "Fallback: the model file is named directly.")
    << "\n";
  t << "keystore = " << Quote(me.keystore) << "\n";
  t << "password_file = " << Quote(me.password_file) << "\n";
  t << "listen = " << Quote(p.endpoint()) << "\n";
  t << "http_listen = " << Quote("127.0.0.1:" + std::to_string(p.http_port)) << "\n";
  t << "endpoint = " << Quote(p.endpoint()) << "\n";
  t << "stake = \"10\"\n";
  t << "ledger = " << Quote(plan.ledger_url()) << "\n";
  t << "routers = " << QuoteList(routers) << "\n";
  t << "accepted_routers = " << QuoteList(accepted) << "\n";
  if (pulled) t << "peers = " << QuoteList(p.peers) << "\n";
  t << "meter_interval_seconds = 2\n\n";
  t << "[[model]]\n";
  t << "name = " << Quote(kModelRef) << "\n";
  t << "backend = \"builtin\"\n";
  if (!pulled) {
    t << "path = " << Quote(plan.model_file) << "\n";
    t << "tokenizer = " << Quote(plan.tokenizer_file) << "\n";
  }
  t << "price = " << Quote(p.price) << "\n";
  t << "min_seconds = " << p.min_seconds << "\n";
  t << "slots = " << p.slots << "\n";
  t << "threads = " << p.threads << "\n";
  return t.str();
}

}  // namespace lt::devnet
