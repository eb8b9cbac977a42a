// Watermark store benchmark (issue #4): the cost of one fdatasync on this disk, file-store throughput
// with 1, 32 and 256 concurrent requests on different slots (group commit: records per sync grow with
// concurrency), and per-request cost with few vs many stored slots. The sign() callback is free here:
// this measures the store, not the HSM.
//
//   node --import tsx bench/watermark.ts [seconds-per-case]

import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../src/watermark/file-store.js';
import { MemoryStore } from '../src/watermark/memory-store.js';
import type { SlotKey, WatermarkStore } from '../src/watermark/store.js';

const SECONDS = Number(process.argv[2] ?? 2);
const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const HASH = 'ab'.repeat(32);
const SIG = `p2sig${'x'.repeat(93)}`;

function slotN(i: number): SlotKey {
  let s = '';
  for (let n = i, k = 0; k < 4; k++, n = Math.floor(n / 58)) s += B58[n % 58];
  return { chainId: 'NetXdQprcVkpaWU', pkh: `tz3${s}${'b'.repeat(29)}`, kind: 'attestation' };
}

async function fdatasyncCost(dir: string): Promise<{ mean: number; p50: number; p99: number }> {
  const fh = await open(join(dir, 'sync-probe'), 'w');
  const buf = Buffer.alloc(200, 1);
  const times: number[] = [];
  let pos = 0;
  for (let i = 0; i < 300; i++) {
    await fh.write(buf, 0, buf.length, pos);
    pos += buf.length;
    const t = process.hrtime.bigint();
    await fh.datasync();
    times.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  await fh.close();
  times.sort((a, b) => a - b);
  return {
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    p50: times[Math.floor(times.length / 2)]!,
    p99: times[Math.floor(times.length * 0.99)]!,
  };
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
  const sync = await fdatasyncCost(dir);
  console.log(
    `fdatasync of a 200-byte append on ${dir}: mean ${sync.mean.toFixed(0)} µs, p50 ${sync.p50.toFixed(0)} µs, p99 ${sync.p99.toFixed(0)} µs`,
  );
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
