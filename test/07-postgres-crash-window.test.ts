// The reservation's crash windows (docs/ha.md), with a real `serve` process on a SoftHSM2 token behind the
// fault-injecting library and a real PostgreSQL: the signer is killed -9 while the HSM signs (height
// reserved, nothing answered) and after it answered but before it recorded the signature (held off by a
// row lock taken by the test). After a restart the reserved height refuses even its own bytes (an ECDSA
// re-sign would be a second, different signature) and the next height signs. A C_SignInit failure gives
// the height back before the 503, so the same bytes sign on the retry.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifySignature } from '@taquito/utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATERMARK_TABLE } from '../src/watermark/postgres-schema.js';
import { CKR } from './helpers/ckr.js';
import { devToken } from './helpers/dev-signer.js';
import { buildFaultLibrary, type FaultLibrary } from './helpers/fault-pkcs11.js';
import { postSign } from './helpers/http.js';
import { type PgServer, startPostgres } from './helpers/postgres.js';
import { type SignerProcess, startSigner } from './helpers/signer-process.js';
import { consensus } from './helpers/tezos-vectors.js';

let db: PgServer;
let dbUrl: string;
let observer: pg.Client;
let tokenDir: string;
let config: string;
let fault: FaultLibrary;
let pkh: string;
let publicKey: string;
let signer: SignerProcess | null = null;

const attestation = (level: number, slot = 7) => consensus(0x13, 21, level, 0, slot);

/** The attestation slot's row, read directly (never waits for a lock). */
async function row() {
  const { rows } = await observer.query(
    `SELECT level, round, signature FROM ${WATERMARK_TABLE} WHERE pkh = $1 AND kind = 'attestation'`,
    [pkh],
  );
  return rows[0] as { level: number; round: number; signature: string } | undefined;
}

async function start(): Promise<SignerProcess> {
  signer = await startSigner(config, fault.env);
  return signer;
}

async function kill9(): Promise<void> {
  signer!.proc.kill('SIGKILL');
  expect(await signer!.exited).toBe('SIGKILL');
  signer = null;
}

beforeAll(async () => {
  db = await startPostgres();
  dbUrl = await db.createDatabase('crashwindow');
  observer = new pg.Client(dbUrl);
  await observer.connect();
  const t = await devToken();
  tokenDir = t.dir;
  pkh = t.pkhs.tz2; // secp256k1: a fresh random nonce per signature, so a re-sign would show
  fault = await buildFaultLibrary(t.dir);
  const base = readFileSync(t.config, 'utf8').replace('127.0.0.1:6732', '127.0.0.1:0');
  const watermark = /watermark:\n(?: {2}.*\n)+/;
  expect(base).toMatch(watermark);
  expect(base).toMatch(/ {2}vendor: softhsm2\n/);
  config = join(t.dir, 'crash-window.yaml');
  writeFileSync(
    config,
    base
      .replace(watermark, `watermark:\n  backend: postgres\n  url: ${dbUrl}?signer_id=crash-window\n`)
      // A held C_Sign must outlast the test's steps, not the default 3 s deadline.
      .replace(
        / {2}vendor: softhsm2\n/,
        `  vendor: softhsm2\n  library: ${fault.library}\n  timeout_ms: 30000\n`,
      ),
  );
  const s = await start();
  publicKey = ((await (await fetch(`${s.url}/keys/${pkh}`)).json()) as { public_key: string }).public_key;
});

afterAll(async () => {
  await fault?.release();
  if (signer) {
    signer.proc.kill('SIGKILL');
    await signer.exited;
  }
  await observer?.end();
  await db?.dispose();
  if (tokenDir) rmSync(tokenDir, { recursive: true, force: true });
});

describe('kill -9 of a signer around its reservation', () => {
  it('killed while the HSM signs (height reserved, nothing answered): after a restart its bytes are refused, the next height signs', async () => {
    const first = await postSign(signer!.url, pkh, attestation(100));
    expect(first.status).toBe(200);
    await fault.hold(1);
    const hex = attestation(101);
    const pending = postSign(signer!.url, pkh, hex).catch((e: Error) => e);
    await expect.poll(row, { timeout: 10_000 }).toEqual({ level: 101, round: 0, signature: '' });
    expect((await fault.calls('C_Sign:hold')).length).toBe(1);
    await kill9();
    expect(await pending).toBeInstanceOf(Error); // the connection died with the process: no answer
    await fault.release();
    expect(await row()).toEqual({ level: 101, round: 0, signature: '' });

    const s = await start();
    const again = await postSign(s.url, pkh, hex);
    expect(again.status).toBe(409);
    expect(again.body[0].msg).toMatch(/level 101 round 0 is reserved by a signature that was never recorded/);
    expect((await postSign(s.url, pkh, attestation(101, 9))).status).toBe(409);
    const next = await postSign(s.url, pkh, attestation(102));
    expect(next.status).toBe(200);
    expect(verifySignature(attestation(102), publicKey, next.body.signature)).toBe(true);
    await expect.poll(row).toEqual({ level: 102, round: 0, signature: next.body.signature });
  });

  it('killed after answering, before recording: the answered signature is the only one; its bytes are refused after a restart', async () => {
    await fault.hold(1);
    const hex = attestation(110);
    const pending = postSign(signer!.url, pkh, hex);
    await expect.poll(row, { timeout: 10_000 }).toEqual({ level: 110, round: 0, signature: '' });
    // Hold the row: the record (an UPDATE after the answer) waits, the answer must not.
    const holder = new pg.Client(dbUrl);
    await holder.connect();
    let answer: Awaited<typeof pending>;
    try {
      await holder.query('BEGIN');
      await holder.query(
        `SELECT 1 FROM ${WATERMARK_TABLE} WHERE pkh = $1 AND kind = 'attestation' FOR UPDATE`,
        [pkh],
      );
      await fault.release();
      answer = await pending;
      expect(answer.status).toBe(200);
      expect(verifySignature(hex, publicKey, answer.body.signature)).toBe(true);
      expect(await row()).toEqual({ level: 110, round: 0, signature: '' });
      await kill9();
      // Its record is still queued for the row inside the server (a backend waiting for a lock does not
      // read its socket) and would land once the row is free. Ending those backends stands for a process
      // that died before sending it.
      await observer.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'tezos-hsm-signer crash-window'`,
      );
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    // The record died with the process: the height stays reserved, without the signature that left.
    expect(await row()).toEqual({ level: 110, round: 0, signature: '' });

    const s = await start();
    const again = await postSign(s.url, pkh, hex);
    expect(again.status).toBe(409);
    expect((await postSign(s.url, pkh, attestation(110, 9))).status).toBe(409);
    const next = await postSign(s.url, pkh, attestation(111));
    expect(next.status).toBe(200);
    expect(verifySignature(attestation(111), publicKey, next.body.signature)).toBe(true);
  });

  it('a signature the token refuses gives the height back before the 503: the same bytes sign on the retry', async () => {
    const before = await postSign(signer!.url, pkh, attestation(120));
    expect(before.status).toBe(200);
    await expect.poll(row).toEqual({ level: 120, round: 0, signature: before.body.signature });
    await fault.inject('C_SignInit', CKR.MECHANISM_INVALID, 1);
    const hex = attestation(121);
    const refused = await postSign(signer!.url, pkh, hex);
    expect(refused.status).toBe(503);
    expect(refused.body[0].msg).toMatch(/C_SignInit failed: CKR_MECHANISM_INVALID/);
    expect(await row()).toEqual({ level: 120, round: 0, signature: before.body.signature });
    const retry = await postSign(signer!.url, pkh, hex);
    expect(retry.status).toBe(200);
    expect(verifySignature(hex, publicKey, retry.body.signature)).toBe(true);
    await expect.poll(row).toEqual({ level: 121, round: 0, signature: retry.body.signature });
  });
});
