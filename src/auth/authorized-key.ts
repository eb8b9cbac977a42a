// An authorized (client) key, parsed once at start-up into a ready verifier. Request authentication in
// octez: the signature is checked with Signature.check (src/lib_signer_services/signer_messages.ml,
// src/bin_signer/handler.ml), i.e. over BLAKE2b-256 of the message for Ed25519, secp256k1 and P-256.

import { secp256k1 } from '@noble/curves/secp256k1.js';
import { makeVerifier } from '../crypto/verifier.js';
import type { Curve } from '../tezos/curve.js';
import { parsePublicKey } from '../tezos/keys.js';

export interface AuthorizedKey {
  /** The key as configured (edpk…/sppk…/p2pk…). */
  readonly publicKey: string;
  readonly pkh: string;
  readonly curve: Curve;
  /** Checks a raw 64-byte signature over a 32-byte BLAKE2b digest. */
  verifyDigest(digest: Uint8Array, sig: Uint8Array): boolean;
}

const HALF_SECP256K1_ORDER = secp256k1.Point.Fn.ORDER >> 1n;

/** octez verifies secp256k1 with libsecp256k1, which refuses high-S signatures: so do we. */
function isLowS(sig: Uint8Array): boolean {
  return BigInt('0x' + Buffer.from(sig.subarray(32, 64)).toString('hex')) <= HALF_SECP256K1_ORDER;
}

/** Parses edpk/sppk/p2pk; BLS keys are refused (no tz4 client authentication here). */
export function parseAuthorizedKey(text: string): AuthorizedKey {
  const trimmed = text.trim();
  const { curve, bytes, pkh } = parsePublicKey(trimmed);
  if (curve === 'bls12-381') throw new TypeError(`${trimmed}: BLS (BLpk) authorized keys are not supported`);
  const verify = makeVerifier(curve, bytes);
  const verifyDigest =
    curve === 'secp256k1'
      ? (digest: Uint8Array, sig: Uint8Array) => sig.length === 64 && isLowS(sig) && verify(digest, sig)
      : verify;
  return { publicKey: trimmed, pkh, curve, verifyDigest };
}
