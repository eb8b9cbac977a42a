// The remote-HSM regime: the bench token behind a sleep of 0.5 ms and of 2 ms before every C_SignInit and
// C_Sign (test/fixtures/fault-pkcs11.c, FAULT_PKCS11_DELAY_US), as a network HSM's round trips would add.
// tezos-hsm-signer with the memory, file and (given a database) PostgreSQL watermarks against the
// pkcs11js baseline at 1, 8 and 32 clients, same sessions, each signer in its default configuration, and
// the memory watermark once more with hsm.sign_ahead off; then the hand-over: how long a lone sign takes
// (with and without sign ahead), and how long the same sign takes when a second one is queued 1 ms behind
// it on the same session (a worker that held finished results for a batch made the first wait for the
// second).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Hsm } from '../src/hsm/index.js';
import { buildFaultLibrary } from '../test/helpers/fault-pkcs11.js';
import { createToken, type TestToken } from '../test/helpers/softhsm.js';
import { checkSample } from './load/check-signature.js';
import { type Backend, productConfig, startProduct } from './load/product.js';
import { runLoad } from './load/run-load.js';
import { type ServerProcess, startServer } from './load/server-process.js';

export const REMOTE_DELAYS_US = [500, 2000];
const CLIENTS = [1, 8, 32];

export interface RemoteRow {
  delayUs: number;
  server: 'tezos-hsm-signer' | 'tezos-hsm-signer sign_ahead off' | 'baseline-pkcs11js';
  /** The signer's watermark backend; '-' for the baseline (none). */
  store: 'memory' | 'file' | 'postgres' | '-';
  clients: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
}

export interface HandOverRow {
  delayUs: number;
  /** Median ms from sign() to its promise resolving, one sign at a time (sign ahead on, the default). */
  aloneMs: number;
  /** The same with signAhead false: C_SignInit back on the path. */
  aloneOffMs: number;
  /** The same, when a second sign is submitted 1 ms after the first on the one session. */
  queuedBehindMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Environment for a process that loads the wrapper as a pure delay: no control or log file to read. */
async function delayLibrary(
  dir: string,
  delayUs: number,
): Promise<{ library: string; env: Record<string, string> }> {
  mkdirSync(dir, { recursive: true });
  const fault = await buildFaultLibrary(dir, [], { us: delayUs });
  const { FAULT_PKCS11_CONTROL: _c, FAULT_PKCS11_LOG: _l, ...env } = fault.env;
  return { library: fault.library, env };
}

async function measure(
  s: ServerProcess,
  server: RemoteRow['server'],
  store: RemoteRow['store'],
  delayUs: number,
  seconds: number,
  rows: RemoteRow[],
  log: (s: string) => void,
): Promise<void> {
  const pkh = s.keys.find((k) => k.startsWith('tz3'));
  if (!pkh) throw new Error(`${s.url} serves no tz3 key`);
  try {
    let chainBase = 1;
    for (const clients of CLIENTS) {
      const spec = { url: s.url, pkh, clients, seconds, warmupSeconds: 0.3, slotsPerClient: 1, chainBase };
      const r = await runLoad({ ...spec, levelBase: 1 });
      chainBase += clients;
      await checkSample(s.url, pkh, r);
      rows.push({ delayUs, server, store, clients, rate: r.rate, p50Ms: r.p50Ms, p99Ms: r.p99Ms });
      log(
        `remote ${delayUs} µs ${server} ${store} ${clients} clients: ${r.rate}/s p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms`,
      );
    }
  } finally {
    await s.stop();
  }
}

/** Lone sign vs the same sign with a second queued 1 ms behind it, on one session through the delay. */
export async function handOver(t: TestToken, dir: string, delayUs: number, count = 25): Promise<HandOverRow> {
  const { library, env } = await delayLibrary(dir, delayUs);
  Object.assign(process.env, t.env, env);
  delete process.env.FAULT_PKCS11_CONTROL;
  delete process.env.FAULT_PKCS11_LOG;
  const hsm = await Hsm.open({ library, tokenLabel: t.tokenLabel, pin: t.pin, sessions: 1 });
  const off = await Hsm.open({
    library,
    tokenLabel: t.tokenLabel,
    pin: t.pin,
    sessions: 1,
    signAhead: false,
  });
  try {
    const key = (await hsm.keys()).find((k) => k.curve === 'p256')!;
    const offKey = (await off.keys()).find((k) => k.curve === 'p256')!;
    const digest = new Uint8Array(32).fill(7);
    for (let i = 0; i < 5; i++) await Promise.all([hsm.sign(key, digest), off.sign(offKey, digest)]);
    const alone: number[] = [];
    const aloneOff: number[] = [];
    const behind: number[] = [];
    for (let i = 0; i < count; i++) {
      let t0 = performance.now();
      await off.sign(offKey, digest);
      aloneOff.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 1)); // as between one client's requests: the worker prepares
      t0 = performance.now();
      await hsm.sign(key, digest);
      alone.push(performance.now() - t0);
      t0 = performance.now();
      const first = hsm.sign(key, digest).then(() => performance.now() - t0);
      await new Promise((r) => setTimeout(r, 1));
      const second = hsm.sign(key, digest);
      behind.push(await first);
      await second;
    }
    return {
      delayUs,
      aloneMs: round2(median(alone)),
      aloneOffMs: round2(median(aloneOff)),
      queuedBehindMs: round2(median(behind)),
    };
  } finally {
    await hsm.close();
    await off.close();
  }
}

export async function runRemoteHsmBench(
  t: TestToken,
  o: {
    seconds: number;
    sessions: number;
    log: (s: string) => void;
    /** A fresh PostgreSQL database per call, for the postgres rows; none: no postgres rows. */
    postgresUrl?: (name: string) => Promise<string>;
  },
): Promise<{ remote: RemoteRow[]; handOver: HandOverRow[] }> {
  const remote: RemoteRow[] = [];
  const hand: HandOverRow[] = [];
  for (const delayUs of REMOTE_DELAYS_US) {
    const dir = join(t.dir, `remote-${delayUs}`);
    const { library, env } = await delayLibrary(dir, delayUs);
    const viaDelay = { ...t, library };
    const stores: Array<{ store: RemoteRow['store']; backend: () => Promise<Backend>; signAhead?: false }> = [
      { store: 'memory', backend: async () => ({ backend: 'memory' }) },
      { store: 'memory', backend: async () => ({ backend: 'memory' }), signAhead: false },
      { store: 'file', backend: async () => ({ backend: 'file' }) },
    ];
    const pgUrl = o.postgresUrl;
    if (pgUrl)
      stores.push({
        store: 'postgres',
        backend: async () => ({ backend: 'postgres', url: await pgUrl(`remote${delayUs}`) }),
      });
    for (const { store, backend, signAhead } of stores) {
      const name = `remote-${store}${signAhead === false ? '-off' : ''}`;
      const ours = productConfig(dir, name, viaDelay, await backend(), o.sessions, signAhead);
      await measure(
        await startProduct(ours, viaDelay, env),
        signAhead === false ? 'tezos-hsm-signer sign_ahead off' : 'tezos-hsm-signer',
        store,
        delayUs,
        o.seconds,
        remote,
        o.log,
      );
    }
    const baseline = await startServer('baseline', ['bench/baseline/server.ts'], {
      ...t.env,
      ...env,
      BASELINE_LIBRARY: library,
      BASELINE_TOKEN: t.tokenLabel,
      BASELINE_SESSIONS: `${o.sessions}`,
      HSM_PIN: t.pin,
    });
    await measure(baseline, 'baseline-pkcs11js', '-', delayUs, o.seconds, remote, o.log);
    const h = await handOver(t, join(dir, 'hand-over'), delayUs);
    hand.push(h);
    o.log(
      `hand-over ${delayUs} µs: alone ${h.aloneMs} ms (sign ahead off ${h.aloneOffMs} ms), with a second queued 1 ms behind ${h.queuedBehindMs} ms`,
    );
  }
  return { remote, handOver: hand };
}

// Alone: `node --import tsx bench/remote-hsm.ts [SECONDS=1.5] [SESSIONS=4]` (needs `npm run build:ts` for
// the server); `--hand-over` measures the hand-over only, in this process.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const onlyHandOver = process.argv[2] === '--hand-over';
  const [seconds, sessions] = process.argv.slice(onlyHandOver ? 3 : 2);
  const t = await createToken({ label: 'bench-remote' });
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  try {
    if (onlyHandOver) {
      for (const us of REMOTE_DELAYS_US)
        console.log(JSON.stringify(await handOver(t, join(t.dir, `h${us}`), us)));
    } else {
      const o = { seconds: Number(seconds ?? 1.5), sessions: Number(sessions ?? 4), log };
      console.log(JSON.stringify(await runRemoteHsmBench(t, o)));
    }
  } finally {
    await t.cleanup();
  }
}
