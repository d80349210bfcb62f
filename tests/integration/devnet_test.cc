// `lt devnet` as a real process: it writes devnet.json listing every role, its accounts'
// keystores exist, the user's local OpenAI API lists demo/stories:260k and answers a chat, the
// showcase settles sessions, SIGINT stops it with exit 0 and no child left, and nothing it
// wrote holds a prompt, nor the user's address outside the places that must hold it
// (doc/devnet.md "Privacy check").
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "chromium.h"
#include "net/http.h"
#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kPrompt = "Zanzibar periwinkle marmoset 7311";
// One of the showcase's prompts (src/devnet/showcase.cc).
constexpr const char* kShowcasePrompt = "One day a girl found a box";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Files under the devnet's folder where the user's address legitimately appears: the user's
// own key and client state, the files naming every account (devnet.json, genesis.json), the
// public ledger (its transactions name the user), the logs of the user's own commands, and the
// providers' logs (a provider is the user's counterparty: the ticket it verifies names the user).
// A router's database names the user only until the ledger settled the receipt (doc/router.md
// "Storage"): once the showcase settled and the devnet stopped it must not.
bool AddressAllowed(const std::string& rel) {
  static const char* kAllowed[] = {
      "devnet.json",     "genesis.json",       "keys/",         "user/",        "ledger/",
      "logs/client.log", "logs/user-chat.log", "logs/keys.log", "logs/provider"};
  for (const char* a : kAllowed) {
    if (rel.rfind(a, 0) == 0) return true;
  }
  return false;
}

// The address as 40 lowercase hex digits (checksummed hex, lowercased, matches it too) and as
// its raw 20 bytes (what a binary store would hold).
std::string RawAddress(const std::string& hex40) {
  std::string raw;
  for (size_t i = 0; i + 1 < hex40.size(); i += 2) raw.push_back(static_cast<char>(std::stoi(hex40.substr(i, 2), nullptr, 16)));
  return raw;
}

TEST(Devnet, RunsTheWholeNetworkAndStopsCleanly) {
  std::string dir = TempDir("lt-devnet") + "/net";
  int api = FreePort();
  LtProcess devnet({"devnet", "--datadir", dir, "--api-port", std::to_string(api), "--exit-after", "120",
                    "--day-seconds", "10"});
  ASSERT_TRUE(WaitForFile(dir + "/devnet.json", devnet, 300)) << devnet.Stdout() << devnet.Stderr();
  json net = json::parse(ReadFileOrEmpty(dir + "/devnet.json"));

  EXPECT_TRUE(net["ledger"]["url"].get<std::string>().rfind("http://127.0.0.1:", 0) == 0);
  ASSERT_EQ(net["routers"].size(), 2u);
  ASSERT_EQ(net["providers"].size(), 3u);
  EXPECT_EQ(net["model"]["name"], "demo/stories:260k");
  ASSERT_EQ(net["accounts"].size(), 7u);
  // Every step took the real path: no fallback hides a broken command.
  EXPECT_EQ(net["modes"]["publish"], "lt model push") << net["modes"].dump();
  EXPECT_EQ(net["modes"]["provider_model"], "pulled") << net["modes"].dump();
  EXPECT_EQ(net["modes"]["user_api"], "lt client serve") << net["modes"].dump();
  EXPECT_EQ(net["modes"]["providers_registered"], true) << net["modes"].dump();
  for (const auto& a : net["accounts"]) {
    EXPECT_TRUE(fs::exists(a["keystore"].get<std::string>())) << a.dump();
    EXPECT_TRUE(fs::exists(a["password_file"].get<std::string>())) << a.dump();
    EXPECT_EQ(a["address"].get<std::string>().size(), 42u);
  }
  std::vector<int> pids = {net["ledger"]["pid"].get<int>(), net["builder"]["pid"].get<int>()};
  for (const auto& r : net["routers"]) pids.push_back(r["pid"].get<int>());
  for (const auto& p : net["providers"]) pids.push_back(p["pid"].get<int>());
  const std::string user = net["user"]["address"].get<std::string>();

  // A second devnet on the same folder is refused while this one runs.
  auto second = RunLt({"devnet", "--datadir", dir, "--api-port", std::to_string(FreePort())});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("is running there"), std::string::npos) << second.err;

  bool have_api = !net["user"]["api"].is_null();
  if (have_api) {
    pids.push_back(net["user"]["pid"].get<int>());
    EXPECT_EQ(net["user"]["api"], "http://127.0.0.1:" + std::to_string(api) + "/v1");
    auto c = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(api), {3000, 120000, 10000});
    ASSERT_TRUE(c.ok());
    auto models = c->Get("/v1/models");
    ASSERT_TRUE(models.ok());
    EXPECT_EQ(models->status, 200) << models->body;
    EXPECT_NE(models->body.find("demo/stories:260k"), std::string::npos) << models->body;
    json req = {{"model", "demo/stories:260k"},
                {"messages", json::array({{{"role", "user"}, {"content", kPrompt}}})},
                {"max_tokens", 30}};
    auto chat = c->Post("/v1/chat/completions", req.dump());
    ASSERT_TRUE(chat.ok());
    ASSERT_EQ(chat->status, 200) << chat->body;
    json answer = json::parse(chat->body);
    EXPECT_FALSE(answer["choices"][0]["message"]["content"].get<std::string>().empty()) << chat->body;
  }

  // The showcase settles sessions on the ledger and writes its summary.
  ASSERT_TRUE(WaitForFile(dir + "/showcase.json", devnet, 240)) << devnet.Stdout() << devnet.Stderr();
  json summary = json::parse(ReadFileOrEmpty(dir + "/showcase.json"));
  EXPECT_GE(summary["totals"]["sessions"].get<uint64_t>(), 1u) << summary.dump(2);
  EXPECT_NE(devnet.Stdout().find("Summary"), std::string::npos);

  // The routers' public records never name the user.
  for (const auto& r : net["routers"]) {
    auto c = net::HttpClient::Create(r["url"].get<std::string>());
    ASSERT_TRUE(c.ok());
    auto records = c->Get("/records?since=0&limit=1000");
    ASSERT_TRUE(records.ok());
    EXPECT_EQ(Lower(records->body).find(Lower(user.substr(2))), std::string::npos) << records->body;
  }

  // Providers pulled the model from each other: provider2 and provider3 name another
  // provider's gateway among the peers their blocks came from.
  for (size_t i = 1; i < net["providers"].size(); ++i) {
    std::string log = ReadFileOrEmpty(net["providers"][i]["log"].get<std::string>());
    size_t at = log.find("pulled: ");
    ASSERT_NE(at, std::string::npos) << log;
    std::string line = log.substr(at, log.find('\n', at) - at);
    bool from_provider = false;
    for (size_t j = 0; j < net["providers"].size(); ++j) {
      if (j != i && line.find(net["providers"][j]["http"].get<std::string>() + ":") != std::string::npos) {
        from_provider = true;
      }
    }
    EXPECT_TRUE(from_provider) << line;
  }

  // A router's dashboard, loaded in headless Chromium, shows the demo model in its leaderboard.
  if (std::string chromium = FindProgram("chromium"); !chromium.empty()) {
    std::string boards;
    for (const auto& r : net["routers"]) {
      auto page = ChromiumRun(chromium, r["url"].get<std::string>() + "/");
      ASSERT_EQ(page.exit_code, 0) << page.err;
      boards += LeaderboardTable(page.out);
    }
    EXPECT_NE(boards.find("demo/stories:260k"), std::string::npos) << boards;
  }

  EXPECT_EQ(devnet.Stop(SIGINT, 60000), 0) << devnet.Stdout() << devnet.Stderr();
  for (int pid : pids) {
    ASSERT_GT(pid, 0);
    EXPECT_NE(::kill(pid, 0), 0) << "child " << pid << " still running";
  }

  // Nothing written holds a prompt; the user's address only where it must be.
  const std::string addr = Lower(user.substr(2));
  const std::string raw = RawAddress(addr);
  const std::string checksummed = user.substr(2);
  size_t files = 0, router_dbs = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    ++files;
    std::string rel = fs::relative(e.path(), dir).string();
    if (rel.rfind("router", 0) == 0 && rel.find("/router.db") != std::string::npos) ++router_dbs;
    std::string bytes = ReadFileOrEmpty(e.path().string());
    EXPECT_EQ(bytes.find(kPrompt), std::string::npos) << rel << " holds the prompt";
    EXPECT_EQ(bytes.find(kShowcasePrompt), std::string::npos) << rel << " holds a showcase prompt";
    if (!AddressAllowed(rel)) {
      EXPECT_EQ(Lower(bytes).find(addr), std::string::npos) << rel << " holds the user's address";
      EXPECT_EQ(bytes.find(checksummed), std::string::npos) << rel << " holds the user's checksummed address";
      EXPECT_EQ(bytes.find(raw), std::string::npos) << rel << " holds the user's address as bytes";
    }
  }
  EXPECT_GT(files, 10u);
  EXPECT_GE(router_dbs, 2u);  // both routers' databases were checked
}

// Killed with SIGKILL (no chance to clean up), the devnet still leaves no child behind: each
// has PR_SET_PDEATHSIG and stops on its own.
TEST(Devnet, ChildrenStopWhenTheDevnetIsKilled) {
  std::string dir = TempDir("lt-devnet-kill") + "/net";
  LtProcess devnet({"devnet", "--datadir", dir, "--api-port", std::to_string(FreePort()), "--no-showcase"});
  ASSERT_TRUE(WaitForFile(dir + "/devnet.json", devnet, 300)) << devnet.Stdout() << devnet.Stderr();
  json net = json::parse(ReadFileOrEmpty(dir + "/devnet.json"));
  std::vector<int> pids = {net["ledger"]["pid"].get<int>(), net["builder"]["pid"].get<int>()};
  for (const auto& r : net["routers"]) pids.push_back(r["pid"].get<int>());
  for (const auto& p : net["providers"]) pids.push_back(p["pid"].get<int>());
  if (net["user"].contains("pid")) pids.push_back(net["user"]["pid"].get<int>());
  for (int pid : pids) EXPECT_EQ(::kill(pid, 0), 0) << "child " << pid << " should be running";
  devnet.Kill9();
  for (int pid : pids) {
    bool gone = false;
    for (int i = 0; i < 300 && !gone; ++i) {
      // Orphans are reparented (to init or a subreaper) which reaps them; a zombie counts as gone.
      std::string stat = ReadFileOrEmpty("/proc/" + std::to_string(pid) + "/stat");
      gone = stat.empty() || stat.find(") Z ") != std::string::npos;
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(gone) << "child " << pid << " outlived the devnet";
  }
}

// LT_DEVNET_FALLBACKS=1: register-model + set-tag with the file digest, providers with the
// model's path, no local API and hand-signed tickets still settle a session per provider.
TEST(Devnet, FallbacksStillSettleSessions) {
  std::string dir = TempDir("lt-devnet-fallback") + "/net";
  ::setenv("LT_DEVNET_FALLBACKS", "1", 1);
  LtProcess devnet({"devnet", "--datadir", dir, "--api-port", std::to_string(FreePort()), "--exit-after",
                    "120", "--day-seconds", "10"});
  ::unsetenv("LT_DEVNET_FALLBACKS");
  ASSERT_TRUE(WaitForFile(dir + "/showcase.json", devnet, 300)) << devnet.Stdout() << devnet.Stderr();
  json net = json::parse(ReadFileOrEmpty(dir + "/devnet.json"));
  EXPECT_EQ(net["modes"]["provider_model"], "path");
  EXPECT_EQ(net["modes"]["user_api"], "none");
  EXPECT_TRUE(net["user"]["api"].is_null());
  json summary = json::parse(ReadFileOrEmpty(dir + "/showcase.json"));
  EXPECT_EQ(summary["totals"]["sessions"].get<uint64_t>(), 3u) << summary.dump(2);
  EXPECT_EQ(summary["totals"]["sessions_by_provider"].size(), 3u) << summary.dump(2);
  EXPECT_EQ(devnet.Stop(SIGTERM, 60000), 0) << devnet.Stdout() << devnet.Stderr();
}

TEST(Devnet, RefusesAFolderThatIsNotADevnet) {
  std::string dir = TempDir("lt-devnet-refuse");
  WriteFile(dir + "/precious.txt", "keep me");
  auto r = RunLt({"devnet", "--datadir", dir, "--api-port", std::to_string(FreePort())});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("refusing to wipe"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir + "/precious.txt"));
}

// Ctrl-C during the start leaves no devnet.json; the folder is still the devnet's, so running
// the same command again starts (it used to be refused as "not a devnet": `lt devnet` with the
// default datadir then needed a manual rm -rf ~/.laketravis/devnet).
TEST(Devnet, AStartStoppedByCtrlCCanBeRunAgain) {
  std::string dir = TempDir("lt-devnet-again") + "/net";
  int port = FreePort();
  {
    LtProcess devnet({"devnet", "--datadir", dir, "--api-port", std::to_string(port), "--no-showcase"});
    ASSERT_TRUE(WaitForFile(dir + "/keys/user.json", devnet, 300)) << devnet.Stdout() << devnet.Stderr();
    devnet.Stop(SIGINT, 60000);
  }
  ASSERT_FALSE(fs::exists(dir + "/devnet.json")) << "the start was not interrupted early enough";
  // While a devnet starts there, another one is refused (it would wipe the first one's folder).
  LtProcess devnet({"devnet", "--datadir", dir, "--api-port", std::to_string(port), "--no-showcase"});
  std::string mine = "{\"pid\":" + std::to_string(devnet.pid()) + "}\n";
  for (int i = 0; i < 3000 && devnet.Running() && ReadFileOrEmpty(dir + "/devnet.started") != mine; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(ReadFileOrEmpty(dir + "/devnet.started"), mine) << devnet.Stdout() << devnet.Stderr();
  auto second = RunLt({"devnet", "--datadir", dir, "--api-port", std::to_string(FreePort())});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("is running there"), std::string::npos) << second.err;
  ASSERT_TRUE(WaitForFile(dir + "/devnet.json", devnet, 300)) << devnet.Stdout() << devnet.Stderr();
  EXPECT_EQ(devnet.Stop(SIGTERM, 60000), 0) << devnet.Stdout() << devnet.Stderr();
}

TEST(Devnet, RefusesABusyApiPort) {
  std::string dir = TempDir("lt-devnet-port") + "/net";
  int port = FreePort();
  net::HttpServer server;
  ASSERT_TRUE(server.Listen("127.0.0.1", port).ok());
  auto r = RunLt({"devnet", "--datadir", dir, "--api-port", std::to_string(port)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("in use"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lt::test
