// End to end with a real client: taquito's RemoteSigner against `serve` running as a child process, on
// a real SoftHSM2 token; taquito verifies each signature itself, and we verify again with @taquito/utils.

import { readFileSync, writeFileSync } from 'node:fs';
import { RemoteSigner } from '@taquito/remote-signer';
import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devToken } from './helpers/dev-signer.js';
import { type SignerProcess, startSigner } from './helpers/signer-process.js';
import { blockWith, consensus, GENERIC_TRANSFER } from './helpers/tezos-vectors.js';

let pkhs: Record<'tz1' | 'tz2' | 'tz3', string>;
let server: SignerProcess;

beforeAll(async () => {
  const t = await devToken();
  pkhs = t.pkhs;
  // Any free port; allow generic transactions for tz1 to exercise the 0x03 path too.
  const yaml = readFileSync(t.config, 'utf8').replace('127.0.0.1:6732', '127.0.0.1:0');
  const tezos = `tezos:\n${Object.values(pkhs)
    .map((p) => `  ${p}:\n    allow: {block: , preattestation: , attestation: , generic: [transaction]}\n`)
    .join('')}`;
  writeFileSync(t.config, yaml + tezos);
  server = await startSigner(t.config);
});
afterAll(async () => {
  server?.proc.kill('SIGTERM');
  await server?.exited;
});

describe('taquito RemoteSigner against the child-process server', () => {
  it('prints its keys when ready', () => {
    expect(server.keys.sort()).toEqual(Object.values(pkhs).sort());
  });

  for (const prefix of ['tz1', 'tz2', 'tz3'] as const) {
    it(`${prefix}: public key, pkh and verified signatures`, async () => {
      const pkh = pkhs[prefix];
      const rs = new RemoteSigner(pkh, server.url);
      expect(await rs.publicKeyHash()).toBe(pkh);
      const pk = await rs.publicKey();
      expect(pk.slice(0, 4)).toBe({ tz1: 'edpk', tz2: 'sppk', tz3: 'p2pk' }[prefix]);
      for (let level = 10; level < 20; level++) {
        for (const hex of [
          blockWith({ level, round: 0, payloadRound: 0 }),
          consensus(0x12, 20, level, 0),
          consensus(0x13, 23, level, 0, 1, '8102'),
          GENERIC_TRANSFER,
        ]) {
          const signed = await rs.sign(hex);
          expect(verifySignature(hex, pk, signed.prefixSig)).toBe(true);
        }
      }
    });
  }

  it('a refusal reaches taquito as an error, not a signature', async () => {
    const rs = new RemoteSigner(pkhs.tz1, server.url);
    await expect(rs.sign(consensus(0x13, 21, 10, 0))).rejects.toThrow();
  });
});
