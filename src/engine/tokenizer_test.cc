// The tokenizer against a direct transcription of run.c's O(n^2) encode, and decode rules.
#include "engine/tokenizer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace lt::engine {
namespace {

const std::string kTok = std::string(LT_MODELS_DIR) + "/tok512.bin";

// run.c's encode, literally (merge loop over all pairs each round).
std::vector<int> ReferenceEncode(const Tokenizer& t, const std::string& text) {
  std::vector<int> tokens = {1};
  if (!text.empty()) tokens.push_back(t.Find(" "));
  std::string buf;
  for (size_t c = 0; c < text.size(); ++c) {
    if ((static_cast<unsigned char>(text[c]) & 0xC0) != 0x80) buf.clear();
    buf += text[c];
    if (c + 1 < text.size() && (static_cast<unsigned char>(text[c + 1]) & 0xC0) == 0x80 && buf.size() < 4) continue;
    int id = t.Find(buf);
    if (id != -1) {
      tokens.push_back(id);
    } else {
      for (unsigned char b : buf) tokens.push_back(b + 3);
    }
    buf.clear();
  }
  for (;;) {
    float best = -1e10f;
    int best_id = -1, best_idx = -1;
    for (size_t i = 0; i + 1 < tokens.size(); ++i) {
      int id = t.Find(t.piece(tokens[i]) + t.piece(tokens[i + 1]));
      if (id != -1 && t.score(id) > best) {
        best = t.score(id);
        best_id = id;
        best_idx = static_cast<int>(i);
      }
    }
    if (best_idx == -1) break;
    tokens[static_cast<size_t>(best_idx)] = best_id;
    tokens.erase(tokens.begin() + best_idx + 1);
  }
  return tokens;
}

TEST(TokenizerTest, MatchesRunCEncodeOnRandomText) {
  auto t = Tokenizer::LoadLlama2c(kTok, 512);
  ASSERT_TRUE(t.ok()) << t.error().message;
  std::mt19937 rng(7);
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz   ,.!?'ABCLT\n";
  const std::vector<std::string> extra = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\x80", "\xFF"};
  for (int n = 0; n < 300; ++n) {
    std::string s;
    int len = static_cast<int>(rng() % 60);
    for (int i = 0; i < len; ++i) {
      if (rng() % 10 == 0) s += extra[rng() % extra.size()];
      else s += alphabet[rng() % alphabet.size()];
    }
    ASSERT_EQ(t->Encode(s, true, false), ReferenceEncode(*t, s)) << "text: " << s;
  }
}

TEST(TokenizerTest, DecodeRules) {
  auto t = Tokenizer::LoadLlama2c(kTok, 512);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Decode(1, 403), "Once");   // leading space dropped after BOS
  EXPECT_EQ(t->Decode(261, 403), " Once");
  EXPECT_EQ(t->Decode(5, 3 + 0x0A), "\n");  // <0x0A> is a raw byte
  EXPECT_EQ(Tokenizer::SafePiece(std::string(1, '\x01')), "");
  EXPECT_EQ(Tokenizer::SafePiece("\n"), "\n");
  EXPECT_EQ(t->Encode("", true, false), std::vector<int>{1});
  EXPECT_EQ(t->Encode("", true, true), (std::vector<int>{1, 2}));
}

TEST(TokenizerTest, RefusesDamagedFiles) {
  EXPECT_FALSE(Tokenizer::ParseLlama2c("", 512, "t").ok());
  std::string bytes(4, '\0');
  int32_t max_len = 7;
  std::memcpy(bytes.data(), &max_len, 4);
  auto r = Tokenizer::ParseLlama2c(bytes, 512, "t");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("truncated"), std::string::npos);
}

}  // namespace
}  // namespace lt::engine
