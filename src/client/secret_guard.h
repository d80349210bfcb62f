// The secret guard (DESIGN §8, doc/client.md "Secret guard"): looks at a chat request before
// anything leaves the machine and refuses it when a text holds
//   * a private key: a run of exactly 64 hex digits, with or without "0x", also glued to letters
//     or '_' ("pk_...", "key...");
//   * a BIP-39 mnemonic: 12, 15, 18, 21 or 24 consecutive words of the official English list,
//     or their four-letter prefixes, whose checksum is valid (only when the wordlist was loaded:
//     see LoadBip39Wordlist);
//   * a Web3 keystore: JSON with "ciphertext" and "kdf" (as text, or as a JSON object);
//   * a password field: "password": "...", password=..., password: ... (also passphrase, passwd,
//     passwort, pwd, pass), in a text or as a JSON key with a value.
// ScanRequest looks at every string and every object key of the body (but the top-level "model",
// a name, where "0x" + 64 hex digits is a manifest digest), one by one and then all joined (a key split across messages, or wrapped over lines, is seen whole), without recursion.
// The misses we know of are listed in doc/client.md "Secret guard".
// A Finding names the kind and where (a JSON path such as messages[2].content), never the
// secret itself. Decision on 64-hex hashes: a SHA-256 or transaction hash cannot be told from a
// key by its form, so it is refused too unless the 48 characters before it name it as a hash
// ("sha256", "hash", "digest", "checksum", "txid", "commit", "cid") and none of "key", "secret",
// "priv", "seed" appear there. Refusing a hash costs a retry; sending a key costs the funds.
// Thread-safety: immutable after construction; Scan* may be called from any thread.
#ifndef LT_CLIENT_SECRET_GUARD_H_
#define LT_CLIENT_SECRET_GUARD_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/result.h"

namespace lt::client {

// SHA-256 of the official BIP-39 English wordlist file (2048 lines, "\n"-terminated), as
// published in the bitcoin/bips repository. A wordlist file must match it byte for byte.
inline constexpr std::string_view kBip39EnglishSha256 =
    "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda";

// Reads the English BIP-39 wordlist from `path` and checks its SHA-256 against the official one.
Result<std::vector<std::string>> LoadBip39Wordlist(const std::string& path);
// The same check on text already in memory.
Result<std::vector<std::string>> ParseBip39Wordlist(std::string_view text);
// The official list compiled into the binary (src/client/bip39_english.txt).
std::vector<std::string> BuiltinBip39Wordlist();

struct SecretFinding {
  std::string kind;             // "private key", "BIP-39 mnemonic", "keystore", "password field"
  std::string where;            // JSON path, e.g. "messages[1].content"
  std::string Message() const;  // the user-facing refusal, without the secret
};

class SecretGuard {
 public:
  // An empty wordlist turns the mnemonic check off (mnemonic_check() == false).
  explicit SecretGuard(std::vector<std::string> bip39_words = {});

  // Scans one text; `where` is copied into the finding.
  std::optional<SecretFinding> ScanText(std::string_view text, const std::string& where) const;
  // Scans every string, object key (and keystore-shaped object) of a request body.
  std::optional<SecretFinding> ScanRequest(const nlohmann::json& body) const;
  bool mnemonic_check() const { return !index_.empty(); }

 private:
  std::optional<std::string> Kind(std::string_view text) const;
  bool HasMnemonic(std::string_view text) const;

  std::unordered_map<std::string, int> index_;   // word -> 11-bit value
  std::unordered_map<std::string, int> prefix_;  // first four letters of words longer than four -> value
};

}  // namespace lt::client

#endif  // LT_CLIENT_SECRET_GUARD_H_
