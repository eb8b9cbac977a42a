// BLAKE2b with a 32-byte digest (RFC 7693) through the OpenSSL the Node process carries: the request hash
// every signing request computes before it reaches the token, where @noble/hashes costs more than twice
// as much (docs/performance.md, "Per-request cost around the HSM"). Knows nothing of what is hashed.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace hsm {

// Writes BLAKE2b-256 of `data` to `out`; false when the process has no OpenSSL 3 or one that cannot set
// BLAKE2b's digest size (before 3.2): the caller then hashes another way.
bool Blake2b256(const uint8_t *data, size_t size, uint8_t out[32]);

// Adds blake2b256(data: Uint8Array) -> Uint8Array | null to the addon's exports.
void RegisterDigest(Napi::Env env, Napi::Object exports);

}  // namespace hsm
