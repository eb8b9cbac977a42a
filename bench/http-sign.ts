// End-to-end signing cost through the HTTP API on a real SoftHSM2 token (made by dev-hsm init in a
// temp dir): attestations at rising levels, so every request is a fresh HSM signature.
// Sequential (latency) and 16 concurrent clients (throughput), per curve, memory and file watermark.
//   node --import tsx bench/http-sign.ts [requests-per-case]
import { readFileSync } from 'node:fs';
import { listen } from '../src/server/listen.js';
import { devToken, openSigner, writeVariant } from '../test/helpers/dev-signer.js';
import { postSign, signBody } from './load/sign-body.js';

const N = Number(process.argv[2] ?? 1000);
const t = await devToken();
const yaml = readFileSync(t.config, 'utf8');

function pct(sorted: number[], p: number): string {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!.toFixed(2);
}

for (const backend of ['memory', 'file'] as const) {
  const file =
    backend === 'memory'
      ? writeVariant(
          t.dir,
          'bench.yaml',
          yaml.replace(/watermark:[\s\S]*$/, 'watermark:\n  backend: memory\n'),
          '',
        )
      : t.config;
  const s = await openSigner(file);
  const server = await listen(s.app, { host: '127.0.0.1', port: 0 });
  let level = 1;
  // Each concurrent client on its own chain id: its own watermark slot, levels rising in order.
  const post = (pkh: string, client = 0) => postSign(server.address, pkh, signBody(client, level++));
  for (const [prefix, pkh] of Object.entries(t.pkhs)) {
    for (let i = 0; i < 50; i++) await post(pkh);
    const lat: number[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      await post(pkh);
      lat.push(performance.now() - t0);
    }
    lat.sort((a, b) => a - b);
    const t0 = performance.now();
    let left = N;
    await Promise.all(
      Array.from({ length: 16 }, async (_, client) => {
        while (left-- > 0) await post(pkh, client + 1);
      }),
    );
    const rate = N / ((performance.now() - t0) / 1000);
    console.log(
      `${backend.padEnd(6)} ${prefix}  sequential p50 ${pct(lat, 0.5)} ms  p99 ${pct(lat, 0.99)} ms  ` +
        `| 16 clients ${Math.round(rate)} signatures/s`,
    );
  }
  await server.close();
  await s.close();
}
