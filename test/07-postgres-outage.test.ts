// Fail closed (docs/ha.md): when PostgreSQL is down, slow, or loses the session mid-transaction, the store
// rejects with StoreUnavailableError (503 + Retry-After), never answers a signature without a committed
// mark, and recovers by itself when the database is back.

import { createServer, type Server } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/watermark/errors.js';
import { WATERMARK_TABLE } from '../src/watermark/postgres-schema.js';
import { openPostgresStore, type PostgresStore } from '../src/watermark/postgres-store.js';
import type { Mark, SlotKey } from '../src/watermark/store.js';
import { payloadHash, testSigner } from './helpers/ecdsa-signer.js';
import { type PgServer, startPostgres } from './helpers/postgres.js';

const signer = testSigner();
let server: PgServer;
let url: string;
const warnings: string[] = [];
const fastFail = {
  connectTimeoutMs: 1000,
  statementTimeoutMs: 2000,
  lockTimeoutMs: 1000,
  onWarning: (m: string) => warnings.push(m),
};

const slot = (pkh: string): SlotKey => ({ chainId: 'NetXdQprcVkpaWU', pkh, kind: 'attestation' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase('outage');
});

afterAll(async () => {
  await server?.dispose();
});

/** Closed-loop load on several slots with rising levels; records what was acknowledged and every error. */
class Load {
  readonly acked = new Map<string, { level: number; hash: string; signature: string }>();
  readonly errors: unknown[] = [];
  readonly signedAfter: Array<{ pkh: string; at: number }> = [];
  private running = false;
  private workers: Promise<void>[] = [];
  private nextLevel = new Map<string, number>();

  constructor(
    private readonly store: PostgresStore,
    readonly slots: SlotKey[],
  ) {}

  start(): void {
    this.running = true;
    this.workers = this.slots.map((k) => this.worker(k));
  }

  async pause(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async worker(k: SlotKey): Promise<void> {
    let level = this.nextLevel.get(k.pkh) ?? 1;
    while (this.running) {
      const hash = payloadHash(k.pkh, level);
      try {
        const d = await this.store.signOnce(k, { level, round: 0, hash }, async () => signer.sign(hash));
        if (d.outcome !== 'signed') throw new Error(`unexpected ${d.outcome} at level ${level}`);
        expect(signer.verify(d.signature, hash)).toBe(true);
        this.acked.set(k.pkh, { level, hash, signature: d.signature });
        this.signedAfter.push({ pkh: k.pkh, at: Date.now() });
        level++;
      } catch (err) {
        this.errors.push(err);
        // A failed attempt may still have committed its reservation (uncertain commit): retrying the same
        // bytes would then be refused; move on, as a baker does at the next height.
        level++;
        await sleep(20);
      }
    }
    this.nextLevel.set(k.pkh, level);
  }
}

/** Every acknowledged signature is the mark in the database, or a later (unacknowledged) commit replaced it. */
async function expectNoAckLost(load: Load): Promise<void> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    for (const k of load.slots) {
      const acked = load.acked.get(k.pkh);
      const { rows } = await c.query<Mark>(
        `SELECT level, round, hash, signature FROM ${WATERMARK_TABLE} WHERE chain_id = $1 AND pkh = $2 AND kind = $3`,
        [k.chainId, k.pkh, k.kind],
      );
      if (!acked) continue;
      const mark = rows[0]!;
      expect(mark.level).toBeGreaterThanOrEqual(acked.level);
      // The signature is recorded after the answer: an outage in between leaves the height reserved.
      if (mark.level === acked.level)
        expect([
          { round: 0, ...acked },
          { round: 0, ...acked, signature: '' },
        ]).toContainEqual(mark);
      if (mark.signature !== '') expect(signer.verify(mark.signature, mark.hash)).toBe(true);
    }
  } finally {
    await c.end();
  }
}

describe.each([
  ['stopped (fast shutdown)', () => server.stop()],
  ['killed -9 (crash, WAL recovery)', () => server.kill()],
])('database %s during a load', (name, takeDown) => {
  it('rejects with StoreUnavailableError, loses no acknowledged mark, recovers by itself', async () => {
    const store = await openPostgresStore(url, fastFail);
    const load = new Load(
      store,
      Array.from({ length: 6 }, (_, i) => slot(`tz1${name.startsWith('stop') ? 'S' : 'K'}${'abcdef'[i]}`)),
    );
    load.start();
    // Some marks acknowledged before the outage (how fast depends on the machine's load).
    for (let waited = 0; load.signedAfter.length <= 10 && waited < 20_000; waited += 50) await sleep(50);
    const signedBefore = load.signedAfter.length;
    expect(signedBefore).toBeGreaterThan(10);
    await takeDown();
    const downAt = Date.now();
    await sleep(800);
    await load.pause();
    expect(load.errors.length).toBeGreaterThan(0);
    for (const err of load.errors) expect(err).toBeInstanceOf(StoreUnavailableError);
    // Nothing can have been acknowledged while the database was down (allow for in-flight commits).
    expect(load.signedAfter.filter((s) => s.at > downAt + 100)).toEqual([]);
    await expect(store.check()).rejects.toThrow(StoreUnavailableError);

    await server.start();
    await expectNoAckLost(load);

    // Same store object, no reopen: every slot signs again within a few seconds.
    const resumeAt = Date.now();
    load.start();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const resumed = new Set(load.signedAfter.filter((s) => s.at > resumeAt).map((s) => s.pkh));
      if (resumed.size === load.slots.length) break;
      await sleep(100);
    }
    await load.pause();
    const resumed = new Set(load.signedAfter.filter((s) => s.at > resumeAt).map((s) => s.pkh));
    expect(resumed.size).toBe(load.slots.length);
    await store.check();
    await expectNoAckLost(load);
    await store.close();
  });
});

describe('slow or broken database', () => {
  it('a row lock held beyond lock_timeout → StoreUnavailableError, no signature returned, mark untouched', async () => {
    const store = await openPostgresStore(url, { ...fastFail, lockTimeoutMs: 300 });
    const k = slot('tz1Locked');
    const hash = payloadHash('locked', 1);
    const first = await store.signOnce(k, { level: 1, round: 0, hash }, async () => signer.sign(hash));
    const mark = await store.get(k);
    expect(mark).toEqual({ level: 1, round: 0, hash, signature: (first as { signature: string }).signature });
    const holder = new pg.Client(url);
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM ${WATERMARK_TABLE} WHERE pkh = $1 FOR UPDATE`, [k.pkh]);
    // sign() runs alongside the reservation (docs/ha.md): it may be called; its result must not leave.
    const h2 = payloadHash('locked', 2);
    const sign = async () => signer.sign(h2);
    const err = await store.signOnce(k, { level: 2, round: 0, hash: h2 }, sign).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).retryAfter).toBeGreaterThan(0);
    // Requests queued in this replica behind the blocked one give up on the same bound.
    const queued = await Promise.all(
      [3, 4, 5].map((level) =>
        store
          .signOnce(k, { level, round: 0, hash: payloadHash('locked', level) }, sign)
          .catch((e: unknown) => e),
      ),
    );
    for (const e of queued) expect(e).toBeInstanceOf(StoreUnavailableError);
    expect(queued.some((e) => /behind other requests on this slot/.test((e as Error).message))).toBe(true);
    await holder.query('ROLLBACK');
    await holder.end();
    expect(await store.get(k)).toEqual(mark);
    const d = await store.signOnce(k, { level: 2, round: 0, hash: h2 }, sign);
    expect(d.outcome).toBe('signed');
    expect(signer.verify((d as { signature: string }).signature, h2)).toBe(true);
    await store.close();
  });

  it('a slow sign() holds no lock: another replica signs the next height meanwhile; the slow one is answered', async () => {
    const slow = await openPostgresStore(url, fastFail);
    const other = await openPostgresStore(url, fastFail);
    const k = slot('tz1TardyHsm');
    const h1 = payloadHash('slow', 1);
    let slowDone = false;
    const pending = slow
      .signOnce(k, { level: 1, round: 0, hash: h1 }, async () => {
        await sleep(1500);
        return signer.sign(h1);
      })
      .finally(() => {
        slowDone = true;
      });
    // Its height is reserved (durable, no signature yet) while the HSM works.
    await expect
      .poll(() => other.get(k), { timeout: 5000 })
      .toEqual({ level: 1, round: 0, hash: h1, signature: '' });
    // The same height with other bytes is refused at once; the next height signs, both before the slow
    // signature is done.
    const refused = await other.signOnce(k, { level: 1, round: 0, hash: payloadHash('slow', 9) }, async () =>
      signer.sign(payloadHash('slow', 9)),
    );
    expect(refused).toEqual({ outcome: 'refused', stored: { level: 1, round: 0, hash: h1, signature: '' } });
    const h2 = payloadHash('slow', 2);
    const next = await other.signOnce(k, { level: 2, round: 0, hash: h2 }, async () => signer.sign(h2));
    expect(slowDone).toBe(false);
    expect(next.outcome).toBe('signed');
    const d = await pending;
    expect(d.outcome).toBe('signed');
    expect(signer.verify((d as { signature: string }).signature, h1)).toBe(true);
    // Its signature found its reservation replaced by the higher one, and left that alone.
    expect(await other.get(k)).toEqual({
      level: 2,
      round: 0,
      hash: h2,
      signature: (next as { signature: string }).signature,
    });
    await slow.close();
    await other.close();
  });

  it('a server that accepts but never answers → StoreUnavailableError within the connect bound', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const store = await openPostgresStore(`postgres://postgres@127.0.0.1:${port}/x`, {
      connectTimeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(store).toBeInstanceOf(StoreUnavailableError);
    silent.close();
  });

  it('database down at open → StoreUnavailableError naming the cause', async () => {
    await server.stop();
    try {
      await expect(openPostgresStore(url, fastFail)).rejects.toThrow(/unreachable.*ECONNREFUSED|unreachable/);
      await expect(openPostgresStore(url, fastFail)).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await server.start();
    }
  });
});

describe('commit whose outcome is unknown', () => {
  it('a reservation stuck waiting for a synchronous standby is not answered; the same bytes stay refused', async () => {
    // Its own server: synchronous_standby_names is server-wide and would stall the other tests.
    const own = await startPostgres();
    const admin = new pg.Client(own.url);
    try {
      const dbUrl = await own.createDatabase('syncrep');
      const store = await openPostgresStore(dbUrl, { statementTimeoutMs: 300, lockTimeoutMs: 300 });
      await admin.connect();
      // A standby that never connects: COMMIT flushes locally, then waits for it (client bound: 1.3 s).
      await admin.query("ALTER SYSTEM SET synchronous_standby_names = 'absent_standby'");
      await admin.query('SELECT pg_reload_conf()');
      await sleep(300);
      const k = slot('tz1SyncRep');
      const hash = payloadHash('syncrep', 1);
      let produced = '';
      const err = await store
        .signOnce(k, { level: 1, round: 0, hash }, async () => {
          produced = signer.sign(hash);
          return produced;
        })
        .catch((e: unknown) => e);
      // The HSM signed alongside, but the signature never left: its reservation was not acknowledged.
      expect(produced).not.toBe('');
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toMatch(/reserving the height/);
      // The standby requirement goes away: the waiting commit completes, and the height is reserved with
      // no signature (the one produced is not recorded: its caller was answered 503).
      await admin.query('ALTER SYSTEM RESET synchronous_standby_names');
      await admin.query('SELECT pg_reload_conf()');
      const reserved = { level: 1, round: 0, hash, signature: '' };
      await expect.poll(() => store.get(k), { timeout: 5000 }).toEqual(reserved);
      // Same bytes again: refused, never signed a second time; the next height signs.
      const again = await store.signOnce(k, { level: 1, round: 0, hash }, async () => signer.sign(hash));
      expect(again).toEqual({ outcome: 'refused', stored: reserved });
      const h2 = payloadHash('syncrep', 2);
      const next = await store.signOnce(k, { level: 2, round: 0, hash: h2 }, async () => signer.sign(h2));
      expect(next.outcome).toBe('signed');
      expect(signer.verify((next as { signature: string }).signature, h2)).toBe(true);
      await store.close();
    } finally {
      await admin.end().catch(() => {});
      await own.dispose();
    }
  });
});
