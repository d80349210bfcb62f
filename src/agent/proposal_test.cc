#include "agent/proposal.h"

#include <gtest/gtest.h>

namespace lt::agent {
namespace {

using json = nlohmann::json;

class Proposals : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = TrustedSet::LoadDir(LT_TRUSTED_DIR_FOR_TESTS);
    ASSERT_TRUE(s.ok()) << s.error().message;
    set_ = *s;
    evm::Deployment d;
    d.chain_id = 31337;
    d.contract = *crypto::ParseAddress("0x00000000000000000000000000000000000000c1");
    d.token = *crypto::ParseAddress("0x00000000000000000000000000000000000000c2");
    chain_ = *Bind(set_, 31337, &d);
  }
  std::string Refusal(const json& args) {
    auto p = ParseProposal(args, set_, chain_);
    return p.ok() ? "(accepted)" : p.error().message;
  }
  TrustedSet set_;
  ChainBinding chain_;
};

TEST_F(Proposals, DepositOfFiveMorIsAccepted) {
  auto p = ParseProposal(json::parse(R"({"contract":"ComputeContract","function":"deposit","args":{"amount":"5"}})"),
                         set_, chain_);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->to, *chain_.AddressOf("ComputeContract"));
  ASSERT_EQ(p->args.size(), 1u);
  EXPECT_EQ(p->Arg("amount")->word, *U256::FromMor("5"));
  EXPECT_EQ(p->DecodedArgs(), json::parse(R"({"amount":"5 MOR"})"));
  // Positional arguments and integer MOR amounts work too.
  auto q = ParseProposal(json::parse(R"({"contract":"ComputeContract","function":"deposit","args":[5]})"), set_, chain_);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->Arg("amount")->word, *U256::FromMor("5"));
}

TEST_F(Proposals, TokenTransferTakesAnAddress) {
  auto p = ParseProposal(json::parse(R"({"contract":"MorToken","function":"transfer",
      "args":{"to":"0x00000000000000000000000000000000000000f1","value":"0.25"}})"), set_, chain_);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->DecodedArgs()["value"], "0.25 MOR");
  EXPECT_EQ(p->DecodedArgs()["to"], crypto::ParseAddress("0x00000000000000000000000000000000000000f1")->ToChecksumHex());
}

TEST_F(Proposals, OutsideTheTrustedSetIsRefused) {
  EXPECT_NE(Refusal({{"contract", "UniswapRouter"}, {"function", "swap"}}).find(
                "contract 'UniswapRouter' is not in the trusted set on chain 31337 (trusted: ComputeContract, MorToken)"),
            std::string::npos);
  // MorToken.mint exists on chain, but not in the trusted set.
  EXPECT_NE(Refusal({{"contract", "MorToken"}, {"function", "mint"}, {"args", {{"to", "0x00"}}}})
                .find("function 'mint' of MorToken is not in the trusted set (approve, transfer)"),
            std::string::npos)
      << Refusal({{"contract", "MorToken"}, {"function", "mint"}});
  // A contract of the set with no address on this chain.
  ChainBinding other;
  other.chain_id = 1;
  EXPECT_FALSE(ParseProposal({{"contract", "ComputeContract"}, {"function", "deposit"}}, set_, other).ok());
}

TEST_F(Proposals, ArgumentsThatDoNotEncodeAreRefused) {
  auto deposit = [](json args) { return json{{"contract", "ComputeContract"}, {"function", "deposit"}, {"args", args}}; };
  EXPECT_EQ(Refusal(deposit({{"amount", "five"}})),
            "args.amount: 'five' is not a MOR amount (decimal, at most 18 decimals)");
  EXPECT_EQ(Refusal(deposit({{"amount", "-1"}})), "args.amount: '-1' is not a MOR amount (decimal, at most 18 decimals)");
  EXPECT_EQ(Refusal(deposit({{"amount", 5.5}})), "args.amount: write MOR amounts as a decimal string (\"0.25\"), not a float");
  EXPECT_EQ(Refusal(deposit(json::object())), "args.amount: missing");
  EXPECT_EQ(Refusal(deposit({{"amount", "1"}, {"owner", "0x00000000000000000000000000000000000000f1"}})),
            "args.owner: filled by the user's wallet, do not give it");
  EXPECT_EQ(Refusal(deposit({{"amount", "1"}, {"gift", 1}})), "args.gift: ComputeContract.deposit has no such argument (amount)");
  EXPECT_EQ(Refusal({{"contract", "MorToken"}, {"function", "transfer"}, {"args", {{"to", "0x12"}, {"value", "1"}}}})
                .rfind("args.to: ", 0),
            0u);
  // 2^256 MOR does not fit uint256.
  EXPECT_NE(Refusal(deposit({{"amount", std::string(80, '9')}})), "(accepted)");
}

TEST_F(Proposals, ReadOnlyFunctionsValueAndShapeAreRefused) {
  EXPECT_EQ(Refusal({{"contract", "MorToken"}, {"function", "balanceOf"}}),
            "MorToken.balanceOf only reads: call it with get_contract, it needs no transaction");
  EXPECT_EQ(Refusal({{"contract", "ComputeContract"}, {"function", "deposit"}, {"args", {{"amount", "1"}}}, {"value", "1"}}),
            "value: ComputeContract.deposit is not payable; send value 0");
  EXPECT_EQ(Refusal(json::array()), "propose_transaction: the arguments must be a JSON object");
  EXPECT_EQ(Refusal({{"contract", "MorToken"}, {"function", "transfer"}, {"key", "x"}}),
            "propose_transaction: unknown field 'key' (contract, function, args, value)");
}

}  // namespace
}  // namespace lt::agent
