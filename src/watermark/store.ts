// The high-watermark store interface (rule: docs/watermark.md, implemented once in
// src/watermark/rule.ts). Backends: file (default), memory (tests/benches), postgres (replicas, docs/ha.md).

import type { ConsensusKind } from '../tezos/request.js';

/** Identifies one watermark slot. Tags 21/23/41 share the 'attestation' kind. */
export interface SlotKey {
  chainId: string; // Net…
  pkh: string; // tz…
  kind: ConsensusKind;
}

/** What is kept per slot: the last signed height, the request's BLAKE2b-256 and the signature returned. */
export interface Mark {
  level: number;
  round: number;
  /** hex BLAKE2b-256 of the whole request bytes (magic byte included). */
  hash: string;
  /**
   * Encoded signature as returned to the client (edsig…/spsig1…/p2sig…/BLsig…), or RESERVED (rule.ts)
   * for a height made durable before its signature was recorded.
   */
  signature: string;
}

/** What the store decided for one request. */
export type Decision =
  | { outcome: 'signed'; signature: string } // new mark persisted durably
  | { outcome: 'repeat'; signature: string } // identical bytes at the stored height: stored signature
  | { outcome: 'refused'; stored: Mark }; // below or equal with other bytes: 409

export interface WatermarkStore {
  /**
   * Atomically: read the slot's mark; if (level, round) is strictly above it, call `sign()`, persist the
   * new mark durably (synced) and resolve 'signed'; if equal with the same hash, resolve 'repeat' with the
   * stored signature; otherwise resolve 'refused'. Requests on one slot are serialised; a failure in
   * sign() or in persisting leaves the mark untouched and rejects. A store may make the height durable
   * first (a reservation, RESERVED in rule.ts) and call sign() alongside, before it knows the answer: the
   * result of a sign() whose request was repeated or refused is dropped, never returned.
   */
  signOnce(
    slot: SlotKey,
    req: { level: number; round: number; hash: string },
    sign: () => Promise<string>,
  ): Promise<Decision>;
  /** Current mark of a slot, or null. */
  get(slot: SlotKey): Promise<Mark | null>;
  /** Every slot and mark (for `watermark show`). */
  list(): Promise<Array<{ slot: SlotKey; mark: Mark }>>;
  /** Force a mark (for `watermark set` when migrating). */
  set(slot: SlotKey, mark: Mark): Promise<void>;
  /** Readiness: true when the store is writable. */
  check(): Promise<void>;
  /**
   * Why marks, although committed, could be lost by a failover of the store's database (it keeps
   * signing); null when not. Only stores that replicate have one.
   */
  durabilityWarning?(): string | null;
  close(): Promise<void>;
}
