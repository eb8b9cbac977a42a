// Reads octez-signer's high-watermark files from its base dir (octez src/bin_signer/handler.ml,
// High_watermark): `<base_dir>/<kind>_high_watermark`, each a JSON object
//   { "<chain id Net…>": { "<pkh tz…>": { "level": int32, "round"?: int32, "hash": "<hex BLAKE2b-256
//     of the request>", "signature"?: "<b58 signature>" } } }
// Kinds: block, preattestation, attestation (older releases: preendorsement, endorsement).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConsensusKind } from '../tezos/request.js';
import { decodeSignature } from '../tezos/signatures.js';
import { type ImportedMark, WHOLE_LEVEL_ROUND } from './imported-mark.js';
import { checkChainId, checkPkh, int32, isObject, parseJson } from './json-fields.js';

const FILES: ReadonlyArray<[string, ConsensusKind]> = [
  ['block_high_watermark', 'block'],
  ['preattestation_high_watermark', 'preattestation'],
  ['preendorsement_high_watermark', 'preattestation'],
  ['attestation_high_watermark', 'attestation'],
  ['endorsement_high_watermark', 'attestation'],
];

/** Parses one octez watermark file's JSON text. */
export function parseOctezFile(text: string, kind: ConsensusKind, file: string): ImportedMark[] {
  const doc = parseJson(text, file);
  if (!isObject(doc)) throw new Error(`${file}: expected an object of chain ids`);
  const out: ImportedMark[] = [];
  for (const [chainId, byPkh] of Object.entries(doc)) {
    const at = `${file}: ${chainId}`;
    checkChainId(chainId, at);
    if (!isObject(byPkh)) throw new Error(`${at}: expected an object of key hashes`);
    for (const [pkh, mark] of Object.entries(byPkh)) {
      const where = `${at}.${pkh}`;
      checkPkh(pkh, where);
      if (!isObject(mark)) throw new Error(`${where}: expected an object`);
      const level = int32(mark.level, `${where}.level`);
      const round =
        mark.round === undefined || mark.round === null
          ? WHOLE_LEVEL_ROUND
          : int32(mark.round, `${where}.round`);
      const hash = mark.hash;
      if (typeof hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hash)) {
        throw new Error(`${where}.hash: expected 32 bytes of hex`);
      }
      let signature: string | null = null;
      if (mark.signature !== undefined && mark.signature !== null) {
        if (typeof mark.signature !== 'string') throw new Error(`${where}.signature: expected a string`);
        try {
          decodeSignature(mark.signature);
        } catch {
          throw new Error(`${where}.signature: not a signature`);
        }
        signature = mark.signature;
      }
      out.push({ slot: { chainId, pkh, kind }, level, round, hash, signature, source: where });
    }
  }
  return out;
}

/** Every mark in an octez base dir; it is an error when the dir holds no watermark file at all. */
export async function readOctezWatermarks(baseDir: string): Promise<ImportedMark[]> {
  const out: ImportedMark[] = [];
  let found = 0;
  for (const [name, kind] of FILES) {
    const file = join(baseDir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new Error(`${file}: ${(err as Error).message}`);
    }
    found++;
    out.push(...parseOctezFile(text, kind, file));
  }
  if (found === 0) throw new Error(`${baseDir}: no octez *_high_watermark file found`);
  return out;
}
