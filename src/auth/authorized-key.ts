// An authorized (client) key, parsed once at start-up into a ready verifier. Request authentication in
// octez: the signature is checked with Signature.check (src/lib_signer_services/signer_messages.ml,
// src/bin_signer/handler.ml), i.e. over BLAKE2b-256 of the message for Ed25519, secp256k1 and P-256.

import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Curve } from '../hsm/types.js';
import { parsePublicKey } from '../tezos/keys.js';

export interface AuthorizedKey {
  /** The key as configured (edpk…/sppk…/p2pk…). */
  readonly publicKey: string;
  readonly pkh: string;
  readonly curve: Curve;
  /** Checks a raw 64-byte signature over a 32-byte BLAKE2b digest. */
  verifyDigest(digest: Uint8Array, sig: Uint8Array): boolean;
}

/** Parses edpk/sppk/p2pk; BLS keys are refused (no tz4 client authentication here). */
export function parseAuthorizedKey(text: string): AuthorizedKey {
  const { curve, bytes, pkh } = parsePublicKey(text.trim());
  if (curve === 'bls12-381') throw new TypeError(`${text}: BLS (BLpk) authorized keys are not supported`);
  let verifyDigest: AuthorizedKey['verifyDigest'];
  if (curve === 'ed25519') {
    // OpenSSL through node:crypto: ~20× faster than a pure-JS Ed25519 verify, and this runs per request.
    const key: KeyObject = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(bytes).toString('base64url') },
      format: 'jwk',
    });
    verifyDigest = (digest, sig) => sig.length === 64 && cryptoVerify(null, digest, key, sig);
  } else {
    // node:crypto cannot verify ECDSA over a caller-supplied digest, so the EC curves use @noble/curves.
    // secp256k1: octez verifies with libsecp256k1, which rejects high-S; P-256 accepts both.
    const impl = curve === 'p256' ? p256 : secp256k1;
    const lowS = curve === 'secp256k1';
    impl.Point.fromBytes(bytes).assertValidity();
    verifyDigest = (digest, sig) => {
      if (sig.length !== 64) return false;
      try {
        return impl.verify(sig, digest, bytes, { prehash: false, lowS, format: 'compact' });
      } catch {
        return false;
      }
    };
  }
  return { publicKey: text.trim(), pkh, curve, verifyDigest };
}
