// The `refutation` field of smart_rollup_refute (tag 204), the move a rollup operator's key signs in a
// refutation game. Grammar of the current protocol (T024 Tallinn, unchanged in alpha):
//   client-libs/kaitai-struct-files/files/id_024__pttallin__operation__unsigned.ksy (types refutation,
//   start, move, step, dissection_0, dissection_entries, proof_1, input_proof, inbox__proof, reveal_proof,
//   raw_data_0, dal__page__proof, dal_page_id), from lib_protocol/sc_rollup_game_repr.ml (refutation,
//   step), sc_rollup_dissection_chunk_repr.ml (chunk = state option ‖ tick n), sc_rollup_proof_repr.ml
//   (pvm_step, input_proof, reveal_proof), sc_rollup_inbox_repr.ml (serialized_proof: uint30 bytes),
//   dal_slot_repr.ml (Page.encoding: raw level ‖ uint8 slot index ‖ int16 page index; History.proof as
//   uint30 bytes) and raw_level_repr.ml (a non-negative int32).
// Serialized proofs are opaque to a signer and skipped by their length; everything else is decoded.
import { Reader } from './reader.js';

export interface DissectionChunk {
  /** Hex of the 32-byte PVM state hash (srs1…), null when the chunk carries none. */
  state: string | null;
  tick: bigint;
}

export type InputProof =
  | { kind: 'inbox'; level: number; messageCounter: bigint }
  | { kind: 'first_input' }
  | { kind: 'raw_data'; size: number }
  | { kind: 'metadata' }
  | { kind: 'dal_page'; publishedLevel: number; slotIndex: number; pageIndex: number }
  | { kind: 'dal_parameters' };

export type Refutation =
  | { kind: 'start'; playerCommitmentHash: string; opponentCommitmentHash: string }
  | { kind: 'move'; choice: bigint; step: 'dissection'; dissection: DissectionChunk[] }
  | { kind: 'move'; choice: bigint; step: 'proof'; inputProof: InputProof | null };

/** sc_rollup_proof_repr.ml reveal_proof_encoding: raw data is a Bounded string of sc_rollup_message_size_limit. */
const MAX_RAW_DATA = 4096;

/** A 1-byte union tag naming one of `names` (by index). */
function tag<T extends string>(r: Reader, what: string, names: readonly T[]): T {
  const at = r.offset;
  const t = r.u8(what);
  const name = names[t];
  if (name === undefined) return r.fail(`${what} 0..${names.length - 1}, got ${t}`, at);
  return name;
}

/**
 * A uint30-length-prefixed section read by `body` through a reader that ends where the section does:
 * nothing inside can read past it, and bytes it leaves unread are refused.
 */
function section<T>(r: Reader, what: string, body: (s: Reader) => T): T {
  const len = r.length(what);
  const s = new Reader(r.bytes.subarray(0, r.offset + len));
  s.offset = r.offset;
  const value = body(s);
  if (s.remaining !== 0) s.fail(`end of ${what}, got ${s.remaining} trailing bytes`);
  r.offset = s.offset;
  return value;
}

/** dissection_entries, repeated until the end of the list's length. */
function dissection(s: Reader): DissectionChunk[] {
  const chunks: DissectionChunk[] = [];
  while (s.remaining > 0) {
    const state = s.bool('dissection state presence')
      ? Buffer.from(s.take(32, 'dissection state hash')).toString('hex')
      : null;
    chunks.push({ state, tick: s.n('dissection tick') });
  }
  return chunks;
}

function i16(r: Reader, what: string): number {
  const v = r.u16(what);
  return v >= 0x8000 ? v - 0x10000 : v;
}

function revealProof(r: Reader): InputProof {
  switch (tag(r, 'reveal proof tag', ['raw_data', 'metadata', 'dal_page', 'dal_parameters'] as const)) {
    case 'raw_data': {
      // raw_data_0: uint16 length (<= 4096) then the data.
      const at = r.offset;
      const size = r.u16('length of raw data');
      if (size > MAX_RAW_DATA) r.fail(`length of raw data <= ${MAX_RAW_DATA}, got ${size}`, at);
      r.take(size, 'raw data');
      return { kind: 'raw_data', size };
    }
    case 'metadata':
      return { kind: 'metadata' };
    case 'dal_page': {
      const publishedLevel = r.nat32('DAL page published level');
      const slotIndex = r.u8('DAL page slot index');
      const pageIndex = i16(r, 'DAL page index');
      r.dynBytes('DAL page proof');
      return { kind: 'dal_page', publishedLevel, slotIndex, pageIndex };
    }
    case 'dal_parameters':
      return { kind: 'dal_parameters' };
  }
}

function inputProof(r: Reader): InputProof {
  switch (tag(r, 'input proof tag', ['inbox', 'reveal', 'first_input'] as const)) {
    case 'inbox': {
      const level = r.nat32('inbox proof level');
      const messageCounter = r.n('inbox proof message counter');
      r.dynBytes('serialized inbox proof');
      return { kind: 'inbox', level, messageCounter };
    }
    case 'reveal':
      return revealProof(r);
    case 'first_input':
      return { kind: 'first_input' };
  }
}

export function readRefutation(r: Reader): Refutation {
  if (tag(r, 'refutation tag', ['start', 'move'] as const) === 'start') {
    return {
      kind: 'start',
      playerCommitmentHash: r.hash('src1', 32, 'player commitment hash'),
      opponentCommitmentHash: r.hash('src1', 32, 'opponent commitment hash'),
    };
  }
  const choice = r.n('choice tick');
  if (tag(r, 'refutation step tag', ['dissection', 'proof'] as const) === 'dissection') {
    return { kind: 'move', choice, step: 'dissection', dissection: section(r, 'dissection', dissection) };
  }
  r.dynBytes('PVM step proof');
  const input = r.bool('input proof presence') ? inputProof(r) : null;
  return { kind: 'move', choice, step: 'proof', inputProof: input };
}
