// Start-up through the real `serve` process: a step that fails (a busy utility port) closes whatever
// was already open and exits 1, leaving nothing half-alive; a signing address open to the network
// with no protection, and a configured key the token does not hold, start with a warning.

import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { exposureWarning } from '../src/server/exposure.js';
import { postSign } from './helpers/http.js';
import { type OpsSigner, type OpsToken, opsConfig, opsToken, startOpsSigner } from './helpers/ops-signer.js';
import { runCli } from './helpers/signer-process.js';
import { consensus } from './helpers/tezos-vectors.js';
import { PKH2 } from './helpers/watermark.js';

let t: OpsToken;
let busy: Server;
let busyPort: number;
const running: OpsSigner[] = [];

beforeAll(async () => {
  t = await opsToken();
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  busyPort = (busy.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of running.splice(0)) await s.stop();
  await new Promise((r) => busy.close(r));
});

async function sign(url: string, level: number): Promise<number> {
  return (await postSign(url, t.pkhs.tz3, consensus(0x13, 21, level, 0))).status;
}

describe('start-up failure', () => {
  it('a busy utility port: exits 1 naming the setting, the store unlocked and the log flushed', async () => {
    const log = join(t.dir, 'busy.log');
    const config = opsConfig(
      t,
      'busy.yaml',
      `  utility_address: 127.0.0.1:${busyPort}\n`,
      `log:\n  file: ${log}\n`,
    );
    const err = await startOpsSigner(config).catch((e: unknown) => String(e));
    expect(err).toMatch(/exited \(1\)/);
    expect(err).toMatch(
      new RegExp(`cannot listen on server.utility_address 127.0.0.1:${busyPort}: address already in use`),
    );
    // The failure is in the log: its stream was ended and flushed, not destroyed.
    const line = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').at(-1)!);
    expect(line).toMatchObject({ severity: 'error', msg: 'start-up failed' });
    expect(line.error).toMatch(/EADDRINUSE/);
    // Nothing was left holding the watermark directory: the same config with a free port serves at once.
    const fixed = opsConfig(t, 'busy.yaml', '  utility_address: 127.0.0.1:0\n', `log:\n  file: ${log}\n`);
    const s = await startOpsSigner(fixed);
    running.push(s);
    expect(await sign(s.url, 1)).toBe(200);
    expect(await s.stop()).toBe(0);
  });
});

describe('start-up warnings', () => {
  it('warns for a non-loopback signing address with no protection, and for a key not on the token', async () => {
    const config = opsConfig(
      t,
      'exposed.yaml',
      '',
      `tezos:\n  ${t.pkhs.tz3}:\n    allow:\n      attestation:\n  ${PKH2}:\n    allow:\n      block:\n`,
    );
    const text = readFileSync(config, 'utf8').replace('127.0.0.1:0', '0.0.0.0:0');
    writeFileSync(config, text);
    const s = await startOpsSigner(config);
    running.push(s);
    expect(s.stderr()).toMatch(/warning: the signing API listens on 0\.0\.0\.0:0, which is not a loopback/);
    expect(s.stderr()).toMatch(
      new RegExp(`warning: tezos\\.${PKH2} is configured but no such key is on the token`),
    );
    expect(s.stderr()).not.toMatch(new RegExp(`tezos\\.${t.pkhs.tz3} is configured`));
    expect(await s.stop()).toBe(0);
    // `config check` says the same before any deployment.
    const check = await runCli(['config', 'check', config]);
    expect(check.code).toBe(0);
    expect(check.stderr).toMatch(/warning: the signing API listens on 0\.0\.0\.0:0, which is not a loopback/);
  });

  it.each([
    ['127.0.0.1:6732', '', false],
    ['[::1]:6732', '', false],
    ['localhost:6732', '', false],
    ['0.0.0.0:6732', '', true],
    ['[::]:6732', '', true],
    ['192.168.1.5:6732', '', true],
    ['0.0.0.0:6732', '  api_token_env: SIGNER_TOKEN\n', false],
    ['0.0.0.0:6732', '  authorized_keys: [edpkvXqgApF7itoQJn6iciY8M93Tv9969pUwBiVJ8dp1YwNEBABdnM]\n', false],
  ])('signing address %s %s: warning %s', (address, extra, warned) => {
    const c = parseConfig(
      `server:\n  address: "${address}"\n${extra}hsm:\n  library: /x/lib.so\n  token_label: t\nwatermark:\n  backend: memory\n`,
      '/etc/signer.yaml',
    );
    expect(exposureWarning(c) !== null).toBe(warned);
  });
});
