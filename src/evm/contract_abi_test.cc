// The compiled Compute Contract's ABI as the C++ side uses it: every function the typed client
// calls exists with the argument shapes it encodes, custom errors and events decode, and the
// EIP-712 type strings in the Solidity source are the ledger's (src/ledger/tx.cc, wire).
#include "evm/contract_abi.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "evm/artifacts.h"
#include "ledger/tx.h"
#include "wire/messages.h"

namespace lt::evm {
namespace {

using V = AbiValue;

const Artifact* Compute() {
  auto a = GetArtifact("ComputeContract");
  return a.ok() ? *a : nullptr;
}

#define REQUIRE_ARTIFACT(a)                                                       \
  const Artifact* a = Compute();                                                  \
  if (a == nullptr) GTEST_SKIP() << "contracts not compiled (solc-js missing: make deps)"

TEST(ContractAbiTest, TheClientsFunctionsExistWithTheirSignatures) {
  REQUIRE_ARTIFACT(a);
  const std::string sig = "(bytes32,bytes32,uint8)";
  const std::string receipt =
      "((bytes32,address,address,address,bytes32,uint256,uint32,uint32,uint64,uint64)," + sig +
      ",(bytes32,uint32,uint32,uint32,bool)," + sig + ")";
  std::map<std::string, std::string> want = {
      {"transfer", "transfer(address,address,uint256,uint64," + sig + ")"},
      {"deposit", "deposit(address,uint256,uint64," + sig + ")"},
      {"withdraw", "withdraw(address,uint256,uint64," + sig + ")"},
      {"registerModel", "registerModel(address,string,string,uint32,uint64," + sig + ")"},
      {"setTag", "setTag(address,string,string,bytes32,uint64," + sig + ")"},
      {"registerProvider", "registerProvider(address,string,uint256,uint64," + sig + ")"},
      {"setOffer", "setOffer(address,bytes32,uint256,uint32,uint32,uint32,uint64," + sig + ")"},
      {"stakeRouter", "stakeRouter(address,uint256,uint64," + sig + ")"},
      {"setRouterEndpoint", "setRouterEndpoint(address,string,uint64," + sig + ")"},
      {"unstake", "unstake(address,string,uint256,uint64," + sig + ")"},
      {"settleBatchSigned", "settleBatchSigned(address,bytes32,uint32,uint64," + sig + "," + receipt + "[])"},
      {"claim", "claim(address,uint64," + sig + ")"},
      {"closeDay", "closeDay(address,uint64,uint64," + sig + ")"},
      {"mint", "mint(address,address,uint256,uint64," + sig + ")"},
      {"settleBatch", "settleBatch(" + receipt + "[])"},
      {"depositWithPermit", "depositWithPermit(uint256,uint256,uint8,bytes32,bytes32)"},
      {"closeDays", "closeDays()"},
      {"release", "release(address)"},
      {"genesisAllocate", "genesisAllocate(address[],uint256[],uint256[])"},
      {"genesisSeal", "genesisSeal(uint256,uint256)"},
      {"account", "account(address)"},
      {"dayInfo", "dayInfo()"},
      {"statsInfo", "statsInfo()"},
      {"params", "params()"},
      {"model", "model(string)"},
      {"modelsPage", "modelsPage(uint256,uint256)"},
      {"providersPage", "providersPage(uint256,uint256)"},
      {"routersPage", "routersPage(uint256,uint256)"},
      {"isSettled", "isSettled(bytes32)"},
      {"resolve", "resolve(string,string)"},
      {"domainSeparator", "domainSeparator()"},
  };
  for (const auto& [name, signature] : want) {
    const AbiFunction* f = a->abi.FindFunction(name);
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->signature, signature);
  }
  // Selectors are unique across the contract and its extension (the fallback routes by them).
  std::set<std::string> seen;
  for (const auto& f : a->abi.functions()) EXPECT_TRUE(seen.insert(HexEncode(f.selector)).second) << f.signature;
}

TEST(ContractAbiTest, DecodesRevertsAndLogs) {
  REQUIRE_ARTIFACT(a);
  const AbiError* stale = nullptr;
  for (const auto& e : a->abi.errors()) {
    if (e.name == "StaleNonce") stale = &e;
  }
  ASSERT_NE(stale, nullptr);
  Bytes data(stale->selector.begin(), stale->selector.end());
  Bytes args = *AbiEncode({AbiType::Uint(64), AbiType::Uint(64)}, {V::Uint(3), V::Uint(4)});
  data.insert(data.end(), args.begin(), args.end());
  DecodedRevert d = a->abi.DecodeRevert(data);
  EXPECT_EQ(d.name, "StaleNonce");
  EXPECT_EQ(d.Describe(), "StaleNonce(nonce=3, next=4)");
  Bytes msg = *AbiEncode({AbiType::String()}, {V::Str("boom")});
  Bytes err = {0x08, 0xc3, 0x79, 0xa0};
  err.insert(err.end(), msg.begin(), msg.end());
  EXPECT_EQ(a->abi.DecodeRevert(err).Describe(), "reverted: boom");
  EXPECT_EQ(a->abi.DecodeRevert({}).Describe(), "reverted without a reason");
  EXPECT_EQ(a->abi.DecodeRevert(Bytes{1, 2, 3, 4, 5}).name, "");

  const AbiEvent* ev = a->abi.FindEvent("ReceiptRefused");
  ASSERT_NE(ev, nullptr);
  Hash32 sid{};
  sid[0] = 0x42;
  auto log = a->abi.DecodeLog({ev->topic, sid}, *AbiEncode({AbiType::Uint()}, {V::Uint(5)}));
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_EQ(log->Arg("sessionId")->AsBytes32(), sid);
  EXPECT_EQ(log->Arg("reason")->AsU64(), 5u);
  EXPECT_FALSE(a->abi.DecodeLog({ev->topic}, {}).ok());  // wrong number of topics
}

TEST(ContractAbiTest, TheSolidityTypeStringsAreTheLedgers) {
  std::ifstream in(std::string(LT_SOURCE_DIR_FOR_TESTS) + "/contracts/compute/Eip712.sol");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string sol = ss.str();
  for (int i = 0; i < ledger::kTxTypeCount; ++i) {
    std::string ts(ledger::TxTypeString(static_cast<ledger::TxType>(i)));
    EXPECT_NE(sol.find("\"" + ts + "\""), std::string::npos) << ts;
  }
  EXPECT_NE(sol.find("\"" + std::string(wire::Ticket::TypeString()) + "\""), std::string::npos);
  EXPECT_NE(sol.find("\"" + std::string(wire::Voucher::TypeString()) + "\""), std::string::npos);
}

}  // namespace
}  // namespace lt::evm
