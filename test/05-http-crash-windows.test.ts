// kill -9 of a real signer inside the window that writing the height ahead opens (docs/watermark.md,
// "Writing the height ahead"): the token holds C_Sign (the fault library, as a token that stops
// answering), the reservation is on disk, the process dies. After a restart on the plain token the
// same bytes are refused (nothing was answered, but nothing may be re-signed either), other bytes at
// that height are refused, and the next height signs and verifies.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_NAME } from '../src/watermark/file-store.js';
import { parseLog } from '../src/watermark/log-format.js';
import { RESERVED } from '../src/watermark/rule.js';
import { devToken, writeVariant } from './helpers/dev-signer.js';
import { buildFaultLibrary, type FaultLibrary } from './helpers/fault-pkcs11.js';
import { postSign } from './helpers/http.js';
import { type SignerProcess, startSigner } from './helpers/signer-process.js';
import { consensus } from './helpers/tezos-vectors.js';

let dir: string;
let plain: string;
let faulty: string;
let pkh: string;
let fault: FaultLibrary;
let server: SignerProcess | null = null;

beforeAll(async () => {
  const t = await devToken();
  dir = t.dir;
  pkh = t.pkhs.tz3;
  const base = readFileSync(t.config, 'utf8').replace('127.0.0.1:6732', '127.0.0.1:0');
  plain = writeVariant(dir, 'plain.yaml', base, '');
  mkdirSync(join(dir, 'fault'));
  fault = await buildFaultLibrary(join(dir, 'fault'));
  faulty = writeVariant(
    dir,
    'fault.yaml',
    base.replace('vendor: softhsm2', `library: ${fault.library}\n  timeout_ms: 1500`),
    '',
  );
});
afterAll(async () => {
  await fault?.release();
  server?.proc.kill('SIGKILL');
  await server?.exited;
});

/** The tz3 key's attestation slot as the log on disk holds it (what a restart reads). */
function onDisk(level: number): { signature: string } | undefined {
  const { entries } = parseLog(readFileSync(join(dir, 'watermarks', LOG_NAME)));
  return entries.filter((e) => e.slot.pkh === pkh && e.mark.level === level).at(-1)?.mark;
}

describe('crash windows of writing the height ahead', () => {
  it('kill -9 while the token holds C_Sign: the reserved height refuses its own bytes after restart', async () => {
    server = await startSigner(faulty, fault.env);
    const first = consensus(0x13, 21, 100, 0, 1);
    expect((await postSign(server.url, pkh, first)).status).toBe(200);
    await fault.hold(1);
    const held = consensus(0x13, 21, 101, 0, 1);
    const answer = postSign(server.url, pkh, held).catch((err: Error) => err);
    // The reservation reaches the disk while C_Sign is held: the sign and the write run side by side.
    const deadline = Date.now() + 20_000;
    while (onDisk(101)?.signature !== RESERVED) {
      if (Date.now() > deadline) throw new Error('the reservation never reached the disk');
      await new Promise((r) => setTimeout(r, 5));
    }
    server.proc.kill('SIGKILL');
    expect(await server.exited).toBe('SIGKILL');
    expect(await answer).toBeInstanceOf(Error); // never answered
    await fault.release();

    server = await startSigner(plain);
    expect((await postSign(server.url, pkh, held)).status).toBe(409);
    expect((await postSign(server.url, pkh, consensus(0x13, 21, 101, 0, 2))).status).toBe(409);
    const next = consensus(0x13, 21, 101, 1, 1);
    const r = await postSign(server.url, pkh, next);
    expect(r.status).toBe(200);
    const key = (await (await fetch(`${server.url}/keys/${pkh}`)).json()) as { public_key: string };
    const pk = key.public_key;
    expect(verifySignature(next, pk, r.body.signature)).toBe(true);
    await server.stop();
    server = null;
  });

  it('a sign that times out gives its height back: the same bytes sign once the token answers', async () => {
    server = await startSigner(faulty, fault.env);
    await fault.hold(1);
    const held = consensus(0x13, 21, 200, 0, 1);
    const timedOut = await postSign(server.url, pkh, held);
    expect(timedOut.status).toBe(503);
    // Reserved on disk all the same (a crash now would refuse these bytes), but not in the process.
    expect(onDisk(200)?.signature).toBe(RESERVED);
    await fault.release();
    const r = await postSign(server.url, pkh, held);
    expect(r.status).toBe(200);
    const key = (await (await fetch(`${server.url}/keys/${pkh}`)).json()) as { public_key: string };
    expect(verifySignature(held, key.public_key, r.body.signature)).toBe(true);
    expect((await postSign(server.url, pkh, held)).body.signature).toBe(r.body.signature);
    expect((await postSign(server.url, pkh, consensus(0x13, 21, 200, 0, 2))).status).toBe(409);
    await server.stop();
    server = null;
  });
});
