// A throw-away SoftHSM2 token for tests: its own softhsm2.conf and token directory under a temp dir.
// Nothing global is set: callers set process.env.SOFTHSM2_CONF = t.conf (or pass t.env to a child).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Curve } from '../../src/hsm/types.js';

const run = promisify(execFile);

export const SOFTHSM_LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';

/** pkcs11-tool --key-type names, checked with SoftHSM 2.6.1 and opensc's pkcs11-tool. */
const KEY_TYPES: Record<Curve, string> = {
  p256: 'EC:prime256v1',
  secp256k1: 'EC:secp256k1',
  ed25519: 'EC:edwards25519',
};

export interface TestToken {
  dir: string;
  conf: string;
  library: string;
  tokenLabel: string;
  pin: string;
  soPin: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export interface TokenKeySpec {
  curve: Curve;
  label: string;
  id: string;
}

export const DEFAULT_KEYS: TokenKeySpec[] = [
  { curve: 'ed25519', label: 'tz1-key', id: '01' },
  { curve: 'secp256k1', label: 'tz2-key', id: '02' },
  { curve: 'p256', label: 'tz3-key', id: '03' },
];

/** Fails (never skips) when a tool is missing: tests must not pass vacuously. */
export function requireTools(): void {
  for (const path of [SOFTHSM_LIBRARY, '/usr/bin/softhsm2-util', '/usr/bin/pkcs11-tool']) {
    if (!existsSync(path)) throw new Error(`${path} is missing: install softhsm2 and opensc (make sysdeps)`);
  }
}

async function tool(cmd: string, args: string[], env: Record<string, string>): Promise<string> {
  try {
    return (await run(cmd, args, { env: { ...process.env, ...env } })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.filter((a) => !/^\d{4,}$/.test(a)).join(' ')} failed: ${e.stderr || e.message}`,
    );
  }
}

type TokenAccess = Pick<TestToken, 'library' | 'tokenLabel' | 'pin' | 'env'>;

/** Runs pkcs11-tool logged in on the token (any PKCS#11 library) with `args`; resolves to its stdout. */
export function pkcs11Tool(t: TokenAccess, args: string[]): Promise<string> {
  return tool(
    'pkcs11-tool',
    ['--module', t.library, '--token-label', t.tokenLabel, '--login', '--pin', t.pin, ...args],
    t.env,
  );
}

/** Adds a key pair to an existing token (any PKCS#11 library) with pkcs11-tool --keypairgen. */
export async function addKey(t: TokenAccess, key: TokenKeySpec): Promise<void> {
  await pkcs11Tool(t, [
    '--keypairgen',
    '--key-type',
    KEY_TYPES[key.curve],
    '--label',
    key.label,
    '--id',
    key.id,
  ]);
}

/** (Re-)initialises the token in `t.dir` (used to simulate a replaced token). */
export async function initToken(t: TestToken): Promise<void> {
  await tool(
    'softhsm2-util',
    ['--init-token', '--free', '--label', t.tokenLabel, '--so-pin', t.soPin, '--pin', t.pin],
    t.env,
  );
}

export async function createToken(
  opts: { label?: string; pin?: string; keys?: TokenKeySpec[] } = {},
): Promise<TestToken> {
  requireTools();
  const dir = await mkdtemp(join(tmpdir(), 'softhsm-'));
  const tokens = join(dir, 'tokens');
  await mkdir(tokens);
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const t: TestToken = {
    dir,
    conf,
    library: SOFTHSM_LIBRARY,
    tokenLabel: opts.label ?? 'test-token',
    pin: opts.pin ?? '1234',
    soPin: '0000',
    env: { SOFTHSM2_CONF: conf },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  await initToken(t);
  for (const key of opts.keys ?? DEFAULT_KEYS) await addKey(t, key);
  return t;
}
