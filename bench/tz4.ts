// tz4 (BLS, unsealed in process) beside P-256 (signed in the HSM) on a real SoftHSM2 token made by
// dev-hsm init in a temp dir (docs/tz4.md):
//   - unseal: one AES-GCM decrypt in the token + public key derivation;
//   - raw sign: BlsKey.sign with @noble/curves and with @chainsafe/blst vs Hsm.sign (P-256 over a
//     32-byte digest), sequential;
//   - HTTP end to end with a memory watermark, tz4 keys on the signing thread as serve runs them, once
//     with @noble/curves (native: false, the fallback) and once with blst: attestations at rising levels
//     (tag 41 for tz4, 21 for tz3), sequential latency, 16 concurrent clients, and tz3 latency while tz4
//     signs continuously.
//   node --import tsx bench/tz4.ts [requests-per-case]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlsKey } from '../src/bls/bls-key.js';
import { unsealDir, writeSealed } from '../src/bls/key-dir.js';
import { nativeBls } from '../src/bls/native-bls.js';
import { sealKey } from '../src/bls/seal.js';
import { BlsSignThread } from '../src/bls/sign-thread.js';
import { openHsm } from '../src/cli/open-hsm.js';
import { loadConfig } from '../src/config/load.js';
import { Policy } from '../src/policy/policy.js';
import { createApp } from '../src/server/app.js';
import { listen } from '../src/server/listen.js';
import { Signer } from '../src/signer/signer.js';
import { blake2b256 } from '../src/tezos/hash.js';
import { MemoryStore } from '../src/watermark/memory-store.js';
import { devToken, writeVariant } from '../test/helpers/dev-signer.js';
import { consensus } from '../test/helpers/tezos-vectors.js';
import { postSign, signBody } from './load/sign-body.js';

const N = Number(process.argv[2] ?? 1000);
const t = await devToken();
const file = writeVariant(
  t.dir,
  'bench.yaml',
  readFileSync(t.config, 'utf8').replace(/watermark:[\s\S]*$/, 'watermark:\n  backend: memory\n'),
  '',
);
const config = await loadConfig(file);
const hsm = await openHsm(config);
const dir = join(t.dir, 'bls');

function pct(sorted: number[], p: number): string {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!.toFixed(3);
}

async function timed(label: string, n: number, fn: (i: number) => Promise<unknown> | unknown): Promise<void> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  const total = lat.reduce((a, b) => a + b, 0);
  console.log(
    `${label.padEnd(34)} p50 ${pct(lat, 0.5)} ms  p99 ${pct(lat, 0.99)} ms  ${Math.round((n * 1000) / total)}/s`,
  );
}

// Seal one key, then measure unsealing (what serve does at start).
await hsm.generateAesKey('bench-seal');
const made = BlsKey.generate();
await writeSealed(dir, await sealKey(hsm, made.key, made.secretLe, 'bench', 'bench-seal'));
const native = nativeBls();
if (native.lib === null) throw new Error(native.error);
const blstKey = new BlsKey(made.secretLe, 'bench', native.lib);
made.secretLe.fill(0);
await timed('unseal (AES-GCM decrypt in HSM)', 200, async () => {
  const [k] = await unsealDir(hsm, dir);
  k!.wipe();
});
const [nobleKey] = await unsealDir(hsm, dir);

const msg = Uint8Array.from(Buffer.from(consensus(0x13, 41, 1, 0), 'hex'));
const p256 = (await hsm.keys()).find((k) => k.curve === 'p256')!;
const digest = blake2b256(msg);
for (let i = 0; i < 50; i++) nobleKey!.sign(msg);
await timed('raw tz4 sign @noble/curves', Math.min(N, 300), () => nobleKey!.sign(msg));
for (let i = 0; i < 50; i++) blstKey.sign(msg);
await timed('raw tz4 sign blst', N, () => blstKey.sign(msg));
blstKey.wipe();
await timed('raw tz3 Hsm.sign P-256', N, () => hsm.sign(p256, digest));

let level = 1;
for (const useNative of [false, true]) {
  // As serve does: the secret moves into the signing thread.
  const [key] = await unsealDir(hsm, dir);
  const { thread, keys: threadKeys } = await BlsSignThread.start([key!], { native: useNative });
  console.log(`-- signing thread: ${thread.backend}`);
  await timed('tz4 sign through the thread', useNative ? N : Math.min(N, 300), () =>
    threadKeys[0]!.sign(msg),
  );
  const signer = await Signer.create(hsm, new MemoryStore(), new Policy(null), { blsKeys: threadKeys });
  const server = await listen(createApp(signer, config.server), { host: '127.0.0.1', port: 0 });
  const pkhs = { tz3: t.pkhs.tz3, tz4: threadKeys[0]!.pkh };
  const post = (pkh: string, tag: number, client = 0) =>
    postSign(server.address, pkh, signBody(client, level++, tag));
  // tz3 once (it does not depend on the BLS library), tz4 with each.
  for (const [prefix, pkh] of Object.entries(pkhs)) {
    if (prefix === 'tz3' && useNative) continue;
    const tag = prefix === 'tz4' ? 41 : 21;
    for (let i = 0; i < 50; i++) await post(pkh, tag);
    await timed(`HTTP ${prefix} sequential`, N, () => post(pkh, tag));
    const t0 = performance.now();
    let left = N;
    await Promise.all(
      Array.from({ length: 16 }, async (_, client) => {
        while (left-- > 0) await post(pkh, tag, client + 1);
      }),
    );
    console.log(
      `HTTP ${prefix} 16 clients`.padEnd(34),
      `${Math.round(N / ((performance.now() - t0) / 1000))} signatures/s`,
    );
  }
  // tz3 latency while tz4 signs continuously (4 clients): the BLS work is on the signing thread.
  let busy = true;
  const background = Promise.all(
    Array.from({ length: 4 }, async (_, client) => {
      while (busy) await post(pkhs.tz4, 41, 100 + client);
    }),
  );
  await timed('HTTP tz3 sequential, tz4 under load', N, () => post(pkhs.tz3, 21, 200));
  busy = false;
  await background;
  await server.close();
  await thread.close();
}
await hsm.close();
