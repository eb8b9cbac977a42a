// The high-watermark rule (docs/watermark.md) and its per-slot serialisation, checked on the pure rule and
// through every in-process backend (memory and file), with real P-256 signatures.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../src/watermark/file-store.js';
import { MemoryStore } from '../src/watermark/memory-store.js';
import { decide, RESERVED } from '../src/watermark/rule.js';
import type { Mark, WatermarkStore } from '../src/watermark/store.js';
import { KINDS, WatermarkArgumentError } from '../src/watermark/validate.js';
import {
  CountingSigner,
  GHOSTNET,
  MAINNET,
  PKH1,
  PKH2,
  request,
  slot,
  tempDir,
} from './helpers/watermark.js';

const H = (c: string) => c.repeat(64);
const stored: Mark = { level: 100, round: 2, hash: H('a'), signature: 'sig' };
const reserved: Mark = { ...stored, signature: RESERVED };

describe('decide()', () => {
  it.each([
    ['no mark', 'sign', null, 1, 0, H('b')],
    ['higher level, lower round', 'sign', stored, 101, 0, H('b')],
    ['higher level, same bytes hash', 'sign', stored, 101, 2, H('a')],
    ['equal level, higher round', 'sign', stored, 100, 3, H('b')],
    ['equal level, lower round', 'refuse', stored, 100, 1, H('a')],
    ['equal height, identical bytes', 'repeat', stored, 100, 2, H('a')],
    ['equal height, identical bytes in upper case', 'repeat', stored, 100, 2, H('A')],
    ['equal height, other bytes', 'refuse', stored, 100, 2, H('b')],
    ['lower level, higher round', 'refuse', stored, 99, 9, H('b')],
    ['lower level, same hash', 'refuse', stored, 99, 2, H('a')],
    ['reserved height, identical bytes', 'refuse', reserved, 100, 2, H('a')],
    ['reserved height, other bytes', 'refuse', reserved, 100, 2, H('b')],
    ['above a reserved height', 'sign', reserved, 100, 3, H('a')],
  ] as const)('%s → %s', (_name, want, mark, level, round, hash) => {
    expect(decide(mark, { level, round, hash })).toBe(want);
  });
});

const backends: Array<[string, () => Promise<{ store: WatermarkStore; cleanup: () => Promise<void> }>]> = [
  ['memory', async () => ({ store: new MemoryStore(), cleanup: async () => {} })],
  [
    'file',
    async () => {
      const t = await tempDir();
      const store = await FileStore.open(t.dir);
      return {
        store,
        cleanup: async () => {
          await store.close();
          await t.cleanup();
        },
      };
    },
  ],
];

describe.each(backends)('%s store', (_name, make) => {
  let store: WatermarkStore;
  let cleanup: () => Promise<void>;
  let hsm: CountingSigner;
  beforeEach(async () => {
    ({ store, cleanup } = await make());
    hsm = new CountingSigner();
  });
  afterEach(() => cleanup());

  it('signs rising heights and keeps the mark of the last one', async () => {
    const s = slot('block');
    for (const [level, round] of [
      [10, 0],
      [10, 1],
      [11, 0],
      [12, 5],
    ] as const) {
      const r = request(level, round);
      const d = await store.signOnce(s, r, hsm.signer(r));
      expect(d.outcome).toBe('signed');
      if (d.outcome !== 'signed') throw new Error('unreachable');
      expect(hsm.verify(d.signature, r)).toBe(true);
      expect(await store.get(s)).toEqual({ level, round, hash: r.hash, signature: d.signature });
    }
    expect(hsm.calls).toBe(4);
  });

  it('answers identical bytes at the stored height with the stored signature, without signing', async () => {
    const s = slot('attestation');
    const r = request(50, 1, 0x13);
    const first = await store.signOnce(s, r, hsm.signer(r));
    const again = await store.signOnce(s, r, hsm.signer(r));
    expect(first.outcome).toBe('signed');
    expect(again.outcome).toBe('repeat');
    if (first.outcome !== 'signed' || again.outcome !== 'repeat') throw new Error('unreachable');
    expect(again.signature).toBe(first.signature);
    expect(hsm.verify(again.signature, r)).toBe(true);
    expect(hsm.calls).toBe(1);
  });

  it('refuses other bytes at the stored height, and anything below it', async () => {
    const s = slot('preattestation');
    const r = request(50, 1, 0x12);
    const first = await store.signOnce(s, r, hsm.signer(r));
    if (first.outcome !== 'signed') throw new Error('expected signed');
    for (const [level, round] of [
      [50, 1],
      [50, 0],
      [49, 7],
      [0, 0],
    ] as const) {
      const other = request(level, round, 0x12);
      const d = await store.signOnce(s, other, hsm.signer(other));
      expect(d).toEqual({
        outcome: 'refused',
        stored: { level: 50, round: 1, hash: r.hash, signature: first.signature },
      });
    }
    expect(hsm.calls).toBe(1);
    expect((await store.get(s))?.hash).toBe(r.hash);
  });

  it('keeps chains, keys and kinds in separate slots', async () => {
    const slots = [
      slot('block'),
      slot('preattestation'),
      slot('attestation'),
      slot('block', PKH2),
      slot('block', undefined, GHOSTNET),
    ];
    for (const s of slots) {
      const r = request(100, 0);
      expect((await store.signOnce(s, r, hsm.signer(r))).outcome).toBe('signed');
    }
    // Same height again in every slot with new bytes: each slot refuses on its own mark.
    for (const s of slots) {
      const r = request(100, 0);
      expect((await store.signOnce(s, r, hsm.signer(r))).outcome).toBe('refused');
    }
    // A lower level on one slot is still fine on a fresh one.
    const low = request(3, 0);
    expect((await store.signOnce(slot('attestation', PKH2), low, hsm.signer(low))).outcome).toBe('signed');
    const listed = await store.list();
    expect(listed).toHaveLength(6);
    expect(new Set(listed.map((e) => `${e.slot.chainId}/${e.slot.pkh}/${e.slot.kind}`)).size).toBe(6);
  });

  it('leaves the mark unchanged when sign() throws, then signs that height later', async () => {
    const s = slot('block');
    const r1 = request(7, 0);
    await store.signOnce(s, r1, hsm.signer(r1));
    const before = await store.get(s);
    const r2 = request(8, 0);
    await expect(
      store.signOnce(s, r2, async () => {
        throw new Error('CKR_DEVICE_ERROR');
      }),
    ).rejects.toThrow('CKR_DEVICE_ERROR');
    expect(await store.get(s)).toEqual(before);
    const d = await store.signOnce(s, r2, hsm.signer(r2));
    expect(d.outcome).toBe('signed');
  });

  it('rejects bad arguments before signing', async () => {
    const r = request(1, 0);
    const cases: Array<
      [Parameters<WatermarkStore['signOnce']>[0], Parameters<WatermarkStore['signOnce']>[1]]
    > = [
      [{ ...slot(), kind: 'generic' as 'block' }, r],
      [{ ...slot(), chainId: '' }, r],
      [{ ...slot(), pkh: 'tz1/../x' }, r],
      [slot(), { ...r, level: -1 }],
      [slot(), { ...r, round: 1.5 }],
      [slot(), { ...r, level: 2 ** 31 }],
      [slot(), { ...r, hash: 'zz' }],
    ];
    for (const [s, q] of cases)
      await expect(store.signOnce(s, q, hsm.signer(r))).rejects.toThrow(WatermarkArgumentError);
    expect(hsm.calls).toBe(0);
    expect(await store.list()).toEqual([]);
  });

  it('100 concurrent different requests at one height: exactly one is signed', async () => {
    const s = slot('block');
    const reqs = Array.from({ length: 100 }, () => request(500, 0));
    const out = await Promise.all(reqs.map((r) => store.signOnce(s, r, hsm.signer(r, 1))));
    const signed = out.flatMap((d, i) => (d.outcome === 'signed' ? [i] : []));
    expect(signed).toHaveLength(1);
    expect(out.filter((d) => d.outcome === 'refused')).toHaveLength(99);
    expect(hsm.calls).toBe(1);
    const winner = reqs[signed[0]!]!;
    expect((await store.get(s))?.hash).toBe(winner.hash);
  });

  it('100 concurrent identical requests: one sign() call, every answer is that signature', async () => {
    const s = slot('attestation');
    const r = request(600, 2, 0x13);
    const out = await Promise.all(Array.from({ length: 100 }, () => store.signOnce(s, r, hsm.signer(r, 1))));
    expect(hsm.calls).toBe(1);
    expect(out.filter((d) => d.outcome === 'signed')).toHaveLength(1);
    expect(out.filter((d) => d.outcome === 'repeat')).toHaveLength(99);
    const sigs = new Set(out.map((d) => (d.outcome === 'refused' ? '' : d.signature)));
    expect(sigs.size).toBe(1);
    expect(hsm.verify([...sigs][0]!, r)).toBe(true);
  });

  it('runs different slots in parallel', async () => {
    // Each sign() waits until all ten have started: this completes only if slots do not wait on each other.
    const slots = [MAINNET, GHOSTNET].flatMap((chain) =>
      [PKH1, PKH2].flatMap((pkh) => KINDS.map((kind) => slot(kind, pkh, chain))),
    );
    let started = 0;
    let release!: () => void;
    const all = new Promise<void>((r) => {
      release = r;
    });
    const out = await Promise.all(
      slots.slice(0, 10).map((s, i) =>
        store.signOnce(s, request(1, 0), async () => {
          if (++started === 10) release();
          await all;
          return `sig${i}`;
        }),
      ),
    );
    expect(out.map((d) => d.outcome)).toEqual(Array(10).fill('signed'));
  });

  it('set() forces a mark that the rule then enforces; a closed store refuses requests', async () => {
    const s = slot('block');
    await store.set(s, { level: 1000, round: 0, hash: H('c'), signature: 'edsigForced' });
    const r = request(999, 0);
    expect((await store.signOnce(s, r, hsm.signer(r))).outcome).toBe('refused');
    const same = { level: 1000, round: 0, hash: H('c') };
    expect(await store.signOnce(s, same, hsm.signer(r))).toEqual({
      outcome: 'repeat',
      signature: 'edsigForced',
    });
    await expect(store.set(s, { level: 1, round: 0, hash: 'x', signature: 's' })).rejects.toThrow(
      WatermarkArgumentError,
    );
    await store.check();
    await store.close();
    await expect(store.check()).rejects.toThrow(/closed/);
    await expect(store.signOnce(s, request(2000, 0), hsm.signer(r))).rejects.toThrow(/closed/);
    expect(hsm.calls).toBe(0);
  });
});
