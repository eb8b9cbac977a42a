// What one key may sign (config `tezos.<pkh>`; README.md, "Policy").

export interface KeyPolicy {
  block: boolean;
  preattestation: boolean;
  /** Covers tags 21, 23 (with DAL) and 41: they share one watermark slot (docs/watermark.md). */
  attestation: boolean;
  /** Operation kinds allowed under magic byte 0x03; empty = no generic operation. */
  generic: ReadonlySet<string>;
  /** Magic byte 0x05 (Michelson PACK data). */
  michelson: boolean;
  /** Chain ids (Net…) allowed for requests that carry one; null = any chain. */
  chains: ReadonlySet<string> | null;
}

/** The consensus policy: what a baker needs and nothing else (default when `tezos` is absent). */
export const CONSENSUS_POLICY: KeyPolicy = Object.freeze({
  block: true,
  preattestation: true,
  attestation: true,
  generic: new Set<string>(),
  michelson: false,
  chains: null,
});
