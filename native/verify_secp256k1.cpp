#include "verify_secp256k1.h"

#include <secp256k1.h>

namespace hsm {

namespace {

// One verification context for the process, made on the first secp256k1 key and never destroyed: it only
// holds precomputed multiples of G (built once, costly), is read-only after secp256k1_context_create and
// may be used by any number of threads at once (secp256k1.h, secp256k1_context: only calls taking a
// non-const context need exclusive access, and none is made).
// Not freed at exit, so a worker still verifying while the process tears down never sees it go.
const secp256k1_context *Context() {
  static const secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  return ctx;
}

class Secp256k1Key final : public VerifyKey {
 public:
  explicit Secp256k1Key(const secp256k1_pubkey &key) : key_(key) {}

  // `data` is the 32-byte digest, `signature` raw r||s as CKM_ECDSA returns it.
  bool Verify(const uint8_t *data, size_t size, const uint8_t *signature, size_t signature_len) const override {
    if (size != 32 || signature_len != 64) return false;
    const secp256k1_context *ctx = Context();
    secp256k1_ecdsa_signature sig;
    // Refuses r or s ≥ n (secp256k1.h, parse_compact); r or s = 0 parse and then fail the check.
    if (secp256k1_ecdsa_signature_parse_compact(ctx, &sig, signature) != 1) return false;
    // The token's S is not normalised (Tezos answers low-S, src/tezos/signatures.ts, after this check) while
    // secp256k1_ecdsa_verify accepts only low-S: check (r, n − s) for a high s, which verifies exactly when
    // (r, s) does (secp256k1.h, secp256k1_ecdsa_signature_normalize).
    secp256k1_ecdsa_signature_normalize(ctx, &sig, &sig);
    return secp256k1_ecdsa_verify(ctx, &sig, data, &key_) == 1;
  }

 private:
  secp256k1_pubkey key_;  // parsed (decompressed) once
};

}  // namespace

std::shared_ptr<const VerifyKey> CreateSecp256k1Key(const Bytes &point) {
  const secp256k1_context *ctx = Context();
  secp256k1_pubkey key;
  if (ctx == nullptr || point.size() != 33 || secp256k1_ec_pubkey_parse(ctx, &key, point.data(), point.size()) != 1) {
    return nullptr;
  }
  return std::make_shared<const Secp256k1Key>(key);
}

}  // namespace hsm
