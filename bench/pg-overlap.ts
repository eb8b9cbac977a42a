// The PostgreSQL store before and after the reservation overlapped with the HSM (docs/ha.md), in one
// process, rounds interleaved (the machine is shared). "before" is src/ at BASE (default: the parent of the
// commit that introduced the reservation), unpacked with `git archive` into a temp directory; "after" is
// the working tree. Both run against the same servers with the same sign(): a real secp256k1 signature in
// JS, after a sleep standing for the HSM's own time (0, 2 or 10 ms). Databases: one server, and a primary with
// a synchronous standby (each COMMIT then waits for the standby's flush too).
// Reported per case: 1 slot, one request at a time: p50 and p99 of signOnce (what the baker waits for);
// 8 slots at once: signOnce/s, p50, and PostgreSQL CPU µs per signOnce.
// Run: node --import tsx bench/pg-overlap.ts [rounds, default 5] [seconds per case, default 1] [BASE]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PostgresStore } from '../src/watermark/postgres-store.js';
import { openPostgresStore } from '../src/watermark/postgres-store.js';
import { payloadHash, testSigner } from '../test/helpers/ecdsa-signer.js';
import { startSyncPair } from '../test/helpers/pg-standby.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { pct, pgCpuMs } from './pg-cpu.js';

const rounds = Number(process.argv[2] ?? 5);
const seconds = Number(process.argv[3] ?? 1);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const base = git(
  'rev-parse',
  process.argv[4] ??
    `${git('log', '-1', '--format=%H', '--grep=one round trip reserves the height', '--', 'src/watermark/postgres-store.ts')}^`,
);

// The "before" sources: src/ at BASE next to a link to our node_modules (pg and friends resolve there).
const oldTree = mkdtempSync(join(tmpdir(), 'pg-overlap-base-'));
execFileSync('sh', ['-c', `git archive ${base} src | tar -x -C ${oldTree}`], { cwd: ROOT });
symlinkSync(join(ROOT, 'node_modules'), join(oldTree, 'node_modules'));
const old = (await import(join(oldTree, 'src/watermark/postgres-store.ts'))) as {
  openPostgresStore: typeof openPostgresStore;
};

const signer = testSigner();
const CHAIN = 'NetXdQprcVkpaWU';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = { onWarning: () => {}, poolSize: 10 };

type Variant = 'before' | 'after';
interface Sample {
  latencies: number[];
  count: number;
  cpuMs: number;
}

/** Closed loop on `slots` slots for `ms`, each request a new height; latencies of every signOnce. */
async function load(
  store: PostgresStore,
  tag: string,
  slots: number,
  hsmMs: number,
  ms: number,
  port: number,
) {
  const latencies: number[] = [];
  const cpu0 = pgCpuMs(port);
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: slots }, async (_, s) => {
      const slot = { chainId: CHAIN, pkh: `tz1${tag}x${s + 1}`.replaceAll('0', 'o'), kind: 'block' as const };
      for (let level = levelBase; performance.now() < end; level++) {
        const hash = payloadHash(`${tag}/${s}`, level);
        const t0 = performance.now();
        await store.signOnce(slot, { level, round: 0, hash }, async () => {
          if (hsmMs > 0) await sleep(hsmMs);
          return signer.sign(hash);
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), count: latencies.length, cpuMs: pgCpuMs(port) - cpu0 };
}
let levelBase = 1;

const single = await startPostgres();
const pair = await startSyncPair('overlap');
const servers = [
  { name: 'one server', port: single.port, url: await single.createDatabase('overlap') },
  { name: 'sync standby', port: pair.primary.port, url: pair.primary.urlFor('overlap') },
];
try {
  const stores = new Map<string, PostgresStore>();
  for (const srv of servers) {
    stores.set(`${srv.name}/before`, (await old.openPostgresStore(srv.url, quiet)) as PostgresStore);
    stores.set(`${srv.name}/after`, await openPostgresStore(srv.url, quiet));
  }
  const results = new Map<string, Sample[]>();
  console.log(`before = ${base.slice(0, 12)} (src/ unpacked in ${oldTree}), after = working tree`);
  console.log(`${rounds} rounds, ${seconds}s per case, variants interleaved within each round`);
  for (let r = 0; r < rounds; r++) {
    for (const srv of servers) {
      for (const hsmMs of [0, 2, 10]) {
        for (const slots of [1, 8]) {
          for (const v of ['before', 'after'] as Variant[]) {
            const key = `${srv.name}|${hsmMs}|${slots}|${v}`;
            const tag = `${v === 'before' ? 'B' : 'A'}${hsmMs}s${slots}`;
            levelBase += 1_000_000;
            await load(stores.get(`${srv.name}/${v}`)!, tag, slots, hsmMs, 100, srv.port); // warm
            const sample = await load(
              stores.get(`${srv.name}/${v}`)!,
              tag,
              slots,
              hsmMs,
              seconds * 1000,
              srv.port,
            );
            results.set(key, [...(results.get(key) ?? []), sample]);
          }
        }
      }
    }
    process.stderr.write(`round ${r + 1}/${rounds} done\n`);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const range = (xs: number[], d = 2) =>
    `${med(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
  console.log('\nmedian over rounds (min–max)');
  console.log(
    '| database | HSM ms | slots | variant | signOnce/s | p50 ms | p99 ms | PostgreSQL CPU µs/op |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const srv of servers)
    for (const hsmMs of [0, 2, 10])
      for (const slots of [1, 8])
        for (const v of ['before', 'after'] as Variant[]) {
          const s = results.get(`${srv.name}|${hsmMs}|${slots}|${v}`)!;
          console.log(
            `| ${srv.name} | ${hsmMs} | ${slots} | ${v} | ${range(
              s.map((x) => x.count / seconds),
              0,
            )} | ${range(s.map((x) => pct(x.latencies, 50)))} | ${range(s.map((x) => pct(x.latencies, 99)))} | ${range(
              s.map((x) => (x.cpuMs * 1000) / x.count),
              0,
            )} |`,
          );
        }
  for (const s of stores.values()) await s.close();
} finally {
  await pair.dispose();
  await single.dispose();
  rmSync(oldTree, { recursive: true, force: true });
}
