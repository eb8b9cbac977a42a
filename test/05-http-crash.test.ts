// kill -9 during a stream of rising levels: after a restart nothing acknowledged is forgotten and
// nothing at or below an acknowledged height is signed with other bytes. A damaged store stops start-up.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_NAME } from '../src/watermark/file-store.js';
import { devToken } from './helpers/dev-signer.js';
import { postSign } from './helpers/http.js';
import { type SignerProcess, startSigner } from './helpers/signer-process.js';
import { consensus } from './helpers/tezos-vectors.js';

let dir: string;
let config: string;
let pkh: string;
let server: SignerProcess | null = null;

beforeAll(async () => {
  const t = await devToken();
  dir = t.dir;
  pkh = t.pkhs.tz3;
  config = t.config;
  writeFileSync(config, readFileSync(config, 'utf8').replace('127.0.0.1:6732', '127.0.0.1:0'));
});
afterAll(async () => {
  server?.proc.kill('SIGKILL');
  await server?.exited;
});

async function post(url: string, hex: string): Promise<{ status: number; signature?: string }> {
  const r = await postSign(url, pkh, hex);
  return { status: r.status, signature: r.body.signature };
}

describe('crash safety', () => {
  it('kill -9 mid-stream, restart, replay', async () => {
    server = await startSigner(config);
    const acked: Array<{ level: number; hex: string; signature: string }> = [];
    const stream = (async () => {
      // One attestation per level, levels rising, each sent after the previous answer.
      for (let level = 1; ; level++) {
        const hex = consensus(0x13, 21, level, 0, 1);
        try {
          const r = await post(server!.url, hex);
          if (r.status !== 200) throw new Error(`unexpected ${r.status} at level ${level}`);
          acked.push({ level, hex, signature: r.signature! });
        } catch (err) {
          if ((err as Error).message.startsWith('unexpected')) throw err;
          return; // connection lost: the kill
        }
      }
    })();
    while (acked.length < 40) await new Promise((r) => setTimeout(r, 5));
    server.proc.kill('SIGKILL');
    await stream;
    expect(await server.exited).toBe('SIGKILL');

    server = await startSigner(config);
    const last = acked.at(-1)!;
    // Identical bytes at the last acknowledged height: the stored signature, or 409 when a request sent
    // after it was persisted but never answered.
    const again = await post(server.url, last.hex);
    if (again.status === 200) expect(again.signature).toBe(last.signature);
    else expect(again.status).toBe(409);
    // Other bytes (another slot) at any acknowledged height: refused.
    for (const a of acked)
      expect((await post(server.url, consensus(0x13, 21, a.level, 0, 2))).status).toBe(409);
    // Above everything: signed.
    expect((await post(server.url, consensus(0x13, 21, last.level + 10, 0))).status).toBe(200);
    server.proc.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    server = null;
  });

  it('a corrupted watermark file: the server refuses to start and names it', async () => {
    const log = join(dir, 'watermarks', LOG_NAME);
    const buf = readFileSync(log);
    expect(buf.length).toBeGreaterThan(200);
    const at = Math.floor(buf.length / 2);
    buf[at] = buf[at]! ^ 0x55;
    writeFileSync(log, buf);
    await expect(startSigner(config)).rejects.toThrow(
      new RegExp(`exited \\(1\\) before listening: .*${LOG_NAME}`, 's'),
    );
  });
});
