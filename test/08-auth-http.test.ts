// Request authentication, API token and TLS through the real server process over a real
// SoftHSM2 token. The client side is octez-client's, reproduced with @taquito/signer: GET
// /authorized_keys, sign 0x04 0x01 ‖ pkh ‖ bytes with an authorized key, POST with ?authentication=.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InMemorySigner } from '@taquito/signer';
import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN_HEADER } from '../src/auth/api-token.js';
import { authenticationMessage } from '../src/auth/authenticate.js';
import { postSign, type SignAnswer } from './helpers/http.js';
import { type OpsSigner, type OpsToken, opsConfig, opsToken, startOpsSigner } from './helpers/ops-signer.js';
import { blockWith, consensus } from './helpers/tezos-vectors.js';

const run = promisify(execFile);
let t: OpsToken;
let client: InMemorySigner;
let other: InMemorySigner;
const running: OpsSigner[] = [];

beforeAll(async () => {
  t = await opsToken();
  client = await InMemorySigner.fromSecretKey('edsk3QoqBuvdamxouPhin7swCvkQNgq4jP5KZPbwWNnwdZpSpJiEbq');
  other = InMemorySigner.fromMnemonic({
    mnemonic: 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
    curve: 'p256',
  });
});

afterAll(async () => {
  for (const s of running) expect(await s.stop()).toBe(0);
});

function post(url: string, pkh: string, hex: string, authentication?: string): Promise<SignAnswer> {
  const q = authentication === undefined ? '' : `?authentication=${encodeURIComponent(authentication)}`;
  return postSign(url, pkh, hex, q);
}

async function authFor(signer: InMemorySigner, pkh: string, hex: string): Promise<string> {
  return (await signer.sign(Buffer.from(authenticationMessage(pkh, Buffer.from(hex, 'hex'))).toString('hex')))
    .prefixSig;
}

describe('octez request authentication', () => {
  let s: OpsSigner;
  let logFile: string;

  beforeAll(async () => {
    logFile = join(t.dir, 'auth-audit.log');
    const p2pk = await other.publicKey();
    const config = opsConfig(
      t,
      'auth.yaml',
      `  authorized_keys:\n    - ${await client.publicKey()}\n`,
      // tz3 only accepts the P-256 client, and logs payloads.
      `log:\n  file: ${logFile}\ntezos:\n  ${t.pkhs.tz1}:\n    allow: {block:, preattestation:, attestation:}\n` +
        `  ${t.pkhs.tz3}:\n    authorized_keys: [${p2pk}]\n    log_payloads: true\n    allow: {block:, preattestation:, attestation:}\n`,
    );
    s = await startOpsSigner(config);
    running.push(s);
  });

  it('advertises the authorized pkhs', async () => {
    const res = await fetch(`${s.url}/authorized_keys`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { authorized_keys: string[] };
    expect(body.authorized_keys.sort()).toEqual(
      [await client.publicKeyHash(), await other.publicKeyHash()].sort(),
    );
  });

  it('answers 401 without authentication and 403 with a wrong one, never signing', async () => {
    const block = blockWith({ level: 100, round: 0, payloadRound: 0 });
    const missing = await post(s.url, t.pkhs.tz1, block);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual([
      { kind: 'temporary', id: 'failure', msg: expect.stringContaining('missing authentication signature') },
    ]);
    const byStranger = await post(s.url, t.pkhs.tz1, block, await authFor(other, t.pkhs.tz1, block));
    expect(byStranger.status).toBe(403);
    expect(byStranger.body).toEqual([
      { kind: 'temporary', id: 'failure', msg: expect.stringContaining('invalid authentication signature') },
    ]);
    const forOtherBytes = await authFor(
      client,
      t.pkhs.tz1,
      blockWith({ level: 101, round: 0, payloadRound: 0 }),
    );
    expect((await post(s.url, t.pkhs.tz1, block, forOtherBytes)).status).toBe(403);
    expect((await post(s.url, t.pkhs.tz1, block, 'edsigNotASignature')).status).toBe(403);
  });

  it('signs an authenticated request; the signature verifies under the key', async () => {
    const block = blockWith({ level: 100, round: 0, payloadRound: 0 });
    const ok = await post(s.url, t.pkhs.tz1, block, await authFor(client, t.pkhs.tz1, block));
    expect(ok.status).toBe(200);
    const { signature } = ok.body as { signature: string };
    const pk = ((await (await fetch(`${s.url}/keys/${t.pkhs.tz1}`)).json()) as { public_key: string })
      .public_key;
    expect(verifySignature(block, pk, signature)).toBe(true);
  });

  it('applies a per-key list instead of the server-wide one', async () => {
    const att = consensus(0x13, 21, 200, 0);
    expect((await post(s.url, t.pkhs.tz3, att, await authFor(client, t.pkhs.tz3, att))).status).toBe(403);
    const ok = await post(s.url, t.pkhs.tz3, att, await authFor(other, t.pkhs.tz3, att));
    expect(ok.status).toBe(200);
  });

  it('writes an audit line per decision, with payloads only for the key that asks', async () => {
    // The logger writes asynchronously: wait for the lines.
    const deadline = Date.now() + 5_000;
    let lines: Array<Record<string, unknown>> = [];
    while (Date.now() < deadline) {
      lines = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.audit === true);
      if (lines.length >= 7) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const tz1 = lines.filter((l) => l.pkh === t.pkhs.tz1);
    expect(tz1.map((l) => [l.decision, l.status])).toEqual([
      ['refused', 401],
      ['refused', 403],
      ['refused', 403],
      ['refused', 403],
      ['signed', 200],
    ]);
    expect(tz1[4]).toMatchObject({
      kind: 'block',
      chain: 'NetXdQprcVkpaWU',
      level: 100,
      round: 0,
      client: '127.0.0.1',
      payloadHash: expect.stringMatching(/^vh/),
      requestHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(tz1.every((l) => !('payload' in l))).toBe(true);
    const tz3 = lines.filter((l) => l.pkh === t.pkhs.tz3);
    expect(tz3.map((l) => l.decision)).toEqual(['refused', 'signed']);
    expect(tz3[1]).toMatchObject({ kind: 'attestation', level: 200, payload: consensus(0x13, 21, 200, 0) });
    expect(readFileSync(logFile, 'utf8')).not.toMatch(/"pin"|hsm-pin/);
  });
});

describe('API token and TLS', () => {
  let s: OpsSigner;
  let cert: Buffer;
  const TOKEN = 'proxy-token-0123456789abcdef';

  beforeAll(async () => {
    const key = join(t.dir, 'tls.key');
    const crt = join(t.dir, 'tls.crt');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      crt,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    cert = readFileSync(crt);
    const config = opsConfig(
      t,
      'tls.yaml',
      `  api_token_env: SIGNER_TOKEN\n  tls:\n    cert: ./tls.crt\n    key: ./tls.key\n`,
    );
    s = await startOpsSigner(config, { SIGNER_TOKEN: TOKEN });
    running.push(s);
  });

  function get(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(`${s.url}${path}`, { ca: cert, headers }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves HTTPS with the configured certificate, and no plain HTTP', async () => {
    expect(s.url.startsWith('https://')).toBe(true);
    const ok = await get(`/keys/${t.pkhs.tz2}`, { [API_TOKEN_HEADER]: TOKEN });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ public_key: expect.stringMatching(/^sppk/) });
    await expect(fetch(s.url.replace('https://', 'http://') + '/authorized_keys')).rejects.toThrow();
  });

  it('answers 401 without the proxy token and 403 with a wrong one', async () => {
    const none = await get('/authorized_keys');
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toEqual([
      { kind: 'temporary', id: 'failure', msg: `missing ${API_TOKEN_HEADER} header` },
    ]);
    const wrong = await get('/authorized_keys', { [API_TOKEN_HEADER]: `${TOKEN}x` });
    expect(wrong.status).toBe(403);
    const right = await get('/authorized_keys', { [API_TOKEN_HEADER]: TOKEN });
    expect(right.status).toBe(200);
    expect(JSON.parse(right.body)).toEqual({});
  });

  it('refuses to start when the token variable is missing', async () => {
    const config = opsConfig(t, 'tls2.yaml', '  api_token_env: SIGNER_TOKEN_UNSET\n');
    await expect(startOpsSigner(config)).rejects.toThrow(/SIGNER_TOKEN_UNSET/);
  });
});
