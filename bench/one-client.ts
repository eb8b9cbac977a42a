// One request at a time: the empty Hono server and the pkcs11js peer (bench/baseline/, memory watermark,
// no verification) beside tezos-hsm-signer with the memory and the file watermark, on one SoftHSM2 P-256
// key, in short interleaved rounds (the machine is shared, so noise hits every server alike). Prints the
// median over rounds of each round's p50 and p99, each server's p50 against the peer's in the same
// round, and CPU per request: the server's JS thread, the whole server (every thread: the addon's
// workers, libuv's pool), and the load generator (its share of the same cores). docs/performance.md
// reads these rows.
//
//   node --import tsx bench/one-client.ts [rounds] [seconds-per-round] [clients]
//
// BENCH_BEFORE=NAME=/path/to/a/checkout[,NAME2=/path/…] adds each checkout's server with the file
// watermark (its dist/ and addon built) as row NAME, to compare a change with what it replaces in one run.
import { join } from 'node:path';
import { createToken } from '../test/helpers/softhsm.js';
import { mainThreadCpuSeconds, processCpuSeconds } from './addon-sign.js';
import { ensurePkcs11js } from './baseline/build-pkcs11js.js';
import { checkSample } from './load/check-signature.js';
import { fdatasyncP50Ms } from './load/fsync.js';
import { buildProduct, productConfig, startProduct } from './load/product.js';
import { runLoad } from './load/run-load.js';
import { type ServerProcess, startServer } from './load/server-process.js';

const ROUNDS = Number(process.argv[2] ?? 7);
const SECONDS = Number(process.argv[3] ?? 2);
const CLIENTS = Number(process.argv[4] ?? 1);
const SESSIONS = 2;
const BEFORE = (process.env.BENCH_BEFORE ?? '')
  .split(',')
  .filter((s) => s.includes('='))
  .map((s) => s.split('=') as [string, string]);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

await buildProduct();
await ensurePkcs11js();
const t = await createToken({ label: 'bench-one-client' });
const servers = new Map<string, ServerProcess>();
try {
  servers.set('empty-hono', await startServer('empty-hono', ['bench/load/empty-server.ts']));
  servers.set(
    'baseline-pkcs11js',
    await startServer('baseline', ['bench/baseline/server.ts'], {
      ...t.env,
      BASELINE_LIBRARY: t.library,
      BASELINE_TOKEN: t.tokenLabel,
      BASELINE_SESSIONS: `${SESSIONS}`,
      HSM_PIN: t.pin,
    }),
  );
  for (const backend of ['memory', 'file'] as const)
    servers.set(backend, await startProduct(productConfig(t.dir, backend, t, { backend }, SESSIONS), t));
  for (const [name, dir] of BEFORE) {
    const config = productConfig(t.dir, `before-${name}`, t, { backend: 'file' }, SESSIONS);
    servers.set(
      `file (${name})`,
      await startServer(name, [join(dir, 'bin/tezos-hsm-signer.js'), 'serve', '--config', config], {
        HSM_PIN: t.pin,
      }),
    );
  }
  const p50 = new Map<string, number[]>([...servers.keys()].map((k) => [k, []]));
  const p99 = new Map<string, number[]>([...servers.keys()].map((k) => [k, []]));
  const rate = new Map<string, number[]>([...servers.keys()].map((k) => [k, []]));
  const cpu = new Map<string, number[]>([...servers.keys()].map((k) => [k, []]));
  const procCpu = new Map<string, number[]>([...servers.keys()].map((k) => [k, []]));
  const clientCpu = new Map<string, number[]>([...servers.keys()].map((k) => [k, []]));
  const sync: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, s] of servers) {
      const pkh = s.keys.find((k) => k.startsWith('tz3')) ?? 'tz3empty';
      const cpu0 = mainThreadCpuSeconds(s.pid) ?? Number.NaN;
      const proc0 = processCpuSeconds(s.pid) ?? Number.NaN;
      const res = await runLoad({
        url: s.url,
        pkh,
        clients: CLIENTS,
        seconds: SECONDS,
        warmupSeconds: 0.3,
        slotsPerClient: 1,
        chainBase: 1,
        levelBase: 1 + r * 1_000_000,
      });
      // Per answered request; the warm-up's requests are not counted, so this reads a little high.
      cpu.get(name)!.push((((mainThreadCpuSeconds(s.pid) ?? Number.NaN) - cpu0) * 1e6) / res.requests);
      procCpu.get(name)!.push((((processCpuSeconds(s.pid) ?? Number.NaN) - proc0) * 1e6) / res.requests);
      clientCpu.get(name)!.push(res.clientCpuUsPerRequest);
      if (name !== 'empty-hono') await checkSample(s.url, pkh, res);
      p50.get(name)!.push(res.p50Ms);
      p99.get(name)!.push(res.p99Ms);
      rate.get(name)!.push(res.rate);
    }
    sync.push(fdatasyncP50Ms(t.dir));
    process.stderr.write(
      `[one-client] round ${r + 1}: ${[...p50].map(([k, v]) => `${k} ${v.at(-1)}`).join(', ')} ms\n`,
    );
  }
  const peer = p50.get('baseline-pkcs11js')!;
  console.table(
    [...servers.keys()].map((name) => ({
      server: name,
      clients: CLIENTS,
      'p50 ms': +median(p50.get(name)!).toFixed(3),
      'p99 ms': +median(p99.get(name)!).toFixed(3),
      'req/s': Math.round(median(rate.get(name)!)),
      'p50 / peer (per round)': +median(p50.get(name)!.map((v, i) => v / peer[i]!)).toFixed(2),
      'JS thread µs/request': Math.round(median(cpu.get(name)!)),
      'server CPU µs/request': Math.round(median(procCpu.get(name)!)),
      'client CPU µs/request': Math.round(median(clientCpu.get(name)!)),
    })),
  );
  console.log(`bare append + fdatasync back to back, p50: ${median(sync).toFixed(3)} ms`);
} finally {
  for (const s of servers.values()) await s.stop();
  await t.cleanup();
}
