// Decoding of CKA_EC_PARAMS and CKA_EC_POINT in the encodings vendors use (docs/hsm.md,
// "Key encodings"; the standard forms: PKCS#11 v3.0 Current Mechanisms §2.3).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pkcs11_defs.h"

namespace hsm {

using Bytes = std::vector<uint8_t>;

struct PublicKey {
  std::string curve;  // "p256" | "secp256k1" | "ed25519"; empty when unsupported
  Bytes point;        // Ed25519: 32 raw bytes; ECDSA: 33-byte compressed SEC1 point
  std::string error;  // why the key is unsupported
};

// The curve named by CKA_EC_PARAMS ("" when unknown).
std::string CurveOf(CK_ULONG key_type, const Bytes &params);
// The DER CKA_EC_PARAMS used when generating a key on `curve` (OID form).
Bytes ParamsFor(const std::string &curve);
PublicKey ParsePublicKey(CK_ULONG key_type, const Bytes &params, const Bytes &point);

}  // namespace hsm
