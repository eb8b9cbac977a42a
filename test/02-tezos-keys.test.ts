// Keys and hashes: known vectors, then random keys cross-checked against @taquito/utils.
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { b58DecodePublicKeyHash, getPkhfromPk } from '@taquito/utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { b58decode, b58encode } from '../src/tezos/base58.js';
import { blake2b160, blake2b256 } from '../src/tezos/hash.js';
import { curveOfPkh, parsePublicKey, pkhToBytes, publicKeyFromPoint } from '../src/tezos/keys.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

describe('known key vectors', () => {
  it('edpk → tz1', () => {
    const k = parsePublicKey('edpkuBknW28nW72KG6RoHtYW7p12T6GKc7nAbwYX5m8Wd9sDVC9yav');
    expect(k.curve).toBe('ed25519');
    expect(k.pkh).toBe('tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx');
    expect(publicKeyFromPoint('ed25519', k.bytes).publicKey).toBe(
      'edpkuBknW28nW72KG6RoHtYW7p12T6GKc7nAbwYX5m8Wd9sDVC9yav',
    );
  });

  it('BLpk → tz4', () => {
    const a = parsePublicKey('BLpk1yUiLJ7RezbyViD5ZvWTfQndM3TRRYmvYWkUfH2EJqsLFnzzvpJss6pbuz3U1DDMpk8v16nV');
    expect(a.curve).toBe('bls12-381');
    expect(a.bytes.length).toBe(48);
    expect(a.pkh).toBe('tz4EECtMxAuJ9UDLaiMZH7G1GCFYUWsj8HZn');
    // Functori tezos bindings' test vector.
    const b = parsePublicKey('BLpk1wdBzZKshyhkdge3cXvWdTWhCWDsih8X1pbEdvjTapd1PvsESzTjMTwNWpephX8wyhshSFCp');
    expect(b.pkh).toBe('tz4F2fxv7sKQx9wyoRMteoJwZEZnV9WFU2wL');
  });

  it('secp256k1 X‖Y points → tz2 (published vectors)', () => {
    const vectors: Array<[string, string, string]> = [
      [
        '588d99e05da73a3301c3dc5d533f99db26cd63b3c380ae28193b87033b0b8b30',
        '0fd9786d46667fe0ed1b52e72a0942d720b212578edc4d4a7e416699309f1dc5',
        'tz2JQAfC2QU1BKwswTyqRfgv3sTzWMZW5evQ',
      ],
      [
        '222e9626c0a40d16d3155218986a9ab37ad18ce2cf1aa83dfd2dc0e5bb96000c',
        '1cba97ed8b46d852d426a72312452e586a14a7e7f4ac5ad7c05361259bc96c60',
        'tz2GPqHZXCfKRxuKTr6MMYZ4zUALU5MpeW83',
      ],
    ];
    for (const [x, y, pkh] of vectors) {
      expect(publicKeyFromPoint('secp256k1', unhex(x + y)).pkh).toBe(pkh);
      expect(publicKeyFromPoint('secp256k1', unhex(`04${x}${y}`)).pkh).toBe(pkh);
    }
  });

  it('pkhToBytes gives tag ‖ 20-byte hash', () => {
    expect(hex(pkhToBytes('tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx'))).toMatch(/^00[0-9a-f]{40}$/);
    expect(pkhToBytes('tz4EECtMxAuJ9UDLaiMZH7G1GCFYUWsj8HZn')[0]).toBe(3);
    expect(curveOfPkh('tz2GPqHZXCfKRxuKTr6MMYZ4zUALU5MpeW83')).toBe('secp256k1');
  });

  it('BLAKE2b digests have the Tezos sizes and known values', () => {
    // RFC 7693 Appendix A: BLAKE2b-512("abc") starts ba80a53f; here the 32- and 20-byte variants differ.
    expect(blake2b256(new Uint8Array()).length).toBe(32);
    expect(hex(blake2b256(new TextEncoder().encode('abc')))).toBe(
      'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319',
    );
    expect(hex(blake2b160(new TextEncoder().encode('abc')))).not.toBe(
      hex(blake2b256(new TextEncoder().encode('abc'))).slice(0, 40),
    );
  });
});

describe('random keys agree with taquito', () => {
  const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });

  it('ed25519', () => {
    fc.assert(
      fc.property(seed, (sk) => {
        const pub = ed25519.getPublicKey(sk);
        const k = publicKeyFromPoint('ed25519', pub);
        expect(k.pkh).toBe(getPkhfromPk(k.publicKey));
        expect(hex(pkhToBytes(k.pkh))).toBe(b58DecodePublicKeyHash(k.pkh));
        expect(parsePublicKey(k.publicKey)).toEqual({ curve: 'ed25519', bytes: pub, pkh: k.pkh });
      }),
      { numRuns: 50 },
    );
  });

  for (const [curve, impl] of [
    ['secp256k1', secp256k1],
    ['p256', p256],
  ] as const) {
    it(`${curve}: uncompressed, raw X‖Y and compressed points give the same key`, () => {
      fc.assert(
        fc.property(seed, (s) => {
          fc.pre(s.some((b) => b !== 0));
          let sk: Uint8Array;
          try {
            sk = impl.utils.randomSecretKey(s);
          } catch {
            return;
          }
          const full = impl.getPublicKey(sk, false);
          const a = publicKeyFromPoint(curve, full);
          const b = publicKeyFromPoint(curve, full.subarray(1));
          const c = publicKeyFromPoint(curve, impl.getPublicKey(sk, true));
          expect(b).toEqual(a);
          expect(c).toEqual(a);
          expect(a.compressed.length).toBe(33);
          expect(a.pkh).toBe(getPkhfromPk(a.publicKey));
          expect(hex(pkhToBytes(a.pkh))).toBe(b58DecodePublicKeyHash(a.pkh));
          expect(parsePublicKey(a.publicKey).pkh).toBe(a.pkh);
        }),
        { numRuns: 50 },
      );
    });
  }
});

describe('bad keys are refused', () => {
  it('off-curve points and wrong lengths', () => {
    const bad = new Uint8Array(65).fill(7);
    bad[0] = 4;
    expect(() => publicKeyFromPoint('p256', bad)).toThrow(/not on the curve/);
    expect(() => publicKeyFromPoint('secp256k1', new Uint8Array(40))).toThrow(/33, 64 or 65/);
    expect(() => publicKeyFromPoint('ed25519', new Uint8Array(33))).toThrow(/32 bytes/);
  });

  it('bad checksum, wrong prefix, wrong length', () => {
    expect(() => parsePublicKey('edpkuBknW28nW72KG6RoHtYW7p12T6GKc7nAbwYX5m8Wd9sDVC9yaw')).toThrow(TypeError);
    expect(() => parsePublicKey('tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx')).toThrow(/edpk/);
    expect(() => pkhToBytes('edpkuBknW28nW72KG6RoHtYW7p12T6GKc7nAbwYX5m8Wd9sDVC9yav')).toThrow(/tz1/);
    expect(() => b58encode('tz1', new Uint8Array(19))).toThrow(/20 bytes/);
    const short = b58encode('Net', new Uint8Array(4));
    expect(() => b58decode(short, ['B'])).toThrow(TypeError);
    expect(b58decode(short, ['Net']).payload).toEqual(new Uint8Array(4));
  });
});
