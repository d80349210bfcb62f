#include "client/secret_guard.h"

#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "util/bytes.h"
#include "util/fs.h"

namespace lt::client {

using nlohmann::json;

namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::array<uint8_t, 32> Sha256Of(std::string_view s) {
  std::array<uint8_t, 32> out{};
  SHA256(reinterpret_cast<const uint8_t*>(s.data()), s.size(), out.data());
  return out;
}

// A standalone 64-hex token (optionally 0x-prefixed) not introduced as a hash.
bool HasPrivateKey(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (!IsAlnum(text[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && IsAlnum(text[i])) ++i;
    std::string_view tok = text.substr(start, i - start);
    if (tok.size() > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) tok.remove_prefix(2);
    if (tok.size() != 64 || !std::all_of(tok.begin(), tok.end(), IsHex)) continue;
    size_t from = start >= 48 ? start - 48 : 0;
    std::string ctx = LowerCopy(text.substr(from, start - from));
    bool named_hash = false;
    for (const char* w : {"sha256", "sha-256", "hash", "digest", "checksum", "txid", "commit", "cid"}) {
      if (ctx.find(w) != std::string::npos) named_hash = true;
    }
    bool named_key = false;
    for (const char* w : {"key", "secret", "priv", "seed"}) {
      if (ctx.find(w) != std::string::npos) named_key = true;
    }
    if (!named_hash || named_key) return true;
  }
  return false;
}

// Position just after `"name"` followed by optional spaces and ':' (JSON key), or npos.
bool HasJsonKey(const std::string& lower, std::string_view name) {
  std::string quoted = "\"" + std::string(name) + "\"";
  for (size_t p = lower.find(quoted); p != std::string::npos; p = lower.find(quoted, p + 1)) {
    size_t q = p + quoted.size();
    while (q < lower.size() && IsSpace(lower[q])) ++q;
    if (q < lower.size() && lower[q] == ':') return true;
  }
  return false;
}

bool HasKeystore(const std::string& lower) {
  return HasJsonKey(lower, "ciphertext") && HasJsonKey(lower, "kdf");
}

// password / passphrase / passwd followed by ':' or '=' and a non-empty value.
bool HasPasswordField(const std::string& lower) {
  for (const char* name : {"password", "passphrase", "passwd"}) {
    std::string_view n(name);
    for (size_t p = lower.find(n); p != std::string::npos; p = lower.find(n, p + 1)) {
      size_t q = p + n.size();
      if (q < lower.size() && IsAlpha(lower[q])) continue;  // "passwords", "passwordless"
      if (q < lower.size() && (lower[q] == '"' || lower[q] == '\'')) ++q;
      while (q < lower.size() && (lower[q] == ' ' || lower[q] == '\t')) ++q;
      if (q >= lower.size() || (lower[q] != ':' && lower[q] != '=')) continue;
      ++q;
      while (q < lower.size() && (lower[q] == ' ' || lower[q] == '\t')) ++q;
      if (q >= lower.size()) continue;
      char c = lower[q];
      if (c == '"' || c == '\'') {
        if (q + 1 < lower.size() && lower[q + 1] != c) return true;  // a non-empty quoted value
        continue;
      }
      if (c != '\n' && c != '\r' && c != ',' && c != '}' && c != '&') return true;
    }
  }
  return false;
}

const char* Detail(const std::string& kind) {
  if (kind == "private key") return "64 hex digits, with or without 0x";
  if (kind == "BIP-39 mnemonic") return "words of the BIP-39 list with a valid checksum";
  if (kind == "keystore") return "a JSON keystore with ciphertext and kdf";
  return "a password or passphrase field with a value";
}

}  // namespace

Result<std::vector<std::string>> ParseBip39Wordlist(std::string_view text) {
  if (HexEncode(Sha256Of(text)) != kBip39EnglishSha256) {
    return InvalidArgument("the BIP-39 wordlist is not the official English list (SHA-256 must be " +
                           std::string(kBip39EnglishSha256) + "; one word per line, \\n line ends)");
  }
  std::vector<std::string> words;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    words.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return words;
}

extern const std::string_view kBip39EnglishText;

std::vector<std::string> BuiltinBip39Wordlist() {
  auto words = ParseBip39Wordlist(kBip39EnglishText);
  return words.ok() ? std::move(*words) : std::vector<std::string>{};
}

Result<std::vector<std::string>> LoadBip39Wordlist(const std::string& path) {
  LT_TRY(std::string text, RealFileSystem::Default()->ReadFile(path, 1 << 20));
  auto r = ParseBip39Wordlist(text);
  if (!r.ok()) return r.error().Wrap(path);
  return r;
}

std::string SecretFinding::Message() const {
  return "refused by the secret guard: " + where + " holds what looks like a " + kind + " (" + Detail(kind) +
         "); nothing was sent. Remove it and try again.";
}

SecretGuard::SecretGuard(std::vector<std::string> bip39_words) {
  if (bip39_words.size() != 2048) return;
  for (size_t i = 0; i < bip39_words.size(); ++i) index_.emplace(bip39_words[i], static_cast<int>(i));
}

bool SecretGuard::HasMnemonic(std::string_view text) const {
  if (index_.empty()) return false;
  // Words are maximal runs of letters; anything between them (spaces, numbering, commas) is a
  // separator, so "1. abandon 2. ability ..." is seen as consecutive words.
  std::vector<int> run;
  auto check_run = [&]() {
    for (size_t len : {24u, 21u, 18u, 15u, 12u}) {
      if (run.size() < len) continue;
      for (size_t s = 0; s + len <= run.size(); ++s) {
        size_t total_bits = len * 11, ent_bits = total_bits * 32 / 33, cs_bits = ent_bits / 32;
        std::vector<uint8_t> bits(total_bits);
        for (size_t w = 0; w < len; ++w) {
          for (int b = 0; b < 11; ++b) bits[w * 11 + b] = static_cast<uint8_t>((run[s + w] >> (10 - b)) & 1);
        }
        std::string entropy(ent_bits / 8, '\0');
        for (size_t b = 0; b < ent_bits; ++b) {
          if (bits[b]) entropy[b / 8] = static_cast<char>(entropy[b / 8] | (0x80 >> (b % 8)));
        }
        auto h = Sha256Of(entropy);
        bool ok = true;
        for (size_t b = 0; b < cs_bits && ok; ++b) ok = ((h[b / 8] >> (7 - b % 8)) & 1) == bits[ent_bits + b];
        if (ok) return true;
      }
    }
    return false;
  };
  size_t i = 0;
  while (i < text.size()) {
    if (!IsAlpha(text[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && IsAlpha(text[i])) ++i;
    auto it = i - start <= 8 ? index_.find(LowerCopy(text.substr(start, i - start))) : index_.end();
    if (it == index_.end()) {
      if (check_run()) return true;
      run.clear();
    } else {
      run.push_back(it->second);
    }
  }
  return check_run();
}

std::optional<std::string> SecretGuard::Kind(std::string_view text) const {
  // A keystore first: its ciphertext and mac are 64 hex digits too.
  std::string lower = LowerCopy(text);
  if (HasKeystore(lower)) return "keystore";
  if (HasPrivateKey(text)) return "private key";
  if (HasPasswordField(lower)) return "password field";
  if (HasMnemonic(text)) return "BIP-39 mnemonic";
  return std::nullopt;
}

std::optional<SecretFinding> SecretGuard::ScanText(std::string_view text, const std::string& where) const {
  auto k = Kind(text);
  if (!k) return std::nullopt;
  return SecretFinding{*k, where};
}

std::optional<SecretFinding> SecretGuard::Scan(const json& j, const std::string& path) const {
  if (j.is_string()) return ScanText(j.get_ref<const std::string&>(), path.empty() ? "the request" : path);
  if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) {
      if (auto f = Scan(j[i], path + "[" + std::to_string(i) + "]")) return f;
    }
    return std::nullopt;
  }
  if (!j.is_object()) return std::nullopt;
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(LowerCopy(k));
  std::string here = path.empty() ? "the request" : path;
  if (keys.count("ciphertext") && keys.count("kdf")) return SecretFinding{"keystore", here};
  for (const auto& [k, v] : j.items()) {
    std::string lk = LowerCopy(k);
    std::string sub = path.empty() ? k : path + "." + k;
    if ((lk == "password" || lk == "passphrase" || lk == "passwd") && v.is_string() &&
        !v.get_ref<const std::string&>().empty()) {
      return SecretFinding{"password field", sub};
    }
    if (auto f = Scan(v, sub)) return f;
  }
  return std::nullopt;
}

std::optional<SecretFinding> SecretGuard::ScanRequest(const json& body) const { return Scan(body, ""); }

}  // namespace lt::client
