// End to end (docs/ha.md): three `tezos-hsm-signer serve` processes on one SoftHSM2 token share one
// PostgreSQL watermark. A baker's requests spread over them still get one signature per height, and a
// database outage is a 503 with Retry-After, then service resumes without restarting anything.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifySignature } from '@taquito/utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATERMARK_TABLE } from '../src/watermark/postgres-schema.js';
import { devToken } from './helpers/dev-signer.js';
import { postSign, type SignAnswer } from './helpers/http.js';
import { type PgServer, startPostgres } from './helpers/postgres.js';
import { type SignerProcess, startSigner } from './helpers/signer-process.js';
import { blockWith, consensus } from './helpers/tezos-vectors.js';

let db: PgServer;
let dbUrl: string;
let pkh: string;
const servers: SignerProcess[] = [];

beforeAll(async () => {
  db = await startPostgres();
  dbUrl = await db.createDatabase('e2e');
  const t = await devToken();
  pkh = t.pkhs.tz2; // secp256k1: a fresh random nonce per signature, so a re-sign would show
  const base = readFileSync(t.config, 'utf8').replace('127.0.0.1:6732', '127.0.0.1:0');
  const watermark = /watermark:\n(?: {2}.*\n)+/;
  expect(base).toMatch(watermark);
  const configs = ['a', 'b', 'c'].map((id) => {
    const file = join(t.dir, `signer-${id}.yaml`);
    writeFileSync(
      file,
      base.replace(watermark, `watermark:\n  backend: postgres\n  url: ${dbUrl}?signer_id=server-${id}\n`),
    );
    return file;
  });
  // One after the other: SoftHSM2 processes opening one token directory at the same moment can read it
  // while another rewrites its token file, and then see no token.
  for (const c of configs) servers.push(await startSigner(c));
});

afterAll(async () => {
  for (const s of servers) s.proc.kill('SIGTERM');
  await Promise.all(servers.map((s) => s.exited));
  await db?.dispose();
});

function post(server: SignerProcess, hex: string): Promise<SignAnswer> {
  return postSign(server.url, pkh, hex);
}

async function publicKey(): Promise<string> {
  const r = await fetch(`${servers[0]!.url}/keys/${pkh}`);
  return ((await r.json()) as { public_key: string }).public_key;
}

describe('three signer processes, one PostgreSQL watermark', () => {
  it('100 different blocks at one height spread over the three → exactly one 200', async () => {
    const blocks = Array.from({ length: 100 }, (_, i) => blockWith({ level: 50, round: 0, payloadRound: i }));
    const results = await Promise.all(blocks.map((hex, i) => post(servers[i % 3]!, hex)));
    const ok = results.flatMap((r, i) => (r.status === 200 ? [{ ...r, hex: blocks[i]! }] : []));
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(99);
    const { signature } = ok[0]!.body as { signature: string };
    expect(verifySignature(ok[0]!.hex, await publicKey(), signature)).toBe(true);
    const c = new pg.Client(dbUrl);
    await c.connect();
    try {
      // The signature is recorded just after the answer (docs/ha.md).
      const read = async () =>
        (await c.query(`SELECT level, signature, signer_id FROM ${WATERMARK_TABLE} WHERE pkh = $1`, [pkh]))
          .rows;
      await expect
        .poll(read)
        .toEqual([{ level: 50, signature, signer_id: expect.stringMatching(/^server-[abc]$/) }]);
    } finally {
      await c.end();
    }
  });

  it('one attestation sent to all three, ten times each → one signature everywhere', async () => {
    const hex = consensus(0x13, 21, 60, 0);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => post(servers[i % 3]!, hex)));
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(200));
    const sigs = new Set(results.map((r) => (r.body as { signature: string }).signature));
    expect(sigs.size).toBe(1);
    expect(verifySignature(hex, await publicKey(), [...sigs][0]!)).toBe(true);
  });

  it('database down → 503 with Retry-After and the octez error body; back → signing resumes', async () => {
    await db.stop();
    try {
      const down = await post(servers[1]!, consensus(0x13, 21, 61, 0));
      expect(down.status).toBe(503);
      expect(down.retryAfter).toMatch(/^\d+$/);
      expect(down.body).toEqual([
        { kind: 'temporary', id: 'failure', msg: expect.stringMatching(/watermark/) },
      ]);
    } finally {
      await db.start();
    }
    const hex = consensus(0x13, 21, 61, 0);
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await post(servers[1]!, hex)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    // The other replicas see that mark: a different attestation at that height is refused there.
    expect((await post(servers[2]!, consensus(0x13, 21, 61, 0, 8))).status).toBe(409);
  });
});
