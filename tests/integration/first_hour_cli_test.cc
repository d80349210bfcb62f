// Issue 18, "first hour", without a network: usage errors are one line plus the help to read and
// suggest the near subcommand or flag; --json errors are JSON; `lt chat` without settings says
// what to run, and with a dead ledger says it is unreachable in one line; `lt init` writes
// config.toml, which `lt chat` then reads (flags still win); `lt model push` refuses files that
// are not what --format says before touching a ledger.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "integration/ledger_process.h"
#include "support/ports.h"
#include "support/process.h"

namespace lt::test {
namespace {

using nlohmann::json;

size_t Lines(const std::string& s) {
  size_t n = static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  return n + (!s.empty() && s.back() != '\n' ? 1 : 0);
}

TEST(FirstHourCli, MistypedSubcommandSuggestsTheNearOneInTwoLines) {
  auto r = RunLt({"model", "pul"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'pull'?"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("run 'lt model --help'"), std::string::npos) << r.err;
  EXPECT_EQ(Lines(r.err), 2u) << r.err;  // not the whole help
  auto top = RunLt({"modles"});
  EXPECT_EQ(top.exit_code, 2);
  EXPECT_NE(top.err.find("did you mean 'models'?"), std::string::npos) << top.err;
  auto none = RunLt({"model"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("'lt model' needs a subcommand: "), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("push"), std::string::npos) << none.err;
}

TEST(FirstHourCli, MistypedFlagSuggestsTheNearOne) {
  auto r = RunLt({"model", "ls", "--stroe", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown flag '--stroe'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean '--store'?"), std::string::npos) << r.err;
  EXPECT_EQ(Lines(r.err), 2u) << r.err;
}

TEST(FirstHourCli, JsonErrorsAreJson) {
  auto usage = RunLt({"--json", "model", "pul"});
  EXPECT_EQ(usage.exit_code, 2);
  json u = json::parse(usage.err, nullptr, false);
  ASSERT_TRUE(u.is_object()) << usage.err;
  EXPECT_EQ(u["error"]["code"], "usage");
  EXPECT_NE(u["error"]["message"].get<std::string>().find("pull"), std::string::npos);
  EXPECT_EQ(u["error"]["hint"], "run 'lt model --help' for usage");
  std::string dir = TempDir("lt-first-json");
  auto fail = RunLt({"--json", "--datadir", dir, "chat", "demo/stories:260k", "hi"});
  EXPECT_EQ(fail.exit_code, 1);
  json f = json::parse(fail.err, nullptr, false);
  ASSERT_TRUE(f.is_object()) << fail.err;
  EXPECT_EQ(f["error"]["code"], "invalid_argument");
  EXPECT_NE(f["error"]["message"].get<std::string>().find("lt init"), std::string::npos) << fail.err;
}

TEST(FirstHourCli, ChatWithoutSettingsSaysWhatToRun) {
  std::string dir = TempDir("lt-first-none");
  auto r = RunLt({"--datadir", dir, "chat", "demo/stories:260k", "Once upon a time"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("lt init --ledger URL --router URL --keystore FILE"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--devnet"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Connection"), std::string::npos) << r.err;
  auto serve = RunLt({"--datadir", dir, "client", "serve", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(serve.exit_code, 1);
  EXPECT_NE(serve.err.find("lt init"), std::string::npos) << serve.err;
  auto models = RunLt({"--datadir", dir, "models"});
  EXPECT_EQ(models.exit_code, 1);
  EXPECT_NE(models.err.find("lt init"), std::string::npos) << models.err;
}

TEST(FirstHourCli, InitWritesSettingsThatChatReadsAndFlagsOverride) {
  std::string dir = TempDir("lt-first-init");
  WriteFile(dir + "/pw", "pw\n");
  int dead = FreePort();
  std::string ledger = "http://127.0.0.1:" + std::to_string(dead);
  // No keystore given: init makes one in <datadir>/keys/user.json.
  auto init = RunLt({"--datadir", dir + "/home", "--json", "init", "--ledger", ledger, "--router",
                     "http://127.0.0.1:1", "--password-file", dir + "/pw", "--light"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  json j = json::parse(init.out);
  EXPECT_EQ(j["config"], dir + "/home/config.toml");
  EXPECT_TRUE(j["created_key"].get<bool>());
  EXPECT_EQ(j["address"].get<std::string>().size(), 42u);
  std::string toml = ReadFileOrEmpty(dir + "/home/config.toml");
  EXPECT_NE(toml.find("ledger = \"" + ledger + "\""), std::string::npos) << toml;
  EXPECT_NE(toml.find("keys/user.json"), std::string::npos) << toml;
  auto again = RunLt({"--datadir", dir + "/home", "init", "--ledger", ledger, "--router", "http://127.0.0.1:1"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;

  // chat reads config.toml: the saved ledger is down, and it says so in one line.
  auto chat = RunLt({"--datadir", dir + "/home", "chat", "demo/stories:260k", "hi"});
  EXPECT_EQ(chat.exit_code, 1);
  EXPECT_EQ(Lines(chat.err), 1u) << chat.err;
  EXPECT_NE(chat.err.find("ledger " + ledger + " unreachable"), std::string::npos) << chat.err;
  EXPECT_NE(chat.err.find("is it running?"), std::string::npos) << chat.err;
  // A flag wins over the file.
  std::string other = "http://127.0.0.1:" + std::to_string(FreePort());
  auto flag = RunLt({"--datadir", dir + "/home", "chat", "demo/stories:260k", "hi", "--ledger", other});
  EXPECT_NE(flag.err.find("ledger " + other + " unreachable"), std::string::npos) << flag.err;

  // An unknown key in the file is named.
  WriteFile(dir + "/bad.toml", "ledger = \"" + ledger + "\"\nmax_prise = \"1\"\n");
  auto bad = RunLt({"--datadir", dir + "/home", "chat", "demo/stories:260k", "hi", "--config", dir + "/bad.toml"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown key 'max_prise'"), std::string::npos) << bad.err;
}

TEST(FirstHourCli, PushRefusesFilesThatAreNotTheirFormat) {
  std::string dir = TempDir("lt-first-push");
  std::string noise(1 << 16, '\0');
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 2654435761u) >> 13);
  WriteFile(dir + "/model.gguf", noise);
  // Refused before the keystore or the ledger is touched (neither exists here).
  auto r = RunLt({"--datadir", dir, "model", "push", "me/noise:1", dir + "/model.gguf", "--format", "gguf",
                  "--ledger", "http://127.0.0.1:1", "--keystore", dir + "/none.json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not a GGUF file the engine can read"), std::string::npos) << r.err;
  auto ckpt = RunLt({"--datadir", dir, "model", "push", "me/noise:1", dir + "/model.gguf", "--format", "llama2c",
                     "--ledger", "http://127.0.0.1:1", "--keystore", dir + "/none.json"});
  EXPECT_EQ(ckpt.exit_code, 1);
  EXPECT_NE(ckpt.err.find("not a llama2.c checkpoint"), std::string::npos) << ckpt.err;
  // A real GGUF passes the check (and then fails on the missing keystore, not on its format).
  auto conv = RunLt({"model", "convert", "--checkpoint", ModelsDir() + "/stories260K.bin", "--tokenizer",
                     ModelsDir() + "/tok512.bin", "--out", dir + "/real.gguf"});
  ASSERT_EQ(conv.exit_code, 0) << conv.err;
  auto ok = RunLt({"--datadir", dir, "model", "push", "me/real:1", dir + "/real.gguf", "--format", "gguf",
                   "--architecture", "qwen2", "--ledger", "http://127.0.0.1:1", "--keystore", dir + "/none.json"});
  EXPECT_EQ(ok.exit_code, 1);
  EXPECT_NE(ok.err.find("--architecture qwen2, but"), std::string::npos) << ok.err;
  EXPECT_NE(ok.err.find("says llama"), std::string::npos) << ok.err;
}

}  // namespace
}  // namespace lt::test
