// Signature encodings: sign with @noble/curves, encode with ours, verify with @taquito/utils (which
// rejects high-S like octez). High-S inputs are forced to prove the normalisation.
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { verifySignature } from '@taquito/utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { b58encode } from '../src/tezos/base58.js';
import { blake2b256 } from '../src/tezos/hash.js';
import { publicKeyFromPoint } from '../src/tezos/keys.js';
import { decodeSignature, derToRaw, encodeSignature, normalizeLowS } from '../src/tezos/signatures.js';

const big = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
const to32 = (n: bigint) => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'));
const msgArb = fc.uint8Array({ minLength: 1, maxLength: 300 });

/** Make the high-S twin of a raw signature (the same signature, other S). */
function highS(raw: Uint8Array, n: bigint): Uint8Array {
  const s = big(raw.subarray(32));
  const out = Uint8Array.from(raw);
  out.set(to32(s > n / 2n ? s : n - s), 32);
  return out;
}

describe('ECDSA signatures verify with taquito after normalisation', () => {
  for (const [curve, impl] of [
    ['secp256k1', secp256k1],
    ['p256', p256],
  ] as const) {
    const n = impl.Point.Fn.ORDER;
    it(`${curve}: high-S and low-S inputs both encode to a verifying low-S signature`, () => {
      const sk = impl.utils.randomSecretKey();
      const { publicKey } = publicKeyFromPoint(curve, impl.getPublicKey(sk, false));
      fc.assert(
        fc.property(msgArb, (msg) => {
          const raw = impl.sign(blake2b256(msg), sk, { prehash: false, lowS: false, format: 'compact' });
          const high = highS(raw, n);
          expect(big(high.subarray(32)) > n / 2n).toBe(true);
          // For secp256k1 taquito (like octez) refuses the high-S form; P-256 verifiers accept both.
          const highSig = b58encode(curve === 'p256' ? 'p2sig' : 'spsig1', high);
          expect(verifySignature(Buffer.from(msg).toString('hex'), publicKey, highSig)).toBe(
            curve === 'p256',
          );
          for (const input of [raw, high]) {
            const sig = encodeSignature(curve, input);
            expect(sig.startsWith(curve === 'p256' ? 'p2sig' : 'spsig1')).toBe(true);
            const decoded = decodeSignature(sig);
            expect(decoded.scheme).toBe(curve);
            expect(big(decoded.bytes.subarray(32)) <= n / 2n).toBe(true);
            // …and accepts ours.
            expect(verifySignature(Buffer.from(msg).toString('hex'), publicKey, sig)).toBe(true);
          }
        }),
        { numRuns: 40 },
      );
    });

    it(`${curve}: DER from the HSM converts to the same raw signature`, () => {
      const sk = impl.utils.randomSecretKey();
      fc.assert(
        fc.property(msgArb, (msg) => {
          const raw = impl.sign(blake2b256(msg), sk, { prehash: false, lowS: false, format: 'compact' });
          const der = impl.Signature.fromBytes(raw, 'compact').toBytes('der');
          expect(derToRaw(der)).toEqual(raw);
        }),
        { numRuns: 40 },
      );
    });

    it(`${curve}: out-of-range r or s is refused`, () => {
      expect(() => normalizeLowS(curve, new Uint8Array(64))).toThrow(/out of range/);
      const bad = new Uint8Array(64).fill(0xff);
      expect(() => normalizeLowS(curve, bad)).toThrow(/out of range/);
      expect(() => normalizeLowS(curve, new Uint8Array(63))).toThrow(/64 bytes/);
    });
  }

  it('ed25519: edsig over BLAKE2b-256 verifies and is untouched', () => {
    const sk = ed25519.utils.randomSecretKey();
    const { publicKey } = publicKeyFromPoint('ed25519', ed25519.getPublicKey(sk));
    fc.assert(
      fc.property(msgArb, (msg) => {
        const raw = ed25519.sign(blake2b256(msg), sk);
        const sig = encodeSignature('ed25519', raw);
        expect(sig.startsWith('edsig')).toBe(true);
        expect(decodeSignature(sig)).toEqual({ scheme: 'ed25519', bytes: raw });
        expect(verifySignature(Buffer.from(msg).toString('hex'), publicKey, sig)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});

describe('decodeSignature and derToRaw edge cases', () => {
  it('generic sig and BLsig decode with their scheme', () => {
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => i);
    expect(decodeSignature(b58encode('sig', bytes))).toEqual({ scheme: 'generic', bytes });
    const bls = Uint8Array.from({ length: 96 }, (_, i) => i);
    expect(decodeSignature(b58encode('BLsig', bls))).toEqual({ scheme: 'bls', bytes: bls });
    expect(() => decodeSignature('edpkuBknW28nW72KG6RoHtYW7p12T6GKc7nAbwYX5m8Wd9sDVC9yav')).toThrow(
      TypeError,
    );
  });

  it('malformed DER is refused', () => {
    expect(() => derToRaw(Uint8Array.of(0x30, 0x02, 0x02, 0x00))).toThrow(TypeError);
    expect(() => derToRaw(Uint8Array.of(0x31, 0x00))).toThrow(/SEQUENCE/);
    expect(() => derToRaw(Uint8Array.of(0x30))).toThrow(/truncated/);
    const wide = Uint8Array.of(0x30, 0x26, 0x02, 0x21, 0x01, ...new Uint8Array(32), 0x02, 0x01, 0x01);
    expect(() => derToRaw(wide)).toThrow(/wider/);
  });
});
