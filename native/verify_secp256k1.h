// secp256k1 ECDSA verification with libsecp256k1 (native/secp256k1_lib.c): the library octez itself
// verifies tz2 signatures with, several times faster than OpenSSL's generic prime-curve code for this curve.
#pragma once

#include <memory>

#include "verify.h"

namespace hsm {

// Null when `point` is not a 33-byte compressed point on the curve.
std::shared_ptr<const VerifyKey> CreateSecp256k1Key(const Bytes &point);

}  // namespace hsm
