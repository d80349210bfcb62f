#include "crypto/keystore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace lt::crypto {
namespace {

using json = nlohmann::json;

// The Web3 Secret Storage Definition's test vectors (password "testpassword").
constexpr const char* kSpecSecret = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
constexpr const char* kSpecAddress = "008aeeda4d805471df9b2a5b0f38a0c3bcba786b";

constexpr const char* kPbkdf2Vector = R"({
  "crypto": {
    "cipher": "aes-128-ctr",
    "cipherparams": {"iv": "6087dab2f9fdbbfaddc31a909735c1e6"},
    "ciphertext": "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    "kdf": "pbkdf2",
    "kdfparams": {"c": 262144, "dklen": 32, "prf": "hmac-sha256",
                  "salt": "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"},
    "mac": "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"
  },
  "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  "version": 3
})";

// Note: the spec's scrypt vector uses r=1, p=8 (same work as the usual r=8, p=1).
constexpr const char* kScryptVector = R"({
  "crypto": {
    "cipher": "aes-128-ctr",
    "cipherparams": {"iv": "83dbcc02d8ccb40e466191a123791e0e"},
    "ciphertext": "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
    "kdf": "scrypt",
    "kdfparams": {"dklen": 32, "n": 262144, "p": 8, "r": 1,
                  "salt": "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19"},
    "mac": "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"
  },
  "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  "version": 3
})";

ByteSpan Pw(std::string_view s) { return AsBytes(s); }

PrivateKey TestKey() { return *PrivateKey::FromHex(kSpecSecret); }

// A light-scrypt keystore of TestKey() under "pw", made once per test binary.
const std::string& LightKeystore() {
  static const std::string ks = [] {
    SeededRandom rng(7);
    auto r = EncryptKeystore(TestKey(), Pw("pw"), LightKdfParams(), rng);
    return r.ok() ? *r : std::string();
  }();
  return ks;
}

std::string Mutate(const std::string& text, void (*edit)(json&)) {
  json j = json::parse(text);
  edit(j);
  return j.dump();
}

std::string TempPath(const std::string& name) {
  static const std::string dir = [] {
    std::string t = (std::filesystem::temp_directory_path() / "lt-keystore-test-XXXXXX").string();
    char* d = ::mkdtemp(t.data());
    return std::string(d != nullptr ? d : "/tmp");
  }();
  return dir + "/" + name;
}

TEST(KeystoreTest, DecryptsSpecPbkdf2Vector) {
  auto key = DecryptKeystore(kPbkdf2Vector, Pw("testpassword"));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(HexEncode(key->secret().span()), kSpecSecret);
  EXPECT_EQ(HexEncode(key->GetAddress().bytes), kSpecAddress);
}

TEST(KeystoreTest, DecryptsSpecScryptVectorWithStandardCost) {
  auto key = DecryptKeystore(kScryptVector, Pw("testpassword"));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(HexEncode(key->secret().span()), kSpecSecret);
}

TEST(KeystoreTest, WrongPasswordIsUnauthenticatedMacMismatch) {
  auto key = DecryptKeystore(kPbkdf2Vector, Pw("testpassworD"));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(key.error().message, "wrong password (MAC mismatch)");
  auto light = DecryptKeystore(LightKeystore(), Pw(""));
  ASSERT_FALSE(light.ok());
  EXPECT_EQ(light.error().code, ErrorCode::kUnauthenticated);
}

TEST(KeystoreTest, LightRoundTripWritesGethShapedJson) {
  const std::string& text = LightKeystore();
  ASSERT_FALSE(text.empty());
  json j = json::parse(text);
  EXPECT_EQ(j["version"], 3);
  EXPECT_EQ(j["address"], kSpecAddress);
  EXPECT_EQ(j["crypto"]["cipher"], "aes-128-ctr");
  EXPECT_EQ(j["crypto"]["kdf"], "scrypt");
  EXPECT_EQ(j["crypto"]["kdfparams"]["n"], 4096);
  EXPECT_EQ(j["crypto"]["kdfparams"]["r"], 8);
  EXPECT_EQ(j["crypto"]["kdfparams"]["p"], 1);
  EXPECT_EQ(j["crypto"]["kdfparams"]["dklen"], 32);
  EXPECT_EQ(j["crypto"]["kdfparams"]["salt"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["crypto"]["cipherparams"]["iv"].get<std::string>().size(), 32u);
  // The secret must not appear in clear.
  EXPECT_EQ(text.find(kSpecSecret), std::string::npos);
  // uuid v4: 8-4-4-4-12 with version nibble 4 and variant 8..b.
  std::string id = j["id"];
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);

  auto key = DecryptKeystore(text, Pw("pw"));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(HexEncode(key->secret().span()), kSpecSecret);
  auto addr = KeystoreAddress(text);
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(*addr, TestKey().GetAddress());
}

TEST(KeystoreTest, Pbkdf2RoundTripAndFreshSaltEachTime) {
  SecureRandom rng;
  auto a = EncryptKeystore(TestKey(), Pw("pw"), Pbkdf2KdfParams(1000), rng);
  auto b = EncryptKeystore(TestKey(), Pw("pw"), Pbkdf2KdfParams(1000), rng);
  ASSERT_TRUE(a.ok() && b.ok());
  json ja = json::parse(*a), jb = json::parse(*b);
  EXPECT_EQ(ja["crypto"]["kdf"], "pbkdf2");
  EXPECT_EQ(ja["crypto"]["kdfparams"]["prf"], "hmac-sha256");
  EXPECT_NE(ja["crypto"]["kdfparams"]["salt"], jb["crypto"]["kdfparams"]["salt"]);
  EXPECT_NE(ja["crypto"]["ciphertext"], jb["crypto"]["ciphertext"]);
  EXPECT_NE(ja["id"], jb["id"]);
  for (const auto& t : {*a, *b}) {
    auto key = DecryptKeystore(t, Pw("pw"));
    ASSERT_TRUE(key.ok()) << key.error().message;
    EXPECT_EQ(key->GetAddress(), TestKey().GetAddress());
  }
}

TEST(KeystoreTest, EmptyAndUnicodePasswordsRoundTrip) {
  SeededRandom rng(1);
  for (std::string pw : {std::string(""), std::string("p\xc3\xa4ss w\xc3\xb6rd \xe2\x9c\x93")}) {
    auto t = EncryptKeystore(TestKey(), Pw(pw), Pbkdf2KdfParams(10), rng);
    ASSERT_TRUE(t.ok());
    EXPECT_TRUE(DecryptKeystore(*t, Pw(pw)).ok());
    EXPECT_FALSE(DecryptKeystore(*t, Pw(pw + "x")).ok());
  }
}

TEST(KeystoreTest, AcceptsOldGethCapitalCryptoAndMissingAddress) {
  std::string t = Mutate(LightKeystore(), [](json& j) {
    j["Crypto"] = j["crypto"];
    j.erase("crypto");
    j.erase("address");
  });
  auto key = DecryptKeystore(t, Pw("pw"));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->GetAddress(), TestKey().GetAddress());
  auto addr = KeystoreAddress(t);
  ASSERT_FALSE(addr.ok());
  EXPECT_NE(addr.error().message.find("no \"address\""), std::string::npos);
}

TEST(KeystoreTest, AddressFieldMustMatchDecryptedKey) {
  std::string t =
      Mutate(LightKeystore(), [](json& j) { j["address"] = "00000000000000000000000000000000000000aa"; });
  auto key = DecryptKeystore(t, Pw("pw"));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(key.error().message.find("not to the keystore's address"), std::string::npos);
  // Without decrypting, the address field is believed.
  auto addr = KeystoreAddress(t);
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(HexEncode(addr->bytes), "00000000000000000000000000000000000000aa");
}

struct Corruption {
  const char* name;
  void (*edit)(json&);
  const char* expect_in_message;
  ErrorCode code;
};

TEST(KeystoreTest, EachCorruptedFieldIsRefusedWithAClearMessage) {
  const Corruption cases[] = {
      {"version 1", [](json& j) { j["version"] = 1; }, "version", ErrorCode::kInvalidArgument},
      {"version string", [](json& j) { j["version"] = "3"; }, "version", ErrorCode::kInvalidArgument},
      {"no version", [](json& j) { j.erase("version"); }, "\"version\"", ErrorCode::kInvalidArgument},
      {"no crypto", [](json& j) { j.erase("crypto"); }, "\"crypto\"", ErrorCode::kInvalidArgument},
      {"crypto not object", [](json& j) { j["crypto"] = 5; }, "crypto must be an object",
       ErrorCode::kInvalidArgument},
      {"cipher", [](json& j) { j["crypto"]["cipher"] = "aes-128-cbc"; }, "unsupported cipher",
       ErrorCode::kInvalidArgument},
      {"no cipher", [](json& j) { j["crypto"].erase("cipher"); }, "\"cipher\"", ErrorCode::kInvalidArgument},
      {"iv length", [](json& j) { j["crypto"]["cipherparams"]["iv"] = "0011"; }, "iv must be 16 bytes",
       ErrorCode::kInvalidArgument},
      {"iv hex", [](json& j) { j["crypto"]["cipherparams"]["iv"] = "zz"; }, "crypto.cipherparams.iv",
       ErrorCode::kInvalidArgument},
      {"no iv", [](json& j) { j["crypto"]["cipherparams"].erase("iv"); }, "\"iv\"",
       ErrorCode::kInvalidArgument},
      {"ciphertext hex", [](json& j) { j["crypto"]["ciphertext"] = "xyz0"; }, "crypto.ciphertext",
       ErrorCode::kInvalidArgument},
      {"ciphertext length", [](json& j) { j["crypto"]["ciphertext"] = "00"; }, "ciphertext must be 32 bytes",
       ErrorCode::kInvalidArgument},
      {"mac length", [](json& j) { j["crypto"]["mac"] = "00"; }, "mac must be 32 bytes",
       ErrorCode::kInvalidArgument},
      {"kdf", [](json& j) { j["crypto"]["kdf"] = "argon2"; }, "unsupported kdf", ErrorCode::kInvalidArgument},
      {"dklen", [](json& j) { j["crypto"]["kdfparams"]["dklen"] = 64; }, "dklen must be 32",
       ErrorCode::kInvalidArgument},
      {"no salt", [](json& j) { j["crypto"]["kdfparams"].erase("salt"); }, "\"salt\"",
       ErrorCode::kInvalidArgument},
      {"empty salt", [](json& j) { j["crypto"]["kdfparams"]["salt"] = ""; }, "salt must be 1 to 1024",
       ErrorCode::kInvalidArgument},
      {"n not power of 2", [](json& j) { j["crypto"]["kdfparams"]["n"] = 4095; }, "power of two",
       ErrorCode::kInvalidArgument},
      {"n huge", [](json& j) { j["crypto"]["kdfparams"]["n"] = 1ULL << 40; }, "above the limit",
       ErrorCode::kInvalidArgument},
      {"n negative", [](json& j) { j["crypto"]["kdfparams"]["n"] = -4096; }, "positive integer",
       ErrorCode::kInvalidArgument},
      {"n float", [](json& j) { j["crypto"]["kdfparams"]["n"] = 4096.5; }, "positive integer",
       ErrorCode::kInvalidArgument},
      {"r*p huge", [](json& j) { j["crypto"]["kdfparams"]["p"] = 100000; }, "r*p",
       ErrorCode::kInvalidArgument},
      {"r zero", [](json& j) { j["crypto"]["kdfparams"]["r"] = 0; }, ">= 1", ErrorCode::kInvalidArgument},
      {"scrypt memory",
       [](json& j) {
         j["crypto"]["kdfparams"]["n"] = 1 << 20;
         j["crypto"]["kdfparams"]["r"] = 16;
       },
       "MiB", ErrorCode::kInvalidArgument},
      {"scrypt work",
       [](json& j) {
         j["crypto"]["kdfparams"]["n"] = 1 << 20;
         j["crypto"]["kdfparams"]["r"] = 1;
         j["crypto"]["kdfparams"]["p"] = 64;
       },
       "n*r*p", ErrorCode::kInvalidArgument},
      {"address hex", [](json& j) { j["address"] = "nothex"; }, "keystore.address",
       ErrorCode::kInvalidArgument},
      {"mac flipped",
       [](json& j) {
         std::string m = j["crypto"]["mac"];
         m[0] = m[0] == '0' ? '1' : '0';
         j["crypto"]["mac"] = m;
       },
       "MAC mismatch", ErrorCode::kUnauthenticated},
      {"ciphertext flipped",
       [](json& j) {
         std::string c = j["crypto"]["ciphertext"];
         c[5] = c[5] == '0' ? '1' : '0';
         j["crypto"]["ciphertext"] = c;
       },
       "MAC mismatch", ErrorCode::kUnauthenticated},
      {"salt changed", [](json& j) { j["crypto"]["kdfparams"]["salt"] = "00"; }, "MAC mismatch",
       ErrorCode::kUnauthenticated},
      {"iv changed (not covered by the MAC)",
       [](json& j) { j["crypto"]["cipherparams"]["iv"] = "00000000000000000000000000000000"; }, "",
       ErrorCode::kCorrupt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto key = DecryptKeystore(Mutate(LightKeystore(), c.edit), Pw("pw"));
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().code, c.code) << key.error().message;
    EXPECT_NE(key.error().message.find(c.expect_in_message), std::string::npos) << key.error().message;
  }
  // pbkdf2-specific fields.
  const Corruption pbkdf2_cases[] = {
      {"prf", [](json& j) { j["crypto"]["kdfparams"]["prf"] = "hmac-sha512"; }, "prf",
       ErrorCode::kInvalidArgument},
      {"c zero", [](json& j) { j["crypto"]["kdfparams"]["c"] = 0; }, "pbkdf2 c", ErrorCode::kInvalidArgument},
      {"c huge", [](json& j) { j["crypto"]["kdfparams"]["c"] = 20000000; }, "pbkdf2 c",
       ErrorCode::kInvalidArgument},
      {"no c", [](json& j) { j["crypto"]["kdfparams"].erase("c"); }, "\"c\"", ErrorCode::kInvalidArgument},
  };
  for (const auto& c : pbkdf2_cases) {
    SCOPED_TRACE(c.name);
    auto key = DecryptKeystore(Mutate(kPbkdf2Vector, c.edit), Pw("testpassword"));
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().code, c.code) << key.error().message;
    EXPECT_NE(key.error().message.find(c.expect_in_message), std::string::npos) << key.error().message;
  }
}

TEST(KeystoreTest, NonJsonAndWrongShapesAreRefused) {
  for (const char* t : {"", "not json", "[]", "3", "{\"version\":3}", "{\"version\":3,\"crypto\":{}}"}) {
    SCOPED_TRACE(t);
    auto key = DecryptKeystore(t, Pw("pw"));
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(KeystoreAddress(t).ok());
  }
}

TEST(KeystoreTest, BoundedDecryptRefusesWorkAboveCallerLimits) {
  KdfLimits tight;
  tight.max_scrypt_n = 1024;
  auto key = DecryptKeystoreBounded(LightKeystore(), Pw("pw"), tight);
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().message.find("above the limit of 1024"), std::string::npos);
}

TEST(KeystoreTest, EncryptRefusesParametersItCouldNotDecrypt) {
  SeededRandom rng(3);
  KdfParams bad = LightKdfParams();
  bad.n = 3000;
  EXPECT_FALSE(EncryptKeystore(TestKey(), Pw("pw"), bad, rng).ok());
  EXPECT_FALSE(EncryptKeystore(TestKey(), Pw("pw"), Pbkdf2KdfParams(0), rng).ok());
}

TEST(KeystoreTest, SaveIsPrivateAndNeverOverwrites) {
  std::string path = TempPath("k.json");
  ASSERT_TRUE(SaveKeystoreFile(path, LightKeystore()).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = SaveKeystoreFile(path, "{}");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().message.rfind("keystore " + path + ": ", 0), 0u) << again.error().message;
  // The original content is intact and no temp file is left behind.
  auto key = LoadKeystoreFile(path, Pw("pw"));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->GetAddress(), TestKey().GetAddress());
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    files += e.path().filename().string().rfind("k.json", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(files, 1u);
}

TEST(KeystoreTest, SaveIntoMissingDirectoryFailsWithPath) {
  std::string path = TempPath("no/such/dir/k.json");
  auto s = SaveKeystoreFile(path, LightKeystore());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.rfind("keystore " + path + ": ", 0), 0u) << s.error().message;
}

TEST(KeystoreTest, LoadErrorsArePrefixedWithThePath) {
  std::string missing = TempPath("missing.json");
  auto a = LoadKeystoreFile(missing, Pw("pw"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(a.error().message.rfind("keystore " + missing + ": ", 0), 0u) << a.error().message;

  std::string path = TempPath("wrong.json");
  ASSERT_TRUE(SaveKeystoreFile(path, LightKeystore()).ok());
  auto b = LoadKeystoreFile(path, Pw("nope"));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message, "keystore " + path + ": wrong password (MAC mismatch)");
}

}  // namespace
}  // namespace lt::crypto
