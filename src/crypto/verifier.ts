// Checks each HSM signature against the key's public key before it leaves the signer: a faulty HSM must
// not hand the baker a signature that octez-client will reject, stalling it. Built once per key.
//
// Ed25519 uses a node:crypto KeyObject (OpenSSL). ECDSA cannot go through crypto.verify: it always
// hashes the input (null, undefined or 'sha256' all rehash), and Tezos signs BLAKE2b-256(msg) directly.
// The SEC 1 v2 §4.1.4 check is x(u1·G + u2·Q) mod n = r with u1 = e·s⁻¹, u2 = r·s⁻¹.
// - P-256: both scalar multiplications run in OpenSSL through node:crypto ECDH (u1·G as a public key,
//   x(u2·Q) as a shared secret; costs in docs/performance.md, bench/verify.ts). Only x(u2·Q) is known, so the sum is
//   checked x-only: for points with x-coordinates xR and xA, x(R+A) and x(R−A) are the roots of
//   (xR−xA)²·X² − 2((xR·xA + a)(xR + xA) + 2b)·X + (xR·xA − a)² − 4b(xR + xA) = 0 (the x-only addition
//   law of short Weierstrass curves, as in Brier–Joye ladders). X = x(u2·Q) being a root means
//   u2·Q = ±(R ∓ A), i.e. u1·G + u2·Q ∈ {±R, 2A ∓ R}. ±R is exactly ECDSA acceptance (both have x = r);
//   the other two need s·R = e·G − r·Q (a signature under −Q) or a 2^-256 accident, so a faulty HSM's
//   output is refused as surely as by the full check, and no one without the key can forge either.
//   Degenerate inputs (u1 = 0, xR = xA) take the @noble/curves path below.
// - secp256k1: OpenSSL's generic curve code is slower than @noble/curves here, so @noble/curves with
//   window tables for Q, built on the key's first signature (not at start-up: their memory and time per key would
//   grow start-up with the number of keys; docs/performance.md).

import { createECDH, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Curve } from '../tezos/curve.js';

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

type EcdsaCurve = typeof p256 | typeof secp256k1;

function scalarBytes(k: bigint): Buffer {
  return Buffer.from(k.toString(16).padStart(64, '0'), 'hex');
}

/** r, s in [1, n−1] and e = digest mod n (a 32-byte digest needs no truncation: SEC 1 §4.1.4 step 5). */
function ecdsaScalars(curve: EcdsaCurve, digest: Uint8Array, signature: Uint8Array) {
  const Fn = curve.Point.Fn;
  if (signature.length !== 64 || digest.length !== 32) return null;
  const r = bigintOf(signature.subarray(0, 32));
  const s = bigintOf(signature.subarray(32));
  if (r === 0n || r >= Fn.ORDER || s === 0n || s >= Fn.ORDER) return null;
  const w = Fn.inv(s);
  return { r, u1: Fn.mul(Fn.create(bigintOf(digest)), w), u2: Fn.mul(r, w) };
}

/** The full check in @noble/curves; Q's window tables are built on first use. */
function nobleVerifier(curve: EcdsaCurve, compressed: Uint8Array): Verifier {
  const { Point } = curve;
  const Q = Point.fromBytes(compressed);
  let tables = false;
  return (digest, signature) => {
    const k = ecdsaScalars(curve, digest, signature);
    if (k === null) return false;
    if (!tables) {
      Q.precompute(8, false);
      tables = true;
    }
    // Unsafe (variable-time) multiplication is fine: every input here is public.
    const R = Point.BASE.multiplyUnsafe(k.u1).add(Q.multiplyUnsafe(k.u2));
    if (R.is0()) return false;
    return Point.Fn.create(R.toAffine().x) === k.r;
  };
}

/** P-256 through OpenSSL with the x-only sum check explained at the top of this file. */
function p256Verifier(compressed: Uint8Array): Verifier {
  const { p, n, a, b } = p256.Point.CURVE();
  const Fp = p256.Point.Fp;
  const fallback = nobleVerifier(p256, compressed);
  const Q = Buffer.from(compressed);
  p256.Point.fromBytes(compressed).assertValidity();
  const ecdh = createECDH('prime256v1');
  return (digest, signature) => {
    const k = ecdsaScalars(p256, digest, signature);
    if (k === null) return false;
    if (k.u1 === 0n) return fallback(digest, signature);
    ecdh.setPrivateKey(scalarBytes(k.u1));
    const xA = bigintOf(ecdh.getPublicKey().subarray(1, 33)); // uncompressed 04‖x‖y
    ecdh.setPrivateKey(scalarBytes(k.u2));
    const X = bigintOf(ecdh.computeSecret(Q));
    // x(R) mod n = r allows x(R) = r or r + n (when below p).
    for (const xR of k.r + n < p ? [k.r, k.r + n] : [k.r]) {
      if (xR === xA) return fallback(digest, signature);
      const d = Fp.sqr(Fp.sub(xR, xA));
      const sum2 = Fp.mul(2n, Fp.add(Fp.mul(Fp.add(Fp.mul(xR, xA), a), Fp.add(xR, xA)), Fp.mul(2n, b)));
      const prod = Fp.sub(Fp.sqr(Fp.sub(Fp.mul(xR, xA), a)), Fp.mul(Fp.mul(4n, b), Fp.add(xR, xA)));
      if (Fp.add(Fp.sub(Fp.mul(d, Fp.sqr(X)), Fp.mul(sum2, X)), prod) === 0n) return true;
    }
    return false;
  };
}

/** A verifier for a key given as the HSM returns it (Ed25519: 32 bytes; ECDSA: compressed SEC1). */
export function makeVerifier(curve: Curve, publicKey: Uint8Array): Verifier {
  switch (curve) {
    case 'ed25519':
      return ed25519Verifier(publicKey);
    case 'p256':
      return p256Verifier(publicKey);
    case 'secp256k1':
      return nobleVerifier(secp256k1, publicKey);
  }
}
