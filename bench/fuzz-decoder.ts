// Fuzz the request decoder: random bytes and mutations of valid vectors (truncation, bit flips, byte
// overwrites, length-field corruption, splices). Any exception other than DecodeError is a bug.
// Usage: node --import tsx bench/fuzz-decoder.ts [inputs=1000000] [seconds=300]
import { LocalForger } from '@taquito/local-forging';
import { b58encode } from '../src/tezos/base58.js';
import { DecodeError, decodeRequest } from '../src/tezos/request.js';
import { REFUTE_VARIANTS } from '../test/helpers/refutation-vectors.js';
import { allVectors, BRANCH, bytes } from '../test/helpers/tezos-vectors.js';

const total = Number(process.argv[2] ?? 1_000_000);
const budgetMs = Number(process.argv[3] ?? 300) * 1000;

// Deterministic xorshift32 so a failure can be replayed.
let state = 0x9e3779b9;
const rnd = (n: number): number => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
};

async function seeds(): Promise<Uint8Array[]> {
  const branch = b58encode('B', bytes(BRANCH));
  const src = 'tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx';
  const m = { source: src, fee: '1234', counter: '99', gas_limit: '10600', storage_limit: '300' };
  const forged = await new LocalForger().forge({
    branch,
    contents: [
      { kind: 'reveal', ...m, public_key: 'edpkuBknW28nW72KG6RoHtYW7p12T6GKc7nAbwYX5m8Wd9sDVC9yav' },
      {
        kind: 'transaction',
        ...m,
        amount: '1000000',
        destination: src,
        parameters: { entrypoint: 'stake', value: { prim: 'Unit' } },
      },
      { kind: 'delegation', ...m, delegate: src },
      { kind: 'smart_rollup_add_messages', ...m, message: ['cafe', 'beef'] },
      { kind: 'ballot', source: src, period: 3, proposal: b58encode('P', bytes(BRANCH)), ballot: 'yay' },
    ],
  } as never);
  // smart_rollup_refute: taquito cannot forge it, so the hand-built vectors of every refutation variant.
  return [...allVectors(), `03${forged}`, ...REFUTE_VARIANTS.map(([, h]) => h)].map(bytes);
}

function mutate(seed: Uint8Array): Uint8Array {
  const kind = rnd(6);
  const b = Uint8Array.from(seed);
  switch (kind) {
    case 0: // truncation
      return b.subarray(0, rnd(b.length + 1));
    case 1: // bit flips
      for (let i = 1 + rnd(4); i > 0; i--) b[rnd(b.length)]! ^= 1 << rnd(8);
      return b;
    case 2: // byte overwrites with interesting values
      for (let i = 1 + rnd(3); i > 0; i--)
        b[rnd(b.length)] = [0x00, 0xff, 0x7f, 0x80, 0x01, rnd(256)][rnd(6)]!;
      return b;
    case 3: {
      // length-field corruption: write a big-endian uint32 anywhere
      const at = rnd(Math.max(1, b.length - 3));
      const v = [0xffffffff, 0x3fffffff, 0x40000000, b.length, rnd(1 << 16), 0][rnd(6)]!;
      new DataView(b.buffer).setUint32(Math.min(at, Math.max(0, b.length - 4)), v >>> 0);
      return b;
    }
    case 4: {
      // append garbage
      const out = new Uint8Array(b.length + 1 + rnd(16));
      out.set(b);
      for (let i = b.length; i < out.length; i++) out[i] = rnd(256);
      return out;
    }
    default: {
      // random bytes behind a valid magic
      const out = new Uint8Array(1 + rnd(200));
      out[0] = seed[0]!;
      for (let i = 1; i < out.length; i++) out[i] = rnd(256);
      return out;
    }
  }
}

const pool = await seeds();
const counts = { accepted: 0, refused: 0, random: 0, mutated: 0 };
const started = performance.now();
let done = 0;
for (; done < total; done++) {
  if ((done & 0x3fff) === 0 && performance.now() - started > budgetMs) break;
  let input: Uint8Array;
  if (rnd(10) === 0) {
    input = new Uint8Array(rnd(300));
    for (let i = 0; i < input.length; i++) input[i] = rnd(256);
    counts.random++;
  } else {
    input = mutate(pool[rnd(pool.length)]!);
    counts.mutated++;
  }
  try {
    decodeRequest(input);
    counts.accepted++;
  } catch (e) {
    if (!(e instanceof DecodeError)) {
      console.error(`BUG: ${String(e)} on ${Buffer.from(input).toString('hex')}`);
      process.exit(1);
    }
    counts.refused++;
  }
}
const secs = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    inputs: done,
    ...counts,
    seconds: +secs.toFixed(1),
    perSecond: Math.round(done / secs),
    unexpectedExceptions: 0,
  }),
);
if (done < total) {
  console.error(`time budget reached after ${done} of ${total} inputs`);
  process.exit(2);
}
