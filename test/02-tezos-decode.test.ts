// Request decoder: real and constructed vectors for every magic byte, refusals with offsets, a small fuzz.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { b58encode } from '../src/tezos/base58.js';
import { DecodeError, decodeRequest, type SignRequest, watermarkSlotOf } from '../src/tezos/request.js';
import { refusal } from './helpers/decode-refusal.js';
import {
  allVectors,
  BLOCK_L12_R0,
  BRANCH,
  blockWith,
  bytes,
  consensus,
  fill,
  GENERIC_TRANSFER,
  MAINNET,
  MICHELSON_PAIR,
  PAYLOAD,
  u32,
} from './helpers/tezos-vectors.js';

const decode = (h: string) => decodeRequest(bytes(h));

describe('0x11 Tenderbake block', () => {
  it('decodes the mainnet example block (level 12, round 0, 230 bytes)', () => {
    expect(BLOCK_L12_R0.length / 2).toBe(230);
    const b = decode(BLOCK_L12_R0);
    if (b.kind !== 'block') throw new Error('not a block');
    expect(b).toMatchObject({
      chainId: 'NetXdQprcVkpaWU',
      level: 12,
      proto: 2,
      round: 0,
      lockedRound: null,
      predecessorRound: 0,
      payloadRound: 0,
      validationPasses: 4,
      perBlockVotes: 0,
      timestamp: 1637689294n,
    });
    expect(b.predecessor).toMatch(/^B[1-9A-Za-z]{50}$/);
    expect(b.operationsHash).toMatch(/^LLo/);
    expect(b.context).toMatch(/^Co/);
    expect(b.payloadHash).toMatch(/^vh/);
    expect(b.seedNonceHash).toMatch(/^nce/);
    expect(b.fitness.map((f) => f.length)).toEqual([1, 4, 0, 4, 4]);
    expect(watermarkSlotOf(b)?.kind).toBe('block');
    expect(watermarkSlotOf(b)).toMatchObject({ level: 12, round: 0 });
  });

  it('takes the round from the fitness, not payload_round (re-proposal with a locked round)', () => {
    const b = decode(blockWith({ level: 5000, lockedRound: 1, predRound: 2, round: 3, payloadRound: 1 }));
    expect(b).toMatchObject({
      kind: 'block',
      level: 5000,
      round: 3,
      lockedRound: 1,
      predecessorRound: 2,
      payloadRound: 1,
    });
    expect(watermarkSlotOf(b)).toMatchObject({ level: 5000, round: 3 });
  });

  it('refuses inconsistent fitness and bad fields', () => {
    expect(refusal(blockWith({ lockedRound: 3, round: 3, payloadRound: 0 })).expected).toMatch(
      /locked round/,
    );
    // fitness level differing from header level
    const h = blockWith({ round: 0, payloadRound: 0 });
    const bad = h.slice(0, 10) + u32(13) + h.slice(18);
    expect(refusal(bad).expected).toMatch(/fitness level/);
    // negative header level
    expect(refusal(h.slice(0, 10) + 'ffffffff' + h.slice(18)).offset).toBe(5);
    // seed nonce hash option tag other than 00/ff
    const seedAt = BLOCK_L12_R0.length - 2 - 64 - 2;
    const badSeed = BLOCK_L12_R0.slice(0, seedAt) + '01' + BLOCK_L12_R0.slice(seedAt + 2);
    expect(refusal(badSeed).offset).toBe(seedAt / 2);
    // per-block votes 3 is not a vote
    expect(refusal(BLOCK_L12_R0.slice(0, -2) + '03').expected).toMatch(/per block votes/);
    expect(refusal(BLOCK_L12_R0 + '00').expected).toMatch(/trailing/);
  });

  it('every truncation is a DecodeError at or before the cut', () => {
    const full = bytes(BLOCK_L12_R0);
    for (let n = 0; n < full.length; n++) {
      const e = refusal(full.subarray(0, n));
      expect(e.offset).toBeLessThanOrEqual(n);
    }
  });
});

describe('0x12 / 0x13 consensus operations', () => {
  it('tags 20 and 21 carry a slot', () => {
    const pre = decode(consensus(0x12, 20, 123456, 2, 17));
    expect(pre).toMatchObject({
      kind: 'preattestation',
      tag: 20,
      slot: 17,
      level: 123456,
      round: 2,
      dalContent: null,
    });
    expect(pre.kind === 'preattestation' && pre.branch.startsWith('B')).toBe(true);
    const att = decode(consensus(0x13, 21, 123456, 2, 17));
    expect(att).toMatchObject({ kind: 'attestation', tag: 21, slot: 17, level: 123456, round: 2 });
    expect(watermarkSlotOf(pre)?.kind).toBe('preattestation');
    expect(watermarkSlotOf(att)?.kind).toBe('attestation');
  });

  it('tag 23 ends with a Z-encoded DAL bitset', () => {
    // Z: 0x81 0x02 = 1 + (2 << 6) = 129
    const a = decode(consensus(0x13, 23, 9, 0, 3, '8102'));
    expect(a).toMatchObject({ tag: 23, slot: 3, level: 9, round: 0, dalContent: 129n });
    expect(watermarkSlotOf(a)?.kind).toBe('attestation');
    expect(refusal(consensus(0x13, 23, 9, 0, 3, '41')).expected).toMatch(/non-negative/);
    expect(refusal(consensus(0x13, 23, 9, 0, 3, '80')).offset).toBe(81);
    expect(refusal(consensus(0x13, 23, 9, 0, 3, '8100')).expected).toMatch(/canonical/);
  });

  it('BLS-mode tags 40 and 41 have no slot', () => {
    const h = consensus(0x13, 41, 500, 4);
    expect(h.length / 2).toBe(78);
    expect(decode(h)).toMatchObject({ kind: 'attestation', tag: 41, slot: null, level: 500, round: 4 });
    expect(decode(consensus(0x12, 40, 500, 4))).toMatchObject({
      kind: 'preattestation',
      tag: 40,
      slot: null,
    });
    expect(watermarkSlotOf(decode(h))).toMatchObject({ level: 500, round: 4 });
  });

  it('refuses a tag that does not match the magic byte', () => {
    for (const [magic, tag] of [
      [0x12, 21],
      [0x12, 23],
      [0x12, 41],
      [0x13, 20],
      [0x13, 40],
      [0x13, 30],
    ] as const) {
      const e = refusal(consensus(magic, tag, 1, 0));
      expect(e.offset).toBe(37);
    }
  });

  it('refuses trailing bytes, truncation and negative rounds', () => {
    expect(refusal(consensus(0x13, 21, 1, 0) + '00').expected).toMatch(/trailing/);
    expect(refusal(consensus(0x13, 21, 1, 0).slice(0, -2)).expected).toMatch(/block payload hash/);
    expect(refusal(consensus(0x13, 21, 1, -1)).offset).toBe(44);
  });
});

describe('hashes rendered on first read', () => {
  // The decoder keeps a request's hashes as bytes and renders them in base58check when read (only the
  // audit line reads most of them): the strings must be those of the bytes decoded, whenever read.
  it('gives each block hash as base58check of its bytes, after the input changed too', () => {
    const input = bytes(BLOCK_L12_R0);
    const at = (from: number) => input.slice(from, from + 32);
    // Offsets in the example block (docs/protocol.md, "Block header"): fitness of 33 bytes from 56.
    const expected = {
      predecessor: b58encode('B', at(10)),
      operationsHash: b58encode('LLo', at(51)),
      context: b58encode('Co', at(120)),
      payloadHash: b58encode('vh', at(152)),
      seedNonceHash: b58encode('nce', at(197)),
    };
    const b = decodeRequest(input);
    input.fill(0); // the decoded request holds its own copy of the bytes
    expect(b).toMatchObject(expected);
    expect({ ...b }).toMatchObject(expected);
    expect(b.kind === 'block' && b.payloadHash).toBe(expected.payloadHash); // the same on a second read
  });

  it('gives the branch and payload hash of (pre)attestations as base58check of their bytes', () => {
    for (const [magic, tag] of [
      [0x12, 20],
      [0x13, 21],
      [0x13, 23],
      [0x13, 41],
    ] as const) {
      const r = decode(consensus(magic, tag, 9, 1));
      expect({ ...r }).toMatchObject({
        branch: b58encode('B', bytes(BRANCH)),
        blockPayloadHash: b58encode('vh', bytes(PAYLOAD)),
        level: 9,
        round: 1,
      });
    }
  });
});

describe('legacy, generic, Michelson and others', () => {
  it('0x01 legacy block: level at offset 5, slot block, round 0', () => {
    const r = decode(`01${MAINNET}${u32(77)}${BLOCK_L12_R0.slice(18)}`);
    expect(r).toEqual({ magic: 1, kind: 'legacy_block', chainId: 'NetXdQprcVkpaWU', level: 77 });
    expect(watermarkSlotOf(r)?.kind).toBe('block');
    expect(watermarkSlotOf(r)).toMatchObject({ level: 77, round: 0 });
    expect(refusal(`01${MAINNET}${u32(77)}`).offset).toBe(9);
  });

  it('0x02 legacy endorsement: level last, slot attestation', () => {
    const r = decode(`02${MAINNET}${BRANCH}00${u32(99)}`);
    expect(r).toMatchObject({ kind: 'legacy_endorsement', level: 99 });
    expect(watermarkSlotOf(r)?.kind).toBe('attestation');
    expect(watermarkSlotOf(r)).toMatchObject({ level: 99, round: 0 });
    expect(refusal(`02${MAINNET}${BRANCH}01${u32(99)}`).offset).toBe(37);
  });

  it('0x03 generic transaction', () => {
    const r = decode(GENERIC_TRANSFER) as Extract<SignRequest, { kind: 'generic' }>;
    expect(r.operations).toHaveLength(1);
    expect(r.operations[0]).toMatchObject({
      kind: 'transaction',
      fee: 1000n,
      counter: 5n,
      gasLimit: 10000n,
      storageLimit: 0n,
      amount: 1000000n,
      entrypoint: 'default',
    });
    expect(r.operations[0]!.source).toMatch(/^tz1/);
    expect(watermarkSlotOf(r)).toBeNull();
    expect(refusal(`03${BRANCH}`).expected).toMatch(/at least one operation/);
    expect(refusal(`03${BRANCH}ff`).expected).toMatch(/known operation tag/);
    expect(refusal(`03${BRANCH}03`).expected).toMatch(/double_baking_evidence/);
  });

  it('0x05 Michelson data must be one well-formed expression', () => {
    const r = decode(MICHELSON_PAIR);
    expect(r.kind).toBe('michelson');
    expect(watermarkSlotOf(r)).toBeNull();
    expect(refusal(`${MICHELSON_PAIR}00`).expected).toMatch(/end of Micheline/);
    expect(refusal('05').expected).toMatch(/Micheline node tag/);
    expect(refusal('050b').expected).toMatch(/node tag 0..10/);
    expect(refusal('0501ffffffff').expected).toMatch(/length of Micheline string/);
    // a sequence whose inner node overruns its declared length
    expect(() => decode('0502000000020100000000')).toThrow(DecodeError);
    // absurd nesting is refused, not a stack overflow
    expect(refusal(`05${'0509'.repeat(5000)}0b`).expected).toMatch(/nesting/);
  });

  it('0x04 authentication messages, unknown magic and empty input are refused', () => {
    expect(refusal(`0401${fill(0, 21)}11`).expected).toMatch(/authentication/);
    expect(refusal('ff').offset).toBe(0);
    expect(refusal('').expected).toMatch(/magic byte/);
  });
});

describe('small fuzz (20k inputs): only DecodeError ever escapes', () => {
  it('random and mutated vectors', () => {
    const seeds = allVectors().map(bytes);
    let ok = 0;
    let refused = 0;
    const run = (input: Uint8Array) => {
      try {
        decodeRequest(input);
        ok++;
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        refused++;
      }
    };
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }),
        fc.nat(),
        fc.boolean(),
        (which, flips, cut, truncate) => {
          const input = Uint8Array.from(seeds[which]!);
          for (const [at, v] of flips) input[at % input.length] = v;
          run(truncate ? input.subarray(0, cut % (input.length + 1)) : input);
        },
      ),
      { numRuns: 15_000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => run(b)),
      { numRuns: 5_000 },
    );
    expect(ok + refused).toBe(20_000);
    expect(refused).toBeGreaterThan(0);
  });
});
