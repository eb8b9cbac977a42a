// The decoded form of a signing request. One decoder (src/tezos/decode*.ts) produces these;
// policy and the watermark consume them (through request.ts). Byte layouts: docs/protocol.md.

/** Watermark slot kind: tags 21/23/41 all map to 'attestation' (docs/watermark.md says why). */
export type ConsensusKind = 'block' | 'preattestation' | 'attestation';

export interface BlockRequest {
  magic: 0x11;
  kind: 'block';
  /** 4-byte chain id, base58 Net… */
  chainId: string;
  level: number;
  proto: number;
  predecessor: string; // B…
  timestamp: bigint;
  validationPasses: number;
  operationsHash: string; // LLo…
  fitness: Uint8Array[];
  /** Round from the last fitness element: the one the watermark uses. */
  round: number;
  lockedRound: number | null;
  predecessorRound: number;
  context: string; // Co…
  payloadHash: string; // vh…
  payloadRound: number;
  proofOfWorkNonce: Uint8Array;
  seedNonceHash: string | null; // nce…
  perBlockVotes: number;
}

export interface ConsensusRequest {
  magic: 0x12 | 0x13;
  kind: 'preattestation' | 'attestation';
  /** 20 preattestation, 21 attestation, 23 attestation_with_dal, 40/41 BLS-mode (no slot). */
  tag: 20 | 21 | 23 | 40 | 41;
  chainId: string;
  branch: string; // B…
  slot: number | null;
  level: number;
  round: number;
  blockPayloadHash: string; // vh…
  /** Tag 23 only: the Z-encoded DAL bitset as a bigint. */
  dalContent: bigint | null;
}

export interface LegacyRequest {
  magic: 0x01 | 0x02;
  kind: 'legacy_block' | 'legacy_endorsement';
  chainId: string;
  level: number;
}

/** One operation inside a 0x03 generic request, fully decoded. */
export interface Operation {
  /** Kind name as octez names it: 'transaction', 'delegation', 'reveal', 'ballot', … */
  kind: string;
  tag: number;
  /** Manager operations and most others carry a source; null where the kind has none. */
  source: string | null;
  /** Transactions: destination, amount (mutez) and entrypoint ('default', 'stake', 'unstake', …). */
  destination?: string;
  amount?: bigint;
  entrypoint?: string;
  fee?: bigint;
  counter?: bigint;
  gasLimit?: bigint;
  storageLimit?: bigint;
  /** Any further decoded fields, kind-specific. */
  fields?: Record<string, unknown>;
}

export interface GenericRequest {
  magic: 0x03;
  kind: 'generic';
  branch: string;
  operations: Operation[];
}

export interface MichelsonRequest {
  magic: 0x05;
  kind: 'michelson';
  data: Uint8Array;
}

export type SignRequest = BlockRequest | ConsensusRequest | LegacyRequest | GenericRequest | MichelsonRequest;
