// Three signer replicas in three processes sharing one PostgreSQL watermark (docs/ha.md): whatever the
// interleaving, one slot gets one signature per height, and a replica killed inside sign() (its height
// reserved) neither blocks the others nor loses what was acknowledged. sign() may run speculatively, at
// most once per replica and height here (each replica's first request, before it has seen the mark); only
// one result ever leaves.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../src/watermark/postgres-store.js';
import type { Decision, SlotKey } from '../src/watermark/store.js';
import { payloadHash, testSigner } from './helpers/ecdsa-signer.js';
import { type Replica, startReplicas } from './helpers/pg-replicas.js';
import { type PgServer, startPostgres } from './helpers/postgres.js';

type Result = Decision | { outcome: 'error'; errorName: string; message: string };

const signer = testSigner();
let server: PgServer;
let url: string;
let replicas: Replica[] = [];
let observer: PostgresStore;
// sign() calls so far, summed over the replicas (each reports its own running count).
let replicasSignCalls = 0;

const slot = (pkh: string): SlotKey => ({ chainId: 'NetXdQprcVkpaWU', pkh, kind: 'block' });

/** Send each replica its share of requests, all starting at the same instant; gather every result. */
async function race(k: SlotKey, shares: Array<Array<{ level: number; round: number; hash: string }>>) {
  const startAt = Date.now() + 300;
  const replies = await Promise.all(
    shares.map((reqs, i) => replicas[i]!.request({ op: 'signMany', slot: k, reqs, startAt })),
  );
  return replies.map((r) => ({ results: r.results as Result[], signCalls: r.signCalls as number }));
}

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase('replicas');
  // The first replica migrates while the others wait on the advisory lock: they start together.
  replicas = await startReplicas(3, url, signer.secretKeyHex, {
    lockTimeoutMs: 20_000,
    statementTimeoutMs: 30_000,
  });
  observer = await openPostgresStore(url);
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await observer?.close();
  await server?.dispose();
});

describe('three replicas, one database', () => {
  it('100 different payloads at one height on one slot → exactly one signature in all', async () => {
    const k = slot('tz1race');
    for (const level of [10, 11, 12]) {
      const reqs = Array.from({ length: 100 }, (_, i) => ({
        level,
        round: 0,
        hash: payloadHash(`race${level}`, i),
      }));
      const shares = [0, 1, 2].map((r) => reqs.filter((_, i) => i % 3 === r));
      const before = replicasSignCalls;
      const out = await race(k, shares);
      const all = out.flatMap((o) => o.results);
      expect(all).toHaveLength(100);
      expect(all.filter((d) => d.outcome === 'error')).toEqual([]);
      const signed = all.filter((d): d is Extract<Decision, { outcome: 'signed' }> => d.outcome === 'signed');
      expect(signed).toHaveLength(1);
      expect(all.filter((d) => d.outcome === 'refused')).toHaveLength(99);
      replicasSignCalls = out.reduce((n, o) => n + o.signCalls, 0);
      expect(replicasSignCalls - before).toBeGreaterThanOrEqual(1);
      expect(replicasSignCalls - before).toBeLessThanOrEqual(3);
      // The signature is recorded after the answer, in the winner's process.
      await expect.poll(async () => (await observer.get(k))?.signature).toBe(signed[0]!.signature);
      const mark = await observer.get(k);
      expect(mark).toMatchObject({ level, round: 0, signature: signed[0]!.signature });
      expect(reqs.some((r) => r.hash === mark!.hash)).toBe(true);
      expect(signer.verify(mark!.signature, mark!.hash)).toBe(true);
      // Every refusal names that one mark: recorded, or still the winner's reservation (no signature yet).
      for (const d of all)
        if (d.outcome === 'refused') expect([mark, { ...mark, signature: '' }]).toContainEqual(d.stored);
    }
  });

  it('identical payloads on every replica → one signature value everywhere (never re-signed)', async () => {
    const k = slot('tz1same');
    for (const level of [20, 21]) {
      const req = { level, round: 1, hash: payloadHash('same', level) };
      const before = replicasSignCalls;
      const out = await race(
        k,
        [0, 1, 2].map(() => Array.from({ length: 20 }, () => req)),
      );
      replicasSignCalls = out.reduce((n, o) => n + o.signCalls, 0);
      expect(replicasSignCalls - before).toBeLessThanOrEqual(3);
      // The losers found the winner's reservation and waited for its signature to be recorded.
      const all = out.flatMap((o) => o.results);
      expect(all.filter((d) => d.outcome === 'signed')).toHaveLength(1);
      expect(all.filter((d) => d.outcome === 'repeat')).toHaveLength(59);
      const sigs = new Set(all.map((d) => (d as { signature?: string }).signature));
      expect(sigs.size).toBe(1);
      const [sig] = [...sigs];
      expect(signer.verify(sig!, req.hash)).toBe(true);
      await expect.poll(async () => (await observer.get(k))?.signature).toBe(sig);
    }
  });

  it('a replica killed -9 inside sign() leaves its height reserved: refused there, the next height signs', async () => {
    const k = slot('tz1crash');
    // Acknowledged by replica 0 before the crash.
    const acked = await replicas[0]!.request({
      op: 'signMany',
      slot: k,
      reqs: [{ level: 30, round: 0, hash: payloadHash('crash', 30) }],
    });
    const ackedSig = ((acked.results as Result[])[0] as { signature: string }).signature;
    expect(signer.verify(ackedSig, payloadHash('crash', 30))).toBe(true);
    // Replica 0 starts level 31 and hangs in sign(); its reservation commits meanwhile.
    const reserved = { level: 31, round: 0, hash: payloadHash('crash-a', 31), signature: '' };
    replicas[0]!.send({ op: 'hang', slot: k, req: { level: 31, round: 0, hash: reserved.hash } });
    await expect.poll(() => observer.get(k), { timeout: 10_000 }).toEqual(reserved);
    // Replica 1 wants level 31 with other bytes: refused at once (no lock to wait for).
    const contender = await replicas[1]!.request({
      op: 'signMany',
      slot: k,
      reqs: [{ level: 31, round: 0, hash: payloadHash('crash-b', 31) }],
    });
    expect((contender.results as Result[])[0]).toEqual({ outcome: 'refused', stored: reserved });
    await replicas[0]!.kill('SIGKILL');
    expect(await observer.get(k)).toEqual(reserved);
    // Replica 2 sees the acknowledged history: level 30 is below, so refused.
    const late = await replicas[2]!.request({
      op: 'signMany',
      slot: k,
      reqs: [{ level: 30, round: 0, hash: payloadHash('crash', 30) }],
    });
    expect(((late.results as Result[])[0] as { outcome: string }).outcome).toBe('refused');
    // The crashed replica is replaced. Its unrecorded height refuses even the bytes it was signing (its
    // signature may have left before the crash; a second ECDSA signature would differ); the next signs.
    const [fresh] = await startReplicas(1, url, signer.secretKeyHex);
    replicas[0] = fresh!;
    const again = await fresh!.request({
      op: 'signMany',
      slot: k,
      reqs: [{ level: 31, round: 0, hash: reserved.hash }],
    });
    expect((again.results as Result[])[0]).toEqual({ outcome: 'refused', stored: reserved });
    const next = await fresh!.request({
      op: 'signMany',
      slot: k,
      reqs: [{ level: 32, round: 0, hash: payloadHash('crash', 32) }],
    });
    const d = (next.results as Result[])[0] as { outcome: string; signature: string };
    expect(d.outcome).toBe('signed');
    expect(signer.verify(d.signature, payloadHash('crash', 32))).toBe(true);
    // Recorded after the answer, in that process.
    await expect
      .poll(() => observer.get(k))
      .toEqual({ level: 32, round: 0, hash: payloadHash('crash', 32), signature: d.signature });
  });
});
