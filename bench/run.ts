// `npm run bench` (docs/performance.md): on this machine, in one run, the HSM floor (raw C_Sign from C and the addon),
// the HTTP floor (empty Hono), the peer (a pkcs11js signer, bench/baseline/) and tezos-hsm-signer with the
// memory, file and PostgreSQL watermarks, under one load generator in its own process; then start-up,
// peak RSS, and growth with 1/100/1000 keys and 1/900 watermark slots. Prints the tables and the targets
// and writes bench/results/latest.{json,md}.  BENCH_SECONDS (default 3) sets each load point's window.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type SyncPair, startSyncPair } from '../test/helpers/pg-standby.js';
import { createToken, type TestToken } from '../test/helpers/softhsm.js';
import { ensurePkcs11js } from './baseline/build-pkcs11js.js';
import { runHsmBench } from './hsm.js';
import { checkSample } from './load/check-signature.js';
import { fdatasyncP50Ms } from './load/fsync.js';
import { createKeyToken } from './load/key-token.js';
import { type Backend, buildProduct, productConfig, startProduct } from './load/product.js';
import { runLoad } from './load/run-load.js';
import { type ServerProcess, startServer } from './load/server-process.js';
import type { LoadResult } from './load/spec.js';
import { runRemoteHsmBench } from './remote-hsm.js';
import { formatResults } from './report/format.js';
import type { BenchResults, GrowthRow, HttpRow, ServerRow } from './report/results.js';
import { evaluateTargets } from './report/targets.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const WARMUP = 0.5;
const CLIENTS = [1, 8, 32];
const SLOTS = 900;
const SESSIONS = 2; // HSM sessions for both signers: one per core here.
// A remote token's sessions mostly wait on the network, not on a core: more of them, for both signers.
const REMOTE_SESSIONS = 4;
const REMOTE_SECONDS = Math.min(SECONDS, 1.5); // keeps the remote part well under a minute
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

let chainBase = 1;
/** One load point; chain ids never repeat within a run, so every request is a fresh signature. */
async function load(s: ServerProcess, pkh: string, clients: number, slotsPerClient = 1): Promise<LoadResult> {
  const result = await runLoad({
    url: s.url,
    pkh,
    clients,
    seconds: SECONDS,
    warmupSeconds: WARMUP,
    slotsPerClient,
    chainBase,
    levelBase: 1,
  });
  chainBase += clients * slotsPerClient;
  return result;
}

const http: HttpRow[] = [];
const servers: ServerRow[] = [];
const growth: GrowthRow[] = [];

function pkhOf(s: ServerProcess, prefix: string): string {
  const pkh = s.keys.find((k) => k.startsWith(prefix));
  if (!pkh) throw new Error(`${s.url} serves no ${prefix} key`);
  return pkh;
}

/** Runs the 1/8/32-client points for each curve against a started server, then stops it. */
async function measureServer(
  server: HttpRow['server'],
  store: HttpRow['store'],
  s: ServerProcess,
  curves: Array<HttpRow['curve']>,
  after?: (s: ServerProcess) => Promise<void>,
): Promise<void> {
  try {
    for (const curve of curves) {
      const pkh = curve === '-' ? 'tz3empty' : pkhOf(s, curve === 'p256' ? 'tz3' : 'tz1');
      for (const clients of CLIENTS) {
        const r = await load(s, pkh, clients);
        if (curve !== '-') await checkSample(s.url, pkh, r);
        http.push({
          server,
          curve,
          store,
          clients,
          rate: r.rate,
          p50Ms: r.p50Ms,
          p90Ms: r.p90Ms,
          p99Ms: r.p99Ms,
        });
        log(
          `${server} ${curve} ${store} ${clients} clients: ${r.rate}/s p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms`,
        );
      }
    }
    await after?.(s);
    for (const curve of curves)
      servers.push({ server, curve, store, startupMs: s.startupMs, peakRssMb: s.peakRssMb() });
  } finally {
    await s.stop();
  }
}

async function productRuns(t: TestToken, pgPair: SyncPair): Promise<void> {
  const stores: Array<{ name: HttpRow['store']; backend: () => Promise<Backend>; signAhead?: boolean }> = [
    { name: 'memory', backend: async () => ({ backend: 'memory' }) },
    { name: 'file', backend: async () => ({ backend: 'file' }) },
    { name: 'file-sign_ahead_off', backend: async () => ({ backend: 'file' }), signAhead: false },
  ];
  stores.push(
    {
      name: 'postgres',
      backend: async () => ({ backend: 'postgres', url: await pgPair.primary.createDatabase('bench') }),
    },
    {
      name: 'postgres-2hosts',
      backend: async () => {
        await pgPair.primary.createDatabase('bench2');
        return { backend: 'postgres', url: pgPair.multiHostUrl('bench2') };
      },
    },
  );
  for (const { name, backend, signAhead } of stores) {
    const config = productConfig(t.dir, name, t, await backend(), SESSIONS, signAhead);
    const s = await startProduct(config, t);
    await measureServer(
      'tezos-hsm-signer',
      name,
      s,
      name === 'memory' ? ['p256', 'ed25519'] : ['p256'],
      async () => {
        if (name !== 'file') return;
        // Watermark slots: the 1-client point again, cycling through 900 chain ids instead of one (with the
        // 41 of the points before, within the key's cap of 1000 chains, watermark.max_chains).
        const one = http.find(
          (h) => h.server === 'tezos-hsm-signer' && h.store === 'file' && h.clients === 1,
        )!;
        const pkh = pkhOf(s, 'tz3');
        const r = await load(s, pkh, 1, SLOTS);
        await checkSample(s.url, pkh, r);
        const peakRssMb = s.peakRssMb();
        growth.push(
          {
            axis: 'slots',
            count: 1,
            startupMs: null,
            p50Ms: one.p50Ms,
            rate1: one.rate,
            rate8: null,
            peakRssMb,
          },
          {
            axis: 'slots',
            count: SLOTS,
            startupMs: null,
            p50Ms: r.p50Ms,
            rate1: r.rate,
            rate8: null,
            peakRssMb,
          },
        );
        log(`file watermark, ${SLOTS} slots: p50 ${r.p50Ms} ms ${r.rate}/s`);
      },
    );
  }
}

/** Start-up and per-request cost with 1, 100 and 1000 keys on the token (memory watermark). */
async function keyGrowth(): Promise<void> {
  const { token: t, growTo } = await createKeyToken('bench-keys');
  try {
    let pkh = '';
    for (const count of [1, 100, 1000]) {
      await growTo(count);
      const s = await startProduct(
        productConfig(t.dir, `keys${count}`, t, { backend: 'memory' }, SESSIONS),
        t,
      );
      try {
        if (s.keys.length !== count)
          throw new Error(`expected ${count} keys, the signer lists ${s.keys.length}`);
        pkh ||= s.keys[0]!;
        const one = await load(s, pkh, 1);
        await checkSample(s.url, pkh, one);
        const eight = await load(s, pkh, 8);
        growth.push({
          axis: 'keys',
          count,
          startupMs: s.startupMs,
          p50Ms: one.p50Ms,
          rate1: one.rate,
          rate8: eight.rate,
          peakRssMb: s.peakRssMb(),
        });
        log(`${count} keys: start-up ${s.startupMs} ms, p50 ${one.p50Ms} ms, 8 clients ${eight.rate}/s`);
      } finally {
        await s.stop();
      }
    }
  } finally {
    await t.cleanup();
  }
}

const started = performance.now();
log('building dist/ and the pkcs11js binding');
await buildProduct();
await ensurePkcs11js();

log('HSM floor: raw C_Sign vs addon');
const hsm = await runHsmBench({ seconds: 2, repeat: 1 });
const t = await createToken({ label: 'bench-http' });
let fsyncMs: number;
let remote: Awaited<ReturnType<typeof runRemoteHsmBench>> = { remote: [], handOver: [] };
try {
  fsyncMs = fdatasyncP50Ms(t.dir);
  log('HTTP floor: empty Hono');
  await measureServer('empty-hono', '-', await startServer('empty-hono', ['bench/load/empty-server.ts']), [
    '-',
  ]);
  log('peer: pkcs11js baseline');
  const baseline = await startServer('baseline', ['bench/baseline/server.ts'], {
    ...t.env,
    BASELINE_LIBRARY: t.library,
    BASELINE_TOKEN: t.tokenLabel,
    BASELINE_SESSIONS: `${SESSIONS}`,
    HSM_PIN: t.pin,
  });
  await measureServer('baseline-pkcs11js', '-', baseline, ['p256', 'ed25519']);
  // A primary with a synchronous standby, as deployed, for every PostgreSQL row.
  const pgPair = await startSyncPair('bench0');
  try {
    log('tezos-hsm-signer');
    await productRuns(t, pgPair);
    log('remote HSM: 0.5 ms and 2 ms per call');
    remote = await runRemoteHsmBench(t, {
      seconds: REMOTE_SECONDS,
      sessions: REMOTE_SESSIONS,
      log,
      postgresUrl: (name) => pgPair.primary.createDatabase(name),
    });
  } finally {
    await pgPair.dispose();
  }
} finally {
  await t.cleanup();
}
log('growth with keys on the token');
await keyGrowth();

const cpu = cpus();
const partial = {
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: cpu.length, cpuModel: cpu[0]?.model ?? '?', seconds: SECONDS },
  hsm,
  fdatasyncP50Ms: fsyncMs,
  http,
  servers,
  growth,
  ...remote,
};
const results: BenchResults = { ...partial, targets: evaluateTargets(partial) };
const markdown = formatResults(results);
mkdirSync(RESULTS, { recursive: true });
writeFileSync(`${RESULTS}latest.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${RESULTS}latest.md`, markdown);
console.log(markdown);
log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s; bench/results/latest.{json,md} written`);
