// The signing path of a real token through `serve` (a child process): public key, block and
// (pre)attestation signatures checked with @taquito/utils, the high watermark (same bytes: same answer;
// lower or different at the same height: 409), and a restart that keeps it. Shared by the tests of each
// PKCS#11 implementation (SoftHSM2 behind p11-kit RPC, tpm2-pkcs11, …).
import { verifySignature } from '@taquito/utils';
import { expect } from 'vitest';
import { type Json, postSign } from './http.js';
import { type SignerProcess, startSigner } from './signer-process.js';
import { blockWith, consensus } from './tezos-vectors.js';

export async function stopSigner(s: SignerProcess): Promise<void> {
  s.proc.kill('SIGTERM');
  expect(await s.exited).toBe(0);
}

/** Signs `hex` with `pkh` and checks the signature against the key's public key: returns it. */
export async function signVerified(
  url: string,
  pkh: string,
  publicKey: string,
  hex: string,
): Promise<string> {
  const r = await postSign(url, pkh, hex);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(verifySignature(hex, publicKey, r.body.signature)).toBe(true);
  return r.body.signature as string;
}

/**
 * Runs the whole path for `pkh` (level base..base+1) and returns the milliseconds of each HTTP signature
 * (for the vendor notes, never asserted). The signer is stopped on every exit.
 */
export async function exerciseSigningPath(
  config: string,
  env: NodeJS.ProcessEnv,
  pkh: string,
  base = 100,
): Promise<number[]> {
  const times: number[] = [];
  let signer: SignerProcess | null = await startSigner(config, env);
  try {
    expect(signer.keys).toContain(pkh);
    const pk = await fetch(`${signer.url}/keys/${pkh}`).then((r) => r.json() as Promise<Json>);
    const publicKey = pk.public_key as string;
    const block = blockWith({ level: base, round: 0, payloadRound: 0 });
    const timed = async (hex: string) => {
      const t0 = performance.now();
      const sig = await signVerified(signer!.url, pkh, publicKey, hex);
      times.push(performance.now() - t0);
      return sig;
    };
    const first = await timed(block);
    await timed(consensus(0x12, 20, base, 0));
    await timed(consensus(0x13, 21, base, 0));
    // The same bytes at the same height: the stored signature, not a second one.
    expect((await postSign(signer.url, pkh, block)).body.signature).toBe(first);
    expect(
      (await postSign(signer.url, pkh, blockWith({ level: base - 1, round: 0, payloadRound: 0 }))).status,
    ).toBe(409);
    await stopSigner(signer);
    signer = null;

    signer = await startSigner(config, env);
    const other = blockWith({ level: base, round: 0, payloadRound: 0, predRound: 1 });
    expect((await postSign(signer.url, pkh, other)).status).toBe(409);
    await timed(blockWith({ level: base + 1, round: 0, payloadRound: 0 }));
    await stopSigner(signer);
    signer = null;
    return times;
  } finally {
    if (signer !== null) {
      signer.proc.kill('SIGKILL');
      await signer.exited;
    }
  }
}
