// engine/chat.h: the chat request as the engine runs it, and the stop filter on the way back.
#include "engine/chat.h"

#include <gtest/gtest.h>

namespace lt::engine {
namespace {

std::shared_ptr<const Model> Shipped() {
  auto m = Model::Load(std::string(LT_MODELS_DIR) + "/stories260K.bin", std::string(LT_MODELS_DIR) + "/tok512.bin");
  EXPECT_TRUE(m.ok());
  return *m;
}

openai::ChatRequest Parse(const std::string& body) {
  openai::ChatRequest c;
  openai::ApiError e;
  EXPECT_TRUE(openai::ParseChatRequest(nlohmann::json::parse(body), &c, &e)) << e.message;
  return c;
}

TEST(StopFilterTest, CutsAtAStopStringSplitAcrossPiecesAndNeverSendsIt) {
  StopFilter f({"END", "zz"});
  std::string out;
  for (const char* p : {"Once ", "upon E", "N", "D and more"}) out += f.Push(p);
  EXPECT_TRUE(f.stopped());
  out += f.Finish();
  EXPECT_EQ(out, "Once upon ");
  EXPECT_EQ(f.Push("later"), "");  // nothing after a stop
}

TEST(StopFilterTest, HoldsBackLessThanTheLongestStopStringAndKeepsUtf8Whole) {
  StopFilter none({});
  EXPECT_EQ(none.Push("abc"), "abc");  // no stop strings: nothing held back
  EXPECT_EQ(none.Push("\xC3"), "");    // half of "é" waits for its second byte
  EXPECT_EQ(none.Push("\xA9!"), "\xC3\xA9!");
  EXPECT_EQ(none.Push("\x01"), "");  // a lone control byte is dropped
  StopFilter f({"###"});
  EXPECT_EQ(f.Push("ab#"), "a");  // the last 2 bytes could be the start of "###"
  EXPECT_EQ(f.Push("x"), "b");
  EXPECT_EQ(f.Finish(), "#x");
  EXPECT_FALSE(f.stopped());
}

TEST(ChatToRequestTest, MapsTheFieldsAndRefusesWhatCannotRun) {
  auto model = Shipped();
  Request r;
  openai::ApiError e;
  ASSERT_TRUE(ChatToRequest(*model, Parse(R"({"messages":[{"role":"system","content":"x"},{"role":"user","content":"Once upon a time"}],
                                               "max_tokens":7,"temperature":0,"seed":42})"),
                            0, &r, &e));
  EXPECT_EQ(r.max_new_tokens, 7);
  EXPECT_EQ(r.sampling.temperature, 0.0f);
  EXPECT_EQ(r.sampling.seed, 42u);
  EXPECT_EQ(r.prompt_tokens, model->tokenizer().Encode("Once upon a time", true, false));

  EXPECT_FALSE(ChatToRequest(*model, Parse(R"({"messages":[{"role":"system","content":"x"}]})"), 0, &r, &e));
  EXPECT_EQ(e.param, "messages");
  std::string long_prompt;
  for (int i = 0; i < 2000; ++i) long_prompt += "word ";
  EXPECT_FALSE(ChatToRequest(*model, Parse(R"({"messages":[{"role":"user","content":")" + long_prompt + R"("}]})"), 0,
                             &r, &e));
  EXPECT_EQ(e.code, "context_length_exceeded");
}

}  // namespace
}  // namespace lt::engine
