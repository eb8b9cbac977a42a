// SoftHSM2 behind p11-kit's RPC (test/helpers/p11-kit.ts): the signer loads p11-kit-client.so and every
// PKCS#11 call crosses a socket, as with a network HSM. P-256 and secp256k1: generated through the RPC,
// listed, signing through `serve` under the watermark across a restart, every signature verified.
// Ed25519, AES-GCM and AES-CBC-PAD do not cross (the client drops mechanisms it cannot carry): key
// generation and tz4 sealing are refused naming them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCleanMixedLoad } from './helpers/mixed-key-load.js';
import { type P11KitServer, startP11KitServer } from './helpers/p11-kit.js';
import { runCli } from './helpers/signer-process.js';
import { exerciseSigningPath } from './helpers/signing-path.js';
import { addKey, createToken, type TestToken } from './helpers/softhsm.js';
import { expectKeygenRefusal, offered } from './helpers/token-cli.js';

let token: TestToken;
let server: P11KitServer;
let dir: string;
let config: string;
let env: NodeJS.ProcessEnv;
const generated: Record<string, string> = {};

beforeAll(async () => {
  token = await createToken({ label: 'rpc-baker', keys: [] });
  server = await startP11KitServer(token);
  dir = await mkdtemp(join(tmpdir(), 'p11kit-signer-'));
  config = join(dir, 'signer.yaml');
  await writeFile(
    config,
    `server:\n  address: 127.0.0.1:0\nhsm:\n  vendor: p11-kit\n  token_label: ${token.tokenLabel}\n` +
      `  sessions: 2\n  env:\n    P11_KIT_SERVER_ADDRESS: ${server.env.P11_KIT_SERVER_ADDRESS}\n` +
      'watermark:\n  backend: file\n  dir: ./wm\n',
  );
  env = { HSM_PIN: token.pin };
});

afterAll(async () => {
  await server?.stop();
  await token?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('SoftHSM2 over p11-kit RPC', () => {
  it('generates P-256 and secp256k1 keys through the RPC and lists them', async () => {
    for (const curve of ['p256', 'secp256k1']) {
      const r = await runCli(
        ['keys', 'generate', '--curve', curve, '--label', `rpc-${curve}`, '--config', config, '--json'],
        env,
      );
      expect(r.code, r.stderr).toBe(0);
      generated[curve] = JSON.parse(r.stdout).pkh;
    }
    expect(generated.p256).toMatch(/^tz3/);
    expect(generated.secp256k1).toMatch(/^tz2/);
    const list = await runCli(['keys', 'list', '--config', config, '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { pkh: string }[]).map((k) => k.pkh).sort()).toEqual(
      [generated.p256, generated.secp256k1].sort(),
    );
  });

  it('refuses Ed25519 generation: the mechanism does not cross the RPC', async () => {
    await expectKeygenRefusal(
      config,
      env,
      'ed25519',
      /error: the token cannot generate ed25519 keys: it does not offer CKM_EC_EDWARDS_KEY_PAIR_GEN/,
    );
  });

  it('signs with P-256 and secp256k1 through serve under the watermark, across a restart', async () => {
    for (const [i, curve] of ['p256', 'secp256k1'].entries()) {
      expect(await exerciseSigningPath(config, env, generated[curve]!, 100 + 10 * i)).toHaveLength(4);
    }
  }, 180_000);

  it('refuses tz4 sealing: neither AES-GCM nor AES-CBC-PAD crosses the RPC', async () => {
    await expectKeygenRefusal(
      config,
      env,
      'bls12-381',
      /the token cannot seal tz4 keys: .*\(missing: CKM_AES_GCM, CKM_AES_CBC_PAD\)/,
    );
  });

  it('hsm check over the RPC: P-256 and secp256k1 sign; Ed25519 (a server-side key too) and tz4 sealing named as missing', async () => {
    // An Ed25519 key made on the SoftHSM2 side: visible through the RPC, but CKM_EDDSA does not cross.
    await addKey(token, { curve: 'ed25519', label: 'server-ed', id: 'ed' });
    const r = await runCli(['hsm', 'check', '--config', config, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.keys.find((k: { label: string }) => k.label === 'server-ed')).toMatchObject({
      curve: 'ed25519',
      usable: false,
      reason: expect.stringMatching(/CKM_EDDSA/),
    });
    expect(offered(report)).toMatchObject({
      CKM_ECDSA: true,
      CKM_EDDSA: false,
      CKM_EC_KEY_PAIR_GEN: true,
      CKM_EC_EDWARDS_KEY_PAIR_GEN: false,
      CKM_AES_GCM: false,
      CKM_AES_CBC_PAD: false,
    });
    expect(report.token).toMatchObject({ label: token.tokenLabel, manufacturer: 'SoftHSM project' });
    expect(report.sessions).toMatchObject({ configured: 2, opened: 2, note: null });
    const curve = (c: string) => report.curves.find((x: { curve: string }) => x.curve === c);
    expect(curve('p256')).toMatchObject({ signs: true, probeOnToken: false });
    expect(curve('secp256k1')).toMatchObject({ signs: true, probeOnToken: false });
    expect(curve('ed25519')).toMatchObject({
      signs: false,
      error: expect.stringMatching(/CKM_EC_EDWARDS_KEY_PAIR_GEN/),
    });
    expect(report.tz4.error).toMatch(/missing: CKM_AES_GCM, CKM_AES_CBC_PAD/);
    expect(
      report.keys
        .filter((k: { usable: boolean }) => k.usable)
        .map((k: { pkh: string }) => k.pkh)
        .sort(),
    ).toEqual([generated.p256, generated.secp256k1].sort());
  });

  it('signs under concurrent load over the RPC with sign ahead on: every signature by the key asked for', async () => {
    // In process, with the default hsm options (sign ahead on): each preparation and each throw-away
    // signature at a key switch is a round trip through the server.
    Object.assign(process.env, server.env);
    await expectCleanMixedLoad(
      { library: server.library, tokenLabel: token.tokenLabel, pin: token.pin, sessions: 4 },
      (all) => {
        const keys = all.filter((k) => k.curve === 'p256' || k.curve === 'secp256k1');
        expect(keys.map((k) => k.curve).sort()).toEqual(['p256', 'secp256k1']);
        return keys;
      },
      { rounds: 2, clients: 16, perClient: 10, lone: 12 },
    );
  }, 120_000);
});
