// The pool's rules for a request that fails over after part of its answer was streamed
// (session_pool.h): the continuation request and the usage reported (doc/client.md "Usage").
#include "client/session_pool.h"

#include <gtest/gtest.h>

namespace lt::client {
namespace {

using nlohmann::json;

TEST(ContinuationTest, NothingStreamedRestartsTheRequestUnchanged) {
  json chat = {{"messages", {{{"role", "user"}, {"content", "Once"}}}}, {"max_tokens", 9}};
  json out;
  ASSERT_TRUE(ContinuationRequest(chat, 9, "", 0, &out));
  EXPECT_EQ(out, chat);
}

TEST(ContinuationTest, AChatContinuesAsAnAssistantMessageWithTheBudgetLeft) {
  json chat = {{"messages", {{{"role", "user"}, {"content", "Once"}}}}, {"max_tokens", 20}, {"max_completion_tokens", 9}};
  json out;
  ASSERT_TRUE(ContinuationRequest(chat, 9, ", there was", 3, &out));
  EXPECT_EQ(out["max_tokens"], 6);
  EXPECT_FALSE(out.contains("max_completion_tokens"));  // the smaller budget applied, once
  ASSERT_EQ(out["messages"].size(), 2u);
  EXPECT_EQ(out["messages"][1], (json{{"role", "assistant"}, {"content", ", there was"}}));
  EXPECT_FALSE(ContinuationRequest(chat, 9, "123456789", 9, &out));  // the budget is spent: done
}

TEST(ContinuationTest, ACompletionContinuesItsPrompt) {
  json text = {{"prompt", "Once upon"}, {"max_tokens", 16}};
  json out;
  ASSERT_TRUE(ContinuationRequest(text, 16, " a time", 2, &out));
  EXPECT_EQ(out["prompt"], "Once upon a time");
  EXPECT_EQ(out["max_tokens"], 14);
  EXPECT_FALSE(out.contains("messages"));
}

TEST(ContinuationTest, UsageCountsTheFailedProvidersChunks) {
  json usage = {{"prompt_tokens", 12}, {"completion_tokens", 6}, {"total_tokens", 18}};
  AddFailedChunks(&usage, 3);
  EXPECT_EQ(usage, (json{{"prompt_tokens", 12}, {"completion_tokens", 9}, {"total_tokens", 21}}));
  json none = json::object();
  AddFailedChunks(&none, 4);
  EXPECT_EQ(none["completion_tokens"], 4);
  EXPECT_EQ(none["total_tokens"], 4);
}

}  // namespace
}  // namespace lt::client
