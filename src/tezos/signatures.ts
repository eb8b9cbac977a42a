// Signature encodings: raw r‖s from the HSM → spsig1/p2sig (low-S) and edsig; DER → raw; decoding any
// signature string back to bytes. octez rejects high-S secp256k1 signatures (src/lib_crypto/secp256k1.ml uses
// libsecp256k1's normalised verify), so we always normalise; P-256 too, harmless there and one rule for both.
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { b58decode, b58encode } from './base58.js';
import type { Curve } from './curve.js';

export type SignatureScheme = 'ed25519' | 'secp256k1' | 'p256' | 'bls' | 'generic';

function to32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** Big-endian 32-byte group orders and their halves: per-signature checks compare bytes, no BigInt. */
const ORDER: Record<'p256' | 'secp256k1', { n: Uint8Array; half: Uint8Array }> = {
  secp256k1: orderOf(secp256k1.Point.Fn.ORDER),
  p256: orderOf(p256.Point.Fn.ORDER),
};
function orderOf(n: bigint): { n: Uint8Array; half: Uint8Array } {
  return { n: to32(n), half: to32(n >> 1n) };
}

// Byte loops over the signature in place: Buffer views and Buffer.compare cost more than the
// comparison itself at this size (one signature per request, docs/performance.md).

/** The 32 big-endian bytes of `x` from `at`, compared with `y`: negative, 0 or positive. */
function compare32(x: Uint8Array, at: number, y: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = x[at + i]! - y[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** 0 < x < n for the 32 big-endian bytes of `x` from `at`. */
function inRange(x: Uint8Array, at: number, n: Uint8Array): boolean {
  let nonZero = 0;
  for (let i = 0; i < 32; i++) nonZero |= x[at + i]!;
  return nonZero !== 0 && compare32(x, at, n) < 0;
}

/** For ECDSA curves: s > n/2 becomes n − s. Ed25519 signatures pass through unchanged. */
export function normalizeLowS(curve: Curve, raw64: Uint8Array): Uint8Array {
  if (raw64.length !== 64) throw new TypeError(`signature must be 64 bytes, got ${raw64.length}`);
  if (curve === 'ed25519') return Uint8Array.from(raw64);
  const { n, half } = ORDER[curve];
  const out = Uint8Array.from(raw64);
  if (!inRange(out, 0, n) || !inRange(out, 32, n)) throw new TypeError(`${curve} signature out of range`);
  if (compare32(out, 32, half) > 0) {
    // s := n − s, byte-wise with borrow (n > s here).
    let borrow = 0;
    for (let i = 31; i >= 0; i--) {
      const d = n[i]! - out[32 + i]! - borrow;
      out[32 + i] = d & 0xff;
      borrow = d < 0 ? 1 : 0;
    }
  }
  return out;
}

const PREFIX_BY_CURVE = { ed25519: 'edsig', secp256k1: 'spsig1', p256: 'p2sig' } as const;

/** Raw 64-byte signature from the HSM → edsig/spsig1/p2sig, low-S normalised for ECDSA. */
export function encodeSignature(curve: Curve, raw64: Uint8Array): string {
  return b58encode(PREFIX_BY_CURVE[curve], normalizeLowS(curve, raw64));
}

/** DER SEQUENCE { INTEGER r, INTEGER s } (as some PKCS#11 libraries return) → raw r‖s (64 bytes). */
export function derToRaw(der: Uint8Array): Uint8Array {
  let i = 0;
  const byte = (): number => {
    const b = der[i++];
    if (b === undefined) throw new TypeError('truncated DER signature');
    return b;
  };
  const length = (): number => {
    const first = byte();
    if (first < 0x80) return first;
    if (first !== 0x81) throw new TypeError('unsupported DER length');
    return byte();
  };
  if (byte() !== 0x30) throw new TypeError('DER signature must start with a SEQUENCE');
  const seqLen = length();
  if (i + seqLen !== der.length) throw new TypeError('DER signature length mismatch');
  const out = new Uint8Array(64);
  for (const at of [0, 32]) {
    if (byte() !== 0x02) throw new TypeError('DER signature must hold INTEGERs');
    const len = length();
    if (len === 0 || i + len > der.length) throw new TypeError('bad DER INTEGER length');
    let value = der.subarray(i, i + len);
    i += len;
    while (value.length > 32 && value[0] === 0) value = value.subarray(1);
    if (value.length > 32) throw new TypeError('DER INTEGER wider than 32 bytes');
    out.set(value, at + 32 - value.length);
  }
  if (i !== der.length) throw new TypeError('trailing bytes after DER signature');
  return out;
}

const SIG_NAMES = ['edsig', 'spsig1', 'p2sig', 'BLsig', 'sig'] as const;
const SCHEME_BY_PREFIX: Record<(typeof SIG_NAMES)[number], SignatureScheme> = {
  edsig: 'ed25519',
  spsig1: 'secp256k1',
  p2sig: 'p256',
  BLsig: 'bls',
  sig: 'generic',
};

/** Any signature string back to scheme and raw bytes (64, or 96 for BLS). */
export function decodeSignature(s: string): { scheme: SignatureScheme; bytes: Uint8Array } {
  const { prefix, payload } = b58decode(s, SIG_NAMES);
  return { scheme: SCHEME_BY_PREFIX[prefix], bytes: payload };
}
