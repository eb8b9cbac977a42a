// Reads Signatory's file watermarks (ecadlabs/signatory pkg/signatory/watermark/file.go):
// `<base_dir>/watermark_v2/<chain id>.json`, each
//   { "<pkh>": { "<request kind>": { "level": int32, "round": int32, "hash": "vh…" | null } } }
// where `hash` is the request digest (BLAKE2b-256 of the bytes) written with the block payload hash
// prefix. Request kinds: block, preattestation / attestation (preendorsement / endorsement in older
// releases); others (generic) carry no watermark and are skipped. Signatory keeps no signature.

import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { b58decode } from '../tezos/base58.js';
import type { ConsensusKind } from '../tezos/request.js';
import type { ImportedMark } from './imported-mark.js';
import { checkChainId, checkPkh, int32, isObject, parseJson } from './json-fields.js';

const KINDS: Readonly<Record<string, ConsensusKind>> = {
  block: 'block',
  preattestation: 'preattestation',
  preendorsement: 'preattestation',
  attestation: 'attestation',
  endorsement: 'attestation',
};

export const SIGNATORY_DIR = 'watermark_v2';

/** Parses one `<chain id>.json` file. */
export function parseSignatoryFile(text: string, chainId: string, file: string): ImportedMark[] {
  checkChainId(chainId, `${file}: the file name`);
  const doc = parseJson(text, file);
  if (!isObject(doc)) throw new Error(`${file}: expected an object of key hashes`);
  const out: ImportedMark[] = [];
  for (const [pkh, byKind] of Object.entries(doc)) {
    const at = `${file}: ${pkh}`;
    checkPkh(pkh, at);
    if (!isObject(byKind)) throw new Error(`${at}: expected an object of request kinds`);
    for (const [name, wm] of Object.entries(byKind)) {
      const kind = KINDS[name];
      if (kind === undefined) continue;
      const where = `${at}.${name}`;
      if (!isObject(wm)) throw new Error(`${where}: expected an object`);
      const level = int32(wm.level, `${where}.level`);
      const round = wm.round === undefined || wm.round === null ? 0 : int32(wm.round, `${where}.round`);
      let hash: string | null = null;
      if (typeof wm.hash === 'string') {
        try {
          hash = Buffer.from(b58decode(wm.hash, ['vh']).payload).toString('hex');
        } catch {
          throw new Error(`${where}.hash: expected a vh… digest`);
        }
      } else if (wm.hash !== undefined && wm.hash !== null) {
        throw new Error(`${where}.hash: expected a string`);
      }
      out.push({ slot: { chainId, pkh, kind }, level, round, hash, signature: null, source: where });
    }
  }
  return out;
}

/** Accepts Signatory's base dir (holding watermark_v2/) or the watermark_v2 dir itself. */
export async function readSignatoryWatermarks(path: string): Promise<ImportedMark[]> {
  const dir = basename(path) === SIGNATORY_DIR ? path : join(path, SIGNATORY_DIR);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    throw new Error(`${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (names.length === 0) throw new Error(`${dir}: no <chain id>.json watermark file found`);
  const out: ImportedMark[] = [];
  for (const name of names) {
    const file = join(dir, name);
    out.push(...parseSignatoryFile(await readFile(file, 'utf8'), name.slice(0, -5), file));
  }
  return out;
}
