// smart_rollup_refute (tag 204) under magic byte 0x03: every refutation variant, built byte by byte from
// the T024 grammar in helpers/refutation-vectors.ts, decodes to the expected fields; refusals with their
// offsets, truncation at every offset and random mutations. @taquito/local-forging v25 has
// no smart_rollup_refute (no refute/refutation in its schema), so there is no forger to cross-check with.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../src/policy/errors.js';
import { CONSENSUS_POLICY } from '../src/policy/key-policy.js';
import { Policy } from '../src/policy/policy.js';
import { b58encode } from '../src/tezos/base58.js';
import { GENERIC_OPERATION_KINDS } from '../src/tezos/decode-operations.js';
import { DecodeError, decodeRequest, type Operation } from '../src/tezos/request.js';
import { refusal } from './helpers/decode-refusal.js';
import {
  dalPage,
  inbox,
  move,
  O_COMMIT,
  OPPONENT,
  P_COMMIT,
  PVM_STEP,
  proof,
  REFUTATION_AT,
  ROLLUP,
  rawData,
  refute,
  reveal,
  SOURCE,
  start,
  REFUTE_VARIANTS as VARIANTS,
} from './helpers/refutation-vectors.js';
import { BRANCH, bytes, fill, GENERIC_TRANSFER, u32 } from './helpers/tezos-vectors.js';

function operations(h: string): Operation[] {
  const r = decodeRequest(bytes(h));
  if (r.kind !== 'generic') throw new Error(`not generic: ${r.kind}`);
  return r.operations;
}

describe('smart_rollup_refute (tag 204) decodes fully', () => {
  it.each(VARIANTS)('%s', (_name, h, refutation) => {
    const [op, ...rest] = operations(h);
    expect(rest).toEqual([]);
    expect(op).toEqual({
      kind: 'smart_rollup_refute',
      tag: 204,
      source: b58encode('tz1', bytes(SOURCE)),
      fee: 1234n,
      counter: 77n,
      gasLimit: 10_000n,
      storageLimit: 0n,
      destination: b58encode('sr1', bytes(ROLLUP)),
      fields: { opponent: b58encode('tz2', bytes(OPPONENT)), refutation },
    });
  });

  it('ends exactly where the grammar does: an operation after it decodes too', () => {
    const transfer = GENERIC_TRANSFER.slice(2 + BRANCH.length);
    for (const [, h] of VARIANTS) {
      expect(operations(h + transfer).map((o) => o.kind)).toEqual(['smart_rollup_refute', 'transaction']);
    }
  });

  it('is a generic kind policy can allow; zk rollup operations stay refused', () => {
    expect(GENERIC_OPERATION_KINDS.has('smart_rollup_refute')).toBe(true);
    for (const [tag, name] of [
      ['fa', 'zk_rollup_origination'],
      ['fb', 'zk_rollup_publish'],
      ['fc', 'zk_rollup_update'],
    ] as const) {
      expect(GENERIC_OPERATION_KINDS.has(name)).toBe(false);
      const e = refusal(`03${BRANCH}${tag}${fill(0, 60)}`);
      expect(e.offset).toBe(33);
      expect(e.expected).toMatch(name);
    }
    const pkh = 'tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx';
    const req = decodeRequest(bytes(VARIANTS[1]![1]));
    const allowing = new Policy(
      new Map([[pkh, { ...CONSENSUS_POLICY, generic: new Set(['smart_rollup_refute']) }]]),
    );
    expect(() => allowing.check(pkh, req)).not.toThrow();
    const other = new Policy(new Map([[pkh, { ...CONSENSUS_POLICY, generic: new Set(['transaction']) }]]));
    expect(() => other.check(pkh, req)).toThrow(PolicyError);
  });
});

describe('smart_rollup_refute refusals', () => {
  const at = REFUTATION_AT;
  it('unknown union tags, at their offset', () => {
    expect(refusal(refute(`02${P_COMMIT}${O_COMMIT}`))).toMatchObject({ offset: at });
    // move: choice 1 byte, then the step tag
    expect(refusal(refute(`0105${'02'}${fill(0, 8)}`))).toMatchObject({ offset: at + 2 });
    // proof with input: step tag, pvm_step (4 + 5), input_proof_tag bool, then the input proof tag
    const inputAt = at + 2 + 1 + 4 + 5 + 1;
    expect(refusal(refute(move(5n, proof(PVM_STEP, `03${fill(0, 8)}`))))).toMatchObject({ offset: inputAt });
    expect(refusal(refute(move(5n, proof(PVM_STEP, `0104${fill(0, 8)}`))))).toMatchObject({
      offset: inputAt + 1,
    });
    // input_proof_tag is a bool: 01 is neither 00 nor ff
    const notBool = refute(move(5n, proof(PVM_STEP, null))).slice(0, -2) + '01';
    expect(refusal(notBool)).toMatchObject({ offset: inputAt - 1 });
  });

  it('raw data over 4096 bytes, negative levels, a bad opponent', () => {
    const raw = refusal(refute(move(6n, proof(PVM_STEP, reveal(rawData(fill(0x88, 4097)))))));
    expect(raw.expected).toMatch(/raw data <= 4096/);
    expect(refusal(refute(move(5n, proof(PVM_STEP, inbox(-1, 0n, '')))))).toMatchObject({
      expected: expect.stringMatching(/inbox proof level >= 0/),
    });
    expect(refusal(refute(move(8n, proof(PVM_STEP, reveal(dalPage(-5, 0, 0, ''))))))).toMatchObject({
      expected: expect.stringMatching(/published level >= 0/),
    });
    const badOpponent = refute(start()).replace(`01${OPPONENT}`, `04${OPPONENT}`);
    expect(refusal(badOpponent)).toMatchObject({ offset: at - 21 });
  });

  it('a dissection entry never reads past the list length, even with bytes after it', () => {
    const listAt = at + 2 + 1; // refutation tag, choice (1 byte), step tag
    const tail = GENERIC_TRANSFER.slice(2 + BRANCH.length); // valid bytes that follow the operation
    // length 3: a full chunk (00 05) then a state tag ff whose 32-byte hash lies outside the list
    const overrun = refusal(refute(`0101${'00'}${u32(3)}0005ff`) + fill(0x55, 32) + tail);
    expect(overrun.offset).toBe(listAt + 4 + 3);
    expect(overrun.expected).toMatch(/dissection state hash/);
    // length 2: a tick whose continuation byte lies outside the list
    const tick = refusal(`${refute(`0101${'00'}${u32(2)}0085`)}01${tail}`);
    expect(tick.offset).toBe(listAt + 4 + 2);
    expect(tick.expected).toMatch(/dissection tick/);
    // state tag 01 inside the list
    expect(refusal(refute(`0101${'00'}${u32(2)}0100`))).toMatchObject({ offset: listAt + 4 });
    // length larger than what is left
    expect(refusal(refute(`0101${'00'}${u32(100)}0000`)).expected).toMatch(/length of dissection/);
  });

  it.each(VARIANTS)('%s: every truncation is a DecodeError at or before the cut', (_name, h) => {
    const full = bytes(h);
    for (let cut = 0; cut < full.length; cut++) {
      expect(refusal(full.subarray(0, cut)).offset).toBeLessThanOrEqual(cut);
    }
  });

  it('random mutations never throw anything but DecodeError', () => {
    const seeds = VARIANTS.map(([, h]) => bytes(h));
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.nat(seeds.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        (which, writes, cut) => {
          const input = Uint8Array.from(seeds[which]!);
          // bias the writes towards the refutation, where the new grammar is
          for (const [pos, v] of writes) {
            input[REFUTATION_AT + (pos % (input.length - REFUTATION_AT))] = v;
          }
          try {
            decodeRequest(cut === undefined ? input : input.subarray(0, cut % (input.length + 1)));
            accepted++;
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
            refused++;
          }
        },
      ),
      { numRuns: 5_000 },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
