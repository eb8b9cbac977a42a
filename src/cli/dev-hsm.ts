// `dev-hsm init [--dir ./var]`: the embedded development HSM (docs/vendors/softhsm2.md). Creates a SoftHSM2
// token under DIR/softhsm, one tz1, tz2 and tz3 key generated inside it, DIR/signer.yaml and DIR/env.
// Idempotent: a second run reuses the token, the PIN and the keys.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../config/load.js';
import { buildKeyring } from '../signer/keyring.js';
import type { Curve } from '../tezos/curve.js';
import { parseVerbArgs } from './args.js';
import { openHsm } from './open-hsm.js';

const run = promisify(execFile);

const EXAMPLE_BLOCK =
  '117a06a7700000000c0272b9c070cec8364f71d3361b0196ff250451241dc70933fefbda3b4c0eff329700000000619d27ce0401589994c43f991baf797f80702ba7f11075ea11eaed813c3b2eaf769b42ca30000000210000000102000000040000000c0000000000000004ffffffff0000000400000000c146ae2d2ada6afc75c4e2d84d994366d0944f1d5448f8ce5c99365ab8f7aa05532d7119ff62aeeea609473addaafc033aa264c5cf6ab8af70e1154ed44cb3d800000000ef9ad9f900000000ff408781a014bbc88d879ae2847cb65e31318c61aab34cd000ae27a9103a718b5b00';

export const DEV_TOKEN_LABEL = 'tezos-dev';
const DEV_KEYS: ReadonlyArray<{ curve: Curve; label: string; id: string }> = [
  { curve: 'ed25519', label: 'dev-tz1', id: '01' },
  { curve: 'secp256k1', label: 'dev-tz2', id: '02' },
  { curve: 'p256', label: 'dev-tz3', id: '03' },
];

/** Reads a secret file, or creates it (mode 0600) with a fresh random value. */
async function secretFile(path: string): Promise<string> {
  if (existsSync(path)) return (await readFile(path, 'utf8')).trim();
  const value = randomBytes(8).toString('hex');
  await writeFile(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return value;
}

async function tokenExists(env: NodeJS.ProcessEnv): Promise<boolean> {
  const { stdout } = await run('softhsm2-util', ['--show-slots'], { env });
  return stdout.split('\n').some((line) => /^\s*Label:\s+(.*?)\s*$/.exec(line)?.[1] === DEV_TOKEN_LABEL);
}

function signerYaml(softhsmConf: string): string {
  return `# Development signer written by \`tezos-hsm-signer dev-hsm init\`: a SoftHSM2 token, NOT for production.
server:
  address: 127.0.0.1:6732
hsm:
  vendor: softhsm2
  token_label: ${DEV_TOKEN_LABEL}
  pin_file: ./hsm-pin
  sessions: 2
  env:
    SOFTHSM2_CONF: ${JSON.stringify(softhsmConf)}
watermark:
  backend: file
  dir: ./watermarks
`;
}

export async function devHsmInit(argv: string[]): Promise<number> {
  const values = parseVerbArgs(argv, { dir: { type: 'string' } });
  const dir = resolve(typeof values.dir === 'string' ? values.dir : './var');
  const softhsmDir = join(dir, 'softhsm');
  const conf = join(softhsmDir, 'softhsm2.conf');
  await mkdir(join(softhsmDir, 'tokens'), { recursive: true });
  if (!existsSync(conf)) {
    await writeFile(
      conf,
      `directories.tokendir = ${join(softhsmDir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
    );
  }
  const pin = await secretFile(join(dir, 'hsm-pin'));
  const soPin = await secretFile(join(dir, 'hsm-so-pin'));
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  if (!(await tokenExists(env))) {
    await run(
      'softhsm2-util',
      ['--init-token', '--free', '--label', DEV_TOKEN_LABEL, '--so-pin', soPin, '--pin', pin],
      {
        env,
      },
    );
  }
  const configFile = join(dir, 'signer.yaml');
  await writeFile(configFile, signerYaml(conf));
  await writeFile(join(dir, 'env'), `export SOFTHSM2_CONF=${conf}\n`);

  const hsm = await openHsm(await loadConfig(configFile));
  try {
    const have = new Set((await hsm.keys()).map((k) => k.curve));
    for (const k of DEV_KEYS) {
      if (!have.has(k.curve)) await hsm.generateKey(k.curve, k.label, k.id);
    }
    const keys = buildKeyring(await hsm.keys(), hsm);
    process.stdout.write(`development HSM ready: ${configFile}\n`);
    for (const k of keys.values()) process.stdout.write(`  ${k.pkh}  ${k.curve}  ${k.publicKey}\n`);
    const first = keys.keys().next().value;
    if (first !== undefined) {
      // The mainnet example block (level 12, round 0; test/helpers/tezos-vectors.ts): a repeat gets the same
      // signature.
      process.stdout.write(
        `example, once serving:\n  curl -s http://127.0.0.1:6732/keys/${first}\n` +
          `  curl -s -X POST -H 'Content-Type: application/json' --data '"${EXAMPLE_BLOCK}"' http://127.0.0.1:6732/keys/${first}\n`,
      );
    }
    return 0;
  } finally {
    await hsm.close();
  }
}
