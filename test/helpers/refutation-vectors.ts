// smart_rollup_refute (tag 204) request vectors built byte by byte from the T024 grammar
// (client-libs/kaitai-struct-files/files/id_024__pttallin__operation__unsigned.ksy; ksy field names in the
// comments), with the `refutation` field the decoder must give. Shared by test/02-tezos-refutation.test.ts
// and bench/fuzz-decoder.ts (seeds).
import { b58encode } from '../../src/tezos/base58.js';
import { BRANCH, bytes, fill, u16, u32 } from './tezos-vectors.js';

/** `n`: little-endian base-128 groups, high bit = more. */
function n(v: bigint): string {
  let out = '';
  do {
    const group = Number(v & 0x7fn);
    v >>= 7n;
    out += (group | (v > 0n ? 0x80 : 0)).toString(16).padStart(2, '0');
  } while (v > 0n);
  return out;
}
const dyn = (h: string) => u32(h.length / 2) + h; // bytes_dyn_uint30
export const SOURCE = fill(0x11, 20);
export const ROLLUP = fill(0x33, 20);
export const OPPONENT = fill(0x44, 20);

/** smart_rollup_refute: source, fee, counter, gas_limit, storage_limit, rollup, opponent, refutation. */
export function refute(refutation: string): string {
  return (
    '03' +
    BRANCH +
    'cc' + // id_024__pttallin__operation__alpha__contents_tag 204
    `00${SOURCE}` + // source: public_key_hash (ed25519)
    n(1234n) + // fee
    n(77n) + // counter
    n(10_000n) + // gas_limit
    n(0n) + // storage_limit
    ROLLUP + // rollup (20)
    `01${OPPONENT}` + // opponent: public_key_hash (secp256k1)
    refutation
  );
}
export const P_COMMIT = fill(0xaa, 32);
export const O_COMMIT = fill(0xbb, 32);
/** refutation_tag 0 (start): player_commitment_hash, opponent_commitment_hash. */
export const start = () => `00${P_COMMIT}${O_COMMIT}`;
/** refutation_tag 1 (move): choice (n), step. */
export const move = (choice: bigint, step: string) => `01${n(choice)}${step}`;
/** dissection_entries: state_tag (bool), state (32, if true), tick (n). */
const chunk = (state: string | null, tick: bigint) => (state === null ? '00' : `ff${state}`) + n(tick);
/** step_tag 0 (dissection): dissection_0 = uint30 length ‖ entries. */
const dissection = (...chunks: string[]) => `00${dyn(chunks.join(''))}`;
/** step_tag 1 (proof): proof_1 = pvm_step (bytes_dyn_uint30), input_proof_tag (bool), input_proof. */
export const proof = (pvmStep: string, input: string | null) =>
  `01${dyn(pvmStep)}${input === null ? '00' : `ff${input}`}`;
/** input_proof_tag 0 (inbox__proof): level (s4), message_counter (n), serialized_proof (bytes_dyn_uint30). */
export const inbox = (level: number, counter: bigint, serialized: string) =>
  `00${u32(level)}${n(counter)}${dyn(serialized)}`;
/** input_proof_tag 1 (reveal__proof): reveal_proof_tag then its case. */
export const reveal = (r: string) => `01${r}`;
/** input_proof_tag 2 (first__input): no payload. */
const firstInput = () => '02';
/** reveal_proof_tag 0 (raw__data__proof): raw_data_0 = uint16 length (<= 4096) ‖ data. */
export const rawData = (data: string) => `00${u16(data.length / 2)}${data}`;
/** reveal_proof_tag 1 (metadata__proof), 3 (dal__parameters__proof): no payload. */
const metadata = () => '01';
const dalParameters = () => '03';
/** reveal_proof_tag 2 (dal__page__proof): dal_page_id (published_level s4, slot_index u1, page_index s2), dal_proof. */
export const dalPage = (level: number, slot: number, page: number, p: string) =>
  `02${u32(level)}${slot.toString(16).padStart(2, '0')}${u16(page & 0xffff)}${dyn(p)}`;

const STATE_A = fill(0x55, 32);
const STATE_B = fill(0x66, 32);
export const PVM_STEP = '0102030405';

/** Every variant: name, request hex, expected `refutation` field. */
export const REFUTE_VARIANTS: [name: string, hex: string, refutation: unknown][] = [
  [
    'start',
    refute(start()),
    {
      kind: 'start',
      playerCommitmentHash: b58encode('src1', bytes(P_COMMIT)),
      opponentCommitmentHash: b58encode('src1', bytes(O_COMMIT)),
    },
  ],
  [
    'move / dissection',
    refute(move(300n, dissection(chunk(STATE_A, 0n), chunk(null, 1_000n), chunk(STATE_B, 1n << 40n)))),
    {
      kind: 'move',
      choice: 300n,
      step: 'dissection',
      dissection: [
        { state: STATE_A, tick: 0n },
        { state: null, tick: 1_000n },
        { state: STATE_B, tick: 1n << 40n },
      ],
    },
  ],
  [
    'move / empty dissection',
    refute(move(0n, dissection())),
    { kind: 'move', choice: 0n, step: 'dissection', dissection: [] },
  ],
  [
    'move / proof without input',
    refute(move(5n, proof(PVM_STEP, null))),
    { kind: 'move', choice: 5n, step: 'proof', inputProof: null },
  ],
  [
    'move / proof / inbox',
    refute(move(5n, proof(PVM_STEP, inbox(812_345, 129n, fill(0x77, 40))))),
    {
      kind: 'move',
      choice: 5n,
      step: 'proof',
      inputProof: { kind: 'inbox', level: 812_345, messageCounter: 129n },
    },
  ],
  [
    'move / proof / reveal raw data',
    refute(move(6n, proof(PVM_STEP, reveal(rawData(fill(0x88, 4096)))))),
    { kind: 'move', choice: 6n, step: 'proof', inputProof: { kind: 'raw_data', size: 4096 } },
  ],
  [
    'move / proof / reveal metadata',
    refute(move(7n, proof('', reveal(metadata())))),
    { kind: 'move', choice: 7n, step: 'proof', inputProof: { kind: 'metadata' } },
  ],
  [
    'move / proof / reveal DAL page',
    refute(move(8n, proof(PVM_STEP, reveal(dalPage(9_000_000, 31, -2, fill(0x99, 30)))))),
    {
      kind: 'move',
      choice: 8n,
      step: 'proof',
      inputProof: { kind: 'dal_page', publishedLevel: 9_000_000, slotIndex: 31, pageIndex: -2 },
    },
  ],
  [
    'move / proof / reveal DAL parameters',
    refute(move(9n, proof(PVM_STEP, reveal(dalParameters())))),
    { kind: 'move', choice: 9n, step: 'proof', inputProof: { kind: 'dal_parameters' } },
  ],
  [
    'move / proof / first input',
    refute(move(10n, proof(PVM_STEP, firstInput()))),
    { kind: 'move', choice: 10n, step: 'proof', inputProof: { kind: 'first_input' } },
  ],
];

/** Byte offset of the refutation (its tag) in every `refute(…)` vector. */
export const REFUTATION_AT = refute('').length / 2;
