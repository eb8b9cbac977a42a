// The high-watermark rule, in one place (docs/watermark.md; octez src/bin_signer/handler.ml,
// check_watermark): every backend (memory, file, postgres) asks this function and nothing else.

import type { Mark } from './store.js';

/**
 * The signature of a mark written ahead of its signature (a reservation): the height is durable, the
 * signature is recorded after the answer. Read back after a crash, such a mark refuses its own bytes.
 */
export const RESERVED = '';

/** A request as the rule sees it: its height and the BLAKE2b-256 (hex) of its whole bytes. */
export interface Height {
  level: number;
  round: number;
  hash: string;
}

/**
 * 'sign' when (level, round) is lexicographically strictly above the stored mark (or there is none);
 * 'repeat' when the height is equal and the bytes are identical: the caller answers with the STORED
 * signature and must not sign again (ECDSA with a fresh k would give another operation hash, which is
 * double-signing evidence); 'refuse' otherwise (below, or equal height with other bytes, or equal
 * height over a mark that was reserved but never got its signature recorded).
 */
export function decide(stored: Mark | null, req: Height): 'sign' | 'repeat' | 'refuse' {
  if (stored === null) return 'sign';
  if (req.level !== stored.level) return req.level > stored.level ? 'sign' : 'refuse';
  if (req.round !== stored.round) return req.round > stored.round ? 'sign' : 'refuse';
  // A height reserved without a recorded signature (RESERVED) has no signature to repeat, and signing
  // again could give a second, different ECDSA signature of the same bytes (see above): refuse.
  if (stored.signature === RESERVED) return 'refuse';
  return req.hash.toLowerCase() === stored.hash.toLowerCase() ? 'repeat' : 'refuse';
}
