// `keys generate` on a real SoftHSM2 token: the key is made inside the token, its private
// half is sensitive and non-extractable (checked with pkcs11-tool, independently of our addon), and it
// signs what verifies under the printed public key.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeVerifier } from '../src/crypto/verifier.js';
import { Hsm } from '../src/hsm/hsm.js';
import type { Curve } from '../src/hsm/types.js';
import { blake2b256 } from '../src/tezos/hash.js';
import { parsePublicKey } from '../src/tezos/keys.js';
import { runCli } from './helpers/signer-process.js';
import { createToken, pkcs11Tool, type TestToken } from './helpers/softhsm.js';

let token: TestToken;
let config: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  token = await createToken({ label: 'keygen', keys: [] });
  config = join(token.dir, 'signer.yaml');
  await writeFile(
    config,
    `hsm:\n  library: ${token.library}\n  token_label: ${token.tokenLabel}\n  sessions: 1\nwatermark:\n  backend: memory\n`,
  );
  env = { ...token.env, HSM_PIN: token.pin };
});

afterAll(async () => {
  await token?.cleanup();
});

interface Generated {
  pkh: string;
  public_key: string;
  curve: Curve;
  label: string;
  id: string;
}

describe('keys generate', () => {
  const made: Generated[] = [];

  for (const [curve, prefix, id] of [
    ['p256', 'tz3', 'a3'],
    ['secp256k1', 'tz2', 'a2'],
    ['ed25519', 'tz1', 'a1'],
  ] as const) {
    it(`creates a ${curve} key in the token and prints its ${prefix} identity`, async () => {
      const r = await runCli(
        [
          'keys',
          'generate',
          '--curve',
          curve,
          '--label',
          `gen-${curve}`,
          '--id',
          id,
          '--config',
          config,
          '--json',
        ],
        env,
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const g = JSON.parse(r.stdout) as Generated;
      expect(g).toMatchObject({ curve, label: `gen-${curve}`, id });
      expect(g.pkh.startsWith(prefix)).toBe(true);
      expect(parsePublicKey(g.public_key).pkh).toBe(g.pkh);
      made.push(g);
    });
  }

  it('lists the generated keys, with sensitive non-extractable private halves', async () => {
    const list = await runCli(['keys', 'list', '--config', config, '--json'], env);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as Generated[];
    for (const g of made)
      expect(listed).toContainEqual(expect.objectContaining({ pkh: g.pkh, public_key: g.public_key }));
    const stdout = await pkcs11Tool(token, ['--list-objects', '--type', 'privkey']);
    const objects = stdout
      .split(/\n(?=Private Key Object)/)
      .filter((o) => o.startsWith('Private Key Object'));
    expect(objects).toHaveLength(3);
    for (const o of objects) {
      // pkcs11-tool lists CKA_SENSITIVE as "sensitive", CKA_EXTRACTABLE as "extractable".
      const access = /Access:\s*(.*)/.exec(o)![1]!.split(', ');
      expect(access).toContain('sensitive');
      expect(access).toContain('never extractable');
      expect(access).not.toContain('extractable');
    }
  });

  it('signs with the generated keys, verifiably under the printed public keys', async () => {
    process.env.SOFTHSM2_CONF = token.conf;
    const hsm = await Hsm.open({
      library: token.library,
      tokenLabel: token.tokenLabel,
      pin: token.pin,
      sessions: 1,
    });
    try {
      const keys = await hsm.keys();
      const digest = blake2b256(new TextEncoder().encode('keys generate'));
      for (const g of made) {
        const key = keys.find((k) => k.label === g.label)!;
        const { curve, bytes } = parsePublicKey(g.public_key);
        expect(curve).toBe(g.curve);
        const sig = await hsm.sign(key, digest);
        expect(makeVerifier(g.curve, bytes)(digest, sig)).toBe(true);
      }
    } finally {
      await hsm.close();
    }
  });

  it('refuses a label already in use and bad arguments', async () => {
    const dup = await runCli(
      ['keys', 'generate', '--curve', 'p256', '--label', 'gen-p256', '--config', config],
      env,
    );
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/label "gen-p256".*exists/);
    const bad = await runCli(['keys', 'generate', '--curve', 'rsa', '--label', 'x', '--config', config], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--curve: expected one of p256, secp256k1, ed25519');
    const noPin = await runCli(
      ['keys', 'generate', '--curve', 'p256', '--label', 'y', '--config', config],
      { ...token.env, HSM_PIN: '' }, // empty, not absent: it may exist in the runner's environment
    );
    expect(noPin.code).toBe(1);
    expect(noPin.stderr).toMatch(/HSM_PIN/);
  });
});
