// Argument checks for every watermark backend, so a bad slot or height is a clear error before any
// store is touched (and never reaches sign()).

import type { ConsensusKind } from '../tezos/request.js';
import { type Height, RESERVED } from './rule.js';
import type { Mark, SlotKey } from './store.js';

export const KINDS: readonly ConsensusKind[] = ['block', 'preattestation', 'attestation'];

// Chain ids and pkhs are base58 (Net…, tz…); anything else would also break the slot id below.
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]{1,64}$/;
const HEX32 = /^[0-9a-fA-F]{64}$/;
// Levels and rounds are int32 on the wire (docs/protocol.md), never negative for a real request.
const INT32_MAX = 0x7fffffff;

export class WatermarkArgumentError extends Error {
  override readonly name = 'WatermarkArgumentError';
}

export function checkSlot(slot: SlotKey): void {
  if (typeof slot !== 'object' || slot === null)
    throw new WatermarkArgumentError('watermark slot: not an object');
  if (typeof slot.chainId !== 'string' || !BASE58.test(slot.chainId))
    throw new WatermarkArgumentError(`watermark slot: bad chain id ${JSON.stringify(slot.chainId)}`);
  if (typeof slot.pkh !== 'string' || !BASE58.test(slot.pkh))
    throw new WatermarkArgumentError(`watermark slot: bad pkh ${JSON.stringify(slot.pkh)}`);
  if (!KINDS.includes(slot.kind))
    throw new WatermarkArgumentError(`watermark slot: bad kind ${JSON.stringify(slot.kind)}`);
}

function checkInt(what: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > INT32_MAX)
    throw new WatermarkArgumentError(
      `watermark: ${what} must be an integer in 0..${INT32_MAX}, got ${String(v)}`,
    );
}

export function checkHeight(req: Height): void {
  if (typeof req !== 'object' || req === null)
    throw new WatermarkArgumentError('watermark request: not an object');
  checkInt('level', req.level);
  checkInt('round', req.round);
  if (typeof req.hash !== 'string' || !HEX32.test(req.hash))
    throw new WatermarkArgumentError('watermark: hash must be 32 bytes of hex (BLAKE2b-256 of the request)');
}

export function checkMark(mark: Mark): void {
  checkHeight(mark);
  if (typeof mark.signature !== 'string' || mark.signature.length === 0 || mark.signature.length > 512)
    throw new WatermarkArgumentError('watermark: signature must be a non-empty string');
}

/** A mark read back from a store: also a reservation (empty signature, see RESERVED in rule.ts). */
export function checkStoredMark(mark: Mark): void {
  if (mark.signature === RESERVED) checkHeight(mark);
  else checkMark(mark);
}

/** One string per slot, for maps and locks; unambiguous because the parts are base58 / fixed words. */
export function slotId(slot: SlotKey): string {
  return `${slot.chainId}/${slot.pkh}/${slot.kind}`;
}

/** Normalised copy (lowercase hash) so that stores keep one spelling. */
export function normaliseMark(mark: Mark): Mark {
  return { level: mark.level, round: mark.round, hash: mark.hash.toLowerCase(), signature: mark.signature };
}
