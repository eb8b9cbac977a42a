// 0x03 generic operation: magic ‖ branch(32) ‖ contents, a concatenation of tag-prefixed operations.
// Tags and field encodings: the current protocol's src/proto_0xx_*/lib_protocol/operation_repr.ml
// (Encoding module: *_case and manager_operation cases), contract_repr.ml, entrypoint_repr.ml,
// cross-checked with @taquito/local-forging v25 (constants.ts, schema/operation.ts) and octez's kaitai
// descriptions (contrib/kaitai-struct-files/*operation__unsigned.ksy). Every operation is fully decoded
// so its kind and key fields are known; Michelson payloads are skipped by their length prefix.
import { readConsensusContent } from './decode-consensus.js';
import { readRefutation } from './decode-refutation.js';
import type { Reader } from './reader.js';
import type { GenericRequest, Operation } from './sign-request.js';

// entrypoint_repr.ml: 1-byte shortcuts for common entrypoints, 255 = named (1-byte length, <= 31 chars).
const ENTRYPOINTS = [
  'default',
  'root',
  'do',
  'set_delegate',
  'remove_delegate',
  'deposit',
  'stake',
  'unstake',
  'finalize_unstake',
  'set_delegate_parameters',
];

function entrypoint(r: Reader): string {
  const at = r.offset;
  const tag = r.u8('entrypoint tag');
  const known = ENTRYPOINTS[tag];
  if (known !== undefined) return known;
  if (tag !== 255) return r.fail(`entrypoint tag 0..${ENTRYPOINTS.length - 1} or 255, got ${tag}`, at);
  const lenAt = r.offset;
  const len = r.u8('entrypoint name length');
  if (len === 0 || len > 31) r.fail(`entrypoint name of 1..31 bytes, got ${len}`, lenAt);
  const name = r.take(len, 'entrypoint name');
  // entrypoint_repr.ml: names are [a-zA-Z0-9_.%@]+ and never one of the shortcut names.
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    const ok =
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      c === 0x5f ||
      c === 0x2e;
    if (!ok && c !== 0x25 && c !== 0x40) r.fail('entrypoint name characters [A-Za-z0-9_.%@]', lenAt + 1 + i);
  }
  return Buffer.from(name).toString('latin1');
}

/** Signature proof option (Seoul+ reveal / update_*_key): 00 | ff ‖ uint30 length ‖ 96-byte BLS sig. */
function proofOption(r: Reader): boolean {
  if (!r.bool('proof presence')) return false;
  const at = r.offset;
  const len = r.length('proof');
  if (len !== 96) r.fail(`BLS proof of 96 bytes, got ${len}`, at);
  r.take(96, 'proof');
  return true;
}

type Fields = Record<string, unknown>;
type Body = (r: Reader, op: Operation, f: Fields) => void;

function manager(kind: string, body: Body): { kind: string; manager: true; body: Body } {
  return { kind, manager: true, body };
}
function plain(kind: string, body: Body): { kind: string; manager: false; body: Body } {
  return { kind, manager: false, body };
}

const consensus = (tag: 20 | 21 | 23) => (r: Reader, _op: Operation, f: Fields) => {
  Object.assign(f, readConsensusContent(r, tag));
};

const OPERATIONS: Record<number, { kind: string; manager: boolean; body: Body }> = {
  1: plain('seed_nonce_revelation', (r, _op, f) => {
    f.level = r.nat32('level');
    r.take(32, 'nonce');
  }),
  4: plain('activate_account', (r, op) => {
    op.source = r.hash('tz1', 20, 'activated pkh');
    r.take(20, 'activation secret');
  }),
  5: plain('proposals', (r, op, f) => {
    op.source = r.pkh('source');
    f.period = r.i32('period');
    // operation_repr.ml proposals_encoding: list of at most 20 protocol hashes (max 640 bytes).
    const len = r.length('proposals', 640);
    if (len % 32 !== 0) r.fail('proposals list of 32-byte protocol hashes', r.offset - 4);
    const list: string[] = [];
    for (let i = 0; i < len / 32; i++) list.push(r.hash('P', 32, 'proposal'));
    f.proposals = list;
  }),
  6: plain('ballot', (r, op, f) => {
    op.source = r.pkh('source');
    f.period = r.i32('period');
    f.proposal = r.hash('P', 32, 'proposal');
    const at = r.offset;
    const b = r.u8('ballot');
    const ballot = ['yay', 'nay', 'pass'][b];
    if (ballot === undefined) r.fail(`ballot 0 (yay), 1 (nay) or 2 (pass), got ${b}`, at);
    f.ballot = ballot;
  }),
  8: plain('vdf_revelation', (r) => {
    r.take(200, 'VDF solution');
  }),
  9: plain('drain_delegate', (r, op, f) => {
    f.consensusKey = r.pkh('consensus key');
    op.source = r.pkh('delegate');
    op.destination = r.pkh('destination');
  }),
  17: plain('failing_noop', (r, _op, f) => {
    f.arbitrary = Buffer.from(r.dynBytes('failing_noop bytes')).toString('hex');
  }),
  20: plain('preattestation', consensus(20)),
  21: plain('attestation', consensus(21)),
  23: plain('attestation_with_dal', consensus(23)),
  107: manager('reveal', (r, _op, f) => {
    f.publicKey = r.publicKey('public key');
    f.proof = proofOption(r);
  }),
  108: manager('transaction', (r, op) => {
    op.amount = r.mutez('amount');
    op.destination = r.contract('destination');
    op.entrypoint = 'default';
    if (r.bool('parameters presence')) {
      op.entrypoint = entrypoint(r);
      r.dynBytes('parameters value');
    }
  }),
  109: manager('origination', (r, op, f) => {
    op.amount = r.mutez('balance');
    f.delegate = r.bool('delegate presence') ? r.pkh('delegate') : null;
    r.dynBytes('script code');
    r.dynBytes('script storage');
  }),
  110: manager('delegation', (r, op) => {
    op.destination = r.bool('delegate presence') ? r.pkh('delegate') : undefined;
  }),
  111: manager('register_global_constant', (r) => {
    r.dynBytes('constant value');
  }),
  112: manager('set_deposits_limit', (r, _op, f) => {
    f.limit = r.bool('limit presence') ? r.mutez('limit') : null;
  }),
  113: manager('increase_paid_storage', (r, op) => {
    // Amount in bytes is a `z` here, not `n` (operation_repr.ml increase_paid_storage_case).
    op.amount = r.z('amount in bytes');
    op.destination = r.originated('destination');
  }),
  114: manager('update_consensus_key', (r, _op, f) => {
    f.publicKey = r.publicKey('consensus public key');
    f.proof = proofOption(r);
  }),
  115: manager('update_companion_key', (r, _op, f) => {
    f.publicKey = r.publicKey('companion public key');
    f.proof = proofOption(r);
  }),
  158: manager('transfer_ticket', (r, op, f) => {
    r.dynBytes('ticket contents');
    r.dynBytes('ticket type');
    f.ticketer = r.contract('ticketer');
    op.amount = r.n('ticket amount');
    op.destination = r.contract('destination');
    const name = r.dynBytes('entrypoint', 31);
    op.entrypoint = Buffer.from(name).toString('latin1');
  }),
  200: manager('smart_rollup_originate', (r, _op, f) => {
    const at = r.offset;
    const pvm = r.u8('PVM kind');
    const kind = ['arith', 'wasm_2_0_0', 'riscv'][pvm];
    if (kind === undefined) r.fail(`PVM kind 0..2, got ${pvm}`, at);
    f.pvmKind = kind;
    r.dynBytes('kernel');
    r.dynBytes('parameters type');
    if (r.bool('whitelist presence')) {
      const len = r.length('whitelist');
      const stop = r.offset + len;
      const list: string[] = [];
      while (r.offset < stop) list.push(r.pkh('whitelisted key'));
      if (r.offset !== stop) r.fail('whitelist ending at its length', stop);
      f.whitelist = list;
    }
  }),
  201: manager('smart_rollup_add_messages', (r, _op, f) => {
    const len = r.length('messages');
    const stop = r.offset + len;
    let count = 0;
    while (r.offset < stop) {
      r.take(r.length('message', stop - r.offset), 'message');
      count++;
    }
    f.messages = count;
  }),
  202: manager('smart_rollup_cement', (r, op) => {
    op.destination = r.hash('sr1', 20, 'rollup');
  }),
  203: manager('smart_rollup_publish', (r, op, f) => {
    op.destination = r.hash('sr1', 20, 'rollup');
    r.take(32, 'compressed state');
    f.inboxLevel = r.nat32('inbox level');
    r.take(32, 'predecessor commitment');
    f.ticks = r.i64('number of ticks');
  }),
  204: manager('smart_rollup_refute', (r, op, f) => {
    op.destination = r.hash('sr1', 20, 'rollup');
    f.opponent = r.pkh('opponent');
    f.refutation = readRefutation(r);
  }),
  205: manager('smart_rollup_timeout', (r, op, f) => {
    op.destination = r.hash('sr1', 20, 'rollup');
    f.alice = r.pkh('staker alice');
    f.bob = r.pkh('staker bob');
  }),
  206: manager('smart_rollup_execute_outbox_message', (r, op, f) => {
    op.destination = r.hash('sr1', 20, 'rollup');
    f.cementedCommitment = r.hash('src1', 32, 'cemented commitment');
    r.dynBytes('output proof');
  }),
  207: manager('smart_rollup_recover_bond', (r, op, f) => {
    op.destination = r.hash('sr1', 20, 'rollup');
    f.staker = r.pkh('staker');
  }),
  230: manager('dal_publish_commitment', (r, _op, f) => {
    f.slotIndex = r.u8('slot index');
    f.commitment = r.hash('sh', 48, 'commitment');
    r.take(96, 'commitment proof');
  }),
};

/**
 * Tags we know but refuse: evidence and aggregates are never signed by a signer's key; zk rollup
 * operations are disabled on mainnet (zk_rollup_enable = false), so their grammar is not decoded.
 * Names as in the current protocol's contents_tag enum (kaitai alpha__operation__alpha__contents_tag;
 * Seoul merged tags 2 and 7 into tag 2, and tag 7 stays named for pre-Seoul requests).
 */
const REFUSED: Record<number, string> = {
  2: 'double_consensus_operation_evidence',
  3: 'double_baking_evidence',
  7: 'double_preattestation_evidence (pre-Seoul)',
  24: 'dal_entrapment_evidence',
  30: 'preattestations_aggregate',
  31: 'attestations_aggregate',
  250: 'zk_rollup_origination',
  251: 'zk_rollup_publish',
  252: 'zk_rollup_update',
};

function readOperation(r: Reader): Operation {
  const at = r.offset;
  const tag = r.u8('operation tag');
  const spec = OPERATIONS[tag];
  if (spec === undefined) {
    const name = REFUSED[tag];
    return r.fail(
      name
        ? `a signable operation, got ${name} (tag ${tag}), not supported`
        : `a known operation tag, got ${tag}`,
      at,
    );
  }
  const op: Operation = { kind: spec.kind, tag, source: null };
  const fields: Fields = {};
  if (spec.manager) {
    op.source = r.pkh('source');
    op.fee = r.mutez('fee');
    op.counter = r.n('counter');
    op.gasLimit = r.n('gas limit');
    op.storageLimit = r.n('storage limit');
  }
  spec.body(r, op, fields);
  if (Object.keys(fields).length > 0) op.fields = fields;
  return op;
}

/** Every operation kind a 0x03 request can carry, by the names decodeGeneric gives them (policy lists). */
export const GENERIC_OPERATION_KINDS: ReadonlySet<string> = new Set(
  Object.values(OPERATIONS).map((o) => o.kind),
);

/**
 * Consensus operations inside a 0x03 request: signing one there would bypass the watermark slot that the
 * 0x12/0x13 magic bytes get (docs/watermark.md), so policy never lets `generic` allow them.
 */
export const CONSENSUS_OPERATION_KINDS: ReadonlySet<string> = new Set(
  [20, 21, 23].map((t) => OPERATIONS[t]!.kind),
);

export function decodeGeneric(r: Reader): GenericRequest {
  const branch = r.hash('B', 32, 'branch');
  if (r.remaining === 0) r.fail('at least one operation');
  const operations: Operation[] = [];
  while (r.remaining > 0) operations.push(readOperation(r));
  return { magic: 0x03, kind: 'generic', branch, operations };
}
