// 0x11 Tenderbake block: magic ‖ chain_id(4) ‖ unsigned block header.
// Shell header: octez src/lib_base/block_header.ml (shell_header_encoding); fitness elements:
// src/proto_alpha/lib_protocol/fitness_repr.ml; protocol part: block_header_repr.ml
// (contents_encoding: payload_hash, payload_round, proof_of_work_nonce, seed_nonce_hash option,
// per_block_votes). Offsets: docs/protocol.md, "Block header".
import type { Reader } from './reader.js';
import type { BlockRequest } from './sign-request.js';

/** Fitness is a list of byte strings: total length then (length ‖ bytes) items; 5 items in Tenderbake. */
function readFitness(r: Reader): Uint8Array[] {
  const total = r.length('fitness', 1024);
  const end = r.offset + total;
  const items: Uint8Array[] = [];
  while (r.offset < end) {
    const len = r.length('fitness element', end - r.offset);
    items.push(r.take(len, 'fitness element'));
  }
  return items;
}

function int32Of(bytes: Uint8Array): number {
  return (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]! | 0;
}

/** per_block_votes (per_block_votes_repr.ml): two 2-bit votes (0 on, 1 off, 2 pass) packed in a byte. */
function validVotes(v: number): boolean {
  return v < 16 && (v & 3) !== 3 && ((v >> 2) & 3) !== 3;
}

export function decodeBlock(r: Reader): BlockRequest {
  const chainId = r.hash('Net', 4, 'chain id');
  const level = r.nat32('level');
  const proto = r.u8('protocol number');
  const predecessor = r.lazyHash('B', 32, 'predecessor block hash');
  const timestamp = r.i64('timestamp');
  const validationPasses = r.u8('validation passes');
  const operationsHash = r.lazyHash('LLo', 32, 'operations hash');
  const fitnessAt = r.offset;
  const fitness = readFitness(r);
  // Tenderbake fitness: [version 02] [level] [locked_round: empty | int32] [-pred_round-1] [round].
  const [version, fLevel, fLocked, fPred, fRound] = fitness;
  if (
    fitness.length !== 5 ||
    version?.length !== 1 ||
    version[0] !== 0x02 ||
    fLevel?.length !== 4 ||
    (fLocked?.length !== 0 && fLocked?.length !== 4) ||
    fPred?.length !== 4 ||
    fRound?.length !== 4
  ) {
    return r.fail(
      'Tenderbake fitness (version 02, level, locked round, predecessor round, round)',
      fitnessAt,
    );
  }
  if (int32Of(fLevel) !== level) r.fail(`fitness level equal to header level ${level}`, fitnessAt);
  const round = int32Of(fRound);
  const lockedRound = fLocked.length === 4 ? int32Of(fLocked) : null;
  const predecessorRound = -int32Of(fPred) - 1;
  if (round < 0) r.fail(`fitness round >= 0, got ${round}`, fitnessAt);
  if (predecessorRound < 0) r.fail(`fitness predecessor round >= 0`, fitnessAt);
  // fitness_repr.ml: a locked round is always strictly below the round.
  if (lockedRound !== null && (lockedRound < 0 || lockedRound >= round)) {
    r.fail(`fitness locked round in [0, round ${round}), got ${lockedRound}`, fitnessAt);
  }
  const context = r.lazyHash('Co', 32, 'context hash');
  const payloadHash = r.lazyHash('vh', 32, 'payload hash');
  const payloadRound = r.nat32('payload round');
  const proofOfWorkNonce = r.take(8, 'proof of work nonce');
  const seedNonceHash = r.bool('seed nonce hash presence') ? r.lazyHash('nce', 32, 'seed nonce hash') : null;
  const votesAt = r.offset;
  const perBlockVotes = r.u8('per block votes');
  if (!validVotes(perBlockVotes))
    r.fail(`per block votes (two 2-bit votes 0..2), got ${perBlockVotes}`, votesAt);
  r.end();
  // Hashes as getters (Reader.lazyHash): the watermark and policy read none of them.
  return {
    magic: 0x11,
    kind: 'block',
    chainId,
    level,
    proto,
    get predecessor() {
      return predecessor();
    },
    timestamp,
    validationPasses,
    get operationsHash() {
      return operationsHash();
    },
    fitness: fitness.map((f) => Uint8Array.from(f)),
    round,
    lockedRound,
    predecessorRound,
    get context() {
      return context();
    },
    get payloadHash() {
      return payloadHash();
    },
    payloadRound,
    proofOfWorkNonce: Uint8Array.from(proofOfWorkNonce),
    get seedNonceHash() {
      return seedNonceHash === null ? null : seedNonceHash();
    },
    perBlockVotes,
  };
}
