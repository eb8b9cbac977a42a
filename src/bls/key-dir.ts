// Where sealed tz4 keys live: `<config dir>/bls/<tz4>.sealed`, one file per key (docs/tz4.md).
import { mkdir, open, readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { BlsKey } from './bls-key.js';
import { unsealKey } from './seal.js';
import { parseSealed, SealedFileError, type SealedKey, serializeSealed } from './sealed-file.js';
import type { Sealer } from './sealer.js';

export function blsKeyDir(configPath: string): string {
  return join(dirname(resolve(configPath)), 'bls');
}

/** Writes a new sealed file (never overwrites one), synced to disk, mode 0600; returns its path. */
export async function writeSealed(dir: string, sealed: SealedKey): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${sealed.pkh}.sealed`);
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new SealedFileError(`${path} exists: key ${sealed.pkh} is already sealed`);
    }
    throw err;
  }
  try {
    await fh.writeFile(serializeSealed(sealed));
    await fh.sync();
  } finally {
    await fh.close();
  }
  return path;
}

/** Every `*.sealed` file of `dir`, parsed (missing dir = none). */
export async function readSealedDir(dir: string): Promise<{ path: string; sealed: SealedKey }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: { path: string; sealed: SealedKey }[] = [];
  for (const name of names.filter((n) => n.endsWith('.sealed')).sort()) {
    const path = join(dir, name);
    const sealed = parseSealed(await readFile(path, 'utf8'), path);
    if (name !== `${sealed.pkh}.sealed`)
      throw new SealedFileError(`${path}: file name does not match pkh ${sealed.pkh}`);
    out.push({ path, sealed });
  }
  return out;
}

/** Unseals every key of `dir`; any failure wipes what was unsealed and throws (serve refuses to start). */
export async function unsealDir(sealer: Sealer, dir: string): Promise<BlsKey[]> {
  const keys: BlsKey[] = [];
  try {
    for (const { path, sealed } of await readSealedDir(dir)) keys.push(await unsealKey(sealer, sealed, path));
    return keys;
  } catch (err) {
    for (const k of keys) k.wipe();
    throw err;
  }
}
