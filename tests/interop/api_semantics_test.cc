// Issue 18's API semantics through the official `openai` npm SDK (tests/interop/api_semantics.mjs)
// against `lt client serve` in front of a real network started from the command line: a ledger,
// a router, two providers running the shipped model with the builtin engine, and a third with
// backend = "openai" whose upstream is a scripted node server answering tool calls
// (tools_upstream.mjs). Asserted: exact completion tokens for max_tokens and
// max_completion_tokens (plain and streamed, with include_usage), stop strings, content parts,
// 400s in OpenAI's shape for bad fields, 404/405/413 in OpenAI's shape, a bad model name as 404
// model_not_found, a manifest digest as the model not taken for a key, /v1/completions, tool
// calls and response_format passed through unchanged with the upstream's usage, the builtin
// engine's tools (in the prompt, a well-formed answer) and its 400 for a forced tool_choice, and exact usage after a failover (the provider holding the session is
// frozen midway). Skipped, with a message, when node or the SDK is missing.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

using nlohmann::json;

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

void ExpectOpenAiError(const json& e, const std::string& what) {
  ASSERT_TRUE(e.is_object()) << what;
  EXPECT_TRUE(e["message"].is_string()) << what << " " << e;
  EXPECT_TRUE(e["type"].is_string()) << what << " " << e;
  EXPECT_TRUE(e.contains("param")) << what << " " << e;
  EXPECT_TRUE(e.contains("code")) << what << " " << e;
}

TEST(ApiSemanticsInteropTest, OfficialSdkSeesExactOpenAiSemanticsOnEveryPath) {
  std::string node = FindProgram("node");
  if (node.empty()) GTEST_SKIP() << "node is not installed: OpenAI SDK interop test skipped (make deps)";
  if (::access((std::string(LT_INTEROP_DIR) + "/node_modules/openai").c_str(), F_OK) != 0) {
    GTEST_SKIP() << "the openai package is not installed in " LT_INTEROP_DIR "/node_modules (make npm-deps)";
  }
  std::string dir = TempDir("lt-api-semantics");
  const char* who[6] = {"user", "builder", "router", "provider1", "provider2", "provider3"};
  std::string addr[6];
  for (int i = 0; i < 6; ++i) {
    WriteFile(dir + "/" + who[i] + ".pw", "pw-" + std::string(who[i]) + "\n");
    auto r = RunLt({"key", "new", "--light", "--keystore", dir + "/" + who[i] + ".json", "--password-file",
                    dir + "/" + who[i] + ".pw"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    addr[i] = Trim(r.out);
  }
  std::string allocations;
  for (int i = 0; i < 6; ++i) {
    allocations += std::string(i ? "," : "") + R"({"address": ")" + addr[i] + R"(", "wallet": "1000", "vault": ")" +
                   (i == 0 ? "1000" : "0") + "\"}";
  }
  WriteFile(dir + "/genesis.json",
            R"({"chain_id": 31337, "verifying_contract": "0x000000000000000000000000000000000000a11c",
    "day_seconds": 86400, "emission": {"compute": {"initial": "3456", "decrease": "0.59255872824"},
    "community": {"initial": "3456", "decrease": "0.59255872824"}},
    "params": {"beta_bps": 1000, "budget_bps": 100, "max_builder_fee_bps": 2000, "agent_share_bps": 1000,
               "min_provider_stake": "10", "min_router_stake": "100"},
    "pools": {"compute": "1000000", "community": "100000"},
    "allocations": [)" + allocations + "]}");
  ASSERT_EQ(RunLt({"ledger", "init", "--datadir", dir + "/ledger", "--genesis", dir + "/genesis.json"}).exit_code, 0);
  int lport = FreePort(), rport = FreePort(), cport = FreePort();
  std::string ledger = "http://127.0.0.1:" + std::to_string(lport), router = "http://127.0.0.1:" + std::to_string(rport);
  LtProcess ledger_proc({"ledger", "serve", "--datadir", dir + "/ledger", "--listen", "127.0.0.1:" + std::to_string(lport)});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", lport, "/health")) << ledger_proc.Stderr();

  auto sum = lt::test::Run(FindProgram("sha256sum"), {ModelsDir() + "/stories260K.bin"});
  ASSERT_EQ(sum.exit_code, 0);
  const std::string builder = "--keystore=" + dir + "/builder.json", builder_pw = "--password-file=" + dir + "/builder.pw";
  for (const char* name : {"demo/stories", "test/tools"}) {
    auto reg = RunLt({"ledger", "register-model", name, "--ledger", ledger, builder, builder_pw});
    ASSERT_EQ(reg.exit_code, 0) << reg.err;
  }
  auto tag = RunLt({"ledger", "set-tag", "demo/stories:260k", "--manifest", "0x" + sum.out.substr(0, 64), "--ledger",
                    ledger, builder, builder_pw});
  ASSERT_EQ(tag.exit_code, 0) << tag.err;
  tag = RunLt({"ledger", "set-tag", "test/tools:1", "--manifest", "0x" + std::string(64, '7'), "--ledger", ledger,
               builder, builder_pw});
  ASSERT_EQ(tag.exit_code, 0) << tag.err;

  LtProcess router_proc({"--datadir", dir + "/router", "router", "serve", "--listen", "127.0.0.1:" + std::to_string(rport),
                         "--ledger", ledger, "--keystore", dir + "/router.json", "--password-file", dir + "/router.pw",
                         "--stake", "200", "--settle-every-seconds", "2"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", rport, "/health")) << router_proc.Stderr();

  // The scripted upstream of the openai-backend provider.
  LtProcess fixture({std::string(LT_INTEROP_DIR) + "/tools_upstream.mjs"}, node);
  std::string fixture_port;
  for (int i = 0; i < 200 && (fixture_port = Trim(fixture.Stdout())).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(fixture_port.empty()) << fixture.Stderr();
  std::string fixture_url = "http://127.0.0.1:" + fixture_port;

  auto provider_toml = [&](int i, int sport, int hport, const std::string& model) {
    std::string who_i = who[3 + i];
    WriteFile(dir + "/" + who_i + ".toml",
              "keystore = \"" + dir + "/" + who_i + ".json\"\npassword_file = \"" + dir + "/" + who_i +
                  ".pw\"\nlisten = \"127.0.0.1:" + std::to_string(sport) + "\"\nhttp_listen = \"127.0.0.1:" +
                  std::to_string(hport) + "\"\nstake = \"10\"\nledger = \"" + ledger + "\"\nrouters = [\"" + router +
                  "\"]\naccepted_routers = [\"" + addr[2] + "\"]\nmeter_interval_seconds = 2\n\n[[model]]\n" + model);
    return dir + "/" + who_i + ".toml";
  };
  const std::string stories = "name = \"demo/stories:260k\"\nbackend = \"builtin\"\npath = \"" + ModelsDir() +
                              "/stories260K.bin\"\ntokenizer = \"" + ModelsDir() +
                              "/tok512.bin\"\nmin_seconds = 5\nslots = 4\nthreads = 1\ntps = 50\n";
  int hports[3];
  std::vector<std::unique_ptr<LtProcess>> providers;
  for (int i = 0; i < 3; ++i) {
    int sport = FreePort();
    hports[i] = FreePort();
    std::string model = i < 2 ? stories + "price = \"" + (i == 0 ? "0.001" : "0.002") + "\"\n"
                              : "name = \"test/tools:1\"\nbackend = \"openai\"\nupstream = \"" + fixture_url +
                                    "\"\nupstream_model = \"fixture\"\nprice = \"0.001\"\nmin_seconds = 5\nslots = 4\ntps = 50\n";
    std::string toml = provider_toml(i, sport, hports[i], model);
    providers.push_back(std::make_unique<LtProcess>(std::vector<std::string>{
        "--datadir", dir + "/" + who[3 + i], "provider", "serve", "--config", toml}));
  }
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(WaitForHttp("127.0.0.1", hports[i], "/health")) << providers[i]->Stderr();

  LtProcess client({"client", "serve", "--listen", "127.0.0.1:" + std::to_string(cport), "--ledger", ledger, "--router",
                    router, "--keystore", dir + "/user.json", "--password-file", dir + "/user.pw", "--idle-seconds",
                    "600", "--request-timeout-seconds", "8", "--first-token-timeout-seconds", "8"});
  ASSERT_TRUE(WaitForHttp("127.0.0.1", cport, "/health")) << client.Stderr();

  std::string control = dir + "/control";
  ASSERT_EQ(::mkdir(control.c_str(), 0700), 0);
  std::string base = "http://127.0.0.1:" + std::to_string(cport) + "/v1";
  LtProcess sdk({std::string(LT_INTEROP_DIR) + "/api_semantics.mjs", base, "demo/stories:260k", "test/tools:1",
                 fixture_url, control, "0x" + sum.out.substr(0, 64)},
                node);
  // Midway the script asks for the provider holding the session to be frozen.
  int frozen = -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(8);
  while (sdk.Running() && std::chrono::steady_clock::now() < deadline) {
    if (frozen < 0 && Exists(control + "/freeze")) {
      auto s = lt::test::Run(node, {"-e", "fetch(process.argv[1]).then(r => r.text()).then(t => console.log(t))",
                                    base + "/sessions"});
      auto sessions = json::parse(s.out, nullptr, false);
      ASSERT_TRUE(sessions.is_object()) << s.out << s.err;
      for (const auto& x : sessions["sessions"]) {
        if (x["model"] != "demo/stories:260k") continue;
        for (int i = 0; i < 2; ++i) {
          if (Lower(x["provider"].get<std::string>()) == Lower(addr[3 + i])) frozen = i;
        }
      }
      ASSERT_GE(frozen, 0) << s.out;
      ASSERT_TRUE(providers[frozen]->Freeze());
      WriteFile(control + "/frozen", "yes");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (frozen >= 0) providers[frozen]->Thaw();
  ASSERT_FALSE(sdk.Running()) << "the SDK script did not finish\n" << sdk.Stderr();
  auto j = json::parse(sdk.Stdout(), nullptr, false);
  ASSERT_TRUE(j.is_object()) << sdk.Stdout() << sdk.Stderr() << "\nclient:\n" << client.Stderr();

  // Exact completion tokens.
  ASSERT_EQ(j["counts"].size(), 16u) << j["counts"];
  for (const auto& c : j["counts"]) {
    EXPECT_EQ(c["completion_tokens"], c["n"]) << c;
    if (c["stream"] == true) EXPECT_LE(c["chunks"].get<int>(), c["n"].get<int>()) << c;
  }
  // stop: the text is cut before the first stop string, which is not sent.
  std::string free_text = j["stop"]["free"], cut = j["stop"]["cut"];
  EXPECT_EQ(cut.find(" was"), std::string::npos) << j["stop"];
  EXPECT_EQ(free_text.rfind(cut, 0), 0u) << j["stop"];
  EXPECT_LT(cut.size(), free_text.size()) << j["stop"];
  EXPECT_EQ(j["stop"]["finish_reason"], "stop");
  // Content parts.
  EXPECT_EQ(j["parts"]["parts"], j["parts"]["whole"]) << j["parts"];
  EXPECT_EQ(j["parts"]["prompt_tokens"][0], j["parts"]["prompt_tokens"][1]) << j["parts"];
  // Multi-turn: the whole conversation is the prompt (the story so far), more than the last turn.
  EXPECT_EQ(j["multi"]["prompt_tokens"][0], j["multi"]["prompt_tokens"][1]) << j["multi"];
  EXPECT_GT(j["multi"]["prompt_tokens"][0].get<int>(), j["multi"]["prompt_tokens"][2].get<int>()) << j["multi"];
  EXPECT_EQ(j["multi"]["text"][0], j["multi"]["text"][1]) << j["multi"];
  // 400s naming the field.
  const char* params[] = {"max_tokens", "max_tokens", "max_tokens", "max_tokens", "temperature", "n"};
  ASSERT_EQ(j["bad"].size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const auto& b = j["bad"][i];
    EXPECT_EQ(b["status"], 400) << b;
    EXPECT_EQ(b["type"], "invalid_request_error") << b;
    EXPECT_EQ(b["param"], params[i]) << b;
    EXPECT_TRUE(b["hasParamKey"].get<bool>()) << b;
  }
  EXPECT_EQ(j["unknownModel"]["status"], 404) << j["unknownModel"];
  EXPECT_EQ(j["unknownModel"]["code"], "model_not_found") << j["unknownModel"];
  EXPECT_EQ(j["digestModel"]["status"], 200) << j["digestModel"];
  // Routes.
  EXPECT_EQ(j["routes"]["unknown"]["status"], 404) << j["routes"];
  ExpectOpenAiError(j["routes"]["unknown"]["error"], "unknown route");
  EXPECT_EQ(j["routes"]["method"]["status"], 405) << j["routes"];
  EXPECT_EQ(j["routes"]["method"]["allow"], "POST") << j["routes"];
  ExpectOpenAiError(j["routes"]["method"]["error"], "wrong method");
  EXPECT_EQ(j["routes"]["deleteMethod"]["status"], 405) << j["routes"];
  EXPECT_EQ(j["routes"]["tooLarge"]["status"], 413) << j["routes"];
  ExpectOpenAiError(j["routes"]["tooLarge"]["error"], "too large");
  // /v1/completions.
  const auto& c = j["completions"];
  EXPECT_EQ(c["object"], "text_completion") << c;
  EXPECT_EQ(c["usage"]["completion_tokens"], 5) << c;
  EXPECT_EQ(c["finish_reason"], "length") << c;
  EXPECT_EQ(c["streamUsage"]["completion_tokens"], 6) << c;
  EXPECT_EQ(c["streamText"].get<std::string>().rfind(c["text"].get<std::string>(), 0), 0u) << c;
  EXPECT_EQ(c["echo"].get<std::string>().rfind("Once upon a time", 0), 0u) << c;
  EXPECT_EQ(c["defaultTokens"], 16) << c;
  EXPECT_EQ(c["n"]["status"], 400) << c;
  // Tool calls through the openai backend, unchanged both ways, with the upstream's usage.
  const auto& t = j["tools"];
  EXPECT_TRUE(t["toolsUnchanged"].get<bool>()) << t;
  EXPECT_TRUE(t["responseFormatUnchanged"].get<bool>()) << t;
  EXPECT_EQ(t["toolChoice"], "auto") << t;
  EXPECT_EQ(t["finish_reason"], "tool_calls") << t;
  ASSERT_EQ(t["message"]["tool_calls"].size(), 1u) << t;
  EXPECT_EQ(t["message"]["tool_calls"][0]["id"], "call_fixture_1") << t;
  EXPECT_EQ(t["message"]["tool_calls"][0]["type"], "function") << t;
  EXPECT_EQ(t["message"]["tool_calls"][0]["function"]["name"], "get_weather") << t;
  EXPECT_EQ(t["message"]["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Paris\"}") << t;
  EXPECT_EQ(t["usage"]["completion_tokens"], 12) << t;
  EXPECT_EQ(t["usage"]["prompt_tokens"], 11) << t;
  ASSERT_EQ(t["streamed"].size(), 1u) << t;
  EXPECT_EQ(t["streamed"][0], t["message"]["tool_calls"][0]) << t;
  EXPECT_EQ(t["streamFinish"], "tool_calls") << t;
  EXPECT_EQ(t["streamUsage"]["completion_tokens"], 12) << t;
  EXPECT_EQ(t["builtin"]["status"], 400) << t;
  EXPECT_NE(t["builtin"]["message"].get<std::string>().find("tool_choice"), std::string::npos) << t;
  const auto& bt = t["builtinTools"];
  EXPECT_EQ(bt["usage"]["completion_tokens"], 5) << bt;
  EXPECT_GT(bt["usage"]["prompt_tokens"].get<int>(), bt["plainUsage"]["prompt_tokens"].get<int>() + 20) << bt;
  if (bt["message"].contains("tool_calls")) {
    EXPECT_EQ(bt["finish"], "tool_calls") << bt;
  } else {
    EXPECT_EQ(bt["finish"], "length") << bt;
    EXPECT_TRUE(bt["message"]["content"].is_string()) << bt;
  }
  // Failover: exact usage from the provider that answered.
  const auto& f = j["failover"];
  EXPECT_EQ(f["completion_tokens"], 9) << f;
  EXPECT_GE(f["failovers"].get<int>(), 1) << f << client.Stderr();
  EXPECT_NE(Lower(f["provider"].get<std::string>()), Lower(addr[3 + frozen])) << f;
  EXPECT_EQ(f["streamUsage"]["completion_tokens"], 11) << f;
  std::cerr << "failover: " << f.dump() << "\n";
  EXPECT_EQ(client.Stop(), 0) << client.Stderr();
}

}  // namespace
}  // namespace lt::test
