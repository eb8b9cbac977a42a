// src/tezos/hash.ts implements BLAKE2b itself: it must equal @noble/hashes for every length around the
// 128-byte block boundaries and every digest size, and RFC 7693's Appendix A vector.
import { blake2b as nobleBlake2b } from '@noble/hashes/blake2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blake2b, blake2b160, blake2b256 } from '../src/tezos/hash.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('BLAKE2b', () => {
  it('RFC 7693 Appendix A: BLAKE2b-512("abc")', () => {
    expect(hex(blake2b(Buffer.from('abc'), 64))).toBe(
      'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1' +
        '7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
    );
  });

  it('equals @noble/hashes at every length 0..400 (block edges included), 32 and 20 bytes', () => {
    const data = Uint8Array.from({ length: 400 }, (_, i) => (i * 131 + 7) & 0xff);
    for (let n = 0; n <= 400; n++) {
      const msg = data.subarray(0, n);
      expect(hex(blake2b256(msg))).toBe(hex(nobleBlake2b(msg, { dkLen: 32 })));
      expect(hex(blake2b160(msg))).toBe(hex(nobleBlake2b(msg, { dkLen: 20 })));
    }
  });

  it('equals @noble/hashes on random inputs and digest sizes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 1, max: 64 }), (msg, len) => {
        expect(hex(blake2b(msg, len))).toBe(hex(nobleBlake2b(msg, { dkLen: len })));
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on the buffer offset of its input, and refuses impossible sizes', () => {
    const big = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    expect(hex(blake2b256(big.subarray(3, 203)))).toBe(hex(nobleBlake2b(big.slice(3, 203), { dkLen: 32 })));
    expect(() => blake2b(big, 0)).toThrow(RangeError);
    expect(() => blake2b(big, 65)).toThrow(RangeError);
  });
});
