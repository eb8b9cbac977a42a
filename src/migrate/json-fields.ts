// Field readers shared by the importers of other signers' watermark files (octez, Signatory): each
// throws an Error naming the file and JSON path of the bad field, so an operator can fix it by hand.

import { b58decode } from '../tezos/base58.js';

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function int32(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
    throw new Error(`${where}: expected a non-negative int32, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message})`);
  }
}

export function checkChainId(chainId: string, what: string): void {
  try {
    b58decode(chainId, ['Net']);
  } catch {
    throw new Error(`${what} is not a chain id`);
  }
}

export function checkPkh(pkh: string, where: string): void {
  try {
    b58decode(pkh, ['tz1', 'tz2', 'tz3', 'tz4']);
  } catch {
    throw new Error(`${where}: not a public key hash`);
  }
}
