// 0x12 preattestation / 0x13 attestation: magic ‖ chain_id(4) ‖ branch(32) ‖ tag(1) ‖ content. Content
// layouts from the current protocol's operation_repr.ml (consensus_content_encoding and the
// attestation_with_dal case; docs/protocol.md, "Consensus operations"): tags 20/21/23 carry a slot (u16)
// first; BLS-mode tags 40/41 have none. Tag 23 ends with a Z-encoded DAL bitset. The layout follows the tag,
// never the key.
import type { Reader } from './reader.js';
import type { ConsensusRequest } from './sign-request.js';

const TAGS_FOR_MAGIC: Record<0x12 | 0x13, readonly number[]> = {
  18: [20, 40],
  19: [21, 23, 41],
};

/** The content after the tag, shared with generic (0x03) operations of the same tags. */
export function readConsensusContent(
  r: Reader,
  tag: 20 | 21 | 23 | 40 | 41,
): {
  slot: number | null;
  level: number;
  round: number;
  blockPayloadHash: string;
  dalContent: bigint | null;
} {
  const slot = tag === 40 || tag === 41 ? null : r.u16('slot');
  const level = r.nat32('level');
  const round = r.nat32('round');
  const payloadHash = r.lazyHash('vh', 32, 'block payload hash');
  let dalContent: bigint | null = null;
  if (tag === 23) {
    const at = r.offset;
    dalContent = r.z('DAL attestation bitset');
    if (dalContent < 0n) r.fail('non-negative DAL attestation bitset', at);
  }
  return {
    slot,
    level,
    round,
    get blockPayloadHash() {
      return payloadHash();
    },
    dalContent,
  };
}

export function decodeConsensus(r: Reader, magic: 0x12 | 0x13): ConsensusRequest {
  const chainId = r.hash('Net', 4, 'chain id');
  const branch = r.lazyHash('B', 32, 'branch');
  const tagAt = r.offset;
  const tag = r.u8('consensus operation tag');
  const allowed = TAGS_FOR_MAGIC[magic];
  if (!allowed.includes(tag)) {
    const what = magic === 0x12 ? 'preattestation' : 'attestation';
    r.fail(`${what} tag ${allowed.join('/')} after magic 0x${magic.toString(16)}, got ${tag}`, tagAt);
  }
  const t = tag as ConsensusRequest['tag'];
  const content = readConsensusContent(r, t);
  r.end();
  // Hashes as getters (Reader.lazyHash): a spread of `content` would render them now.
  return {
    magic,
    kind: magic === 0x12 ? 'preattestation' : 'attestation',
    tag: t,
    chainId,
    get branch() {
      return branch();
    },
    slot: content.slot,
    level: content.level,
    round: content.round,
    get blockPayloadHash() {
      return content.blockPayloadHash;
    },
    dalContent: content.dalContent,
  };
}
