// normalizeLowS works on bytes (no BigInt per signature): it must equal the BigInt definition on random
// and boundary values of r and s (0, 1, n/2, n/2 + 1, n − 1, n, 2^256 − 1), for both ECDSA curves.
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeLowS } from '../src/tezos/signatures.js';

const be32 = (x: bigint) => Buffer.from(x.toString(16).padStart(64, '0'), 'hex');
const num = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex')}`);

/** The definition: refuse r, s outside [1, n − 1]; replace s > n/2 by n − s. */
function reference(n: bigint, r: bigint, s: bigint): Uint8Array | 'out of range' {
  if (r === 0n || r >= n || s === 0n || s >= n) return 'out of range';
  return Buffer.concat([be32(r), be32(s > n >> 1n ? n - s : s)]);
}

describe('normalizeLowS', () => {
  for (const [curve, n] of [
    ['p256', p256.Point.Fn.ORDER],
    ['secp256k1', secp256k1.Point.Fn.ORDER],
  ] as const) {
    const edges = [0n, 1n, n >> 1n, (n >> 1n) + 1n, n - 1n, n, (1n << 256n) - 1n];
    const value = fc.oneof(
      fc.constantFrom(...edges),
      fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
      fc.bigInt({ min: 1n, max: n - 1n }),
    );
    it(`${curve}: equals the BigInt definition`, () => {
      fc.assert(
        fc.property(value, value, (r, s) => {
          const raw = Buffer.concat([be32(r), be32(s)]);
          const want = reference(n, r, s);
          if (want === 'out of range') {
            expect(() => normalizeLowS(curve, raw)).toThrow(/out of range/);
          } else {
            const got = normalizeLowS(curve, raw);
            expect(Buffer.from(got)).toEqual(Buffer.from(want));
            expect(num(got.subarray(32)) <= n >> 1n).toBe(true);
            expect(num(raw)).toBe(num(Buffer.concat([be32(r), be32(s)]))); // input untouched
          }
        }),
        { numRuns: 3000 },
      );
    });
  }
});
