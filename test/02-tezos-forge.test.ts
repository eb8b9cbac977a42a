// Cross-check against an independent implementation: operations of every kind forged by
// @taquito/local-forging (fast-check generated) must decode to the same kinds and fields.
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { LocalForger } from '@taquito/local-forging';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { b58encode } from '../src/tezos/base58.js';
import { publicKeyFromPoint } from '../src/tezos/keys.js';
import { decodeRequest, type Operation } from '../src/tezos/request.js';

const forger = new LocalForger();
const h20 = fc.uint8Array({ minLength: 20, maxLength: 20 });
const h32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const pkhArb = fc
  .tuple(fc.constantFrom('tz1', 'tz2', 'tz3', 'tz4') as fc.Arbitrary<'tz1' | 'tz2' | 'tz3' | 'tz4'>, h20)
  .map(([p, b]) => b58encode(p, b));
const kt1Arb = h20.map((b) => b58encode('KT1', b));
const mutez = fc.bigInt({ min: 0n, max: 1n << 62n }).map(String);
const small = fc.bigInt({ min: 0n, max: 1n << 40n }).map(String);
const branchArb = h32.map((b) => b58encode('B', b));
const pkArb = fc
  .uint8Array({ minLength: 48, maxLength: 48 })
  .chain((seed) =>
    fc.constantFrom(
      publicKeyFromPoint('ed25519', ed25519.getPublicKey(seed.subarray(0, 32))).publicKey,
      publicKeyFromPoint('secp256k1', secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(seed), true))
        .publicKey,
    ),
  );
const header = fc.record({
  source: pkhArb,
  fee: mutez,
  counter: small,
  gas_limit: small,
  storage_limit: small,
});
const entrypointArb = fc.oneof(
  fc.constantFrom(
    'default',
    'stake',
    'unstake',
    'finalize_unstake',
    'set_delegate_parameters',
    'do',
    'deposit',
  ),
  fc
    .stringMatching(/^[a-z][a-z0-9_]{0,20}$/)
    .filter((s) => !['default', 'root', 'do', 'deposit', 'stake', 'unstake'].includes(s)),
);

// One arbitrary per operation kind, each as taquito's JSON.
const ops: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  transaction: fc
    .tuple(header, mutez, fc.oneof(pkhArb, kt1Arb), fc.option(entrypointArb, { nil: undefined }))
    .map(([h, amount, destination, ep]) => ({
      kind: 'transaction',
      ...h,
      amount,
      destination,
      ...(ep
        ? { parameters: { entrypoint: ep, value: { prim: 'Pair', args: [{ int: '1' }, { string: 'x' }] } } }
        : {}),
    })),
  delegation: fc
    .tuple(header, fc.option(pkhArb, { nil: undefined }))
    .map(([h, delegate]) => ({ kind: 'delegation', ...h, ...(delegate ? { delegate } : {}) })),
  reveal: fc.tuple(header, pkArb).map(([h, public_key]) => ({ kind: 'reveal', ...h, public_key })),
  origination: fc
    .tuple(header, mutez, fc.option(pkhArb, { nil: undefined }))
    .map(([h, balance, delegate]) => ({
      kind: 'origination',
      ...h,
      balance,
      ...(delegate ? { delegate } : {}),
      script: { code: [{ prim: 'parameter', args: [{ prim: 'unit' }] }], storage: { prim: 'Unit' } },
    })),
  ballot: fc
    .tuple(pkhArb, fc.nat(1000), h32, fc.constantFrom('yay', 'nay', 'pass'))
    .map(([source, period, p, ballot]) => ({
      kind: 'ballot',
      source,
      period,
      proposal: b58encode('P', p),
      ballot,
    })),
  proposals: fc
    .tuple(pkhArb, fc.nat(1000), fc.array(h32, { minLength: 1, maxLength: 3 }))
    .map(([source, period, ps]) => ({
      kind: 'proposals',
      source,
      period,
      proposals: ps.map((p) => b58encode('P', p)),
    })),
  failing_noop: fc
    .uint8Array({ maxLength: 40 })
    .map((b) => ({ kind: 'failing_noop', arbitrary: Buffer.from(b).toString('hex') })),
  drain_delegate: fc.tuple(pkhArb, pkhArb, pkhArb).map(([consensus_key, delegate, destination]) => ({
    kind: 'drain_delegate',
    consensus_key,
    delegate,
    destination,
  })),
  update_consensus_key: fc
    .tuple(header, pkArb)
    .map(([h, pk]) => ({ kind: 'update_consensus_key', ...h, pk })),
  update_companion_key: fc
    .tuple(header, pkArb)
    .map(([h, pk]) => ({ kind: 'update_companion_key', ...h, pk })),
  register_global_constant: header.map((h) => ({
    kind: 'register_global_constant',
    ...h,
    value: { int: '42' },
  })),
  // octez encodes this amount as `z`; taquito as `n`: they agree below 64.
  increase_paid_storage: fc.tuple(header, fc.nat(63), kt1Arb).map(([h, amount, destination]) => ({
    kind: 'increase_paid_storage',
    ...h,
    amount: String(amount),
    destination,
  })),
  transfer_ticket: fc
    .tuple(header, kt1Arb, small, fc.oneof(pkhArb, kt1Arb))
    .map(([h, ticketer, amount, dest]) => ({
      kind: 'transfer_ticket',
      ...h,
      ticket_contents: { string: 'foo' },
      ticket_ty: { prim: 'string' },
      ticket_ticketer: ticketer,
      ticket_amount: amount,
      destination: dest,
      entrypoint: 'default',
    })),
  smart_rollup_add_messages: fc
    .tuple(header, fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 3 }))
    .map(([h, m]) => ({
      kind: 'smart_rollup_add_messages',
      ...h,
      message: m.map((b) => Buffer.from(b).toString('hex')),
    })),
  smart_rollup_originate: header.map((h) => ({
    kind: 'smart_rollup_originate',
    ...h,
    pvm_kind: 'wasm_2_0_0',
    kernel: 'deadbeef',
    parameters_ty: { prim: 'bytes' },
  })),
  smart_rollup_execute_outbox_message: fc.tuple(header, h20, h32).map(([h, r, c]) => ({
    kind: 'smart_rollup_execute_outbox_message',
    ...h,
    rollup: b58encode('sr1', r),
    cemented_commitment: b58encode('src1', c),
    output_proof: 'cafe',
  })),
  dal_publish_commitment: fc
    .tuple(header, fc.nat(255), fc.uint8Array({ minLength: 48, maxLength: 48 }))
    .map(([h, i, c]) => ({
      kind: 'dal_publish_commitment',
      ...h,
      slot_header: { slot_index: i, commitment: b58encode('sh', c), commitment_proof: '00'.repeat(96) },
    })),
  attestation: fc.tuple(fc.nat(65535), fc.nat(1 << 30), fc.nat(100), h32).map(([slot, level, round, p]) => ({
    kind: 'attestation',
    slot,
    level,
    round,
    block_payload_hash: b58encode('vh', p),
  })),
};

/** Our fields for the comparison, in taquito's vocabulary. */
function expectSame(ours: Operation, theirs: Record<string, unknown>): void {
  expect(ours.kind).toBe(theirs.kind);
  const src = theirs.source ?? (theirs.kind === 'drain_delegate' ? theirs.delegate : undefined);
  if (src !== undefined) expect(ours.source).toBe(src);
  if ('fee' in theirs) {
    expect(ours.fee).toBe(BigInt(theirs.fee as string));
    expect(ours.counter).toBe(BigInt(theirs.counter as string));
    expect(ours.gasLimit).toBe(BigInt(theirs.gas_limit as string));
    expect(ours.storageLimit).toBe(BigInt(theirs.storage_limit as string));
  }
  switch (theirs.kind) {
    case 'transaction': {
      expect(ours.amount).toBe(BigInt(theirs.amount as string));
      expect(ours.destination).toBe(theirs.destination);
      const params = theirs.parameters as { entrypoint: string } | undefined;
      expect(ours.entrypoint).toBe(params?.entrypoint ?? 'default');
      break;
    }
    case 'delegation':
      expect(ours.destination).toBe(theirs.delegate);
      break;
    case 'reveal':
    case 'update_consensus_key':
    case 'update_companion_key':
      expect(ours.fields?.publicKey).toBe(theirs.public_key ?? theirs.pk);
      break;
    case 'origination':
      expect(ours.amount).toBe(BigInt(theirs.balance as string));
      expect(ours.fields?.delegate).toBe(theirs.delegate ?? null);
      break;
    case 'ballot':
      expect(ours.fields).toEqual({
        period: theirs.period,
        proposal: theirs.proposal,
        ballot: theirs.ballot,
      });
      break;
    case 'proposals':
      expect(ours.fields).toEqual({ period: theirs.period, proposals: theirs.proposals });
      break;
    case 'failing_noop':
      expect(ours.fields?.arbitrary).toBe(theirs.arbitrary);
      break;
    case 'drain_delegate':
      expect(ours.fields?.consensusKey).toBe(theirs.consensus_key);
      expect(ours.destination).toBe(theirs.destination);
      break;
    case 'increase_paid_storage':
      expect(ours.amount).toBe(BigInt(theirs.amount as string));
      expect(ours.destination).toBe(theirs.destination);
      break;
    case 'transfer_ticket':
      expect(ours.fields?.ticketer).toBe(theirs.ticket_ticketer);
      expect(ours.amount).toBe(BigInt(theirs.ticket_amount as string));
      expect(ours.destination).toBe(theirs.destination);
      expect(ours.entrypoint).toBe(theirs.entrypoint);
      break;
    case 'smart_rollup_add_messages':
      expect(ours.fields?.messages).toBe((theirs.message as string[]).length);
      break;
    case 'smart_rollup_originate':
      expect(ours.fields?.pvmKind).toBe(theirs.pvm_kind);
      break;
    case 'smart_rollup_execute_outbox_message':
      expect(ours.destination).toBe(theirs.rollup);
      expect(ours.fields?.cementedCommitment).toBe(theirs.cemented_commitment);
      break;
    case 'dal_publish_commitment': {
      const sh = theirs.slot_header as { slot_index: number; commitment: string };
      expect(ours.fields).toMatchObject({ slotIndex: sh.slot_index, commitment: sh.commitment });
      break;
    }
    case 'attestation':
      expect(ours.fields).toMatchObject({
        slot: theirs.slot,
        level: theirs.level,
        round: theirs.round,
        blockPayloadHash: theirs.block_payload_hash,
      });
      break;
  }
}

describe('generic operations forged by taquito decode to the same fields', () => {
  for (const [kind, arb] of Object.entries(ops)) {
    it(kind, async () => {
      await fc.assert(
        fc.asyncProperty(branchArb, arb, async (branch, op) => {
          const hex = await forger.forge({ branch, contents: [op] } as never);
          const req = decodeRequest(Uint8Array.from(Buffer.from(`03${hex}`, 'hex')));
          if (req.kind !== 'generic') throw new Error('not generic');
          expect(req.branch).toBe(branch);
          expect(req.operations).toHaveLength(1);
          expectSame(req.operations[0]!, op);
        }),
        { numRuns: 30 },
      );
    });
  }

  it('batches of several kinds keep order', async () => {
    const anyManager = fc.oneof(ops.transaction!, ops.delegation!, ops.reveal!, ops.origination!);
    await fc.assert(
      fc.asyncProperty(
        branchArb,
        fc.array(anyManager, { minLength: 2, maxLength: 5 }),
        async (branch, contents) => {
          const hex = await forger.forge({ branch, contents } as never);
          const req = decodeRequest(Uint8Array.from(Buffer.from(`03${hex}`, 'hex')));
          if (req.kind !== 'generic') throw new Error('not generic');
          expect(req.operations.map((o) => o.kind)).toEqual(contents.map((c) => c.kind));
          for (const [i, o] of req.operations.entries()) expectSame(o, contents[i]!);
        },
      ),
      { numRuns: 30 },
    );
  });
});
