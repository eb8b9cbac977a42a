// What verifying every HSM signature costs (CPU µs per verify), per curve: the addon's check after C_Sign (native/verify.cpp, on
// one key parsed once, as its first signature parses it) and the JS verifiers used where the addon cannot
// (src/crypto/verifier.ts).
// Run: node --import tsx bench/verify.ts
// BASELINE_ADDON=/path/to/other.node adds the native rows of another build of the addon (a copy of
// build/Release/tezos_hsm_signer.node made before a change), alternated with this one ROUNDS times (default
// 3), so both see the same load.
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

const baselinePath = process.env.BASELINE_ADDON;
const baseline = baselinePath ? (createRequire(import.meta.url)(baselinePath) as NativeAddon) : null;
const rounds = baseline ? Number(process.env.ROUNDS ?? 3) : 1;
console.log(`native (addon)${baseline ? `, alternated with ${baselinePath}` : ''}`);
for (let r = 0; r < rounds; r++) {
  for (const s of samples) {
    if (baseline) measureNative(`${s.curve} baseline`, baseline, s);
    measureNative(`${s.curve} addon`, addon, s);
  }
}

if (rounds > 1) {
  console.log(`native, over ${rounds} rounds: min / median CPU µs per verify`);
  for (const [name, us] of seen) {
    const sorted = [...us].sort((a, b) => a - b);
    console.log(
      `${name.padEnd(18)} ${sorted[0]!.toFixed(1).padStart(7)} / ${sorted[sorted.length >> 1]!.toFixed(1)}`,
    );
  }
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
