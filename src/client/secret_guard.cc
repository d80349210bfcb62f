#include "client/secret_guard.h"

#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>

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

// A maximal run of exactly 64 hex digits (a "0x" before it, or letters and '_' glued to it such as
// "pk_" or "key", do not hide it) not introduced as a hash.
bool HasPrivateKey(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (!IsHex(text[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && IsHex(text[i])) ++i;
    if (i - start != 64) continue;
    // "0x" + 64: the run starts after the 'x'; "0" alone before it is part of the prefix.
    size_t from = start >= 48 ? start - 48 : 0;
    std::string ctx = LowerCopy(text.substr(from, start - from));
    bool named_hash = false;
    for (const char* w : {"sha256", "sha-256", "hash", "digest", "checksum", "txid", "commit", "cid"}) {
      if (ctx.find(w) != std::string::npos) named_hash = true;
    }
    bool named_key = false;
    for (const char* w : {"key", "secret", "priv", "seed", "pk_", "sk_"}) {
      if (ctx.find(w) != std::string::npos) named_key = true;
    }
    if (!named_hash || named_key) return true;
  }
  return false;
}

// `text` with line breaks (and the blanks around them) removed where they sit between two runs of
// at least 16 hex digits, so a key wrapped over lines, or split across messages joined by '\n',
// reads whole (shorter runs are words that happen to end or start with a-f).
std::string JoinWrappedHex(std::string_view text) {
  constexpr size_t kMinPiece = 16;
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\n' || text[i] == '\r') {
      size_t a = out.size();
      while (a > 0 && (out[a - 1] == ' ' || out[a - 1] == '\t')) --a;
      size_t before = 0;
      while (before < a && IsHex(out[a - 1 - before])) ++before;
      size_t b = i;
      while (b < text.size() && IsSpace(text[b])) ++b;
      size_t after = 0;
      while (b + after < text.size() && IsHex(text[b + after])) ++after;
      if (before >= kMinPiece && after >= kMinPiece) {
        out.resize(a);
        i = b;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
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

// The names a password goes by (also as JSON keys).
constexpr const char* kPasswordNames[] = {"password", "passphrase", "passwd", "passwort", "pwd", "pass"};

bool IsPasswordName(const std::string& lower) {
  for (const char* n : kPasswordNames) {
    if (lower == n) return true;
  }
  return false;
}

// A password name followed by ':' or '=' and a non-empty value.
bool HasPasswordField(const std::string& lower) {
  for (const char* name : kPasswordNames) {
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
  for (size_t i = 0; i < bip39_words.size(); ++i) {
    index_.emplace(bip39_words[i], static_cast<int>(i));
    // The first four letters identify a word (BIP-39): mnemonics are often written that way.
    if (bip39_words[i].size() > 4) prefix_.emplace(bip39_words[i].substr(0, 4), static_cast<int>(i));
  }
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
    std::string word = i - start <= 8 ? LowerCopy(text.substr(start, i - start)) : std::string();
    int value = -1;
    if (auto w = index_.find(word); w != index_.end()) {
      value = w->second;
    } else if (auto p = word.size() == 4 ? prefix_.find(word) : prefix_.end(); p != prefix_.end()) {
      value = p->second;
    }
    if (value < 0) {
      if (check_run()) return true;
      run.clear();
    } else {
      run.push_back(value);
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

std::optional<SecretFinding> SecretGuard::ScanRequest(const json& body) const {
  // Depth first with an explicit stack (no recursion on input), in document order; every string
  // and every object key is scanned alone, then the texts joined (string values, but those of
  // protocol fields such as "role" that would sit between two messages' contents), so a secret
  // split across messages or wrapped over lines is seen whole.
  struct Item {
    const json* v;
    std::string path;
    bool joins = true;  // its text goes into `joined`
  };
  std::vector<Item> stack{{&body, ""}};
  std::string joined;
  auto model_it = body.is_object() ? body.find("model") : body.end();
  const json* model_name = body.is_object() && model_it != body.end() ? &*model_it : nullptr;
  auto here = [](const std::string& path) { return path.empty() ? std::string("the request") : path; };
  // Paths stop growing past 200 characters (a deep document would otherwise cost depth² bytes).
  auto sub = [](const std::string& path, const std::string& step) {
    if (path.size() > 200) return path.back() == '.' ? path : path + "...";
    return path + step;
  };
  while (!stack.empty()) {
    Item it = std::move(stack.back());
    stack.pop_back();
    const json& j = *it.v;
    if (j.is_string()) {
      const std::string& text = j.get_ref<const std::string&>();
      // The request's "model" is a name, and "0x" + 64 hex digits is a manifest digest there
      // (doc/client.md "Secret guard"); it is routed by name, not given to a model.
      if (&j == model_name) continue;
      if (auto f = ScanText(text, here(it.path))) return f;
      if (it.joins) {
        joined += text;
        joined += '\n';
      }
      continue;
    }
    if (j.is_array()) {
      for (size_t i = j.size(); i-- > 0;) stack.push_back({&j[i], sub(it.path, "[" + std::to_string(i) + "]"), it.joins});
      continue;
    }
    if (!j.is_object()) continue;
    bool ciphertext = false, kdf = false;
    for (const auto& [k, v] : j.items()) {
      std::string lk = LowerCopy(k);
      ciphertext = ciphertext || lk == "ciphertext";
      kdf = kdf || lk == "kdf";
    }
    if (ciphertext && kdf) return SecretFinding{"keystore", here(it.path)};
    std::vector<Item> children;
    for (const auto& [k, v] : j.items()) {
      // A key names the path only when short: a long one could hold part of a secret.
      std::string name = k.size() <= 24 ? k : std::string("{key}");
      std::string at = it.path.empty() ? name : sub(it.path, "." + name);
      if (auto f = ScanText(k, "a key of " + here(it.path))) return f;
      if (IsPasswordName(LowerCopy(k)) && v.is_string() && !v.get_ref<const std::string&>().empty()) {
        return SecretFinding{"password field", at};
      }
      static constexpr const char* kProtocolFields[] = {"role", "type", "model", "name", "tool_call_id", "id"};
      const std::string& key = k;  // clang 14 cannot capture a structured binding
      bool joins = std::none_of(std::begin(kProtocolFields), std::end(kProtocolFields),
                                [&key](const char* f) { return key == f; });
      children.push_back({&v, at, joins});
    }
    for (auto c = children.rbegin(); c != children.rend(); ++c) stack.push_back(std::move(*c));
  }
  std::string whole = JoinWrappedHex(joined);
  if (HasPrivateKey(whole)) return SecretFinding{"private key", "the request (split across texts or lines)"};
  if (HasMnemonic(joined)) return SecretFinding{"BIP-39 mnemonic", "the request (split across texts)"};
  return std::nullopt;
}

}  // namespace lt::client
