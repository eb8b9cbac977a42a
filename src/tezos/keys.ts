// Public keys and key hashes: from the HSM's point to edpk/sppk/p2pk and tz1/tz2/tz3, BLpk/tz4 parsing,
// and the 21-byte binary pkh used in the authentication message (docs/protocol.md).
// Binary tags 00 ed25519 / 01 secp256k1 / 02 p256 / 03 bls: octez src/lib_crypto/signature_v2.ml
// (Public_key_hash.encoding and Public_key.encoding).
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { b58decode, b58encode } from './base58.js';
import type { Curve } from './curve.js';
import { blake2b160 } from './hash.js';
import type { PrefixName } from './prefixes.js';

export type KeyCurve = Curve | 'bls12-381';

interface Scheme {
  pk: PrefixName;
  pkh: PrefixName;
  tag: number;
  pkLength: number;
}

const SCHEMES: Record<KeyCurve, Scheme> = {
  ed25519: { pk: 'edpk', pkh: 'tz1', tag: 0, pkLength: 32 },
  secp256k1: { pk: 'sppk', pkh: 'tz2', tag: 1, pkLength: 33 },
  p256: { pk: 'p2pk', pkh: 'tz3', tag: 2, pkLength: 33 },
  'bls12-381': { pk: 'BLpk', pkh: 'tz4', tag: 3, pkLength: 48 },
};

const CURVE_BY_TAG: readonly KeyCurve[] = ['ed25519', 'secp256k1', 'p256', 'bls12-381'];
const PKH_NAMES = ['tz1', 'tz2', 'tz3', 'tz4'] as const;
const PK_NAMES = ['edpk', 'sppk', 'p2pk', 'BLpk'] as const;

/** Binary public-key length for a key tag 0..3, or undefined (used by the operation decoder). */
export function publicKeyLength(tag: number): number | undefined {
  const curve = CURVE_BY_TAG[tag];
  return curve === undefined ? undefined : SCHEMES[curve].pkLength;
}

/** Compress an ECDSA point given as 04‖X‖Y (65), X‖Y (64) or 02/03‖X (33); checks it is on the curve. */
function compressEcPoint(curve: 'p256' | 'secp256k1', bytes: Uint8Array): Uint8Array {
  const impl = curve === 'p256' ? p256 : secp256k1;
  let sec1 = bytes;
  if (bytes.length === 64) {
    sec1 = new Uint8Array(65);
    sec1[0] = 4;
    sec1.set(bytes, 1);
  } else if (bytes.length !== 65 && bytes.length !== 33) {
    throw new TypeError(`${curve} point must be 33, 64 or 65 bytes, got ${bytes.length}`);
  }
  try {
    return impl.Point.fromBytes(sec1).toBytes(true);
  } catch {
    throw new TypeError(`${curve} point is not on the curve`);
  }
}

export function pkhOf(curve: KeyCurve, compressed: Uint8Array): string {
  return b58encode(SCHEMES[curve].pkh, blake2b160(compressed));
}

/** From the HSM's public point to the Tezos public key, its hash, and the compressed bytes hashed. */
export function publicKeyFromPoint(
  curve: Curve,
  bytes: Uint8Array,
): { publicKey: string; pkh: string; compressed: Uint8Array } {
  let compressed: Uint8Array;
  if (curve === 'ed25519') {
    if (bytes.length !== 32) throw new TypeError(`ed25519 public key must be 32 bytes, got ${bytes.length}`);
    compressed = Uint8Array.from(bytes);
  } else if (curve === 'p256' || curve === 'secp256k1') {
    compressed = compressEcPoint(curve, bytes);
  } else {
    throw new TypeError(`unsupported curve ${String(curve)}`);
  }
  return { publicKey: b58encode(SCHEMES[curve].pk, compressed), pkh: pkhOf(curve, compressed), compressed };
}

/** Parse edpk/sppk/p2pk/BLpk back to curve and key bytes (and its pkh). */
export function parsePublicKey(s: string): { curve: KeyCurve; bytes: Uint8Array; pkh: string } {
  const { prefix, payload } = b58decode(s, PK_NAMES);
  const curve = CURVE_BY_TAG[PK_NAMES.indexOf(prefix)]!;
  return { curve, bytes: payload, pkh: pkhOf(curve, payload) };
}

/** Binary public key (tag ‖ bytes) to its base58 form. */
export function publicKeyFromBinary(tag: number, bytes: Uint8Array): string {
  const curve = CURVE_BY_TAG[tag];
  if (curve === undefined) throw new TypeError(`unknown public key tag ${tag}`);
  return b58encode(SCHEMES[curve].pk, bytes);
}

/** tz1/tz2/tz3/tz4 → 21 bytes: tag 00/01/02/03 ‖ 20-byte hash. */
export function pkhToBytes(pkh: string): Uint8Array {
  const { prefix, payload } = b58decode(pkh, PKH_NAMES);
  const out = new Uint8Array(21);
  out[0] = PKH_NAMES.indexOf(prefix);
  out.set(payload, 1);
  return out;
}

/** Binary pkh (tag 0..3 and 20-byte hash) to tz1…tz4. */
export function pkhFromBinary(tag: number, hash: Uint8Array): string {
  const name = PKH_NAMES[tag];
  if (name === undefined) throw new TypeError(`unknown public key hash tag ${tag}`);
  return b58encode(name, hash);
}

/** The curve a pkh belongs to. */
export function curveOfPkh(pkh: string): KeyCurve {
  const { prefix } = b58decode(pkh, PKH_NAMES);
  return CURVE_BY_TAG[PKH_NAMES.indexOf(prefix)]!;
}
