// `keys generate --curve bls12-381 --label L --config FILE [--aes-label A] [--json]` and
// `keys import --curve bls12-381 --label L --config FILE [--file PATH] [--aes-label A] [--json]`.
// No PKCS#11 HSM signs BLS: the tz4 secret is sealed with AES-GCM (or AES-CBC + HMAC on tokens without
// GCM) under keys that never leave the token (made on first use) and written to
// <config dir>/bls/<tz4>.sealed with the mechanism it used (docs/tz4.md). An imported
// secret is read from --file or stdin, never from the command line.

import { readFile } from 'node:fs/promises';
import { BlsKey } from '../bls/bls-key.js';
import { blsKeyDir, readSealedDir, writeSealed } from '../bls/key-dir.js';
import { sealKey } from '../bls/seal.js';
import { loadConfig } from '../config/load.js';
import { Pkcs11Error } from '../hsm/errors.js';
import type { Hsm } from '../hsm/hsm.js';
import type { SealMechanism } from '../hsm/types.js';
import { parseVerbArgs, requireConfig, UsageError } from './args.js';
import { openHsm } from './open-hsm.js';

export const DEFAULT_AES_LABEL = 'tezos-hsm-signer-bls-seal';

/** True when the arguments ask for `--curve bls12-381` (main.ts routes those verbs here). */
export function wantsBls(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--curve=bls12-381' || (a === '--curve' && argv[i + 1] === 'bls12-381'));
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

/** Makes the sealing key(s) of `mechanism` unless the token already has them under this label. */
async function ensureAesKey(hsm: Hsm, label: string, mechanism: SealMechanism): Promise<void> {
  try {
    await hsm.generateAesKey(label, mechanism);
  } catch (err) {
    if (!(err instanceof Pkcs11Error && err.code === 'ERR_HSM_KEY_EXISTS')) throw err;
  }
}

export async function keysBls(mode: 'generate' | 'import', argv: string[]): Promise<number> {
  const values = parseVerbArgs(argv, {
    config: { type: 'string' },
    curve: { type: 'string' },
    label: { type: 'string' },
    'aes-label': { type: 'string' },
    file: { type: 'string' },
    json: { type: 'boolean' },
  });
  const configFile = requireConfig(values);
  if (values.curve !== 'bls12-381') throw new UsageError(`keys ${mode}: --curve bls12-381 is required`);
  const label = values.label;
  if (typeof label !== 'string' || label === '') throw new UsageError('--label is required');
  if (mode === 'generate' && values.file !== undefined) throw new UsageError('--file is for keys import');
  const aesLabel = values['aes-label'] ?? DEFAULT_AES_LABEL;
  const config = await loadConfig(configFile);
  const dir = blsKeyDir(config.file);
  if ((await readSealedDir(dir)).some((e) => e.sealed.keyLabel === label)) {
    throw new UsageError(`a sealed tz4 key labelled "${label}" exists in ${dir}`);
  }
  let secretLe: Uint8Array;
  let key: BlsKey;
  if (mode === 'generate') {
    ({ key, secretLe } = BlsKey.generate());
  } else {
    const text =
      values.file === undefined || values.file === '-'
        ? await readAll(process.stdin)
        : await readFile(values.file, 'utf8');
    secretLe = BlsKey.parseSecret(text);
    key = new BlsKey(secretLe, label);
  }
  const hsm = await openHsm(config);
  try {
    const mechanism = await hsm.sealMechanism();
    await ensureAesKey(hsm, aesLabel, mechanism);
    const path = await writeSealed(dir, await sealKey(hsm, key, secretLe, label, aesLabel, mechanism));
    const out = {
      pkh: key.pkh,
      public_key: key.publicKey,
      curve: 'bls12-381',
      label,
      aes_label: aesLabel,
      mechanism,
      file: path,
    };
    process.stdout.write(
      values.json
        ? `${JSON.stringify(out, null, 2)}\n`
        : `${key.pkh}  bls12-381  ${key.publicKey}  label=${label} sealed=${path} mechanism=${mechanism}\n`,
    );
    return 0;
  } finally {
    secretLe.fill(0);
    key.wipe();
    await hsm.close();
  }
}
