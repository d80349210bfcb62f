// lt key new|address|import|export, lt sign-message, lt verify-message: identities in Web3
// Secret Storage keystores (doc/identity.md). Private keys and passwords are never printed or
// logged, except by `lt key export` behind its explicit confirmation flag.
#include <iostream>
#include <iterator>

#include "cli/commands.h"
#include "crypto/keys.h"
#include "crypto/keystore.h"
#include "util/fs.h"

namespace lt::cli {

namespace {

constexpr const char* kExportFlag = "--i-understand-this-prints-my-private-key";

struct KeyOptions {
  std::string keystore;
  std::string password_file;
  std::string kdf = "scrypt";
  bool light = false;
  bool confirm_export = false;
  std::string message;
  std::string signature;
  std::string expect;
  bool hex = false;
};

Result<crypto::KdfParams> KdfFromOptions(const KeyOptions& o) {
  if (o.kdf == "scrypt") return o.light ? crypto::LightKdfParams() : crypto::KdfParams{};
  if (o.kdf == "pbkdf2") return crypto::Pbkdf2KdfParams(o.light ? 4096 : 262144);
  return InvalidArgument("--kdf must be scrypt or pbkdf2, got '" + o.kdf + "'");
}

Status RefuseExisting(const std::string& path) {
  if (RealFileSystem::Default()->Exists(path)) {
    return MakeError(ErrorCode::kAlreadyExists,
                     "keystore " + path + ": file already exists (refusing to overwrite a key)");
  }
  return OkStatus();
}

// Encrypts `key` under a password (asked twice on the terminal without --password-file) and
// writes it to o.keystore; prints the address.
Status StoreKey(const CommandContext& ctx, const KeyOptions& o, const crypto::PrivateKey& key) {
  LT_TRY(crypto::KdfParams params, KdfFromOptions(o));
  LT_TRY(SecretBytes pw, ReadPassword(o.password_file, "Password for the new key: ", /*confirm=*/true));
  LT_TRY(std::string text, crypto::EncryptKeystore(key, pw.span(), params, *SecureRandom::Default()));
  LT_TRY_STATUS(crypto::SaveKeystoreFile(o.keystore, text));
  std::string addr = key.GetAddress().ToChecksumHex();
  PrintResult(ctx, {{"address", addr}, {"keystore", o.keystore}}, addr);
  return OkStatus();
}

// The keystore file's text; errors read "keystore PATH: reason".
Result<std::string> ReadKeystore(const std::string& path) {
  auto text = RealFileSystem::Default()->ReadFile(path, 1 << 20);
  if (!text.ok()) {
    Error e = text.error();  // its message starts with the path
    e.message = "keystore " + e.message;
    return e;
  }
  return std::move(text).value();
}

Result<crypto::PrivateKey> UnlockKey(const KeyOptions& o) {
  // Read the file first, so a missing keystore is reported before asking for a password.
  LT_TRY(std::string text, ReadKeystore(o.keystore));
  LT_TRY(SecretBytes pw, ReadPassword(o.password_file, "Password for " + o.keystore + ": ", false));
  auto key = crypto::DecryptKeystore(text, pw.span());
  if (!key.ok()) return key.error().Wrap("keystore " + o.keystore);
  return std::move(key).value();
}

Status KeyNew(const CommandContext& ctx, const KeyOptions& o) {
  LT_TRY_STATUS(KdfFromOptions(o));
  LT_TRY_STATUS(RefuseExisting(o.keystore));
  return StoreKey(ctx, o, crypto::PrivateKey::Generate(*SecureRandom::Default()));
}

Status KeyImport(const CommandContext& ctx, const KeyOptions& o) {
  LT_TRY_STATUS(KdfFromOptions(o));
  LT_TRY_STATUS(RefuseExisting(o.keystore));
  std::string input;
  char buf[256];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    input.append(buf, static_cast<size_t>(std::cin.gcount()));
    if (input.size() > 4096) break;
  }
  SecureWipe(buf, sizeof buf);
  std::string_view s(input);
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  Status st = OkStatus();
  if (s.empty()) {
    st = InvalidArgument("no private key on standard input (expected 64 hex digits, optionally 0x-prefixed)");
  } else {
    auto key = crypto::PrivateKey::FromHex(s);
    if (!key.ok()) {
      // The message never echoes the input (it may be a key).
      st = InvalidArgument(
          "standard input is not a valid private key (expected 64 hex digits, optionally "
          "0x-prefixed): " +
          key.error().message);
    } else {
      st = StoreKey(ctx, o, *key);
    }
  }
  SecureWipe(input.data(), input.size());
  return st;
}

Status KeyAddress(const CommandContext& ctx, const KeyOptions& o) {
  crypto::Address addr;
  bool decrypted = false;
  if (o.password_file.empty()) {
    LT_TRY(std::string text, ReadKeystore(o.keystore));
    auto a = crypto::KeystoreAddress(text);
    if (!a.ok()) return a.error().Wrap("keystore " + o.keystore);
    addr = *a;
  } else {
    LT_TRY(crypto::PrivateKey key, UnlockKey(o));
    addr = key.GetAddress();
    decrypted = true;
  }
  std::string hex = addr.ToChecksumHex();
  PrintResult(ctx, {{"address", hex}, {"keystore", o.keystore}, {"verified", decrypted}}, hex);
  return OkStatus();
}

Status KeyExport(const CommandContext& ctx, const KeyOptions& o) {
  if (!o.confirm_export) {
    return InvalidArgument(
        std::string("lt key export prints the private key in clear, which gives anyone who "
                    "sees it full control of the account; add ") +
        kExportFlag + " to confirm");
  }
  LT_TRY(crypto::PrivateKey key, UnlockKey(o));
  std::string hex = HexEncode0x(key.secret().span());
  PrintResult(ctx, {{"address", key.GetAddress().ToChecksumHex()}, {"private_key", hex}}, hex);
  SecureWipe(hex.data(), hex.size());
  return OkStatus();
}

Result<Bytes> MessageBytes(const KeyOptions& o) {
  if (!o.hex) return Bytes(o.message.begin(), o.message.end());
  auto b = HexDecode(o.message);
  if (!b.ok()) return b.error().Wrap("message (--hex)");
  return std::move(b).value();
}

Status SignMessage(const CommandContext& ctx, const KeyOptions& o) {
  LT_TRY(Bytes msg, MessageBytes(o));
  LT_TRY(crypto::PrivateKey key, UnlockKey(o));
  crypto::Signature sig = key.Sign(crypto::PersonalMessageHash(msg));
  std::string hex = HexEncode0x(sig);
  PrintResult(ctx, {{"address", key.GetAddress().ToChecksumHex()}, {"signature", hex}}, hex);
  return OkStatus();
}

Status VerifyMessage(const CommandContext& ctx, const KeyOptions& o) {
  LT_TRY(Bytes msg, MessageBytes(o));
  LT_TRY(crypto::Signature sig, crypto::ParseSignature(o.signature));
  LT_TRY(crypto::Address signer, crypto::Recover(crypto::PersonalMessageHash(msg), sig));
  if (!o.expect.empty()) {
    LT_TRY(crypto::Address want, crypto::ParseAddress(o.expect));
    if (want != signer) {
      return Unauthenticated("signature was made by " + signer.ToChecksumHex() + ", not by " +
                             want.ToChecksumHex());
    }
  }
  std::string hex = signer.ToChecksumHex();
  PrintResult(ctx, {{"address", hex}}, hex);
  return OkStatus();
}

void AddKeystoreOptions(CLI::App* cmd, KeyOptions& o) {
  cmd->add_option("--keystore", o.keystore, "Keystore file (Web3 Secret Storage JSON)")->required();
  cmd->add_option("--password-file", o.password_file,
                  "File whose first line is the password (otherwise asked on the terminal)");
}

void AddKdfOptions(CLI::App* cmd, KeyOptions& o) {
  cmd->add_flag("--light", o.light, "Cheap KDF (scrypt n=4096) for tests and devnets");
  cmd->add_option("--kdf", o.kdf, "Key derivation: scrypt (default) or pbkdf2")->capture_default_str();
}

}  // namespace

void RegisterKeyCommands(CLI::App& app, CommandContext& ctx) {
  // Lives as long as the program: the callbacks refer to it.
  static KeyOptions opts;
  KeyOptions& o = opts;

  auto* key = app.add_subcommand("key", "Manage identities (secp256k1 keys in V3 keystores)");
  key->require_subcommand(1);

  auto* create = key->add_subcommand("new", "Create a new key and print its address");
  AddKeystoreOptions(create, o);
  AddKdfOptions(create, o);
  create->callback([&ctx, &o] { RunCommand(ctx, [&] { return KeyNew(ctx, o); }); });

  auto* address = key->add_subcommand(
      "address", "Print a keystore's address (with a password: decrypts and derives it from the key)");
  AddKeystoreOptions(address, o);
  address->callback([&ctx, &o] { RunCommand(ctx, [&] { return KeyAddress(ctx, o); }); });

  auto* import = key->add_subcommand("import", "Encrypt a hex private key read from standard input");
  AddKeystoreOptions(import, o);
  AddKdfOptions(import, o);
  import->callback([&ctx, &o] { RunCommand(ctx, [&] { return KeyImport(ctx, o);
});
}  // namespace lt::cli
);

auto* exp = key->add_subcommand("export", "Print the private key in clear (needs a confirmation flag)");
AddKeystoreOptions(exp, o);
exp->add_flag(kExportFlag, o.confirm_export, "Confirm that the private key may be printed");
exp->callback([&ctx, &o] { RunCommand(ctx, [&] { return KeyExport(ctx, o); }); });

auto* sign = app.add_subcommand("sign-message", "Sign a message with EIP-191 personal_sign");
AddKeystoreOptions(sign, o);
sign->add_option("message", o.message, "The message (UTF-8 text, or hex with --hex)")->required();
sign->add_flag("--hex", o.hex, "The message is 0x-hex bytes");
sign->callback([&ctx, &o] { RunCommand(ctx, [&] { return SignMessage(ctx, o); }); });

auto* verify = app.add_subcommand("verify-message", "Print the address that signed a personal_sign message");
verify->add_option("message", o.message, "The message (UTF-8 text, or hex with --hex)")->required();
verify->add_option("signature", o.signature, "0x + 130 hex digits")->required();
verify->add_option("--expect", o.expect, "Fail unless the signer is this address");
verify->add_flag("--hex", o.hex, "The message is 0x-hex bytes");
verify->callback([&ctx, &o] { RunCommand(ctx, [&] { return VerifyMessage(ctx, o); }); });
}

}  // namespace lt::cli
