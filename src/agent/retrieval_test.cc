#include "agent/retrieval.h"

#include <gtest/gtest.h>

namespace lt::agent {
namespace {

TEST(Retrieval, TermsAreLowerStemmedWithoutStopWords) {
  EXPECT_EQ(Terms("Claim my earnings"), (std::vector<std::string>{"claim", "earn"}));
  EXPECT_EQ(Terms("balanceOf tokens"), (std::vector<std::string>{"balance", "token"}));
}

class RetrievalShipped : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = TrustedSet::LoadDir(LT_TRUSTED_DIR_FOR_TESTS);
    ASSERT_TRUE(s.ok()) << s.error().message;
    index_ = DocIndex::Build(*s);
  }
  // True when contract.function is among the top 3 for the question.
  bool InTop3(const std::string& q, const std::string& contract, const std::string& function) {
    for (const auto& h : index_.Search(q, 3)) {
      if (h.contract->name == contract && h.function->name == function) return true;
    }
    return false;
  }
  DocIndex index_;
};

TEST_F(RetrievalShipped, RelevantFunctionIsInTheTopThree) {
  struct Case {
    const char* question;
    const char* contract;
    const char* function;
  } cases[] = {
      {"deposit MOR into my vault", "ComputeContract", "deposit"},
      {"please stake 5 MOR so I get a compute allowance", "ComputeContract", "deposit"},
      {"how much allowance do I have today", "ComputeContract", "account"},
      {"transfer tokens to a friend", "MorToken", "transfer"},
      {"send 3 MOR to 0xabc", "MorToken", "transfer"},
      {"claim my earnings", "ComputeContract", "claim"},
      {"take my MOR out of the vault", "ComputeContract", "withdraw"},
      {"what is my token balance", "MorToken", "balanceOf"},
      {"let a contract spend my tokens", "MorToken", "approve"},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(InTop3(c.question, c.contract, c.function)) << c.question << " -> " << c.contract << "." << c.function;
  }
}

TEST_F(RetrievalShipped, UnrelatedQuestionFindsNothingOrLittle) {
  EXPECT_TRUE(index_.Search("zebra xylophone", 3).empty());
}

TEST_F(RetrievalShipped, RenderedHitsShowAgentArgumentsOnly) {
  auto hits = index_.Search("deposit MOR into my vault", 1);
  ASSERT_EQ(hits.size(), 1u);
  ChainBinding chain;
  chain.chain_id = 31337;
  std::string text = RenderHits(hits, chain);
  EXPECT_NE(text.find("ComputeContract.deposit(uint256 amount [MOR, decimal])"), std::string::npos) << text;
  EXPECT_EQ(text.find("nonce"), std::string::npos) << text;
}

}  // namespace
}  // namespace lt::agent
