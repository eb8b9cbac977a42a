// Request vectors shared by the decoder tests and bench/fuzz-decoder.ts. The block is the mainnet example
// (level 12, round 0) shown in the original Python HSM signer's README; the others are built field by field
// following the same layouts.

export const MAINNET = '7a06a770';
export const BLOCK_L12_R0 =
  '117a06a7700000000c0272b9c070cec8364f71d3361b0196ff250451241dc70933fefbda3b4c0eff329700000000619d27ce0401589994c43f991baf797f80702ba7f11075ea11eaed813c3b2eaf769b42ca30000000210000000102000000040000000c0000000000000004ffffffff0000000400000000c146ae2d2ada6afc75c4e2d84d994366d0944f1d5448f8ce5c99365ab8f7aa05532d7119ff62aeeea609473addaafc033aa264c5cf6ab8af70e1154ed44cb3d800000000ef9ad9f900000000ff408781a014bbc88d879ae2847cb65e31318c61aab34cd000ae27a9103a718b5b00';

export const u32 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
export const u16 = (n: number) => n.toString(16).padStart(4, '0');
export const fill = (byte: number, len: number) => byte.toString(16).padStart(2, '0').repeat(len);
export const bytes = (hexString: string) => Uint8Array.from(Buffer.from(hexString, 'hex'));

/** Re-encode the example block with another fitness tail and payload round (offsets: docs/protocol.md). */
export function blockWith(o: {
  level?: number;
  lockedRound?: number | null;
  predRound?: number;
  round: number;
  payloadRound: number;
}): string {
  const level = o.level ?? 12;
  const locked = o.lockedRound == null ? u32(0) : u32(4) + u32(o.lockedRound);
  const fitness = `0000000102${u32(4)}${u32(level)}${locked}${u32(4)}${u32(-(o.predRound ?? 0) - 1)}${u32(4)}${u32(o.round)}`;
  const head = BLOCK_L12_R0.slice(0, 10) + u32(level) + BLOCK_L12_R0.slice(18, 166); // magic..operations hash
  const oldFitnessEnd = 166 + 8 + 33 * 2;
  const afterFitness = BLOCK_L12_R0.slice(oldFitnessEnd);
  // afterFitness: context(64) payload_hash(64) payload_round(8) …
  const tail = afterFitness.slice(0, 128) + u32(o.payloadRound) + afterFitness.slice(136);
  return head + u32(fitness.length / 2) + fitness + tail;
}

export const BRANCH = fill(0xab, 32);
export const PAYLOAD = fill(0xcd, 32);

export function consensus(
  magic: number,
  tag: number,
  level: number,
  round: number,
  slot = 7,
  dal?: string,
): string {
  const withSlot = tag === 40 || tag === 41 ? '' : u16(slot);
  return (
    magic.toString(16).padStart(2, '0') +
    MAINNET +
    BRANCH +
    tag.toString(16).padStart(2, '0') +
    withSlot +
    u32(level) +
    u32(round) +
    PAYLOAD +
    (tag === 23 ? (dal ?? '00') : '')
  );
}

/** A generic 0x03 request with one transaction to an implicit account, no parameters. */
export const GENERIC_TRANSFER = `03${BRANCH}6c00${fill(0x11, 20)}${'e807'}${'05'}${'904e'}${'00'}${'c0843d'}0000${fill(0x22, 20)}00`;
/** PACK of `Pair 1 "abc"`: prim 2 args (07) Pair (07), int 1, string "abc". */
export const MICHELSON_PAIR = '05070700010100000003616263';

export function allVectors(): string[] {
  return [
    BLOCK_L12_R0,
    blockWith({ level: 5000, lockedRound: 1, predRound: 2, round: 3, payloadRound: 1 }),
    consensus(0x12, 20, 100, 0),
    consensus(0x13, 21, 100, 1),
    consensus(0x13, 23, 100, 2, 3, '8102'),
    consensus(0x12, 40, 100, 0),
    consensus(0x13, 41, 100, 0),
    `01${MAINNET}${u32(77)}${BLOCK_L12_R0.slice(18)}`,
    `02${MAINNET}${BRANCH}00${u32(99)}`,
    GENERIC_TRANSFER,
    MICHELSON_PAIR,
  ];
}
