// What verifying every HSM signature costs (CPU µs per verify), per curve: the addon's check after C_Sign (native/verify.cpp, on
// one key parsed once, as its first signature parses it) and the JS verifiers used where the addon cannot
// (src/crypto/verifier.ts).
// Run: node --import tsx bench/verify.ts
// BASELINE_ADDON=/path/to/other.node adds the native rows of another build of the addon (a copy of
// build/Release/tezos_hsm_signer.node made before a change), alternated with this one ROUNDS times (default
// 3), so both see the same load.
// P-256 rows: "p256 addon" is a key without its table (OpenSSL's EVP_PKEY_verify, as every key was
// before tables); "p256 table" the check through the key's table of multiples (native/verify_p256.cpp),
// one key; "p256 table ×64" and "p256 evp ×64" each check on the next of 64 keys in turn, so a table is
// rarely in the core's caches (cold-ish); "p256 table build" the CPU µs to make one table (key parse
// included, a key's parse alone subtracted), and the resident bytes it adds.
import { sign as cryptoSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { makeVerifier, type Verifier } from '../src/crypto/verifier.js';
import { addon, type NativeAddon } from '../src/hsm/native.js';
import type { Curve } from '../src/hsm/types.js';

/** CPU time of this process, in µs: the checks run on this thread alone, so other load on the host hardly counts. */
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

const seen = new Map<string, number[]>();

function report(name: string, us: number): void {
  seen.set(name, [...(seen.get(name) ?? []), us]);
  console.log(`${name.padEnd(18)} ${us.toFixed(1).padStart(7)} µs/verify  ${Math.round(1e6 / us)}/s`);
}

function measure(name: string, verify: Verifier, digest: Uint8Array, sig: Uint8Array): void {
  for (let i = 0; i < 300; i++) verify(digest, sig);
  const n = 3000;
  const t = cpuMicros();
  for (let i = 0; i < n; i++) if (!verify(digest, sig)) throw new Error('verify failed');
  report(name, (cpuMicros() - t) / n);
}

interface Sample {
  curve: Curve;
  publicKey: Uint8Array;
  data: Uint8Array;
  signature: Uint8Array;
}

/** The addon's check `n` times in one native loop (one JS call), after a warm-up. */
function measureNative(name: string, lib: NativeAddon, s: Sample): void {
  const run = (n: number) => {
    if (lib.verifyRepeat(s.curve, s.publicKey, s.data, s.signature, n) !== n)
      throw new Error(`${name}: verify failed`);
  };
  run(200);
  const n = s.curve === 'secp256k1' ? 1500 : 4000;
  const t = cpuMicros();
  run(n);
  report(name, (cpuMicros() - t) / n);
}

const digest = randomBytes(32);
const ed = generateKeyPairSync('ed25519');
const edRaw = Buffer.from(ed.publicKey.export({ format: 'jwk' }).x!, 'base64url');
const edSig = cryptoSign(null, digest, ed.privateKey);
const samples: Sample[] = [{ curve: 'ed25519', publicKey: edRaw, data: digest, signature: edSig }];
for (const [curve, impl] of [
  ['secp256k1', secp256k1],
  ['p256', p256],
] as const) {
  const sk = impl.utils.randomSecretKey();
  samples.push({
    curve,
    publicKey: impl.getPublicKey(sk, true),
    data: digest,
    signature: impl.sign(digest, sk, { prehash: false }),
  });
}

/** P-256 checks timed by the addon itself (verifyKeys): each of `keys` in turn, with or without tables. */
function measureP256(name: string, keys: Sample[], tables: boolean): { keysUs: number; keysRss: number } {
  const rounds = Math.ceil(4000 / keys.length);
  const r = addon.verifyKeys(
    'p256',
    keys.map((k) => k.publicKey),
    keys.map((k) => k.data),
    keys.map((k) => k.signature),
    tables,
    rounds,
  );
  if (r === null || !r.results.every(Boolean)) throw new Error(`${name}: verify failed`);
  report(name, r.checksUs / (rounds * keys.length));
  return r;
}

function p256Sample(): Sample {
  const sk = p256.utils.randomSecretKey();
  const data = randomBytes(32);
  return {
    curve: 'p256',
    publicKey: p256.getPublicKey(sk, true),
    data,
    signature: p256.sign(data, sk, { prehash: false }),
  };
}

const p256Keys = Array.from({ length: 64 }, p256Sample);
const builds: number[] = [];
const tableBytes: number[] = [];

/** One table's CPU cost and resident bytes, from 64 keys made with and without tables. */
function measureBuild(): void {
  const withTables = measureP256('p256 table ×64', p256Keys, true);
  const without = measureP256('p256 evp ×64', p256Keys, false);
  const us = (withTables.keysUs - without.keysUs) / p256Keys.length;
  builds.push(us);
  tableBytes.push(withTables.keysRss / p256Keys.length);
  console.log(
    `${'p256 table build'.padEnd(18)} ${us.toFixed(0).padStart(7)} µs/table  ${Math.round(withTables.keysRss / p256Keys.length / 1024)} KiB resident/table`,
  );
}

const baselinePath = process.env.BASELINE_ADDON;
const baseline = baselinePath ? (createRequire(import.meta.url)(baselinePath) as NativeAddon) : null;
const rounds = baseline ? Number(process.env.ROUNDS ?? 3) : 1;
console.log(`native (addon)${baseline ? `, alternated with ${baselinePath}` : ''}`);
for (let r = 0; r < rounds; r++) {
  for (const s of samples) {
    if (baseline) measureNative(`${s.curve} baseline`, baseline, s);
    measureNative(`${s.curve} addon`, addon, s);
  }
  measureP256('p256 table', [samples[2]!], true);
  measureBuild();
}

if (rounds > 1) {
  console.log(`native, over ${rounds} rounds: min / median CPU µs per verify`);
  for (const [name, us] of seen) {
    const sorted = [...us].sort((a, b) => a - b);
    console.log(
      `${name.padEnd(18)} ${sorted[0]!.toFixed(1).padStart(7)} / ${sorted[sorted.length >> 1]!.toFixed(1)}`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  console.log(
    `p256 table build: median ${median(builds).toFixed(0)} µs CPU, ${Math.round(Math.max(...tableBytes) / 1024)} KiB resident per table (first build; later ones reuse freed memory)`,
  );
}

console.log('JS (src/crypto/verifier.ts)');
measure('ed25519', makeVerifier('ed25519', edRaw), digest, edSig);
for (const s of samples.slice(1)) {
  const impl = s.curve === 'secp256k1' ? secp256k1 : p256;
  measure(s.curve, makeVerifier(s.curve, s.publicKey), digest, s.signature);
  // For comparison: the library's own verify (parses the key every call, no precomputed tables).
  measure(
    `${s.curve}*`,
    (d, sig) => impl.verify(sig, d, s.publicKey, { prehash: false, lowS: false }),
    digest,
    s.signature,
  );
}
console.log('* @noble/curves verify() without per-key precomputation');
