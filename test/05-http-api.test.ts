// The octez remote-signer API in process (app.request) over a real SoftHSM2 token: answers, signatures
// verified with taquito, and every malformed or refused request mapped to its code and the octez body.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBody } from '../src/server/errors.js';
import { type DevSigner, devToken, openSigner, writeVariant } from './helpers/dev-signer.js';
import {
  BLOCK_L12_R0,
  blockWith,
  consensus,
  GENERIC_TRANSFER,
  MICHELSON_PAIR,
} from './helpers/tezos-vectors.js';

let pkhs: Record<'tz1' | 'tz2' | 'tz3', string>;
let s: DevSigner;

beforeAll(async () => {
  const t = await devToken();
  pkhs = t.pkhs;
  const base = readFileSync(t.config, 'utf8').replace(
    /watermark:[\s\S]*$/,
    'watermark:\n  backend: memory\n',
  );
  const config = writeVariant(
    t.dir,
    'api.yaml',
    base.replace('server:\n', 'server:\n  known_keys: true\n  max_body_bytes: 1024\n'),
    '',
  );
  s = await openSigner(config);
});
afterAll(async () => {
  await s?.close();
});

function post(pkh: string, body: string, type: string | null = 'application/json') {
  const headers: Record<string, string> = {};
  if (type !== null) headers['content-type'] = type;
  return s.app.request(`/keys/${pkh}`, { method: 'POST', body, headers });
}

async function expectError(res: Response | Promise<Response>, status: number, msg: RegExp): Promise<void> {
  const r = await res;
  const body = await r.json();
  expect({ status: r.status, body }).toEqual({
    status,
    body: errorBody(expect.stringMatching(msg) as unknown as string),
  });
  expect(JSON.stringify(body)).not.toMatch(/"signature"|edsig|spsig|p2sig/);
}

describe('HTTP API', () => {
  it('GET /authorized_keys answers {} and /known_keys lists the token keys', async () => {
    const r = await s.app.request('/authorized_keys');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({});
    const k = await s.app.request('/known_keys');
    expect(((await k.json()) as { known_keys: string[] }).known_keys.sort()).toEqual(
      Object.values(pkhs).sort(),
    );
  });

  it('GET /keys/<pkh> gives the public key, 404 for a key not on the token', async () => {
    for (const [prefix, pkh] of Object.entries(pkhs)) {
      const r = await s.app.request(`/keys/${pkh}`);
      expect(r.status).toBe(200);
      const { public_key } = (await r.json()) as { public_key: string };
      expect(public_key.slice(0, 4)).toBe({ tz1: 'edpk', tz2: 'sppk', tz3: 'p2pk' }[prefix]);
    }
    await expectError(
      s.app.request('/keys/tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb'),
      404,
      /unknown key tz1VSUr8/,
    );
    await expectError(post('tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb', `"${BLOCK_L12_R0}"`), 404, /unknown key/);
    await expectError(s.app.request('/nope'), 404, /no such route: GET \/nope/);
  });

  it('signs consensus requests with each curve; taquito verifies every signature', async () => {
    let level = 100;
    for (const pkh of Object.values(pkhs)) {
      const pk = ((await (await s.app.request(`/keys/${pkh}`)).json()) as { public_key: string }).public_key;
      for (const hex of [
        blockWith({ level, round: 0, payloadRound: 0 }),
        consensus(0x12, 20, level, 0),
        consensus(0x13, 21, level, 0),
      ]) {
        const r = await post(pkh, `"${hex}"`);
        expect(r.status).toBe(200);
        const { signature } = (await r.json()) as { signature: string };
        expect(verifySignature(hex, pk, signature)).toBe(true);
      }
      level++;
    }
  });

  it('tolerates the version query and a missing content type', async () => {
    const r = await s.app.request(`/keys/${pkhs.tz3}?version=3`, {
      method: 'POST',
      // A byte body: a string one would get text/plain from the Fetch API.
      body: new TextEncoder().encode(`"${consensus(0x13, 21, 5000, 0)}"`),
    });
    expect(r.status).toBe(200);
  });

  it('refuses malformed bodies with 400, too large with 413', async () => {
    const pkh = pkhs.tz1;
    await expectError(post(pkh, '"zz"'), 400, /payload is not hex/);
    await expectError(post(pkh, '"123"'), 400, /odd number of hex digits/);
    await expectError(post(pkh, '""'), 400, /empty payload/);
    await expectError(post(pkh, '12'), 400, /must be a JSON string of hex/);
    await expectError(post(pkh, '["11"]'), 400, /must be a JSON string of hex/);
    await expectError(post(pkh, 'null'), 400, /must be a JSON string of hex/);
    await expectError(post(pkh, '"11'), 400, /not JSON/);
    await expectError(post(pkh, ''), 400, /not JSON/);
    await expectError(
      post(pkh, `"${BLOCK_L12_R0}"`, 'text/plain'),
      400,
      /content type must be application\/json/,
    );
    await expectError(
      post(pkh, `"${BLOCK_L12_R0}"`, 'application/x-www-form-urlencoded'),
      400,
      /content type/,
    );
    await expectError(post(pkh, `"${'11'.repeat(600)}"`), 413, /larger than 1024 bytes/);
    await expectError(post(pkh, '"11"'), 400, /malformed request: invalid request at byte 1/);
    await expectError(post(pkh, '"ff00"'), 400, /malformed request: .*magic byte/);
  });

  it('random payloads never get a signature and never a 500', async () => {
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(1 + (i % 200));
      // Half of them look like consensus requests so the decoders go deep.
      if (i % 2 === 0) bytes[0] = 0x11 + (i % 3);
      const r = await post(pkhs.tz3, `"${bytes.toString('hex')}"`);
      expect([400, 403, 409]).toContain(r.status);
      const body = (await r.json()) as Array<{ kind: string; id: string; msg: string }>;
      expect(body[0]).toMatchObject({ kind: 'temporary', id: 'failure' });
    }
  });

  it('refuses by policy with 403: authentication messages, generic and Michelson under the consensus policy', async () => {
    await expectError(
      post(pkhs.tz1, `"0401${'00'.repeat(40)}"`),
      403,
      /0x04 \(authentication message\) is never signed/,
    );
    await expectError(
      post(pkhs.tz1, `"${GENERIC_TRANSFER}"`),
      403,
      /generic operation kind transaction is not allowed/,
    );
    await expectError(post(pkhs.tz1, `"${MICHELSON_PAIR}"`), 403, /Michelson data/);
    await expectError(
      post(pkhs.tz1, `"02${'7a06a770'}${'ab'.repeat(32)}00${'00000063'}"`),
      403,
      /legacy endorsement/,
    );
  });
});
