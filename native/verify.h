// Signature verification right after C_Sign, on the worker thread, with the OpenSSL the Node process
// already carries (resolved at run time: no link-time dependency, no OpenSSL headers). Generic ECDSA over
// a given digest and pure EdDSA over a given message; nothing here knows what the bytes mean.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ec_point.h"

namespace hsm {

// True when every libcrypto function needed was found in the process (Node's official builds export them).
bool NativeVerifyAvailable();

// A public key parsed once by OpenSSL; immutable, shared by every worker thread (OpenSSL 3 allows
// concurrent use of a const EVP_PKEY, with one EVP_PKEY_CTX / EVP_MD_CTX per concurrent operation).
class VerifyKey {
 public:
  // `curve` and `point` as ParsePublicKey returns them. Null when native verification is unavailable or
  // OpenSSL refuses the key (e.g. a point not on the curve).
  static std::shared_ptr<const VerifyKey> Create(const std::string &curve, const Bytes &point);
  ~VerifyKey();
  VerifyKey(const VerifyKey &) = delete;
  VerifyKey &operator=(const VerifyKey &) = delete;

  // ECDSA: `data` is the digest and `signature` raw r||s (as CKM_ECDSA returns it); EdDSA: `data` is the
  // message and `signature` the 64-byte R||S.
  bool Verify(const uint8_t *data, size_t size, const uint8_t *signature, size_t signature_len) const;

 private:
  VerifyKey(void *pkey, bool eddsa) : pkey_(pkey), eddsa_(eddsa) {}
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

// DER ECDSA-Sig-Value (RFC 3279 §2.2.3: SEQUENCE { INTEGER r, INTEGER s }) from raw r||s of two equal
// halves up to 66 bytes each; empty when `raw` has an odd or too large length.
Bytes EcdsaRawToDer(const uint8_t *raw, size_t size);

}  // namespace hsm
