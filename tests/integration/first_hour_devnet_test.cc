// Issue 18, "first hour", against a real `lt devnet` (--no-showcase): the devnet writes the
// user's config.toml, so `lt --datadir D/user models` and `chat` need no flags; `lt models`
// lists the catalog with size, providers and prices; `lt chat --devnet` with a wrong tag lists
// the tags and the nearest; `lt devnet fund` mints to a fresh address; the local API answers a
// base URL without /v1 with a hint; `lt provider status --config` and `lt provider bench --config`
// work on a pulled model; `lt model push --router` without --gateway publishes a checked GGUF,
// fills its architecture and says which `lt store serve` line makes it pullable.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "crypto/keys.h"
#include "net/http.h"
#include "support/ports.h"
#include "support/process.h"
#include "util/random.h"

namespace lt::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

TEST(FirstHourDevnet, SettingsCatalogFaucetHintsAndBuilderFlow) {
  std::string dir = TempDir("lt-first-devnet") + "/net";
  int api = FreePort();
  LtProcess devnet({"devnet", "--datadir", dir, "--api-port", std::to_string(api), "--no-showcase"});
  ASSERT_TRUE(WaitForFile(dir + "/devnet.json", devnet, 300)) << devnet.Stdout() << devnet.Stderr();
  // The user's config is written right after devnet.json.
  for (int i = 0; i < 100 && !fs::exists(dir + "/user/config.toml"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(fs::exists(dir + "/user/config.toml")) << devnet.Stdout();
  json net = json::parse(ReadFileOrEmpty(dir + "/devnet.json"));
  const std::string user_dir = dir + "/user";
  const std::string devnet_json = dir + "/devnet.json";

  // lt models, settings from D/user/config.toml.
  auto models = RunLt({"--datadir", user_dir, "--json", "models"});
  ASSERT_EQ(models.exit_code, 0) << models.err;
  EXPECT_EQ(models.err.find("INFO"), std::string::npos) << "logs under --json: " << models.err;
  json catalog = json::parse(models.out);
  json stories;
  for (const auto& m : catalog["models"]) {
    if (m["model"] == "demo/stories:260k") stories = m;
  }
  ASSERT_TRUE(stories.is_object()) << models.out;
  EXPECT_EQ(stories["providers"], 3) << stories.dump();
  EXPECT_EQ(stories["price_min_mor"], "0.0005") << stories.dump();
  EXPECT_EQ(stories["price_max_mor"], "0.002") << stories.dump();
  EXPECT_EQ(stories["format"], "llama2c") << stories.dump();
  EXPECT_GT(stories["size_bytes"].get<uint64_t>(), 100000u) << stories.dump();
  EXPECT_EQ(stories["providers_banned"], 0) << stories.dump();  // the routers' /providers was read
  EXPECT_EQ(catalog["router_errors"], json::array()) << catalog.dump();
  // With no config.toml, the devnet that a plain `lt devnet` runs in <datadir>/devnet is used.
  std::string home = TempDir("lt-first-home");
  fs::create_directory_symlink(dir, home + "/devnet");
  auto implicit = RunLt({"--datadir", home, "--json", "models", "--no-sizes"});
  ASSERT_EQ(implicit.exit_code, 0) << implicit.err;
  EXPECT_NE(implicit.out.find("demo/stories:260k"), std::string::npos) << implicit.out;
  auto human = RunLt({"--datadir", user_dir, "models"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("demo/stories:260k\tmodel\tllama2c\t"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("0.0005-0.002"), std::string::npos) << human.out;

  // lt chat with the saved settings; a wrong tag lists the tags and the nearest.
  auto chat = RunLt({"--datadir", user_dir, "chat", "demo/stories:260k", "Once upon a time", "--max-tokens", "8"},
                    "", 120000);
  EXPECT_EQ(chat.exit_code, 0) << chat.err;
  EXPECT_FALSE(chat.out.empty());
  auto wrong = RunLt({"chat", "--devnet", devnet_json, "demo/stories:260", "hi"}, "", 120000);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("tags: 260k; did you mean '260k'?"), std::string::npos) << wrong.err;

  // The faucet.
  crypto::PrivateKey fresh = crypto::PrivateKey::Generate(*SecureRandom::Default());
  std::string addr = fresh.GetAddress().ToChecksumHex();
  auto fund = RunLt({"--json", "devnet", "fund", "--devnet", devnet_json, addr, "12.5"});
  ASSERT_EQ(fund.exit_code, 0) << fund.err;
  EXPECT_EQ(json::parse(fund.out)["wallet_mor"], "12.5") << fund.out;
  auto ledger = net::HttpClient::Create(net["ledger"]["url"].get<std::string>());
  ASSERT_TRUE(ledger.ok());
  auto acct = ledger->Get("/account/" + addr);
  ASSERT_TRUE(acct.ok());
  EXPECT_NE(acct->body.find("12500000000000000000"), std::string::npos) << acct->body;
  auto bad_fund = RunLt({"devnet", "fund", "--devnet", devnet_json, "0x1234", "1"});
  EXPECT_EQ(bad_fund.exit_code, 1);
  EXPECT_NE(bad_fund.err.find("ADDRESS"), std::string::npos) << bad_fund.err;

  // A base URL without /v1.
  auto local = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(api));
  ASSERT_TRUE(local.ok());
  auto nov1 = local->Post("/chat/completions", R"({"model":"demo/stories:260k","messages":[]})");
  ASSERT_TRUE(nov1.ok());
  EXPECT_EQ(nov1->status, 404);
  json err = json::parse(nov1->body, nullptr, false);
  ASSERT_TRUE(err.is_object()) << nov1->body;
  EXPECT_NE(err["error"]["message"].get<std::string>().find("/v1"), std::string::npos) << nov1->body;
  EXPECT_EQ(err["error"]["code"], "unknown_url");

  // The provider commands on a pulled model.
  std::string p1 = net["providers"][0]["config"].get<std::string>();
  std::string p1_dir = net["providers"][0]["datadir"].get<std::string>();
  auto status = RunLt({"provider", "status", "--config", p1});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("endpoint: 127.0.0.1:"), std::string::npos) << status.out;
  auto status_json = RunLt({"--json", "provider", "status", "--config", p1});
  ASSERT_EQ(status_json.exit_code, 0) << status_json.err;
  EXPECT_FALSE(json::parse(status_json.out)["endpoint"].get<std::string>().empty()) << status_json.out;
  auto bench = RunLt({"--datadir", p1_dir, "provider", "bench", "--config", p1, "--tokens", "8", "--runs", "1"},
                     "", 120000);
  EXPECT_EQ(bench.exit_code, 0) << bench.err;
  EXPECT_NE(bench.out.find("tokens/s"), std::string::npos) << bench.out;

  // A fourth provider, funded by the faucet, sells an OpenAI-compatible server (`lt engine serve`)
  // with backend "openai" and no `manifest`: the ledger's tag for its name gives it.
  std::string p4 = TempDir("lt-first-p4");
  WriteFile(p4 + "/pw", "pw\n");
  auto key = RunLt({"--json", "key", "new", "--light", "--keystore", p4 + "/p4.json", "--password-file", p4 + "/pw"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  std::string p4_addr = json::parse(key.out)["address"];
  ASSERT_EQ(RunLt({"devnet", "fund", "--devnet", devnet_json, p4_addr, "20"}).exit_code, 0);
  int eport = FreePort(), sport = FreePort(), hport = FreePort();
  LtProcess upstream({"engine", "serve", "--model", ModelsDir() + "/stories260K.bin", "--tokenizer",
                      ModelsDir() + "/tok512.bin", "--listen", "127.0.0.1:" + std::to_string(eport), "--name",
                      "demo/stories:260k", "--threads", "1"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", eport, "/v1/models")) << upstream.Stderr();
  std::string routers_toml;
  for (const auto& r : net["routers"]) routers_toml += (routers_toml.empty() ? "\"" : ", \"") + r["url"].get<std::string>() + "\"";
  WriteFile(p4 + "/provider.toml",
            "keystore = \"p4.json\"\npassword_file = \"pw\"\nlisten = \"127.0.0.1:" + std::to_string(sport) +
                "\"\nhttp_listen = \"127.0.0.1:" + std::to_string(hport) + "\"\nstake = \"10\"\nledger = \"" +
                net["ledger"]["url"].get<std::string>() + "\"\nrouters = [" + routers_toml +
                "]\naccept_any_router = true\n\n[[model]]\nname = \"demo/stories:260k\"\nbackend = \"openai\"\n"
                "upstream = \"http://127.0.0.1:" + std::to_string(eport) + "\"\nprice = \"0.003\"\ntps = 100\n");
  LtProcess provider4({"--datadir", p4 + "/data", "provider", "serve", "--config", p4 + "/provider.toml"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", hport, "/health")) << provider4.Stderr();
  auto p4_status = RunLt({"--json", "provider", "status", "--config", p4 + "/provider.toml"});
  ASSERT_EQ(p4_status.exit_code, 0) << p4_status.err;
  json p4j = json::parse(p4_status.out);
  EXPECT_EQ(p4j["models"][0]["manifest"], net["model"]["manifest"]) << p4_status.out;
  // As the ledger lists it: the session port, then the liveness URL (http_listen is not port + 1).
  EXPECT_EQ(p4j["endpoint"], "127.0.0.1:" + std::to_string(sport) + ";http://127.0.0.1:" + std::to_string(hport))
      << p4_status.out;
  bool listed = false;
  for (int i = 0; i < 150 && !listed; ++i) {
    auto m = RunLt({"--datadir", user_dir, "--json", "models", "--no-sizes"});
    listed = m.exit_code == 0 && m.out.find("\"price_max_mor\": \"0.003\"") != std::string::npos &&
             m.out.find("\"providers\": 4") != std::string::npos;
    if (!listed) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(listed) << provider4.Stderr();

  // The builder pushes a GGUF with --router and no --gateway.
  json builder;
  for (const auto& a : net["accounts"]) {
    if (a["name"] == "builder") builder = a;
  }
  std::string gguf = TempDir("lt-first-gguf") + "/stories.gguf";
  auto conv = RunLt({"model", "convert", "--checkpoint", ModelsDir() + "/stories260K.bin", "--tokenizer",
                     ModelsDir() + "/tok512.bin", "--out", gguf});
  ASSERT_EQ(conv.exit_code, 0) << conv.err;
  std::string router = net["routers"][0]["url"].get<std::string>();
  auto push = RunLt({"--datadir", TempDir("lt-first-builder"), "model", "push", "demo/stories:gguf", gguf,
                     "--format", "gguf", "--ledger", net["ledger"]["url"].get<std::string>(), "--keystore",
                     builder["keystore"].get<std::string>(), "--password-file",
                     builder["password_file"].get<std::string>(), "--router", router});
  ASSERT_EQ(push.exit_code, 0) << push.err;
  EXPECT_NE(push.out.find("tagged demo/stories:gguf"), std::string::npos) << push.out;
  EXPECT_NE(push.out.find("gguf, llama, checked"), std::string::npos) << push.out;
  EXPECT_NE(push.out.find("store serve --listen"), std::string::npos) << push.out;
  EXPECT_NE(push.out.find("--router " + router), std::string::npos) << push.out;
  auto tags = RunLt({"--datadir", user_dir, "--json", "models", "--no-sizes"});
  ASSERT_EQ(tags.exit_code, 0) << tags.err;
  EXPECT_NE(tags.out.find("demo/stories:gguf"), std::string::npos) << tags.out;

  // The routers' leaderboards: the settled chat ranks demo/stories:260k with its size and an
  // earnings estimate; the wrong tag asked for is listed apart with the name it was meant as.
  json ranked, apart;
  for (int i = 0; i < 300 && (ranked.is_null() || apart.is_null()); ++i) {
    for (const auto& r : net["routers"]) {
      auto c = net::HttpClient::Create(r["url"].get<std::string>());
      auto b = c.ok() ? c->Get("/leaderboard?window=day") : Result<net::HttpClientResponse>(c.error());
      if (!b.ok() || b->status != 200) continue;
      json board = json::parse(b->body, nullptr, false);
      for (const auto& m : board.value("models", json::array())) {
        if (m["model"] == "demo/stories:260k" && m["sizeBytes"].is_number() && m["sessions"].get<int>() > 0)
          ranked = m;
      }
      for (const auto& m : board.value("unregistered", json::array())) {
        if (m["model"] == "demo/stories:260") apart = m;
      }
    }
    if (ranked.is_null() || apart.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_FALSE(ranked.is_null()) << "no ranked demo/stories:260k with a size";
  EXPECT_GT(ranked["sizeBytes"].get<uint64_t>(), 100000u) << ranked.dump();
  EXPECT_TRUE(ranked["earningsPerDayEstimate"].is_number()) << ranked.dump();
  ASSERT_FALSE(apart.is_null()) << "the wrong tag is not listed apart";
  EXPECT_EQ(apart["nearest"], "demo/stories:260k") << apart.dump();

  EXPECT_EQ(devnet.Stop(SIGINT, 60000), 0) << devnet.Stdout() << devnet.Stderr();
}

}  // namespace
}  // namespace lt::test
