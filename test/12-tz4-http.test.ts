// tz4 end to end (docs/tz4.md): `keys import` / `keys generate --curve bls12-381` seal into <config dir>/bls
// on a real SoftHSM2 token, `serve` unseals them, and the octez HTTP API signs BLS-mode (pre)attestations
// (tags 40/41) under the watermark; signatures and proofs of possession verified by @taquito/utils.
// A tampered sealed file or a missing AES key makes serve refuse to start.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { verifySignature } from '@taquito/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlsKey } from '../src/bls/bls-key.js';
import { DEFAULT_AES_LABEL } from '../src/cli/keys-bls.js';
import { parsePublicKey } from '../src/tezos/keys.js';
import { devToken } from './helpers/dev-signer.js';
import { postSign, type SignAnswer } from './helpers/http.js';
import { runCli, type SignerProcess, startSigner } from './helpers/signer-process.js';
import { SOFTHSM_LIBRARY } from './helpers/softhsm.js';

const VECTOR = {
  pkh: 'tz4EECtMxAuJ9UDLaiMZH7G1GCFYUWsj8HZn',
  pk: 'BLpk1yUiLJ7RezbyViD5ZvWTfQndM3TRRYmvYWkUfH2EJqsLFnzzvpJss6pbuz3U1DDMpk8v16nV',
  sk: 'BLsk1hKAHyGqY9qRbgoSVnjiSmDWpKGjFF3WNQ7BaiaMUA6RMA6Pfq',
};
const MAINNET = '7a06a770';

/** magic ‖ chain ‖ branch ‖ tag ‖ level ‖ round ‖ payload hash (docs/protocol.md, tags 40/41: no slot). */
function consensus(tag: 40 | 41, level: number, round: number, payload = '22'): string {
  const magic = tag === 40 ? '12' : '13';
  const u32 = (n: number) => n.toString(16).padStart(8, '0');
  return `${magic}${MAINNET}${'11'.repeat(32)}${tag.toString(16)}${u32(level)}${u32(round)}${payload.repeat(32)}`;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field below
type Json = any;

let dir: string;
let config: string;
let generated: string;
let signer: SignerProcess | null = null;

function post(pkh: string, hex: string, query = ''): Promise<SignAnswer> {
  return postSign(signer!.url, pkh, hex, query);
}

async function get(path: string): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${signer!.url}${path}`);
  return { status: res.status, body: await res.json() };
}

async function stop(): Promise<void> {
  if (signer === null) return;
  signer.proc.kill('SIGTERM');
  expect(await signer.exited).toBe(0);
  signer = null;
}

beforeAll(async () => {
  ({ dir, config } = await devToken());
  const yaml = readFileSync(config, 'utf8').replace('127.0.0.1:6732', '127.0.0.1:0');
  writeFileSync(
    config,
    yaml.replace('server:\n', 'server:\n  known_keys: true\n') +
      'log:\n  file: ./signer.log\n' +
      `tezos:\n  ${VECTOR.pkh}:\n    allow:\n      preattestation:\n      attestation:\n    allow_proof_of_possession: true\n`,
  );
  writeFileSync(join(dir, 'bls-secret'), `unencrypted:${VECTOR.sk}\n`, { mode: 0o600 });
  const imported = await runCli([
    'keys',
    'import',
    '--curve',
    'bls12-381',
    '--label',
    'consensus',
    '--config',
    config,
    '--file',
    join(dir, 'bls-secret'),
    '--json',
  ]);
  expect(imported.stderr).toBe('');
  expect(JSON.parse(imported.stdout)).toMatchObject({ pkh: VECTOR.pkh, public_key: VECTOR.pk });
  const made = await runCli([
    'keys',
    'generate',
    '--curve',
    'bls12-381',
    '--label',
    'companion',
    '--config',
    config,
  ]);
  expect(made.code).toBe(0);
  generated = /^(tz4\S+)/.exec(made.stdout)![1]!;
  await rm(join(dir, 'bls-secret'));
});

afterAll(async () => {
  await stop();
  await rm(dir, { recursive: true, force: true });
});

describe('keys import / generate --curve bls12-381', () => {
  it('refuses a second key with the same label and a secret on the command line', async () => {
    const again = await runCli([
      'keys',
      'generate',
      '--curve',
      'bls12-381',
      '--label',
      'consensus',
      '--config',
      config,
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/labelled "consensus" exists/);
    const argSecret = await runCli([
      'keys',
      'import',
      '--curve',
      'bls12-381',
      '--label',
      'x',
      '--config',
      config,
      VECTOR.sk,
    ]);
    expect(argSecret.code).toBe(2);
  });

  it('keys list shows the sealed tz4 keys with their labels', async () => {
    const listed = await runCli(['keys', 'list', '--config', config, '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual(
      expect.arrayContaining([
        { pkh: VECTOR.pkh, public_key: VECTOR.pk, curve: 'bls12-381', label: 'consensus', id: '' },
        expect.objectContaining({ pkh: generated, curve: 'bls12-381', label: 'companion' }),
      ]),
    );
  });

  it('writes sealed files that do not contain the secret', () => {
    const text = readFileSync(join(dir, 'bls', `${VECTOR.pkh}.sealed`), 'utf8');
    const secretHex = Buffer.from(BlsKey.parseSecret(VECTOR.sk)).toString('hex');
    expect(text).toContain(VECTOR.pk);
    expect(text).not.toContain(VECTOR.sk);
    expect(text).not.toContain(secretHex);
    expect(JSON.parse(text)).toMatchObject({
      version: 2,
      mechanism: 'aes-gcm',
      key_label: 'consensus',
      aes_key_label: DEFAULT_AES_LABEL,
    });
  });
});

describe('serve with tz4 keys', () => {
  beforeAll(async () => {
    signer = await startSigner(config);
  });

  it('signs tz4 with blst (native) on its signing thread, and says so', async () => {
    // pino writes asynchronously: wait for the serving line.
    let serving: Json;
    for (let i = 0; i < 50 && serving === undefined; i++) {
      const path = join(dir, 'signer.log');
      const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
      serving = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'serving');
      if (serving === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(serving.tz4Signing).toBe('blst');
  });

  it('lists the tz4 keys beside the token keys', async () => {
    expect(signer!.keys).toEqual(expect.arrayContaining([VECTOR.pkh, generated]));
    expect((await get(`/keys/${VECTOR.pkh}`)).body).toEqual({ public_key: VECTOR.pk });
    expect((await get('/known_keys')).body.known_keys).toContain(VECTOR.pkh);
    expect((await get('/authorized_keys')).status).toBe(200);
  });

  it('signs tag 41 and 40 requests with verifiable BLsig signatures, under the watermark', async () => {
    const att = consensus(41, 100, 0);
    const first = await post(VECTOR.pkh, att);
    expect(first.status).toBe(200);
    expect(verifySignature(att, VECTOR.pk, first.body.signature)).toBe(true);
    // Identical bytes: the stored signature again.
    expect((await post(VECTOR.pkh, att)).body).toEqual(first.body);
    // Different bytes at the same height: refused.
    const other = await post(VECTOR.pkh, consensus(41, 100, 0, '33'));
    expect(other.status).toBe(409);
    expect(other.body[0]).toMatchObject({ kind: 'temporary', id: 'failure' });
    // Lower: refused; higher round: signed.
    expect((await post(VECTOR.pkh, consensus(41, 99, 5))).status).toBe(409);
    const higher = consensus(41, 100, 1);
    const h = await post(VECTOR.pkh, higher, '?version=2');
    expect(h.status).toBe(200);
    expect(verifySignature(higher, VECTOR.pk, h.body.signature)).toBe(true);
    // The preattestation slot is separate from the attestation one.
    const pre = consensus(40, 100, 0);
    const p = await post(VECTOR.pkh, pre);
    expect(p.status).toBe(200);
    expect(verifySignature(pre, VECTOR.pk, p.body.signature)).toBe(true);
    expect((await post(VECTOR.pkh, consensus(40, 100, 0, '44'))).status).toBe(409);
  });

  it('refuses what policy and octez versions do not allow', async () => {
    // The generated key is not in the tezos section: refused by policy.
    expect((await post(generated, consensus(41, 200, 0))).status).toBe(403);
    // version 0/1 (no BLS / AUG scheme in octez) are refused for tz4 with a clear message.
    const r = await post(VECTOR.pkh, consensus(41, 101, 0), '?version=1');
    expect(r.status).toBe(400);
    expect(r.body[0].msg).toMatch(/version=1 is not supported for tz4/);
    expect((await post(VECTOR.pkh, '"zz"')).status).toBe(400);
  });

  it('answers GET /bls_prove_possession only where allowed', async () => {
    const pop = await get(`/bls_prove_possession/${VECTOR.pkh}`);
    expect(pop.status).toBe(200);
    const pkBytes = parsePublicKey(VECTOR.pk).bytes;
    expect(verifySignature(pkBytes, VECTOR.pk, pop.body.bls_prove_possession, undefined, true)).toBe(true);
    const genPk = (await get(`/keys/${generated}`)).body.public_key as string;
    const over = await get(`/bls_prove_possession/${VECTOR.pkh}?bls_pk=${genPk}`);
    expect(over.status).toBe(200);
    expect(
      verifySignature(
        parsePublicKey(genPk).bytes,
        VECTOR.pk,
        over.body.bls_prove_possession,
        undefined,
        true,
      ),
    ).toBe(true);
    expect((await get(`/bls_prove_possession/${generated}`)).status).toBe(403);
    expect((await get(`/bls_prove_possession/${VECTOR.pkh}?bls_pk=edpkxyz`)).status).toBe(400);
    expect((await get(`/bls_prove_possession/${signer!.keys.find((k) => k.startsWith('tz3'))}`)).status).toBe(
      400,
    );
    expect((await get('/bls_prove_possession/tz4XXtsYav3fZz2FSDa7hcx4F8sh8SaDWNME')).status).toBe(404);
  });

  it('stops cleanly on SIGTERM', async () => {
    await stop();
  });
});

describe('serve refuses to start', () => {
  it('with a tampered sealed file', async () => {
    const path = join(dir, 'bls', `${VECTOR.pkh}.sealed`);
    const original = readFileSync(path, 'utf8');
    const obj = JSON.parse(original);
    obj.tag = (obj.tag[0] === '0' ? '1' : '0') + obj.tag.slice(1);
    writeFileSync(path, JSON.stringify(obj));
    await expect(startSigner(config)).rejects.toThrow(/cannot unseal/);
    writeFileSync(path, original);
  });

  it('when the token has lost the AES key', async () => {
    const env = { ...process.env, SOFTHSM2_CONF: join(dir, 'softhsm', 'softhsm2.conf') };
    const pin = readFileSync(join(dir, 'hsm-pin'), 'utf8').trim();
    await promisify(execFile)(
      'pkcs11-tool',
      [
        '--module',
        SOFTHSM_LIBRARY,
        '--token-label',
        'tezos-dev',
        '--login',
        '--pin',
        pin,
        '--delete-object',
        '--type',
        'secrkey',
        '--label',
        DEFAULT_AES_LABEL,
      ],
      { env },
    );
    await expect(startSigner(config)).rejects.toThrow(/no AES key labelled/);
  });
});
