// Checks each HSM signature against the key's public key before it leaves the signer: a faulty HSM must
// not hand the baker a signature that octez will reject (DESIGN.md §2). Built once per key.
//
// Ed25519 uses a node:crypto KeyObject (OpenSSL, ~60 µs). ECDSA cannot: node:crypto always hashes the
// input (crypto.verify with null, undefined or 'sha256' all rehash), and Tezos signs BLAKE2b-256(msg)
// directly. So ECDSA is checked with @noble/curves over a point with precomputed window tables, using
// the SEC 1 v2 §4.1.4 equation: x(e·s⁻¹·G + r·s⁻¹·Q) mod n = r (~0.35 ms; bench/verify.ts).

import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Curve } from '../hsm/types.js';

/** (digest, raw r‖s or Ed25519 signature) → valid? */
export type Verifier = (digest: Uint8Array, signature: Uint8Array) => boolean;

function bigintOf(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function ed25519Verifier(publicKey: Uint8Array): Verifier {
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
    format: 'jwk',
  });
  return (digest, signature) => signature.length === 64 && cryptoVerify(null, digest, key, signature);
}

function ecdsaVerifier(curve: typeof p256 | typeof secp256k1, compressed: Uint8Array): Verifier {
  const { Point } = curve;
  const Fn = Point.Fn;
  const n = Fn.ORDER;
  const Q = Point.fromBytes(compressed);
  Q.precompute(8, false);
  return (digest, signature) => {
    if (signature.length !== 64 || digest.length !== 32) return false;
    const r = bigintOf(signature.subarray(0, 32));
    const s = bigintOf(signature.subarray(32));
    if (r === 0n || r >= n || s === 0n || s >= n) return false;
    // A 32-byte digest needs no truncation for 256-bit orders (SEC 1 §4.1.4 step 5).
    const e = Fn.create(bigintOf(digest));
    const w = Fn.inv(s);
    // Unsafe (variable-time) multiplication is fine: every input here is public.
    const R = Point.BASE.multiplyUnsafe(Fn.mul(e, w)).add(Q.multiplyUnsafe(Fn.mul(r, w)));
    if (R.is0()) return false;
    return Fn.create(R.toAffine().x) === r;
  };
}

/** A verifier for a key given as the HSM returns it (Ed25519: 32 bytes; ECDSA: compressed SEC1). */
export function makeVerifier(curve: Curve, publicKey: Uint8Array): Verifier {
  switch (curve) {
    case 'ed25519':
      return ed25519Verifier(publicKey);
    case 'p256':
      return ecdsaVerifier(p256, publicKey);
    case 'secp256k1':
      return ecdsaVerifier(secp256k1, publicKey);
  }
}
