// Watermark store benchmark (docs/watermark.md, "Numbers"): one request at a time against a bare durable append (the
// store's own cost beyond the disk), file-store throughput with 1, 32 and 256 concurrent requests on
// different slots (group commit: records per sync grow with concurrency), and per-request cost with
// few vs many stored slots. The sign() callback is free here:
// this measures the store, not the HSM.
//
//   node --import tsx bench/watermark.ts [seconds-per-case] [lone-request rounds]

import { constants } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../src/watermark/file-store.js';
import { MemoryStore } from '../src/watermark/memory-store.js';
import type { SlotKey, WatermarkStore } from '../src/watermark/store.js';

const SECONDS = Number(process.argv[2] ?? 2);
const LONE = Number(process.argv[3] ?? 2000);
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const HASH = 'ab'.repeat(32);
const SIG = `p2sig${'x'.repeat(93)}`;

function slotN(i: number): SlotKey {
  let s = '';
  for (let n = i, k = 0; k < 4; k++, n = Math.floor(n / 58)) s += B58[n % 58];
  return { chainId: 'NetXdQprcVkpaWU', pkh: `tz3${s}${'b'.repeat(29)}`, kind: 'attestation' };
}

interface Pcts {
  p10: number;
  p50: number;
  p90: number;
  p99: number;
}

function pcts(times: number[]): Pcts {
  const t = [...times].sort((a, b) => a - b);
  const at = (q: number) => +t[Math.min(t.length - 1, Math.floor(q * t.length))]!.toFixed(0);
  return { p10: at(0.1), p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

/**
 * One request at a time (the target: the store adds little beyond one durable write at 1 client).
 * Interleaves, so that disk noise from other jobs hits all three alike: a bare append + fdatasync, a
 * bare append to an O_DSYNC file (what the store does), and FileStore.signOnce on one slot. µs.
 */
async function loneRequest(dir: string, n: number): Promise<Record<string, Pcts>> {
  const plain = await open(join(dir, 'probe-fdatasync'), 'w');
  const dsync = await open(
    join(dir, 'probe-dsync'),
    constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC,
  );
  const store = await FileStore.open(join(dir, 'lone'));
  const s = slotN(0);
  const buf = Buffer.alloc(230, 1); // about one log entry with its frame
  const times: Record<string, number[]> = {
    'write+fdatasync': [],
    'O_DSYNC write': [],
    'store.signOnce': [],
  };
  const time = async (k: string, f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    times[k]!.push((performance.now() - t) * 1000);
  };
  for (let i = 0; i < n; i++) {
    await time('write+fdatasync', async () => {
      await plain.write(buf, 0, buf.length, i * buf.length);
      await plain.datasync();
    });
    await time('O_DSYNC write', () => dsync.write(buf, 0, buf.length, i * buf.length));
    await time('store.signOnce', () =>
      store.signOnce(s, { level: i + 1, round: 0, hash: HASH }, async () => SIG),
    );
  }
  await Promise.all([plain.close(), dsync.close(), store.close()]);
  return Object.fromEntries(Object.entries(times).map(([k, t]) => [k, pcts(t)]));
}

/** `concurrency` workers, each on its own slot, sign rising levels for SECONDS. */
async function throughput(store: WatermarkStore, concurrency: number, firstSlot = 0): Promise<number> {
  const deadline = performance.now() + SECONDS * 1000;
  let done = 0;
  const level = new Map<number, number>();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const s = slotN(firstSlot + w);
      let l = level.get(w) ?? 1_000_000;
      while (performance.now() < deadline) {
        const d = await store.signOnce(s, { level: ++l, round: 0, hash: HASH }, async () => SIG);
        if (d.outcome !== 'signed') throw new Error(`unexpected ${d.outcome}`);
        done++;
      }
    }),
  );
  return done / SECONDS;
}

async function fileCase(
  dir: string,
  name: string,
  concurrency: number,
  preload: number,
): Promise<Record<string, string | number>> {
  const sub = join(dir, name);
  const store = await FileStore.open(sub);
  // Stored slots that are not being signed on: they cost memory and compaction bytes only.
  for (let i = 0; i < preload; i += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, preload - i) }, (_, k) =>
        store.set(slotN(100_000 + i + k), { level: 1, round: 0, hash: HASH, signature: SIG }),
      ),
    );
  }
  const before = { ...store.stats };
  const rate = await throughput(store, concurrency);
  const batches = store.stats.batches - before.batches;
  const records = store.stats.records - before.records;
  const compactions = store.stats.compactions - before.compactions;
  await store.close();
  return {
    case: name,
    concurrency,
    'stored slots': preload + concurrency,
    'req/s': Math.round(rate),
    'syncs/s': Math.round(batches / SECONDS),
    'records/sync': +(records / batches).toFixed(1),
    'µs/req': +(1e6 / rate).toFixed(1),
    compactions,
  };
}

const dir = await mkdtemp(join(tmpdir(), 'thsm-wm-bench-'));
try {
  console.log(`One request at a time on ${dir} (µs, ${LONE} interleaved rounds):`);
  const lone = await loneRequest(dir, LONE);
  console.table(lone);
  const extra = lone['store.signOnce']!.p50 - lone['write+fdatasync']!.p50;
  console.log(`store p50 minus bare write+fdatasync p50: ${extra} µs`);
  const rows: Array<Record<string, string | number>> = [];
  for (const c of [1, 32, 256]) rows.push(await fileCase(dir, `file c=${c}`, c, 0));
  for (const preload of [1000, 100_000]) rows.push(await fileCase(dir, `file c=32 +${preload}`, 32, preload));
  for (const preload of [1000]) rows.push(await fileCase(dir, `file c=1 +${preload}`, 1, preload));
  console.table(rows);
  const mem = new MemoryStore();
  console.log(`memory store, 32 concurrent slots: ${Math.round(await throughput(mem, 32))} req/s`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
