// A signer killed with kill -9 (its whole process group, as a launcher like `npx` runs it) restarts at
// once on the same watermark directory, with no human removing anything: the directory lock died with
// the process. A second live signer on that directory is still refused, naming the owner.

import { verifySignature } from '@taquito/utils';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postSign } from './helpers/http.js';
import { type OpsSigner, type OpsToken, opsConfig, opsToken, startOpsSigner } from './helpers/ops-signer.js';
import { consensus } from './helpers/tezos-vectors.js';

let t: OpsToken;
let config: string;
const running: OpsSigner[] = [];
/** Process groups started with { group: true }, killed whole whatever the test did. */
const groups: number[] = [];

beforeAll(async () => {
  t = await opsToken();
  config = opsConfig(t, 'restart.yaml', '');
});
afterEach(async () => {
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {} // already gone
  }
  for (const s of running.splice(0)) await s.stop();
});

async function post(url: string, hex: string): Promise<{ status: number; signature?: string }> {
  const r = await postSign(url, t.pkhs.tz3, hex);
  return { status: r.status, ...(r.body as { signature?: string }) };
}

async function publicKey(url: string): Promise<string> {
  return ((await (await fetch(`${url}/keys/${t.pkhs.tz3}`)).json()) as { public_key: string }).public_key;
}

describe('restart after a crash', () => {
  it('restarts at once after kill -9 of the launcher process group, watermark intact', async () => {
    const a = await startOpsSigner(config, {}, { group: true });
    groups.push(a.proc.pid!);
    running.push(a);
    const signed = consensus(0x13, 21, 10, 0, 1);
    const first = await post(a.url, signed);
    expect(first.status).toBe(200);
    process.kill(-a.proc.pid!, 'SIGKILL');
    await a.stop();
    // No pause and no clean-up: the killed signer may still be a zombie while this one starts.
    const b = await startOpsSigner(config);
    running.push(b);
    const pk = await publicKey(b.url);
    expect(verifySignature(signed, pk, first.signature!)).toBe(true);
    // The acknowledged mark survived: other bytes at that height are refused, higher ones signed.
    expect((await post(b.url, consensus(0x13, 21, 10, 0, 2))).status).toBe(409);
    const next = consensus(0x13, 21, 11, 0, 2);
    const again = await post(b.url, next);
    expect(again.status).toBe(200);
    expect(verifySignature(next, pk, again.signature!)).toBe(true);
  });

  it('refuses a second live signer on the same watermark directory, naming the owner', async () => {
    const a = await startOpsSigner(config);
    running.push(a);
    const err = await startOpsSigner(config).catch((e: unknown) => String(e));
    expect(err).toMatch(/exited \(1\)/);
    expect(err).toMatch(new RegExp(`in use by process ${a.proc.pid}\\b`));
    expect((await post(a.url, consensus(0x13, 21, 20, 0))).status).toBe(200);
  });
});
