// `lt client serve` against the official OpenAI SDK for node, unchanged
// (tests/interop/client_openai.mjs), with the whole network as real `lt` processes set up only
// through the command line (as a user would): keys, a ledger from a genesis, the builder's
// model name and tag, a router, a provider running the shipped model (it registers its offer
// itself), and the user's local API with the official BIP-39 wordlist (from ethers, checked by
// its SHA-256). The SDK lists the model, gets a plain and a streamed completion, sees an unknown
// model as a 404, and sees each kind of secret (an ethers wallet's mnemonic, private key and
// keystore; a password field) refused with a 400 that names it and does not echo it.
// Skipped, with a message, when node or the SDK is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(ClientOpenAiInteropTest, OfficialSdkThroughTheWholeNetwork) {
  std::string node = FindProgram("node");
  if (node.empty()) GTEST_SKIP() << "node is not installed: OpenAI SDK interop test skipped (make deps)";
  if (::access((std::string(LT_INTEROP_DIR) + "/node_modules/openai").c_str(), F_OK) != 0) {
    GTEST_SKIP() << "the openai package is not installed in " LT_INTEROP_DIR "/node_modules (make npm-deps)";
  }
  std::string dir = TempDir("lt-client-interop");
  std::string addr[4];
  const char* who[4] = {"user", "builder", "router", "provider"};
  for (int i = 0; i < 4; ++i) {
    WriteFile(dir + "/" + who[i] + ".pw", "pw-" + std::string(who[i]) + "\n");
    auto r = RunLt({"key", "new", "--light", "--keystore", dir + "/" + who[i] + ".json", "--password-file",
                    dir + "/" + who[i] + ".pw"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    addr[i] = Trim(r.out);
  }
  WriteFile(dir + "/genesis.json",
            R"({"chain_id": 31337, "verifying_contract": "0x000000000000000000000000000000000000a11c",
    "day_seconds": 86400, "emission": {"compute": {"initial": "3456", "decrease": "0.59255872824"},
    "community": {"initial": "3456", "decrease": "0.59255872824"}},
    "params": {"beta_bps": 1000, "budget_bps": 100, "max_builder_fee_bps": 2000, "agent_share_bps": 1000,
               "min_provider_stake": "10", "min_router_stake": "100"},
    "pools": {"compute": "1000000", "community": "100000"},
    "allocations": [{"address": ")" +
                addr[0] + R"(", "wallet": "100", "vault": "1000"},
                    {"address": ")" +
                addr[1] + R"(", "wallet": "10", "vault": "0"},
                    {"address": ")" +
                addr[2] + R"(", "wallet": "1000", "vault": "0"},
                    {"address": ")" +
                addr[3] + R"(", "wallet": "100", "vault": "0"}]})");
  ASSERT_EQ(
      RunLt({"ledger", "init", "--datadir", dir + "/ledger", "--genesis", dir + "/genesis.json"}).exit_code,
      0);
  int lport = FreePort(), rport = FreePort(), sport = FreePort(), hport = FreePort(), cport = FreePort();
  std::string ledger = "http://127.0.0.1:" + std::to_string(lport),
              router = "http://127.0.0.1:" + std::to_string(rport);
  LtProcess ledger_proc(
      {"ledger", "serve", "--datadir", dir + "/ledger", "--listen", "127.0.0.1:" + std::to_string(lport)});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", lport, "/health")) << ledger_proc.Stderr();

  auto sum = lt::test::Run(FindProgram("sha256sum"), {ModelsDir() + "/stories260K.bin"});
  ASSERT_EQ(sum.exit_code, 0);
  std::string manifest = "0x" + sum.out.substr(0, 64);
  auto reg = RunLt({"ledger", "register-model", "demo/stories", "--ledger", ledger, "--keystore",
                    dir + "/builder.json", "--password-file", dir + "/builder.pw"});
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  auto tag = RunLt({"ledger", "set-tag", "demo/stories:260k", "--manifest", manifest, "--ledger", ledger,
                    "--keystore", dir + "/builder.json", "--password-file", dir + "/builder.pw"});
  ASSERT_EQ(tag.exit_code, 0) << tag.err;

  LtProcess router_proc({"--datadir", dir + "/router", "router", "serve", "--listen",
                         "127.0.0.1:" + std::to_string(rport), "--ledger", ledger, "--keystore",
                         dir + "/router.json", "--password-file", dir + "/router.pw", "--stake", "200",
                         "--settle-every-seconds", "2"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", rport, "/health")) << router_proc.Stderr();
  WriteFile(dir + "/provider.toml",
            "keystore = \"" + dir + "/provider.json\"\npassword_file = \"" + dir +
                "/provider.pw\"\nlisten = \"127.0.0.1:" + std::to_string(sport) +
                "\"\nhttp_listen = \"127.0.0.1:" + std::to_string(hport) + "\"\nstake = \"10\"\n" +
                "ledger = \"" + ledger + "\"\nrouters = [\"" + router + "\"]\naccepted_routers = [\"" +
                addr[2] +
                "\"]\nmeter_interval_seconds = 2\n\n[[model]]\nname = \"demo/stories:260k\"\nbackend = "
                "\"builtin\"\n" +
                "path = \"" + ModelsDir() + "/stories260K.bin\"\ntokenizer = \"" + ModelsDir() +
                "/tok512.bin\"\n" + "price = \"0.001\"\nmin_seconds = 5\nslots = 4\nthreads = 1\ntps = 50\n");
  LtProcess provider_proc(
      {"--datadir", dir + "/provider", "provider", "serve", "--config", dir + "/provider.toml"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", hport, "/health")) << provider_proc.Stderr();

  // ethers' copy of the BIP-39 list must be byte-identical to the one compiled into lt.
  auto words = lt::test::Run(node, {std::string(LT_INTEROP_DIR) + "/client_bip39_words.mjs"});
  ASSERT_EQ(words.exit_code, 0) << words.err;
  EXPECT_EQ(words.out, lt::test::ReadFileOrEmpty(std::string(LT_SOURCE_DIR) + "/src/client/bip39_english.txt"));
  LtProcess client({"client", "serve", "--listen", "127.0.0.1:" + std::to_string(cport), "--ledger", ledger,
                    "--router", router, "--keystore", dir + "/user.json", "--password-file", dir + "/user.pw",
                    "--idle-seconds", "5"});  // the built-in wordlist
  ASSERT_TRUE(WaitForHttp("127.0.0.1", cport, "/health")) << client.Stderr();

  auto r = lt::test::Run(node,
                         {std::string(LT_INTEROP_DIR) + "/client_openai.mjs",
                          "http://127.0.0.1:" + std::to_string(cport) + "/v1", "demo/stories:260k"},
                         "", 120000);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out << "\nclient:\n"
                            << client.Stderr() << "\nprovider:\n"
                            << provider_proc.Stderr();
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["models"], nlohmann::json::array({"demo/stories:260k"}));
  const std::string want = ", there was a little girl named Lily.";
  std::string plain = j["plain"]["content"];
  EXPECT_EQ(plain.rfind(want, 0), 0u) << r.out;
  EXPECT_EQ(j["plain"]["finish_reason"], "length");
  EXPECT_EQ(j["stream"]["content"], j["plain"]["content"]);
  EXPECT_GE(j["stream"]["chunks"].get<int>(), 3);
  EXPECT_EQ(j["stream"]["finish_reason"], "length");
  EXPECT_EQ(j["unknown"]["status"], 404) << r.out;
  EXPECT_EQ(j["unknown"]["code"], "model_not_found") << r.out;
  ASSERT_EQ(j["secrets"].size(), 4u);
  for (const auto& s : j["secrets"]) {
    EXPECT_EQ(s["status"], 400) << s;
    EXPECT_EQ(s["code"], "secret_detected") << s;
    EXPECT_EQ(s["param"], "messages[0].content") << s;
    EXPECT_TRUE(s["named"].get<bool>()) << s;
    EXPECT_FALSE(s["echoed"].get<bool>()) << s;
  }
  EXPECT_EQ(client.Stop(), 0) << client.Stderr();
}

}  // namespace
}  // namespace lt::test
