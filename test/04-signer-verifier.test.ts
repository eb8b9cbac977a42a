import { sign as cryptoSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { makeVerifier } from '../src/crypto/verifier.js';

describe('signature verifier (independent signers: @noble/curves, OpenSSL)', () => {
  for (const [curve, impl] of [
    ['p256', p256],
    ['secp256k1', secp256k1],
  ] as const) {
    it(`${curve}: accepts valid signatures over the digest (low and high S), refuses anything else`, () => {
      const sk = impl.utils.randomSecretKey();
      const verify = makeVerifier(curve, impl.getPublicKey(sk, true));
      const other = makeVerifier(curve, impl.getPublicKey(impl.utils.randomSecretKey(), true));
      const n = impl.Point.Fn.ORDER;
      for (let i = 0; i < 20; i++) {
        const digest = randomBytes(32);
        const sig = impl.sign(digest, sk, { prehash: false, lowS: false });
        expect(verify(digest, sig)).toBe(true);
        // The same signature with s' = n − s is equally valid ECDSA.
        const s = BigInt(`0x${Buffer.from(sig.subarray(32)).toString('hex')}`);
        const flipped = Uint8Array.from(sig);
        flipped.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
        expect(verify(digest, flipped)).toBe(true);
        expect(other(digest, sig)).toBe(false);
        const bad = Uint8Array.from(digest);
        bad[i % 32]! ^= 1;
        expect(verify(bad, sig)).toBe(false);
        const badSig = Uint8Array.from(sig);
        badSig[(i * 3) % 64]! ^= 0x80;
        expect(verify(digest, badSig)).toBe(false);
      }
      const digest = randomBytes(32);
      expect(verify(digest, new Uint8Array(64))).toBe(false);
      expect(verify(digest, new Uint8Array(63))).toBe(false);
      expect(verify(digest, new Uint8Array(64).fill(0xff))).toBe(false);
    });
  }

  it('p256 (OpenSSL x-only sum check): many signatures, e ≡ 0 (the @noble/curves path), random r‖s', () => {
    const sk = p256.utils.randomSecretKey();
    const verify = makeVerifier('p256', p256.getPublicKey(sk, true));
    for (let i = 0; i < 200; i++) {
      const digest = randomBytes(32);
      const sig = p256.sign(digest, sk, { prehash: false, lowS: false });
      expect(verify(digest, sig)).toBe(true);
      expect(verify(digest, randomBytes(64))).toBe(false);
      const wrong = Uint8Array.from(sig);
      wrong.set(randomBytes(32), 32);
      expect(verify(digest, wrong)).toBe(false);
    }
    // e = 0 and e = n (both ≡ 0 mod n): u1 = 0, checked by the fallback.
    const n = p256.Point.Fn.ORDER;
    for (const digest of [new Uint8Array(32), Buffer.from(n.toString(16), 'hex')]) {
      const sig = p256.sign(digest, sk, { prehash: false, lowS: false });
      expect(verify(digest, sig)).toBe(true);
      const bad = Uint8Array.from(sig);
      bad[40]! ^= 4;
      expect(verify(digest, bad)).toBe(false);
    }
  });

  it('ed25519: OpenSSL-made signatures verify; tampered or foreign ones do not', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const verify = makeVerifier('ed25519', raw);
    const other = generateKeyPairSync('ed25519');
    for (let i = 0; i < 20; i++) {
      const digest = randomBytes(32);
      const sig = cryptoSign(null, digest, privateKey);
      expect(verify(digest, sig)).toBe(true);
      expect(verify(digest, cryptoSign(null, digest, other.privateKey))).toBe(false);
      const bad = Uint8Array.from(sig);
      bad[i]! ^= 1;
      expect(verify(digest, bad)).toBe(false);
    }
    expect(verify(randomBytes(32), new Uint8Array(10))).toBe(false);
  });
});
