// The secret guard: each kind is found and named with its place, the secret is never echoed,
// and ordinary text (prose, addresses, signatures, named hashes) passes. The mnemonic check is
// tested with a stand-in 2048-word list holding the real words at the indices the BIP-39 test
// vectors use (abandon = 0, about = 3, art = 102): the checksum logic does not depend on the
// other words. The official list itself is exercised by tests/interop/client_openai_test.cc.
#include "client/secret_guard.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lt::client {
namespace {

using nlohmann::json;

std::vector<std::string> StandInWords() {
  std::vector<std::string> w;
  for (int i = 0; i < 2048; ++i) {
    std::string s = "q";
    for (int v = i, k = 0; k < 3; ++k, v /= 26) s += static_cast<char>('a' + v % 26);
    w.push_back(s);
  }
  w[0] = "abandon";
  w[3] = "about";
  w[102] = "art";
  return w;
}

std::string Repeat(const std::string& word, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? " " : "") + word;
  return s;
}

const std::string kKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

json Req(const std::string& text) {
  return {
      {"model", "demo/stories:260k"},
      {"messages", {{{"role", "system"}, {"content", "be nice"}}, {{"role", "user"}, {"content", text}}}}};
}

TEST(SecretGuardTest, FindsPrivateKeysWithAndWithoutPrefix) {
  SecretGuard g;
  for (const std::string& text : {"my key is " + kKey, "use 0x" + kKey + ".", "\"" + kKey + "\""}) {
    auto f = g.ScanRequest(Req(text));
    ASSERT_TRUE(f.has_value()) << text;
    EXPECT_EQ(f->kind, "private key");
    EXPECT_EQ(f->where, "messages[1].content");
    EXPECT_EQ(f->Message().find(kKey), std::string::npos);
    EXPECT_NE(f->Message().find("messages[1].content"), std::string::npos);
  }
}

TEST(SecretGuardTest, NamedHashesAddressesAndSignaturesPass) {
  SecretGuard g;
  EXPECT_FALSE(g.ScanText("sha256: " + kKey, "t"));
  EXPECT_FALSE(g.ScanText("the commit " + kKey + " fixed it", "t"));
  EXPECT_FALSE(g.ScanText("txid 0x" + kKey, "t"));
  EXPECT_FALSE(g.ScanText("send to 0x8ab1c0ffee254729296a45a3885639AC7E10F9d5 please", "t"));
  EXPECT_FALSE(g.ScanText("sig 0x" + kKey + kKey + "1b", "t"));  // 130 hex: a signature
  EXPECT_FALSE(g.ScanText(kKey.substr(0, 63), "t"));             // 63 hex
  // A hash word does not excuse a key that is named as one.
  EXPECT_TRUE(g.ScanText("private key (not a hash) " + kKey, "t"));
}

TEST(SecretGuardTest, FindsKeystoresAsTextAndAsJson) {
  SecretGuard g;
  std::string ks =
      R"({"address":"8ab1","crypto":{"cipher":"aes-128-ctr","ciphertext":"5318b4","kdf":"scrypt"},"version":3})";
  auto f = g.ScanRequest(Req("here is my wallet: " + ks));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, "keystore");
  EXPECT_EQ(f->Message().find("5318b4"), std::string::npos);
  json body = Req("hi");
  body["messages"][1]["content"] = json::array({{{"type", "text"}, {"text", "ok"}}, json::parse(ks)});
  f = g.ScanRequest(body);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, "keystore");
  EXPECT_EQ(f->where, "messages[1].content[1].crypto");
  // Its ciphertext and mac are 64 hex digits: still named a keystore.
  auto hexy = g.ScanText(
      R"({"crypto":{"ciphertext":")" + kKey + R"(","kdf":"scrypt","mac":")" + kKey + R"("}})", "t");
  ASSERT_TRUE(hexy);
  EXPECT_EQ(hexy->kind, "keystore");
  EXPECT_FALSE(g.ScanText("the ciphertext is derived with a kdf such as scrypt", "t"));
}

TEST(SecretGuardTest, FindsPasswordFields) {
  SecretGuard g;
  for (const std::string& text :
       {std::string(R"({"user":"bob","password":"hunter2"})"), std::string("password=hunter2"),
        std::string("Password: hunter2"), std::string("db passphrase = 'x y z'")}) {
    auto f = g.ScanText(text, "messages[0].content");
    ASSERT_TRUE(f) << text;
    EXPECT_EQ(f->kind, "password field");
    EXPECT_EQ(f->Message().find("hunter2"), std::string::npos);
  }
  json body = Req("hi");
  body["password"] = "hunter2";
  auto f = g.ScanRequest(body);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->where, "password");
  for (const char* text : {"I forgot my password yesterday", "What makes a good password?",
                           "passwords: use a manager", "password:\nnext line", R"({"password": ""})"}) {
    EXPECT_FALSE(g.ScanText(text, "t")) << text;
  }
}

TEST(SecretGuardTest, FindsMnemonicsWithValidChecksumOnly) {
  SecretGuard g(StandInWords());
  ASSERT_TRUE(g.mnemonic_check());
  std::string m12 = Repeat("abandon", 11) + " about";  // BIP-39 vector: 16 zero bytes
  auto f = g.ScanRequest(Req("my seed: " + m12 + " thanks"));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, "BIP-39 mnemonic");
  EXPECT_EQ(f->Message().find("abandon"), std::string::npos);
  EXPECT_TRUE(
      g.ScanText("1. Abandon 2. abandon 3. abandon 4. abandon 5. abandon 6. abandon 7. abandon 8. abandon "
                 "9. abandon 10. abandon 11. abandon 12. about",
                 "t"));
  EXPECT_TRUE(g.ScanText(Repeat("abandon", 23) + " art", "t"));     // 32 zero bytes, 24 words
  EXPECT_FALSE(g.ScanText(Repeat("abandon", 12), "t"));             // bad checksum
  EXPECT_FALSE(g.ScanText(Repeat("abandon", 10) + " about", "t"));  // 11 words
  SecretGuard off;
  EXPECT_FALSE(off.mnemonic_check());
  EXPECT_FALSE(off.ScanText(m12, "t"));
}

TEST(SecretGuardTest, OrdinaryRequestsPass) {
  SecretGuard g(StandInWords());
  EXPECT_FALSE(
      g.ScanRequest(Req("Once upon a time, there was a little girl named Lily. She loved to play outside in "
                        "the sun with her friends and her dog.")));
  EXPECT_FALSE(g.ScanRequest(Req("How do I hash a file with sha256sum and compare two digests?")));
}

// Issue 15: the misses of the first guard, each a row.
TEST(SecretGuardTest, KeysSplitWrappedGluedOrUsedAsKeysAreFound) {
  SecretGuard g;
  std::string a = kKey.substr(0, 32), b = kKey.substr(32);
  json split = Req("the first half is " + a);
  split["messages"].push_back({{"role", "user"}, {"content", b + " and that is all"}});
  auto f = g.ScanRequest(split);
  ASSERT_TRUE(f) << "a key split across two messages";
  EXPECT_EQ(f->kind, "private key");
  EXPECT_EQ(f->Message().find(a), std::string::npos);
  EXPECT_TRUE(g.ScanRequest(Req("key:\n  " + a + "\n  " + b + "\n"))) << "a key wrapped over lines";
  EXPECT_TRUE(g.ScanRequest(Req("pk_" + kKey))) << "glued to pk_";
  EXPECT_TRUE(g.ScanRequest(Req("PRIVKEY" + kKey))) << "glued to letters";
  json as_key = Req("hi");
  as_key["metadata"] = {{kKey, 1}};
  f = g.ScanRequest(as_key);
  ASSERT_TRUE(f) << "a key as a JSON object key";
  EXPECT_EQ(f->where, "a key of metadata");
  // Two hashes on two lines read as one 64-hex run: refused too (a retry costs less than a key).
  EXPECT_TRUE(g.ScanRequest(Req(kKey.substr(0, 32) + "\n" + kKey.substr(0, 32))));
  // Unrelated hex on separate lines of other lengths passes.
  EXPECT_FALSE(g.ScanRequest(Req("0xdeadbeef\n0xcafebabe\n" + kKey.substr(0, 40))));
}

TEST(SecretGuardTest, MnemonicsAsPrefixesOrSplitAcrossMessagesAreFound) {
  SecretGuard g(StandInWords());
  EXPECT_TRUE(g.ScanText(Repeat("aban", 11) + " abou", "t")) << "four-letter prefixes";
  EXPECT_TRUE(g.ScanText(Repeat("aban", 6) + " " + Repeat("abandon", 5) + " about", "t")) << "mixed";
  EXPECT_FALSE(g.ScanText(Repeat("aban", 12), "t")) << "bad checksum";
  json split = Req(Repeat("abandon", 6));
  split["messages"].push_back({{"role", "user"}, {"content", Repeat("abandon", 5) + " about"}});
  auto f = g.ScanRequest(split);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, "BIP-39 mnemonic");
}

TEST(SecretGuardTest, OtherPasswordSpellingsAreFound) {
  SecretGuard g;
  for (const char* text : {"pwd: hunter2", "pass=hunter2", "Passwort: geheim", "PWD = x"}) {
    auto f = g.ScanText(text, "t");
    ASSERT_TRUE(f) << text;
    EXPECT_EQ(f->kind, "password field");
  }
  json body = Req("hi");
  body["pwd"] = "hunter2";
  EXPECT_TRUE(g.ScanRequest(body));
  for (const char* text : {"I passed", "pass the salt", "a passport"}) EXPECT_FALSE(g.ScanText(text, "t")) << text;
  // A known false positive, written down in doc/client.md: "pass" followed by ':' and a word.
  EXPECT_TRUE(g.ScanText("a mountain pass: steep", "t"));
}

// M1: 100,000 nested arrays used to overflow the stack of the recursive scan.
TEST(SecretGuardTest, M1_DeepNestingIsScannedWithoutRecursion) {
  SecretGuard g;
  json deep = json::array();
  json* cur = &deep;
  for (int i = 0; i < 100000; ++i) {
    cur->push_back(json::array());
    cur = &(*cur)[0];
  }
  cur->push_back("leaf " + kKey);
  json body = Req("hi");
  body["x"] = std::move(deep);
  auto f = g.ScanRequest(body);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->kind, "private key");
}

TEST(SecretGuardTest, WordlistMustBeTheOfficialOne) {
  std::string text;
  for (const auto& w : StandInWords()) text += w + "\n";
  auto r = ParseBip39Wordlist(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(std::string(kBip39EnglishSha256)), std::string::npos);
}

TEST(SecretGuardTest, BuiltinWordlistIsTheOfficialOneAndCatchesRealMnemonics) {
  auto words = BuiltinBip39Wordlist();
  ASSERT_EQ(words.size(), 2048u);
  EXPECT_EQ(words.front(), "abandon");
  EXPECT_EQ(words.back(), "zoo");
  SecretGuard g(words);
  ASSERT_TRUE(g.mnemonic_check());
  // BIP-39 test vectors (entropy 0x7f..7f and 0x80..80, 16 bytes).
  EXPECT_TRUE(g.ScanText("legal winner thank year wave sausage worth useful legal winner thank yellow", "t"));
  EXPECT_TRUE(g.ScanText("please keep: letter advice cage absurd amount doctor acoustic avoid letter advice cage above",
                         "t"));
  EXPECT_FALSE(g.ScanText("legal winner thank year wave sausage worth useful legal winner thank year", "t"));
  EXPECT_FALSE(g.ScanRequest(Req("Once upon a time, there was a little girl named Lily. She loved to play "
                                 "outside in the sun with her friends and her dog every day after school.")));
}

}  // namespace
}  // namespace lt::client

namespace lt::client {
namespace {

// Issue 18: "model": "0x<manifest digest>" names a model by its manifest; the model field is a
// name, not a secret. A key in a message, or nested under another "model" key, is still found.
TEST(SecretGuardTest, AManifestDigestAsTheModelIsANameNotAKey) {
  SecretGuard g;
  const std::string digest = "0x72ae1777d10dc8235fb90c1c6ba7c12f93deeeb5cff68033aaf45a8a65ca9646";
  json r = {{"model", digest}, {"messages", {{{"role", "user"}, {"content", "Once upon a time"}}}}};
  EXPECT_FALSE(g.ScanRequest(r).has_value());
  r["messages"][0]["content"] = "my key " + kKey;
  auto f = g.ScanRequest(r);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->where, "messages[0].content");
  json nested = {{"model", digest}, {"metadata", {{"model", kKey}}}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  ASSERT_TRUE(g.ScanRequest(nested).has_value());
  EXPECT_EQ(g.ScanRequest(nested)->where, "metadata.model");
}

}  // namespace
}  // namespace lt::client
