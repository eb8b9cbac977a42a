// src/tezos/base58.ts codes base58check itself (node:crypto SHA-256, limb conversion): plain base58 must
// match a BigInt reference on every input, and the checked coding must agree with bs58check.
import bs58check from 'bs58check';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { b58decode, b58encode, base58, unbase58 } from '../src/tezos/base58.js';
import { PREFIX, type PrefixName } from '../src/tezos/prefixes.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** The textbook definition: one '1' per leading zero byte, then the big-endian number in base 58. */
function reference(b: Uint8Array): string {
  let zeros = 0;
  while (zeros < b.length && b[zeros] === 0) zeros++;
  let n = b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`);
  let digits = '';
  while (n > 0n) {
    digits = ALPHABET[Number(n % 58n)]! + digits;
    n /= 58n;
  }
  return '1'.repeat(zeros) + digits;
}

/** Byte strings with runs of leading zeros and lengths past the 128-byte scratch buffers. */
const bytes = fc
  .tuple(fc.nat({ max: 6 }), fc.uint8Array({ maxLength: 300 }))
  .map(([zeros, rest]) => Uint8Array.from([...new Array<number>(zeros).fill(0), ...rest]));

describe('base58', () => {
  it('plain base58 matches the BigInt reference both ways', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const s = base58(b);
        expect(s).toBe(reference(b));
        expect(unbase58(s)).toEqual(b);
      }),
      { numRuns: 2000 },
    );
    for (const b of [[], [0], [0, 0], [0, 0, 1], [255], new Array(128).fill(255), new Array(129).fill(0)]) {
      expect(base58(Uint8Array.from(b))).toBe(reference(Uint8Array.from(b)));
    }
  });

  it('every prefix: b58encode equals bs58check.encode of prefix ‖ payload, and decodes back', () => {
    const names = Object.keys(PREFIX) as PrefixName[];
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.uint8Array({ minLength: 128, maxLength: 128 }),
        (name, pool) => {
          const p = PREFIX[name];
          const payload = pool.slice(0, p.length);
          const s = b58encode(name, payload);
          expect(s).toBe(bs58check.encode(Uint8Array.from([...p.bytes, ...payload])));
          expect(b58decode(s, [name])).toEqual({ prefix: name, payload });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('chain ids (remembered by b58encode) stay right past the cache size and on repeats', () => {
    const net = PREFIX.Net.bytes;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 200; i++) {
        const id = Uint8Array.from([i, 255 - i, (i * 7) & 0xff, round]);
        const again = Uint8Array.from([i, 255 - i, (i * 7) & 0xff, 0]);
        expect(b58encode('Net', id)).toBe(bs58check.encode(Uint8Array.from([...net, ...id])));
        expect(b58encode('Net', again)).toBe(bs58check.encode(Uint8Array.from([...net, ...again])));
      }
    }
  });

  it('a changed character is refused exactly when bs58check refuses it', () => {
    const names = Object.keys(PREFIX) as PrefixName[];
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.uint8Array({ minLength: 128, maxLength: 128 }),
        fc.nat(),
        fc.nat({ max: 57 }),
        (name, pool, at, digit) => {
          const good = b58encode(name, pool.slice(0, PREFIX[name].length));
          const i = at % good.length;
          const bad = good.slice(0, i) + ALPHABET[digit] + good.slice(i + 1);
          let theirs: Uint8Array | null = null;
          try {
            theirs = bs58check.decode(bad);
          } catch {}
          const p = PREFIX[name];
          const ok =
            theirs !== null &&
            theirs.length === p.bytes.length + p.length &&
            Buffer.from(theirs.subarray(0, p.bytes.length)).equals(Buffer.from(p.bytes));
          if (ok) expect(b58decode(bad, [name]).payload).toEqual(theirs!.subarray(p.bytes.length));
          else expect(() => b58decode(bad, [name])).toThrow(TypeError);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses characters outside the alphabet, short strings and bad checksums', () => {
    const s = b58encode('Net', new Uint8Array([1, 2, 3, 4]));
    expect(b58decode(s, ['Net']).payload).toEqual(new Uint8Array([1, 2, 3, 4]));
    for (const bad of [`${s.slice(0, -1)}0`, `${s.slice(0, -1)}l`, 'é', '', '1', '11', s.slice(1)]) {
      expect(() => b58decode(bad, ['Net'])).toThrow(TypeError);
    }
    expect(unbase58('0')).toBeNull();
    expect(unbase58('\u{1F600}')).toBeNull();
  });
});
