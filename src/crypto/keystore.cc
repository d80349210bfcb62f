#include "crypto/keystore.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "crypto/keccak.h"
#include "crypto/scrypt.h"
#include "util/fs.h"
#include "util/json.h"

namespace lt::crypto {

namespace {

using json = nlohmann::json;

constexpr size_t kDkLen = 32;
constexpr size_t kSaltLen = 32;
constexpr size_t kIvLen = 16;
constexpr size_t kMaxSaltLen = 1024;
// n * r * p: the time an scrypt run costs, in 128-byte block mixes per element of V.
// The standard parameters (n=2^18, r=8, p=1) are 2^21; the spec vector (n=2^18, r=1, p=8) too.
constexpr uint64_t kMaxScryptWork = 1ULL << 24;

struct ParsedKeystore {
  KdfParams kdf;
  Bytes salt;
  Bytes iv;
  Bytes ciphertext;
  Hash32 mac{};
  bool has_address = false;
  Address address;
};

// Fetches an object member by name, or a clear error.
Result<const json*> Member(const json& obj, const char* name, const char* where) {
  auto it = obj.find(name);
  if (it == obj.end()) return InvalidArgument(std::string(where) + " has no \"" + name + "\" field");
  return &*it;
}

Result<std::string> StringField(const json& obj, const char* name, const char* where) {
  LT_TRY(const json* v, Member(obj, name, where));
  if (!v->is_string()) return InvalidArgument(std::string(where) + "." + name + " must be a string");
  return v->get<std::string>();
}

Result<Bytes> HexField(const json& obj, const char* name, const char* where) {
  LT_TRY(std::string s, StringField(obj, name, where));
  auto b = HexDecode(s);
  if (!b.ok()) return b.error().Wrap(std::string(where) + "." + name);
  return std::move(b).value();
}

Result<uint64_t> UintField(const json& obj, const char* name, const char* where) {
  LT_TRY(const json* v, Member(obj, name, where));
  if (!v->is_number_unsigned()) {
    return InvalidArgument(std::string(where) + "." + name + " must be a positive integer");
  }
  return v->get<uint64_t>();
}

Status CheckKdf(const KdfParams& k, const KdfLimits& limits) {
  if (k.kind == KdfParams::Kind::kScrypt) {
    if (k.n < 2 || (k.n & (k.n - 1)) != 0) {
      return InvalidArgument("scrypt n must be a power of two >= 2, got " + std::to_string(k.n));
    }
    if (k.n > limits.max_scrypt_n) {
      return InvalidArgument("scrypt n " + std::to_string(k.n) + " is above the limit of " +
                             std::to_string(limits.max_scrypt_n));
    }
    if (k.r == 0 || k.p == 0) return InvalidArgument("scrypt r and p must be >= 1");
    uint64_t rp = static_cast<uint64_t>(k.r) * k.p;
    if (rp > limits.max_scrypt_rp) {
      return InvalidArgument("scrypt r*p " + std::to_string(rp) + " is above the limit of " +
                             std::to_string(limits.max_scrypt_rp));
    }
    // n <= 2^20 and r <= 2^10 so these products cannot overflow.
    uint64_t mem = 128ULL * k.n * k.r;
    if (mem > limits.max_scrypt_mem) {
      return InvalidArgument("scrypt n=" + std::to_string(k.n) + " r=" + std::to_string(k.r) + " needs " +
                             std::to_string(mem >> 20) + " MiB, above the limit of " +
                             std::to_string(limits.max_scrypt_mem >> 20) + " MiB");
    }
    if (k.n * rp > kMaxScryptWork) {
      return InvalidArgument("scrypt n*r*p " + std::to_string(k.n * rp) + " is above the limit of " +
                             std::to_string(kMaxScryptWork));
    }
    return OkStatus();
  }
  if (k.c == 0 || k.c > limits.max_pbkdf2_c) {
    return InvalidArgument("pbkdf2 c must be in [1, " + std::to_string(limits.max_pbkdf2_c) + "], got " +
                           std::to_string(k.c));
  }
  return OkStatus();
}

Result<ParsedKeystore> Parse(std::string_view text, const KdfLimits& limits) {
  json doc = ParseJson(text);
  if (doc.is_discarded()) return InvalidArgument("not valid JSON");
  if (!doc.is_object()) return InvalidArgument("keystore must be a JSON object");
  ParsedKeystore out;

  auto ver = doc.find("version");
  if (ver == doc.end()) return InvalidArgument("keystore has no \"version\" field");
  if (!ver->is_number_integer() || ver->get<int64_t>() != 3) {
    return InvalidArgument("unsupported keystore version " + ver->dump() + " (only version 3 is supported)");
  }

  auto addr = doc.find("address");
  if (addr != doc.end()) {
    if (!addr->is_string()) return InvalidArgument("keystore.address must be a string");
    auto a = HexDecodeFixed<20>(addr->get<std::string>());
    if (!a.ok()) return a.error().Wrap("keystore.address");
    out.has_address = true;
    out.address.bytes = *a;
  }

  auto cr = doc.find("crypto");
  if (cr == doc.end()) cr = doc.find("Crypto");
  if (cr == doc.end()) return InvalidArgument("keystore has no \"crypto\" field");
  if (!cr->is_object()) return InvalidArgument("keystore.crypto must be an object");
  const json& c = *cr;

  LT_TRY(std::string cipher, StringField(c, "cipher", "crypto"));
  if (cipher != "aes-128-ctr") {
    return InvalidArgument("unsupported cipher \"" + cipher.substr(0, 40) + "\" (only aes-128-ctr)");
  }
  LT_TRY(const json* cp, Member(c, "cipherparams", "crypto"));
  if (!cp->is_object()) return InvalidArgument("crypto.cipherparams must be an object");
  LT_TRY(out.iv, HexField(*cp, "iv", "crypto.cipherparams"));
  if (out.iv.size() != kIvLen) {
    return InvalidArgument("crypto.cipherparams.iv must be 16 bytes, got " + std::to_string(out.iv.size()));
  }
  LT_TRY(out.ciphertext, HexField(c, "ciphertext", "crypto"));
  if (out.ciphertext.size() != 32) {
    return InvalidArgument("crypto.ciphertext must be 32 bytes (a private key), got " +
                           std::to_string(out.ciphertext.size()));
  }
  LT_TRY(Bytes mac, HexField(c, "mac", "crypto"));
  if (mac.size() != 32)
    return InvalidArgument("crypto.mac must be 32 bytes, got " + std::to_string(mac.size()));
  std::memcpy(out.mac.data(), mac.data(), 32);

  LT_TRY(std::string kdf, StringField(c, "kdf", "crypto"));
  LT_TRY(const json* kp, Member(c, "kdfparams", "crypto"));
  if (!kp->is_object()) return InvalidArgument("crypto.kdfparams must be an object");
  const char* where = "crypto.kdfparams";
  LT_TRY(uint64_t dklen, UintField(*kp, "dklen", where));
  if (dklen != kDkLen)
    return InvalidArgument("crypto.kdfparams.dklen must be 32, got " + std::to_string(dklen));
  LT_TRY(out.salt, HexField(*kp, "salt", where));
  if (out.salt.empty() || out.salt.size() > kMaxSaltLen) {
    return InvalidArgument("crypto.kdfparams.salt must be 1 to 1024 bytes, got " +
                           std::to_string(out.salt.size()));
  }
  if (kdf == "scrypt") {
    out.kdf.kind = KdfParams::Kind::kScrypt;
    LT_TRY(out.kdf.n, UintField(*kp, "n", where));
    LT_TRY(uint64_t r, UintField(*kp, "r", where));
    LT_TRY(uint64_t p, UintField(*kp, "p", where));
    if (r > UINT32_MAX || p > UINT32_MAX) return InvalidArgument("scrypt r or p is out of range");
    out.kdf.r = static_cast<uint32_t>(r);
    out.kdf.p = static_cast<uint32_t>(p);
  } else if (kdf == "pbkdf2") {
    out.kdf.kind = KdfParams::Kind::kPbkdf2;
    LT_TRY(std::string prf, StringField(*kp, "prf", where));
    if (prf != "hmac-sha256") {
      return InvalidArgument("unsupported pbkdf2 prf \"" + prf.substr(0, 40) + "\" (only hmac-sha256)");
    }
    LT_TRY(uint64_t iters, UintField(*kp, "c", where));
    if (iters > UINT32_MAX) return InvalidArgument("pbkdf2 c is out of range");
    out.kdf.c = static_cast<uint32_t>(iters);
  } else {
    return InvalidArgument("unsupported kdf \"" + kdf.substr(0, 40) + "\" (scrypt or pbkdf2)");
  }
  LT_TRY_STATUS(CheckKdf(out.kdf, limits));
  return out;
}

Result<SecretBytes> DeriveKey(const KdfParams& k, ByteSpan password, ByteSpan salt) {
  SecretBytes dk(kDkLen);
  // OpenSSL wants a non-null pointer even for an empty password.
  static const uint8_t kEmpty = 0;
  const char* pw = reinterpret_cast<const char*>(password.empty() ? &kEmpty : password.data());
  if (k.kind == KdfParams::Kind::kScrypt) {
    LT_TRY_STATUS(Scrypt(password, salt, k.n, k.r, k.p, {dk.data(), dk.size()}));
  } else {
    if (PKCS5_PBKDF2_HMAC(pw, static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                          static_cast<int>(k.c), EVP_sha256(), static_cast<int>(dk.size()), dk.data()) != 1) {
      return InternalError("pbkdf2 failed");
    }
  }
  return dk;
}

// AES-128-CTR is its own inverse: used both ways.
Result<SecretBytes> Aes128Ctr(ByteSpan key16, ByteSpan iv, ByteSpan in) {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  if (!ctx) return InternalError("out of memory (cipher context)");
  SecretBytes out(in.size());
  int len1 = 0, len2 = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, key16.data(), iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len1, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len1, &len2) != 1 ||
      static_cast<size_t>(len1 + len2) != in.size()) {
    return InternalError("aes-128-ctr failed");
  }
  return out;
}

Hash32 ComputeMac(const SecretBytes& dk, ByteSpan ciphertext) {
  Keccak256 h;
  h.Update(ByteSpan(dk.data() + 16, 16));
  h.Update(ciphertext);
  return h.Finalize();
}

std::string UuidV4(Random& rng) {
  uint8_t b[16];
  rng.Fill(b);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string h = HexEncode(ByteSpan(b, 16));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
         h.substr(20);
}

}  // namespace

KdfParams LightKdfParams() {
  KdfParams k;
  k.kind = KdfParams::Kind::kScrypt;
  k.n = 4096;
  k.r = 8;
  k.p = 1;
  return k;
}

KdfParams Pbkdf2KdfParams(uint32_t c) {
  KdfParams k;
  k.kind = KdfParams::Kind::kPbkdf2;
  k.c = c;
  return k;
}

Result<PrivateKey> DecryptKeystoreBounded(std::string_view json_text, ByteSpan password,
                                          const KdfLimits& limits) {
  LT_TRY(ParsedKeystore ks, Parse(json_text, limits));
  LT_TRY(SecretBytes dk, DeriveKey(ks.kdf, password, ks.salt));
  Hash32 mac = ComputeMac(dk, ks.ciphertext);
  if (!ConstantTimeEqual(mac, ks.mac)) return Unauthenticated("wrong password (MAC mismatch)");
  LT_TRY(SecretBytes plain, Aes128Ctr(ByteSpan(dk.data(), 16), ks.iv, ks.ciphertext));
  auto key = PrivateKey::FromBytes(plain.span());
  if (!key.ok()) return Corrupt("decrypted key is invalid: " + key.error().message);
  if (ks.has_address && key->GetAddress() != ks.address) {
    return Corrupt("the decrypted key belongs to " + key->GetAddress().ToChecksumHex() +
                   ", not to the keystore's address " + ks.address.ToChecksumHex());
  }
  return std::move(key).value();
}

Result<PrivateKey> DecryptKeystore(std::string_view json_text, ByteSpan password) {
  return DecryptKeystoreBounded(json_text, password, KdfLimits{});
}

Result<std::string> EncryptKeystore(const PrivateKey& key, ByteSpan password, const KdfParams& params,
                                    Random& rng) {
  LT_TRY_STATUS(CheckKdf(params, KdfLimits{}));
  Bytes salt(kSaltLen), iv(kIvLen);
  rng.Fill(salt);
  rng.Fill(iv);
  LT_TRY(SecretBytes dk, DeriveKey(params, password, salt));
  LT_TRY(SecretBytes ct, Aes128Ctr(ByteSpan(dk.data(), 16), iv, key.secret().span()));
  Hash32 mac = ComputeMac(dk, ct.span());

  json kdfparams;
  std::string kdf;
  if (params.kind == KdfParams::Kind::kScrypt) {
    kdf = "scrypt";
    kdfparams = {
        {"dklen", kDkLen}, {"n", params.n}, {"p", params.p}, {"r", params.r}, {"salt", HexEncode(salt)}};
  } else {
    kdf = "pbkdf2";
    kdfparams = {{"c", params.c}, {"dklen", kDkLen}, {"prf", "hmac-sha256"}, {"salt", HexEncode(salt)}};
  }
  json doc = {
      {"address", HexEncode(key.GetAddress().bytes)},
      {"crypto",
       {{"cipher", "aes-128-ctr"},
        {"ciphertext", HexEncode(ct.span())},
        {"cipherparams", {{"iv", HexEncode(iv)}}},
        {"kdf", kdf},
        {"kdfparams", kdfparams},
        {"mac", HexEncode(mac)}}},
      {"id", UuidV4(rng)},
      {"version", 3},
  };
  return doc.dump();
}

Result<PrivateKey> LoadKeystoreFile(const std::string& path, ByteSpan password) {
  const std::string ctx = "keystore " + path;
  auto text = RealFileSystem::Default()->ReadFile(path, 1 << 20);
  if (!text.ok()) {
    // ReadFile's messages already start with the path.
    Error e = text.error();
    if (e.message.rfind(path, 0) == 0) e.message = e.message.substr(path.size() + 2);
    return e.Wrap(ctx);
  }
  auto key = DecryptKeystore(*text, password);
  if (!key.ok()) return key.error().Wrap(ctx);
  return std::move(key).value();
}

Result<Address> KeystoreAddress(std::string_view json_text) {
  json doc = ParseJson(json_text);
  if (doc.is_discarded()) return InvalidArgument("not valid JSON");
  if (!doc.is_object()) return InvalidArgument("keystore must be a JSON object");
  auto addr = doc.find("address");
  if (addr == doc.end()) {
    return InvalidArgument("keystore has no \"address\" field (give the password to derive it from the key)");
  }
  if (!addr->is_string()) return InvalidArgument("keystore.address must be a string");
  auto a = HexDecodeFixed<20>(addr->get<std::string>());
  if (!a.ok()) return a.error().Wrap("keystore.address");
  return Address{*a};
}

Status SaveKeystoreFile(const std::string& path, std::string_view json_text) {
  const std::string ctx = "keystore " + path;
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    return MakeError(ErrorCode::kAlreadyExists, ctx + ": file already exists (refusing to overwrite a key)");
  }
  std::filesystem::path p(path);
  std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  std::string tmp = path + ".tmp-" + std::to_string(SecureRandom::Default()->NextU64());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError(ctx, errno);
  auto fail = [&](const std::string& what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return ErrnoError(ctx + what, err);
  };
  if (::fchmod(fd, 0600) != 0) return fail("", errno);
  size_t off = 0;
  while (off < json_text.size()) {
    ssize_t n = ::write(fd, json_text.data() + off, json_text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("", errno);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail(" (fsync)", errno);
  ::close(fd);
  // link() fails with EEXIST if the target appeared meanwhile: never overwrites.
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    if (e == EEXIST) {
      return MakeError(ErrorCode::kAlreadyExists,
                       ctx + ": file already exists (refusing to overwrite a key)");
    }
    return ErrnoError(ctx, e);
  }
  ::unlink(tmp.c_str());
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return OkStatus();
}

}  // namespace lt::crypto
