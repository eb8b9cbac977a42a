// Signature verification right after C_Sign, on the worker thread: P-256 and Ed25519 with the OpenSSL the
// Node process already carries (resolved at run time: no link-time dependency, no OpenSSL headers),
// secp256k1 with libsecp256k1 compiled into the addon. Generic ECDSA over a given digest and pure EdDSA
// over a given message; nothing here knows what the bytes mean.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ec_point.h"

namespace hsm {

class P256Tables;

// True when every libcrypto function needed was found in the process (Node's official builds export them).
bool NativeVerifyAvailable();

// A public key parsed once for verification; immutable, shared by every worker thread. secp256k1 keys
// verify with libsecp256k1 (verify_secp256k1.h), the others with OpenSSL (verify.cpp).
class VerifyKey {
 public:
  // `curve` and `point` as ParsePublicKey returns them. Null when native verification is unavailable or
  // the key is refused (e.g. a point not on the curve). A P-256 key given `tables` (its pool's) gets a
  // table of multiples of its point there once it has signed (verify_p256.h).
  static std::shared_ptr<const VerifyKey> Create(const std::string &curve, const Bytes &point,
                                                 std::shared_ptr<P256Tables> tables = nullptr);
  virtual ~VerifyKey() = default;
  VerifyKey(const VerifyKey &) = delete;
  VerifyKey &operator=(const VerifyKey &) = delete;

  // ECDSA: `data` is the digest and `signature` raw r||s (as CKM_ECDSA returns it, S high or low);
  // EdDSA: `data` is the message and `signature` the 64-byte R||S. Safe to call from several threads.
  virtual bool Verify(const uint8_t *data, size_t size, const uint8_t *signature, size_t signature_len) const = 0;

 protected:
  VerifyKey() = default;
};

// DER ECDSA-Sig-Value (RFC 3279 §2.2.3: SEQUENCE { INTEGER r, INTEGER s }) from raw r||s of two equal
// halves up to 66 bytes each; empty when `raw` has an odd or too large length.
Bytes EcdsaRawToDer(const uint8_t *raw, size_t size);

}  // namespace hsm
