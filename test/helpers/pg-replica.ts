// One signer replica as a separate process, for the multi-replica PostgreSQL tests and bench: it opens its
// own PostgresStore and executes JSON-line commands from stdin, answering on stdout.
// argv: <database url> <secp256k1 secret key hex> <signer id> [store options as JSON]
//
// Commands:
//   {id, op:'signMany', slot, reqs:[{level,round,hash}], startAt?}  all concurrently (after startAt, ms
//        since epoch, so several replicas start together) → {id, results:[…], signCalls}
//   {id, op:'hang', slot, req}  signOnce whose sign() reports {event:'signing', id} and never resolves
//        (the test kills the process while its height is reserved)
//   {id, op:'bench', slots:[…], concurrency, durationMs, startAt}  closed-loop load, one slot per worker,
//        rising levels → {id, count, latenciesMs:[…]}

import { createInterface } from 'node:readline';
import { openPostgresStore, type PostgresStoreOptions } from '../../src/watermark/postgres-store.js';
import type { SlotKey } from '../../src/watermark/store.js';
import { payloadHash, testSigner } from './ecdsa-signer.js';

interface Req {
  level: number;
  round: number;
  hash: string;
}

type Command =
  | { id: number; op: 'signMany'; slot: SlotKey; reqs: Req[]; startAt?: number }
  | { id: number; op: 'hang'; slot: SlotKey; req: Req }
  | { id: number; op: 'bench'; slots: SlotKey[]; durationMs: number; startAt: number; levelBase: number };

const [url, secretKeyHex, signerId, optsJson] = process.argv.slice(2);
if (!url || !secretKeyHex || !signerId)
  throw new Error('usage: pg-replica.ts URL SECRET_KEY_HEX SIGNER_ID [OPTS]');
const opts = JSON.parse(optsJson ?? '{}') as PostgresStoreOptions;
const signer = testSigner(secretKeyHex);
const store = await openPostgresStore(url, { ...opts, signerId });
let signCalls = 0;

const send = (msg: unknown) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const sleepUntil = (t?: number) => new Promise((r) => setTimeout(r, Math.max(0, (t ?? 0) - Date.now())));

async function signMany(cmd: Extract<Command, { op: 'signMany' }>) {
  await sleepUntil(cmd.startAt);
  const results = await Promise.all(
    cmd.reqs.map(async (req) => {
      try {
        const d = await store.signOnce(cmd.slot, req, async () => {
          signCalls++;
          return signer.sign(req.hash);
        });
        return d;
      } catch (err) {
        return { outcome: 'error', errorName: (err as Error).name, message: (err as Error).message };
      }
    }),
  );
  send({ id: cmd.id, results, signCalls });
}

async function bench(cmd: Extract<Command, { op: 'bench' }>) {
  await sleepUntil(cmd.startAt);
  const end = Date.now() + cmd.durationMs;
  const latenciesMs: number[] = [];
  let errors = 0;
  await Promise.all(
    cmd.slots.map(async (slot) => {
      for (let level = cmd.levelBase; Date.now() < end; level++) {
        const hash = payloadHash(`${signerId}/${slot.pkh}`, level);
        const t0 = performance.now();
        try {
          await store.signOnce(slot, { level, round: 0, hash }, async () => signer.sign(hash));
          latenciesMs.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  send({ id: cmd.id, count: latenciesMs.length, errors, latenciesMs });
}

function hang(cmd: Extract<Command, { op: 'hang' }>) {
  store
    .signOnce(cmd.slot, cmd.req, () => {
      send({ event: 'signing', id: cmd.id });
      return new Promise<string>(() => {});
    })
    .catch(() => {});
}

send({ event: 'ready' });
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line) as Command;
  if (cmd.op === 'signMany') void signMany(cmd);
  else if (cmd.op === 'hang') hang(cmd);
  else if (cmd.op === 'bench') void bench(cmd);
}
await store.close();
