// What verifying every HSM signature costs on the JS thread (src/crypto/verifier.ts), per curve.
// Run: node --import tsx bench/verify.ts
import { sign as cryptoSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { makeVerifier, type Verifier } from '../src/crypto/verifier.js';

function measure(name: string, verify: Verifier, digest: Uint8Array, sig: Uint8Array): void {
  for (let i = 0; i < 300; i++) verify(digest, sig);
  const n = 3000;
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (!verify(digest, sig)) throw new Error('verify failed');
  const us = Number(process.hrtime.bigint() - t) / n / 1000;
  console.log(`${name.padEnd(10)} ${us.toFixed(1).padStart(7)} µs/verify  ${Math.round(1e6 / us)}/s`);
}

const digest = randomBytes(32);
const ed = generateKeyPairSync('ed25519');
const edRaw = Buffer.from(ed.publicKey.export({ format: 'jwk' }).x!, 'base64url');
measure('ed25519', makeVerifier('ed25519', edRaw), digest, cryptoSign(null, digest, ed.privateKey));
for (const [curve, impl] of [
  ['secp256k1', secp256k1],
  ['p256', p256],
] as const) {
  const sk = impl.utils.randomSecretKey();
  const sig = impl.sign(digest, sk, { prehash: false });
  measure(curve, makeVerifier(curve, impl.getPublicKey(sk, true)), digest, sig);
  // For comparison: the library's own verify (parses the key every call, no precomputed tables).
  const pk = impl.getPublicKey(sk, true);
  measure(`${curve}*`, (d, s) => impl.verify(s, d, pk, { prehash: false, lowS: false }), digest, sig);
}
console.log('* @noble/curves verify() without per-key precomputation');
