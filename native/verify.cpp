#include "verify.h"

#include <mutex>

#include "libcrypto.h"
#include "verify_p256.h"
#include "verify_secp256k1.h"

namespace hsm {

namespace {

// The few libcrypto entry points used, with the OpenSSL 3 prototypes (openssl/x509.h, openssl/evp.h,
// openssl/err.h; docs: d2i_PUBKEY(3), EVP_PKEY_verify(3), EVP_DigestVerifyInit(3), ERR_clear_error(3)).
// Every OpenSSL type is passed through as an opaque pointer.
struct Crypto {
  void *(*d2i_PUBKEY)(void **a, const unsigned char **pp, long length);
  void (*EVP_PKEY_free)(void *pkey);
  void *(*EVP_PKEY_CTX_new)(void *pkey, void *engine);
  void (*EVP_PKEY_CTX_free)(void *ctx);
  int (*EVP_PKEY_verify_init)(void *ctx);
  int (*EVP_PKEY_verify)(void *ctx, const unsigned char *sig, size_t siglen, const unsigned char *tbs, size_t tbslen);
  void *(*EVP_MD_CTX_new)();
  void (*EVP_MD_CTX_free)(void *ctx);
  int (*EVP_DigestVerifyInit)(void *ctx, void **pctx, const void *md, void *engine, void *pkey);
  int (*EVP_DigestVerify)(void *ctx, const unsigned char *sig, size_t siglen, const unsigned char *tbs, size_t tbslen);
  void (*ERR_clear_error)();
  bool ok = false;
};

// Resolved once, from the process's global scope: the node executable's own OpenSSL comes first there,
// before any libcrypto a vendor PKCS#11 library may have loaded.
const Crypto &Lib() {
  static const Crypto lib = [] {
    Crypto c{};
    c.ok = ResolveLibcrypto(c.d2i_PUBKEY, "d2i_PUBKEY") && ResolveLibcrypto(c.EVP_PKEY_free, "EVP_PKEY_free") &&
           ResolveLibcrypto(c.EVP_PKEY_CTX_new, "EVP_PKEY_CTX_new") &&
           ResolveLibcrypto(c.EVP_PKEY_CTX_free, "EVP_PKEY_CTX_free") &&
           ResolveLibcrypto(c.EVP_PKEY_verify_init, "EVP_PKEY_verify_init") &&
           ResolveLibcrypto(c.EVP_PKEY_verify, "EVP_PKEY_verify") &&
           ResolveLibcrypto(c.EVP_MD_CTX_new, "EVP_MD_CTX_new") &&
           ResolveLibcrypto(c.EVP_MD_CTX_free, "EVP_MD_CTX_free") &&
           ResolveLibcrypto(c.EVP_DigestVerifyInit, "EVP_DigestVerifyInit") &&
           ResolveLibcrypto(c.EVP_DigestVerify, "EVP_DigestVerify") &&
           ResolveLibcrypto(c.ERR_clear_error, "ERR_clear_error");
    return c;
  }();
  return lib;
}

// SubjectPublicKeyInfo (RFC 5280 §4.1) up to the BIT STRING's unused-bits byte; the point follows.
// ECDSA keys: id-ecPublicKey with the named curve (RFC 5480 §2), compressed 33-byte point.
// Ed25519: id-Ed25519 with no parameters (RFC 8410 §4), 32-byte key.
const uint8_t kP256Prefix[] = {0x30, 0x39, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                               0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x22, 0x00};
const uint8_t kEd25519Prefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

Bytes Spki(const std::string &curve, const Bytes &point) {
  Bytes out;
  if (curve == "p256" && point.size() == 33) {
    out.assign(std::begin(kP256Prefix), std::end(kP256Prefix));
  } else if (curve == "ed25519" && point.size() == 32) {
    out.assign(std::begin(kEd25519Prefix), std::end(kEd25519Prefix));
  } else {
    return out;
  }
  out.insert(out.end(), point.begin(), point.end());
  return out;
}

void AppendLength(Bytes &out, size_t n) {
  if (n >= 0x80) out.push_back(0x81);  // X.690 §8.1.3.5: long form; every length here is below 256
  out.push_back(static_cast<uint8_t>(n));
}

// X.690 §8.3: minimal two's complement, so leading zero bytes go and a 0x00 goes in front of a set high bit.
void AppendInteger(Bytes &out, const uint8_t *p, size_t n) {
  while (n > 1 && p[0] == 0) {
    p++;
    n--;
  }
  bool pad = (p[0] & 0x80) != 0;
  out.push_back(0x02);
  AppendLength(out, n + pad);
  if (pad) out.push_back(0x00);
  out.insert(out.end(), p, p + n);
}

// A key parsed once by OpenSSL (OpenSSL 3 allows concurrent use of a const EVP_PKEY, with one EVP_PKEY_CTX /
// EVP_MD_CTX per concurrent operation).
class OpenSslKey final : public VerifyKey {
 public:
  OpenSslKey(void *pkey, bool eddsa) : pkey_(pkey), eddsa_(eddsa) {}
  ~OpenSslKey() override;
  bool Verify(const uint8_t *data, size_t size, const uint8_t *signature, size_t signature_len) const override;

 private:
  // A context ready for one verify (from the free list, else new), null when OpenSSL fails to make one.
  void *TakeContext() const;
  // Readies `ctx` for the next verify and keeps it (or frees it when that fails).
  void ReturnContext(void *ctx) const;
  void FreeContext(void *ctx) const;  // EVP_MD_CTX_free or EVP_PKEY_CTX_free, as eddsa_ says
  void *pkey_;                        // EVP_PKEY *
  bool eddsa_;
  // Contexts already initialised for verification, one per concurrent Verify (a context is not shared
  // between threads): ECDSA EVP_PKEY_CTXs through EVP_PKEY_verify_init (EVP_PKEY_verify may be repeated
  // on one: EVP_PKEY_verify(3)), EdDSA EVP_MD_CTXs through EVP_DigestVerifyInit. Saves the provider
  // fetch and key export of a new context per signature.
  mutable std::mutex ctx_mu_;
  mutable std::vector<void *> ctx_free_;
};

}  // namespace

bool NativeVerifyAvailable() { return Lib().ok; }

std::shared_ptr<const VerifyKey> VerifyKey::Create(const std::string &curve, const Bytes &point,
                                                   std::shared_ptr<P256Tables> tables) {
  const Crypto &c = Lib();
  // secp256k1 does not need OpenSSL, but one flag says whether the addon verifies (the signer then
  // verifies every curve in JS instead): without OpenSSL, no curve is verified here.
  if (!c.ok) return nullptr;
  if (curve == "secp256k1") return CreateSecp256k1Key(point);
  Bytes der = Spki(curve, point);
  if (der.empty()) return nullptr;
  const unsigned char *p = der.data();
  void *pkey = c.d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  c.ERR_clear_error();
  if (pkey == nullptr) return nullptr;
  auto key = std::make_shared<const OpenSslKey>(pkey, curve == "ed25519");
  // The EVP key stays behind the table path: checks until the table is built, and any the table path
  // cannot finish.
  if (curve == "p256" && tables != nullptr) return CreateP256Key(std::move(key), point, std::move(tables));
  return key;
}

OpenSslKey::~OpenSslKey() {
  for (void *ctx : ctx_free_) FreeContext(ctx);
  Lib().EVP_PKEY_free(pkey_);
}

void OpenSslKey::FreeContext(void *ctx) const {
  const Crypto &c = Lib();
  if (eddsa_) {
    c.EVP_MD_CTX_free(ctx);
  } else {
    c.EVP_PKEY_CTX_free(ctx);
  }
}

void *OpenSslKey::TakeContext() const {
  {
    std::lock_guard<std::mutex> lock(ctx_mu_);
    if (!ctx_free_.empty()) {
      void *ctx = ctx_free_.back();
      ctx_free_.pop_back();
      return ctx;
    }
  }
  const Crypto &c = Lib();
  // Pure Ed25519 (RFC 8032): no digest, so md = NULL.
  void *ctx = eddsa_ ? c.EVP_MD_CTX_new() : c.EVP_PKEY_CTX_new(pkey_, nullptr);
  if (ctx != nullptr &&
      (eddsa_ ? c.EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey_) : c.EVP_PKEY_verify_init(ctx)) == 1) {
    return ctx;
  }
  if (ctx != nullptr) FreeContext(ctx);
  c.ERR_clear_error();
  return nullptr;
}

void OpenSslKey::ReturnContext(void *ctx) const {
  const Crypto &c = Lib();
  // A one-shot EVP_DigestVerify finalises its EVP_MD_CTX. Init again with pkey = NULL keeps the fetched
  // signature algorithm, its provider context and the key (EVP_DigestVerifyInit(3): "reinitialized"),
  // the part of a fresh init that costs (m_sigver.c do_sigver_init's reinit path).
  if (eddsa_ && c.EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, nullptr) != 1) {
    FreeContext(ctx);
    c.ERR_clear_error();
    return;
  }
  std::lock_guard<std::mutex> lock(ctx_mu_);
  ctx_free_.push_back(ctx);
}

bool OpenSslKey::Verify(const uint8_t *data, size_t size, const uint8_t *signature, size_t signature_len) const {
  const Crypto &c = Lib();
  Bytes der;
  if (!eddsa_) {
    der = EcdsaRawToDer(signature, signature_len);
    if (der.empty()) return false;
  }
  void *ctx = TakeContext();
  if (ctx == nullptr) return false;
  // ECDSA: no signature digest set on the context, so EVP_PKEY_verify checks `data` as the digest itself.
  int ok = eddsa_ ? c.EVP_DigestVerify(ctx, signature, signature_len, data, size)
                  : c.EVP_PKEY_verify(ctx, der.data(), der.size(), data, size);
  // A failed check leaves entries on this thread's OpenSSL error queue; drop them.
  if (ok != 1) c.ERR_clear_error();
  ReturnContext(ctx);
  return ok == 1;
}

Bytes EcdsaRawToDer(const uint8_t *raw, size_t size) {
  if (size == 0 || size % 2 != 0 || size > 132) return {};
  size_t half = size / 2;
  Bytes body;
  body.reserve(size + 6);
  AppendInteger(body, raw, half);
  AppendInteger(body, raw + half, half);
  Bytes out{0x30};
  AppendLength(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace hsm
