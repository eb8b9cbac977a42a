// BLAKE2b-256 through the process's OpenSSL (native/digest.h, src/crypto/blake2b256.ts) against
// @noble/hashes: the same digests for every length, across BLAKE2b's 128-byte block boundaries, and the
// OpenSSL path really taken in this Node.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blake2b256, blake2b256ByOpenssl } from '../src/crypto/blake2b256.js';
import { addon } from '../src/hsm/native.js';
import { blake2b256 as blake2b256Js } from '../src/tezos/hash.js';

describe('BLAKE2b-256', () => {
  it("is OpenSSL's in this Node (its OpenSSL sets the digest size)", () => {
    expect(blake2b256ByOpenssl).toBe(true);
    // RFC 7693 BLAKE2b with a 32-byte digest of "abc" (the same as @noble/hashes).
    expect(Buffer.from(blake2b256(Buffer.from('abc'))).toString('hex')).toBe(
      'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319',
    );
  });

  it('equals @noble/hashes for every length from 0 to 300 bytes', () => {
    for (let n = 0; n <= 300; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff);
      expect(blake2b256(data)).toEqual(blake2b256Js(data));
    }
  });

  it('equals @noble/hashes on random inputs, views into larger buffers included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(16), (bytes, skip) => {
        const view = Buffer.concat([Buffer.alloc(skip, 7), bytes]).subarray(skip);
        expect(blake2b256(view)).toEqual(blake2b256Js(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('answers a Uint8Array of 32 bytes, and a TypeError for what is not bytes', () => {
    const d = addon.blake2b256(new Uint8Array(5));
    expect(d).toBeInstanceOf(Uint8Array);
    expect(d?.length).toBe(32);
    expect(() => (addon.blake2b256 as (x: unknown) => unknown)('abc')).toThrow(TypeError);
  });
});
