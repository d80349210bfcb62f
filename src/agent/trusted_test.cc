#include "agent/trusted.h"

#include <gtest/gtest.h>

#include "evm/artifacts.h"

namespace lt::agent {
namespace {

using json = nlohmann::json;

TrustedSet Shipped() {
  auto s = TrustedSet::LoadDir(LT_TRUSTED_DIR_FOR_TESTS);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return *s;
}

TEST(Trusted, ShippedSetLoadsWithComputeContractAndMor) {
  TrustedSet s = Shipped();
  const TrustedContract* cc = s.Find("ComputeContract");
  ASSERT_NE(cc, nullptr);
  ASSERT_NE(s.Find("MorToken"), nullptr);
  const TrustedFunction* dep = cc->Find("deposit");
  ASSERT_NE(dep, nullptr);
  ASSERT_EQ(dep->AgentInputs().size(), 1u);
  EXPECT_EQ(dep->AgentInputs()[0]->name, "amount");
  EXPECT_EQ(dep->fills.at("sig").eip712_name, "Deposit");
  EXPECT_FALSE(dep->read_only());
  EXPECT_TRUE(cc->Find("account")->read_only());
}

// The binary carries the same set as the source tree (no folder needed at run time).
TEST(Trusted, EmbeddedSetIsTheShippedFolder) {
  auto embedded = TrustedSet::LoadEmbedded();
  ASSERT_TRUE(embedded.ok()) << embedded.error().message;
  TrustedSet folder = Shipped();
  ASSERT_EQ(embedded->contracts().size(), folder.contracts().size());
  for (size_t i = 0; i < folder.contracts().size(); ++i) {
    const TrustedContract& a = embedded->contracts()[i];
    const TrustedContract& b = folder.contracts()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.about, b.about);
    ASSERT_EQ(a.functions.size(), b.functions.size()) << a.name;
    for (size_t k = 0; k < a.functions.size(); ++k) {
      EXPECT_EQ(a.functions[k].name, b.functions[k].name);
      EXPECT_EQ(a.functions[k].doc, b.functions[k].doc);
      EXPECT_EQ(a.functions[k].abi->signature, b.functions[k].abi->signature);
    }
  }
}

// The trusted ABI must be the compiled contracts' ABI: same selectors for every function.
TEST(Trusted, AbiMatchesTheCompiledArtifacts) {
  TrustedSet s = Shipped();
  for (auto [name, artifact] : {std::pair{"ComputeContract", "ComputeContract"}, {"MorToken", "MorToken"}}) {
    auto art = evm::GetArtifact(artifact);
    if (!art.ok()) GTEST_SKIP() << "contracts not compiled";
    for (const auto& f : s.Find(name)->functions) {
      const evm::AbiFunction* compiled = (*art)->abi.FindFunction(f.name);
      ASSERT_NE(compiled, nullptr) << name << "." << f.name;
      EXPECT_EQ(compiled->signature, f.abi->signature);
      EXPECT_EQ(compiled->view, f.abi->view);
    }
  }
}

json Minimal() {
  return json::parse(R"J({
    "name": "Thing", "title": "A thing", "about": "It does things.",
    "addresses": [{"chain_id": 5, "address": "0x00000000000000000000000000000000000000aa"}],
    "eip712_domain": {"name": "D", "version": "1"},
    "abi": [{"type":"function","name":"put","stateMutability":"nonpayable","outputs":[],
             "inputs":[{"name":"owner","type":"address"},{"name":"amount","type":"uint256"},
                       {"name":"nonce","type":"uint64"},
                       {"name":"sig","type":"tuple","components":[{"name":"r","type":"bytes32"},
                         {"name":"s","type":"bytes32"},{"name":"v","type":"uint8"}]}]}],
    "functions": {"put": {"doc": "Put things.",
       "fills": {"owner": "user", "nonce": "ledger_nonce", "sig": "eip712:Put(address owner,uint256 amount,uint64 nonce)"},
       "units": {"amount": "MOR"},
       "effects": [{"balance": "wallet", "sign": "-", "arg": "amount"}]}}
  })J");
}

std::string LoadError(const json& j) {
  auto s = TrustedSet::FromJson({{"thing.json", j}});
  return s.ok() ? "" : s.error().message;
}

TEST(Trusted, MinimalContractLoadsAndBinds) {
  auto s = TrustedSet::FromJson({{"thing.json", Minimal()}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto b = Bind(*s, 5, nullptr);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->AddressOf("Thing")->ToLowerHex(), "0x00000000000000000000000000000000000000aa");
  auto other = Bind(*s, 6, nullptr);
  EXPECT_FALSE(other->AddressOf("Thing"));
}

TEST(Trusted, ErrorsNameTheFileAndField) {
  json j = Minimal();
  j.erase("title");
  EXPECT_EQ(LoadError(j), "thing.json: title: missing");
  j = Minimal();
  j["functions"]["put"]["fills"]["nonce"] = "whatever";
  EXPECT_NE(LoadError(j).find("thing.json: functions.put.fills.nonce: unknown fill"), std::string::npos) << LoadError(j);
  j = Minimal();
  j["functions"]["put"]["fills"]["sig"] = "eip712:Put(address owner,uint128 amount,uint64 nonce)";
  EXPECT_NE(LoadError(j).find("functions.put.fills.sig: EIP-712 field 'amount' is uint128 but the argument is uint256"),
            std::string::npos) << LoadError(j);
  j = Minimal();
  j["functions"]["take"] = {{"doc", "x"}};
  EXPECT_NE(LoadError(j).find("functions.take: no function 'take'"), std::string::npos) << LoadError(j);
  j = Minimal();
  j["functions"].erase("put");
  EXPECT_NE(LoadError(j).find("'put' is in the abi but has no doc"), std::string::npos) << LoadError(j);
  j = Minimal();
  j["addresses"][0]["address"] = "0x12";
  EXPECT_NE(LoadError(j).find("thing.json: addresses[0].address:"), std::string::npos) << LoadError(j);
  j = Minimal();
  j["functions"]["put"]["units"]["owner"] = "MOR";
  EXPECT_NE(LoadError(j).find("functions.put.units.owner: MOR amounts are uint256"), std::string::npos) << LoadError(j);
  j = Minimal();
  j.erase("eip712_domain");
  EXPECT_NE(LoadError(j).find("needs the contract's eip712_domain"), std::string::npos) << LoadError(j);
  j = Minimal();
  j["extra"] = 1;
  EXPECT_EQ(LoadError(j), "thing.json: extra: unknown field");
  EXPECT_EQ(TrustedSet::FromJson({{"a.json", Minimal()}, {"b.json", Minimal()}}).error().message,
            "b.json: name: 'Thing' is defined twice");
}

TEST(Trusted, DeploymentGivesTheDevnetAddresses) {
  TrustedSet s = Shipped();
  evm::Deployment d;
  d.chain_id = 31337;
  d.contract = *crypto::ParseAddress("0x00000000000000000000000000000000000000c1");
  d.token = *crypto::ParseAddress("0x00000000000000000000000000000000000000c2");
  auto b = Bind(s, 31337, &d);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b->AddressOf("ComputeContract"), d.contract);
  EXPECT_EQ(*b->AddressOf("MorToken"), d.token);
  EXPECT_FALSE(Bind(s, 1, &d).ok());  // the deployment is of another chain
  EXPECT_FALSE(Bind(s, 31337, nullptr)->AddressOf("MorToken"));
}

TEST(Trusted, MissingFolderIsAClearError) {
  auto s = TrustedSet::LoadDir("/nonexistent/trusted");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("/nonexistent/trusted"), std::string::npos);
}

}  // namespace
}  // namespace lt::agent
