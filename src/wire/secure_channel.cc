#include "wire/secure_channel.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <string>

namespace lt::wire {

Result<SecretBytes> HkdfSha256(ByteSpan ikm, ByteSpan salt, ByteSpan info, size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return InternalError("OpenSSL has no HKDF");
  EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (kctx == nullptr) return InternalError("EVP_KDF_CTX_new failed");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(ikm.data()), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()), info.size()),
      OSSL_PARAM_construct_end()};
  SecretBytes out(out_len);
  int rc = EVP_KDF_derive(kctx, out.data(), out_len, params);
  EVP_KDF_CTX_free(kctx);
  if (rc != 1) return InternalError("HKDF-SHA256 derivation failed");
  return out;
}

struct SecureChannel::Ctx {
  EVP_CIPHER_CTX* enc = nullptr;
  EVP_CIPHER_CTX* dec = nullptr;
  ~Ctx() {
    EVP_CIPHER_CTX_free(enc);
    EVP_CIPHER_CTX_free(dec);
  }
};

namespace {

void Nonce(uint64_t ctr, uint8_t out[12]) {
  for (int i = 0; i < 4; ++i) out[i] = 0;
  for (int i = 0; i < 8; ++i) out[4 + i] = static_cast<uint8_t>(ctr >> (56 - 8 * i));
}

}  // namespace

SecureChannel::SecureChannel(const SecretBytes& send_key, const SecretBytes& recv_key)
    : send_key_(send_key), recv_key_(recv_key), ctx_(std::make_unique<Ctx>()) {
  if (send_key_.size() != 32 || recv_key_.size() != 32) dead_ = true;
}

SecureChannel::~SecureChannel() = default;

Status SecureChannel::Seal(FrameType inner, ByteSpan body, Bytes& out) {
  if (dead_) return MakeError(ErrorCode::kFailedPrecondition, "secure channel is closed");
  if (send_ctr_ == UINT64_MAX) return MakeError(ErrorCode::kResourceExhausted, "send counter exhausted");
  size_t pt_len = 1 + body.size();
  size_t length = 1 + pt_len + kAeadTagSize;
  if (length > kMaxFrameLength) {
    return MakeError(ErrorCode::kResourceExhausted, "sealed message of " + std::to_string(body.size()) +
                                                        " bytes exceeds the 16 MiB frame limit");
  }
  if (ctx_->enc == nullptr) {
    ctx_->enc = EVP_CIPHER_CTX_new();
    if (ctx_->enc == nullptr ||
        EVP_EncryptInit_ex(ctx_->enc, EVP_chacha20_poly1305(), nullptr, nullptr, nullptr) != 1) {
      return InternalError("ChaCha20-Poly1305 unavailable");
    }
  }
  size_t start = out.size();
  PutU32(out, static_cast<uint32_t>(length));
  out.push_back(static_cast<uint8_t>(FrameType::kSealed));
  uint8_t aad[kFrameHeaderSize];
  std::copy_n(out.data() + start, kFrameHeaderSize, aad);
  out.resize(start + kFrameHeaderSize + pt_len + kAeadTagSize);
  uint8_t* ct = out.data() + start + kFrameHeaderSize;
  // Plaintext written in place, then encrypted in place.
  ct[0] = static_cast<uint8_t>(inner);
  if (!body.empty()) std::copy(body.begin(), body.end(), ct + 1);
  uint8_t nonce[12];
  Nonce(send_ctr_, nonce);
  EVP_CIPHER_CTX* c = ctx_->enc;
  int len = 0;
  bool ok = EVP_EncryptInit_ex(c, nullptr, nullptr, send_key_.data(), nonce) == 1 &&
            EVP_EncryptUpdate(c, nullptr, &len, aad, kFrameHeaderSize) == 1 &&
            EVP_EncryptUpdate(c, ct, &len, ct, static_cast<int>(pt_len)) == 1 &&
            EVP_EncryptFinal_ex(c, ct + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, kAeadTagSize, ct + pt_len) == 1;
  if (!ok) {
    out.resize(start);
    return InternalError("ChaCha20-Poly1305 encryption failed");
  }
  ++send_ctr_;
  return OkStatus();
}

Result<InnerMessage> SecureChannel::Open(ByteSpan sealed_body) {
  if (dead_) return MakeError(ErrorCode::kFailedPrecondition, "secure channel is closed");
  if (sealed_body.size() < 1 + kAeadTagSize) {
    dead_ = true;
    return InvalidArgument("sealed frame of " + std::to_string(sealed_body.size()) + " bytes is too short");
  }
  if (ctx_->dec == nullptr) {
    ctx_->dec = EVP_CIPHER_CTX_new();
    if (ctx_->dec == nullptr ||
        EVP_DecryptInit_ex(ctx_->dec, EVP_chacha20_poly1305(), nullptr, nullptr, nullptr) != 1) {
      dead_ = true;
      return InternalError("ChaCha20-Poly1305 unavailable");
    }
  }
  size_t pt_len = sealed_body.size() - kAeadTagSize;
  Bytes aad;
  PutU32(aad, static_cast<uint32_t>(sealed_body.size() + 1));
  aad.push_back(static_cast<uint8_t>(FrameType::kSealed));
  uint8_t nonce[12];
  Nonce(recv_ctr_, nonce);
  Bytes pt(pt_len);
  uint8_t tag[kAeadTagSize];
  std::copy_n(sealed_body.data() + pt_len, kAeadTagSize, tag);
  EVP_CIPHER_CTX* c = ctx_->dec;
  int len = 0;
  bool ok = EVP_DecryptInit_ex(c, nullptr, nullptr, recv_key_.data(), nonce) == 1 &&
            EVP_DecryptUpdate(c, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(c, pt.data(), &len, sealed_body.data(), static_cast<int>(pt_len)) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, kAeadTagSize, tag) == 1 &&
            EVP_DecryptFinal_ex(c, pt.data() + len, &len) == 1;
  if (!ok) {
    dead_ = true;
    SecureWipe(pt.data(), pt.size());
    return Unauthenticated("sealed frame " + std::to_string(recv_ctr_) +
                           " failed authentication (tampered, replayed or reordered)");
  }
  ++recv_ctr_;
  if (!IsInnerType(pt[0])) {
    dead_ = true;
    return InvalidArgument("unknown inner message type " + std::to_string(pt[0]));
  }
  InnerMessage m;
  m.type = static_cast<FrameType>(pt[0]);
  m.body.assign(pt.begin() + 1, pt.end());
  return m;
}

}  // namespace lt::wire
