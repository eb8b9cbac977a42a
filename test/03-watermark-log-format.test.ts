// Properties of the file store's log format (src/watermark/log-format.ts) over random logs: a log cut
// anywhere keeps exactly the complete batches; one damaged byte before the last batch is always
// refused; damage in the last batch never yields a wrong mark; a zero-filled tail (space written ahead)
// ends the log.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeBatch,
  encodeEntry,
  LOG_HEADER,
  type LogEntry,
  LogFormatError,
  parseLog,
} from '../src/watermark/log-format.js';
import { KINDS } from '../src/watermark/validate.js';
import { pkhN } from './helpers/watermark.js';

const entry: fc.Arbitrary<LogEntry> = fc
  .record({
    i: fc.nat(5000),
    kind: fc.constantFrom(...KINDS),
    level: fc.nat(0x7fffffff),
    round: fc.nat(1000),
    hash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    // '' is a reservation (RESERVED in rule.ts).
    signature: fc.oneof(fc.constant(''), fc.string({ minLength: 1, maxLength: 120 })),
  })
  .map((r) => ({
    slot: { chainId: 'NetXdQprcVkpaWU', pkh: pkhN(r.i), kind: r.kind },
    mark: {
      level: r.level,
      round: r.round,
      hash: Buffer.from(r.hash).toString('hex'),
      signature: r.signature,
    },
  }));

const log = fc
  .array(fc.array(entry, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 })
  .map((batches) => {
    const encoded = batches.map((b) => encodeBatch(b.map(encodeEntry)));
    const starts: number[] = [];
    let at = LOG_HEADER.length;
    for (const e of encoded) {
      starts.push(at);
      at += e.length;
    }
    return { batches, starts, buf: Buffer.concat([LOG_HEADER, ...encoded]) };
  });

describe('log format', () => {
  it('reads back exactly what was written', () => {
    fc.assert(
      fc.property(log, ({ batches, buf }) => {
        const p = parseLog(buf);
        expect(p.torn).toBeNull();
        expect(p.validLength).toBe(buf.length);
        expect(p.entries).toEqual(batches.flat());
      }),
    );
  });

  it('a log cut anywhere keeps exactly the complete batches', () => {
    fc.assert(
      fc.property(log, fc.double({ min: 0, max: 1, noNaN: true }), ({ batches, starts, buf }, f) => {
        const cut = LOG_HEADER.length + Math.floor(f * (buf.length - LOG_HEADER.length));
        const p = parseLog(buf.subarray(0, cut));
        const complete = starts.filter((s, i) => (starts[i + 1] ?? buf.length) <= cut && s < cut).length;
        expect(p.entries).toEqual(batches.slice(0, complete).flat());
        // A cut inside a batch is torn, unless all that is left of it is zeros (a length's high bytes):
        // then it reads as the zeros written ahead that end a log.
        const partial = buf.subarray(starts[complete] ?? buf.length, cut);
        expect(p.torn === null).toBe(
          cut === buf.length || starts.includes(cut) || partial.every((b) => b === 0),
        );
      }),
    );
  });

  it('refuses any damaged byte before the last batch', () => {
    fc.assert(
      fc.property(log, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ starts, buf }, at, x) => {
        const last = starts[starts.length - 1]!;
        const pos = at % last;
        const bad = Buffer.from(buf);
        bad[pos]! ^= x;
        expect(() => parseLog(bad)).toThrow(LogFormatError);
      }),
    );
  });

  it('damage in the last batch drops that batch or is refused, never misreads', () => {
    fc.assert(
      fc.property(log, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ batches, starts, buf }, at, x) => {
        const last = starts[starts.length - 1]!;
        const bad = Buffer.from(buf);
        bad[last + (at % (buf.length - last))]! ^= x;
        let p: ReturnType<typeof parseLog>;
        try {
          p = parseLog(bad);
        } catch (err) {
          expect(err).toBeInstanceOf(LogFormatError);
          return;
        }
        expect(p.entries).toEqual(batches.slice(0, -1).flat());
        expect(p.validLength).toBe(last);
      }),
    );
  });

  it('ends at a zero-filled tail of any length (space written ahead), with nothing dropped', () => {
    fc.assert(
      fc.property(log, fc.integer({ min: 1, max: 9000 }), ({ batches, buf }, n) => {
        const p = parseLog(Buffer.concat([buf, Buffer.alloc(n)]));
        expect(p.entries).toEqual(batches.flat());
        expect(p.torn).toBeNull();
        expect(p.validLength).toBe(buf.length);
      }),
    );
  });

  it('drops a final batch cut short over zeros written ahead, and refuses damage with data after it', () => {
    fc.assert(
      fc.property(log, fc.integer({ min: 1, max: 4096 }), ({ batches, starts, buf }, zeros) => {
        const last = starts.at(-1)!;
        // The last batch's tail never landed: zeros from a point inside it.
        const cut = last + 13 + ((zeros * 7) % (buf.length - last - 13));
        const torn = Buffer.concat([buf.subarray(0, cut), Buffer.alloc(buf.length - cut + zeros)]);
        const p = parseLog(torn);
        expect(p.torn).not.toBeNull();
        expect(p.entries).toEqual(batches.slice(0, -1).flat());
        expect(p.validLength).toBe(last);
        // The same damage with a non-zero byte after it is corruption.
        torn[torn.length - 1] = 1;
        expect(() => parseLog(torn)).toThrow(LogFormatError);
      }),
    );
  });
});
