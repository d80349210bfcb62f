// lt sign-typed, lt verify-typed, lt hash-typed: EIP-712 typed data (eth_signTypedData_v4 JSON)
// from a file, signed with a keystore, verified, or hashed (doc/eip712.md). The key and the
// password are never printed.
#include <iostream>
#include <iterator>

#include "cli/commands.h"
#include "crypto/eip712.h"
#include "crypto/keys.h"
#include "crypto/keystore.h"
#include "util/fs.h"

namespace lt::cli {

namespace {

constexpr size_t kMaxTypedDataFile = 4u << 20;

struct TypedDataOptions {
  std::string data_file;
  std::string keystore;
  std::string password_file;
  std::string signature;
  std::string expect;
};

// Reads and parses DATA.json ("-" reads standard input); errors read "typed data FILE: reason".
Result<crypto::TypedData> LoadTypedData(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto r = RealFileSystem::Default()->ReadFile(path, kMaxTypedDataFile + 1);
    if (!r.ok()) return r.error().Wrap("typed data");
    text = std::move(*r);
  }
  auto td = crypto::ParseTypedDataText(text);
  if (!td.ok()) return td.error().Wrap("typed data " + (path == "-" ? std::string("(stdin)") : path));
  return td;
}

Status SignTyped(const CommandContext& ctx, const TypedDataOptions& o) {
  LT_TRY(crypto::TypedData td, LoadTypedData(o.data_file));
  LT_TRY(SecretBytes pw, ReadPassword(o.password_file, "Keystore password: ", /*confirm=*/false));
  LT_TRY(crypto::PrivateKey key, crypto::LoadKeystoreFile(o.keystore, pw.span()));
  crypto::Signature sig = crypto::SignTypedData(key, td);
  std::string hex = HexEncode0x(sig);
  PrintResult(ctx,
              {{"signature", hex}, {"signer", key.GetAddress().ToChecksumHex()}, {"digest", HexEncode0x(td.digest)}},
              hex);
  return OkStatus();
}

Status VerifyTyped(const CommandContext& ctx, const TypedDataOptions& o) {
  LT_TRY(crypto::TypedData td, LoadTypedData(o.data_file));
  auto sig = crypto::ParseSignature(o.signature);
  if (!sig.ok()) return sig.error().Wrap("signature");
  auto signer = crypto::RecoverTypedData(td, *sig);
  if (!signer.ok()) return signer.error().Wrap("signature");
  std::string addr = signer->ToChecksumHex();
  if (!o.expect.empty()) {
    auto want = crypto::ParseAddress(o.expect);
    if (!want.ok()) return want.error().Wrap("--expect");
    if (*want != *signer) {
      return Unauthenticated("signature is by " + addr + ", not by the expected " + want->ToChecksumHex());
    }
  }
  PrintResult(ctx, {{"signer", addr}, {"digest", HexEncode0x(td.digest)}}, addr);
  return OkStatus();
}

Status HashTyped(const CommandContext& ctx, const TypedDataOptions& o) {
  LT_TRY(crypto::TypedData td, LoadTypedData(o.data_file));
  LT_TRY(std::string encoded, td.types.EncodeType(td.primary_type));
  LT_TRY(Hash32 type_hash, td.types.TypeHash(td.primary_type));
  nlohmann::json j = {{"primaryType", td.primary_type},
                      {"encodeType", encoded},
                      {"typeHash", HexEncode0x(type_hash)},
                      {"domainSeparator", HexEncode0x(td.domain_separator)},
                      {"structHash", HexEncode0x(td.struct_hash)},
                      {"digest", HexEncode0x(td.digest)}};
  std::string human = "encodeType       " + encoded + "\ntypeHash         " + HexEncode0x(type_hash) +
                      "\ndomainSeparator  " + HexEncode0x(td.domain_separator) + "\nstructHash       " +
                      HexEncode0x(td.struct_hash) + "\ndigest           " + HexEncode0x(td.digest);
  PrintResult(ctx, j, human);
  return OkStatus();
}

}  // namespace

void RegisterTypedDataCommands(CLI::App& app, CommandContext& ctx) {
  auto o = std::make_shared<TypedDataOptions>();

  auto* sign = app.add_subcommand("sign-typed", "Sign EIP-712 typed data (eth_signTypedData_v4 JSON) with a keystore");
  sign->add_option("--keystore", o->keystore, "Keystore file (Web3 Secret Storage)")->required();
  sign->add_option("--password-file", o->password_file, "File whose first line is the password (else asked)");
  sign->add_option("DATA", o->data_file, "Typed-data JSON file ('-' for standard input)")->required();
  sign->callback([&ctx, o] { RunCommand(ctx, [&] { return SignTyped(ctx, *o); }); });

  auto* verify = app.add_subcommand("verify-typed", "Print the address that signed EIP-712 typed data");
  verify->add_option("DATA", o->data_file, "Typed-data JSON file ('-' for standard input)")->required();
  verify->add_option("SIGNATURE", o->signature, "0x + 130 hex digits (r || s || v)")->required();
  verify->add_option("--expect", o->expect, "Fail unless the signer is this address");
  verify->callback([&ctx, o] { RunCommand(ctx, [&] { return VerifyTyped(ctx, *o); }); });

  auto* hash = app.add_subcommand("hash-typed", "Print the EIP-712 type, domain separator, struct hash and digest");
  hash->add_option("DATA", o->data_file, "Typed-data JSON file ('-' for standard input)")->required();
  hash->callback([&ctx, o] { RunCommand(ctx, [&] { return HashTyped(ctx, *o); }); });
}

}  // namespace lt::cli
