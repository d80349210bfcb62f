#include "provider/config.h"

#include <gtest/gtest.h>

#include "provider/toml.h"

namespace lt::provider {
namespace {

TEST(TomlTest, ParsesTomlIntoJson) {
  auto j = ParseToml(R"(# comment
name = "a \"quoted\" \u00e9"   # trailing comment
lit = 'C:\path'
n = -1_000
ratio = 0.5
yes = true
list = [1, 2, 3,]
strs = ["x",
        "y"]
[server]
port = 7070
[[model]]
name = "m1"
[[model]]
name = "m2"
)");
  ASSERT_TRUE(j.ok()) << j.error().message;
  EXPECT_EQ((*j)["name"], "a \"quoted\" \xc3\xa9");
  EXPECT_EQ((*j)["lit"], "C:\\path");
  EXPECT_EQ((*j)["n"], -1000);
  EXPECT_EQ((*j)["ratio"], 0.5);
  EXPECT_EQ((*j)["yes"], true);
  EXPECT_EQ((*j)["list"].size(), 3u);
  EXPECT_EQ((*j)["strs"][1], "y");
  EXPECT_EQ((*j)["server"]["port"], 7070);
  ASSERT_EQ((*j)["model"].size(), 2u);
  EXPECT_EQ((*j)["model"][1]["name"], "m2");
}

TEST(TomlTest, ErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"a = 1\na = 2", "line 2"},
      {"x = \"open", "line 1"},
      {"[t]\n[t]", "line 2"},
      {"x = 1 2", "line 1"},
      {"\n\n= 3", "line 3"},
      {"x = 0123", "line 1"},
      {"x = 99999999999999999999", "line 1"},
      {"d = 1979-05-27", "dates and times"},
  };
  for (const auto& c : cases) {
    auto r = ParseToml(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().message.find(c.want), std::string::npos) << c.text << " -> " << r.error().message;
  }
}

constexpr const char* kGood = R"(
keystore = "keys/provider.json"
password_file = "pw"
listen = "0.0.0.0:7070"
chain_id = 31337
verifying_contract = "0x00000000000000000000000000000000000000aa"
accepted_routers = ["0x00000000000000000000000000000000000000bb"]
stake = "100"
[[model]]
name = "tiny/stories:260k"
path = "/models/stories260K.bin"
backend = "builtin"
price = "0.0001"
min_seconds = 30
slots = 4
[[model]]
name = "llama/3:8b"
backend = "openai"
upstream = "http://127.0.0.1:8080"
manifest = "0x1111111111111111111111111111111111111111111111111111111111111111"
price = "0.002"
)";

TEST(ProviderConfigTest, ParsesAFullConfigAndResolvesPaths) {
  auto c = ParseProviderConfig(kGood, "/etc/lt");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->keystore, "/etc/lt/keys/provider.json");
  EXPECT_EQ(c->stake, U256::FromMor("100").value());
  ASSERT_EQ(c->models.size(), 2u);
  EXPECT_EQ(c->models[0].price_per_second, U256(100'000'000'000'000ULL));
  EXPECT_EQ(c->models[0].min_seconds, 30u);
  EXPECT_EQ(c->models[0].slots, 4u);
  EXPECT_EQ(c->models[1].backend, "openai");
  EXPECT_TRUE(c->models[1].has_manifest);
  EXPECT_EQ(c->accepted_routers.size(), 1u);
  EXPECT_EQ(c->meter_interval_seconds, 10u);
}

TEST(ProviderConfigTest, ClearErrors) {
  auto bad = [](const std::string& from, const std::string& to) {
    std::string s = kGood;
    s.replace(s.find(from), from.size(), to);
    return ParseProviderConfig(s, "/x");
  };
  auto r = bad("backend = \"builtin\"", "backend = \"cuda\"");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("model[0].backend: must be \"builtin\" or \"openai\""), std::string::npos)
      << r.error().message;
  r = bad("price = \"0.0001\"", "price = 5");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("model[0].price: expected a MOR amount"), std::string::npos) << r.error().message;
  r = bad("slots = 4", "slots = 0");
  EXPECT_NE(r.error().message.find("model[0].slots"), std::string::npos) << r.error().message;
  r = bad("stake", "stak");
  EXPECT_NE(r.error().message.find("stak: unknown key"), std::string::npos) << r.error().message;
  r = bad("upstream = \"http://127.0.0.1:8080\"", "");
  EXPECT_NE(r.error().message.find("model[1].upstream: required"), std::string::npos) << r.error().message;
  r = bad("accepted_routers = [\"0x00000000000000000000000000000000000000bb\"]", "");
  EXPECT_NE(r.error().message.find("accepted_routers"), std::string::npos) << r.error().message;
}

TEST(ProviderConfigTest, LedgerKeys) {
  std::string s = kGood;
  s.replace(s.find("accepted_routers = [\"0x00000000000000000000000000000000000000bb\"]"),
            std::string("accepted_routers = [\"0x00000000000000000000000000000000000000bb\"]").size(),
            "ledger = \"http://127.0.0.1:7545\"\ndirect_settle_after_seconds = 5");
  s.replace(s.find("slots = 4"), 9, "slots = 4\ntps = 250");
  auto c = ParseProviderConfig(s, "/x");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->accept_staked_routers);  // the default with a ledger: no accepted_routers needed
  EXPECT_EQ(c->direct_settle_after_seconds, 5u);
  EXPECT_EQ(c->models[0].tps, 250u);
  EXPECT_EQ(c->models[1].tps, 0u);  // measured at start
  auto no_ledger = ParseProviderConfig("accept_staked_routers = true\n" + std::string(kGood), "/x");
  ASSERT_FALSE(no_ledger.ok());
  EXPECT_NE(no_ledger.error().message.find("accept_staked_routers: needs a ledger"), std::string::npos)
      << no_ledger.error().message;
}

// doc/provider.md: the openai backend's manifest defaults to the ledger's tag for its name, so
// with a ledger it may be left out; without one it is still required.
TEST(ProviderConfigTest, OpenAiManifestDefaultsToTheLedgersTag) {
  std::string s = kGood;
  std::string line = "manifest = \"0x1111111111111111111111111111111111111111111111111111111111111111\"\n";
  s.erase(s.find(line), line.size());
  auto no_ledger = ParseProviderConfig(s, "/x");
  ASSERT_FALSE(no_ledger.ok());
  EXPECT_NE(no_ledger.error().message.find("model[1].manifest"), std::string::npos) << no_ledger.error().message;
  auto with_ledger = ParseProviderConfig("ledger = \"http://127.0.0.1:7545\"\n" + s, "/x");
  ASSERT_TRUE(with_ledger.ok()) << with_ledger.error().message;
  EXPECT_FALSE(with_ledger->models[1].has_manifest);
  EXPECT_EQ(with_ledger->models[1].backend, "openai");
}

}  // namespace
}  // namespace lt::provider
