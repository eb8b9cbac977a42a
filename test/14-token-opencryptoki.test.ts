// openCryptoki 3.8 soft token (test/helpers/opencryptoki.ts: its own pkcsslotd, the system token
// directory saved and put back): a token with no EC mechanism at all. The CLI says so clearly and never
// crashes: generation refused naming CKM_EC_KEY_PAIR_GEN / CKM_EC_EDWARDS_KEY_PAIR_GEN, no usable key
// (an RSA key on the token is not offered), and without pkcsslotd the error says to start it. Its AES-CBC-PAD,
// SHA256-HMAC and generic secret generation are enough to seal a tz4 key, which `serve` then signs with
// (the signature checked by @taquito/utils).

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OckToken, OPENCRYPTOKI_WAIT_MS, startOpenCryptoki } from './helpers/opencryptoki.js';
import { runCli, startSigner } from './helpers/signer-process.js';
import { signVerified, stopSigner } from './helpers/signing-path.js';
import { consensus } from './helpers/tezos-vectors.js';
import { expectCliRefusal, expectKeygenRefusal, offered } from './helpers/token-cli.js';

const run = promisify(execFile);

let ock: OckToken;
let dir: string;
let config: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ock = await startOpenCryptoki();
  dir = await mkdtemp(join(tmpdir(), 'ock-signer-'));
  config = join(dir, 'signer.yaml');
  await writeFile(
    config,
    `server:\n  address: 127.0.0.1:0\nhsm:\n  vendor: opencryptoki\n  token_label: ${ock.tokenLabel}\n` +
      '  sessions: 2\nwatermark:\n  backend: file\n  dir: ./wm\n',
  );
  env = { HSM_PIN: ock.pin };
  // A key the signer cannot use: RSA is all this token can make as a key pair.
  await run('pkcs11-tool', [
    '--module',
    ock.library,
    '--token-label',
    ock.tokenLabel,
    '--login',
    '--pin',
    ock.pin,
    '--keypairgen',
    '--key-type',
    'rsa:2048',
    '--label',
    'rsa-key',
    '--id',
    '42',
  ]);
}, OPENCRYPTOKI_WAIT_MS + 60_000);

afterAll(async () => {
  await ock?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('openCryptoki soft token (no EC mechanism)', () => {
  it('refuses generating each curve, naming the mechanism the token lacks', async () => {
    for (const [curve, mech] of [
      ['p256', 'CKM_EC_KEY_PAIR_GEN'],
      ['secp256k1', 'CKM_EC_KEY_PAIR_GEN'],
      ['ed25519', 'CKM_EC_EDWARDS_KEY_PAIR_GEN'],
    ] as const) {
      await expectKeygenRefusal(
        config,
        env,
        curve,
        new RegExp(`error: the token cannot generate ${curve} keys: .*${mech}`),
      );
    }
  });

  it('lists no usable key and exits 0 (the RSA key is not offered)', async () => {
    const r = await runCli(['keys', 'list', '--config', config, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('seals a tz4 key with AES-CBC-PAD + HMAC-SHA256', async () => {
    const r = await runCli(
      ['keys', 'generate', '--curve', 'bls12-381', '--label', 'tz4', '--config', config, '--json'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.mechanism).toBe('aes-cbc-hmac');
    expect(out.pkh).toMatch(/^tz4/);
    // serve unseals it through the token and signs a BLS-mode attestation (tag 41) with it.
    const signer = await startSigner(config, env);
    try {
      expect(signer.keys).toEqual([out.pkh]);
      await signVerified(signer.url, out.pkh, out.public_key, consensus(0x13, 41, 200, 0));
    } finally {
      await stopSigner(signer);
    }
  });

  it('hsm check: no curve, the RSA key not usable and why, tz4 sealing by AES-CBC-PAD + HMAC', async () => {
    const r = await runCli(['hsm', 'check', '--config', config, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(offered(report)).toEqual({
      CKM_ECDSA: false,
      CKM_EDDSA: false,
      CKM_EC_KEY_PAIR_GEN: false,
      CKM_EC_EDWARDS_KEY_PAIR_GEN: false,
      CKM_AES_KEY_GEN: true,
      CKM_AES_GCM: false,
      CKM_AES_CBC_PAD: true,
      CKM_SHA256_HMAC: true,
      CKM_GENERIC_SECRET_KEY_GEN: true,
    });
    expect(report.token).toMatchObject({ label: 'baker', slot: String(ock.slot), model: 'IBM SoftTok' });
    expect(report.sessions).toMatchObject({ configured: 2, opened: 2, note: null });
    for (const c of report.curves) {
      expect(c.signs).toBe(false);
      expect(c.error).toMatch(
        /the token cannot generate .* keys: it does not offer CKM_EC_(EDWARDS_)?KEY_PAIR_GEN/,
      );
    }
    expect(report.tz4).toEqual({ mechanism: 'aes-cbc-hmac', error: null });
    const rsa = report.keys.find((k: { label: string }) => k.label === 'rsa-key');
    expect(rsa).toMatchObject({
      pkh: null,
      curve: null,
      id: '42',
      usable: false,
      reason: 'not an EC or EdDSA key',
    });
    const text = await runCli(['hsm', 'check', '--config', config], env);
    expect(text.stdout).toMatch(/- {2}- {2}label=rsa-key id=42 {2}NOT USABLE: not an EC or EdDSA key/);
    expect(text.stdout).toMatch(/tz4 sealing {2}aes-cbc-hmac/);
  });

  it('selects the token by its slot id (3 in the packaged opencryptoki.conf, not 0)', async () => {
    const bySlot = join(dir, 'slot.yaml');
    await writeFile(
      bySlot,
      `hsm:\n  vendor: opencryptoki\n  slot: ${ock.slot}\nwatermark:\n  backend: memory\n`,
    );
    const r = await runCli(['hsm', 'check', '--config', bySlot, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).token).toMatchObject({ slot: String(ock.slot), label: ock.tokenLabel });
  });

  it('says to start pkcsslotd when it is not running', async () => {
    await ock.stopSlotd();
    try {
      await expectCliRefusal(
        ['keys', 'list', '--config', config],
        env,
        /CKR_HOST_MEMORY.*is pkcsslotd running\?/,
      );
    } finally {
      await ock.startSlotd();
    }
  });
});
