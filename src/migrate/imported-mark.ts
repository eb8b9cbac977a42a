// A watermark taken from another signer, and how it becomes one of ours (docs/migrating.md).
// Our Mark keeps the stored signature so an identical request gets it back (docs/watermark.md). When the
// other signer kept no signature (Signatory, or an octez mark without one), we must never answer a
// "repeat" with a made-up one: the hash is set to all zeros, which no request's BLAKE2b-256 equals, so
// the imported height is refused outright rather than re-signed or answered wrongly.

import { decide } from '../watermark/rule.js';
import type { Mark, SlotKey, WatermarkStore } from '../watermark/store.js';
import { checkMark, checkSlot, slotId } from '../watermark/validate.js';

export const NO_REQUEST_HASH = '0'.repeat(64);
export const NO_SIGNATURE = 'none (imported without signature)';
/** Marks without a round (Emmy era) forbid their whole level. */
export const WHOLE_LEVEL_ROUND = 0x7fffffff;

export interface ImportedMark {
  slot: SlotKey;
  level: number;
  round: number;
  /** hex BLAKE2b-256 of the signed request, when known. */
  hash: string | null;
  signature: string | null;
  /** Where it came from, for messages. */
  source: string;
}

export function toMark(m: ImportedMark): Mark {
  const complete = m.hash !== null && m.signature !== null;
  return {
    level: m.level,
    round: m.round,
    hash: complete ? m.hash!.toLowerCase() : NO_REQUEST_HASH,
    signature: complete ? m.signature! : NO_SIGNATURE,
  };
}

export interface ImportResult {
  slot: SlotKey;
  mark: Mark;
  action: 'set' | 'kept';
  /** The mark already present (kept when it is at or above the imported one). */
  existing: Mark | null;
  source: string;
}

/**
 * Writes each imported mark unless the store already holds one at or above it: an import only ever
 * raises a watermark. Validates every mark before writing any.
 */
export async function applyImports(
  store: WatermarkStore,
  marks: readonly ImportedMark[],
): Promise<ImportResult[]> {
  const prepared = marks.map((m) => {
    const mark = toMark(m);
    try {
      checkSlot(m.slot);
      checkMark(mark);
    } catch (err) {
      throw new Error(`${m.source}: ${(err as Error).message}`);
    }
    return { m, mark };
  });
  // Two marks for one slot (e.g. octez's endorsement and attestation files): the higher one wins.
  const best = new Map<string, { m: ImportedMark; mark: Mark }>();
  for (const p of prepared) {
    const id = slotId(p.m.slot);
    const prev = best.get(id);
    if (
      !prev ||
      decide(prev.mark, { level: p.mark.level, round: p.mark.round, hash: p.mark.hash }) === 'sign'
    ) {
      best.set(id, p);
    }
  }
  const out: ImportResult[] = [];
  for (const { m, mark } of best.values()) {
    const existing = await store.get(m.slot);
    // decide() says 'sign' only when the imported height is strictly above the stored one.
    const raise =
      existing === null ||
      decide(existing, { level: mark.level, round: mark.round, hash: mark.hash }) === 'sign';
    if (raise) await store.set(m.slot, mark);
    out.push({ slot: m.slot, mark, action: raise ? 'set' : 'kept', existing, source: m.source });
  }
  return out;
}
