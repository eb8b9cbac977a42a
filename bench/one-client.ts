// One client, one request at a time: p50 of tezos-hsm-signer (memory watermark, P-256) beside the empty
// Hono server and the pkcs11js baseline, the three rows interleaved over ROUNDS so that a busy neighbour
// moves all of them. The quick form of `npm run bench`'s 1-client rows, for work on the per-request cost.
//   node --import tsx bench/one-client.ts [ROUNDS=3] [SECONDS=3]
import { createToken } from '../test/helpers/softhsm.js';
import { mainThreadCpuSeconds } from './addon-sign.js';
import { ensurePkcs11js } from './baseline/build-pkcs11js.js';
import { checkSample } from './load/check-signature.js';
import { buildProduct, productConfig, startProduct } from './load/product.js';
import { runLoad } from './load/run-load.js';
import { type ServerProcess, startServer } from './load/server-process.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const SECONDS = Number(process.argv[3] ?? 3);
const SESSIONS = 2;

await buildProduct();
await ensurePkcs11js();
const t = await createToken({ label: 'bench-one' });
const servers: Array<[string, ServerProcess]> = [];
try {
  servers.push(['empty-hono', await startServer('empty-hono', ['bench/load/empty-server.ts'])]);
  servers.push([
    'baseline',
    await startServer('baseline', ['bench/baseline/server.ts'], {
      ...t.env,
      BASELINE_LIBRARY: t.library,
      BASELINE_TOKEN: t.tokenLabel,
      BASELINE_SESSIONS: `${SESSIONS}`,
      HSM_PIN: t.pin,
    }),
  ]);
  servers.push([
    'tezos-hsm-signer',
    await startProduct(productConfig(t.dir, 'one', t, { backend: 'memory' }, SESSIONS), t),
  ]);
  const p50s = new Map<string, number[]>(servers.map(([n]) => [n, []]));
  const cpus = new Map<string, number[]>(servers.map(([n]) => [n, []]));
  let chainBase = 1;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, s] of servers) {
      const pkh = s.keys.find((k) => k.startsWith('tz3')) ?? 'tz3empty';
      const cpu0 = mainThreadCpuSeconds(s.pid) ?? Number.NaN;
      const r = await runLoad({
        url: s.url,
        pkh,
        clients: 1,
        seconds: SECONDS,
        warmupSeconds: 0.5,
        slotsPerClient: 1,
        chainBase: chainBase++,
        levelBase: 1,
      });
      // Per answered request; the warm-up's requests are not counted, so this reads a little high.
      cpus.get(name)?.push((((mainThreadCpuSeconds(s.pid) ?? Number.NaN) - cpu0) * 1e6) / r.requests);
      if (name !== 'empty-hono') await checkSample(s.url, pkh, r);
      p50s.get(name)?.push(r.p50Ms);
    }
  }
  for (const [name, xs] of p50s) {
    const cpu = (cpus.get(name) ?? []).map((x) => x.toFixed(0)).join('  ');
    console.log(
      `${name.padEnd(18)} p50 ${xs.map((x) => x.toFixed(3)).join('  ')} ms  JS thread ${cpu} µs/request`,
    );
  }
} finally {
  for (const [, s] of servers) await s.stop();
  await t.cleanup();
}
