// The PostgreSQL watermark store against a real server: the full rule table, schema
// migration, durability settings, and argument checks. Multi-process races: 07-postgres-replicas.

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/watermark/errors.js';
import { openStore } from '../src/watermark/open-store.js';
import { VERSION_TABLE, WATERMARK_TABLE } from '../src/watermark/postgres-schema.js';
import { openPostgresStore, PostgresStore } from '../src/watermark/postgres-store.js';
import type { SlotKey, WatermarkStore } from '../src/watermark/store.js';
import { payloadHash, testSigner } from './helpers/ecdsa-signer.js';
import { type PgServer, startPostgres } from './helpers/postgres.js';

const signer = testSigner();
let server: PgServer;
let url: string;
let store: PostgresStore;
let dbCount = 0;

const slot = (pkh: string, kind: SlotKey['kind'] = 'block'): SlotKey => ({
  chainId: 'NetXdQprcVkpaWU',
  pkh,
  kind,
});

/** signOnce with a real ECDSA signer that counts its calls. */
async function attempt(s: PostgresStore, k: SlotKey, level: number, round: number, payload: string) {
  const hash = payloadHash(payload, 0);
  let calls = 0;
  const decision = await s.signOnce(k, { level, round, hash }, async () => {
    calls++;
    return signer.sign(hash);
  });
  return { decision, calls, hash };
}

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase('rule');
  store = await openPostgresStore(url);
});

afterAll(async () => {
  await store?.close();
  await server?.dispose();
});

describe('rule table (docs/watermark.md) on PostgreSQL', () => {
  it('signs the first request on an empty slot and stores a verifiable mark', async () => {
    const k = slot('tz1first');
    const { decision, calls, hash } = await attempt(store, k, 100, 0, 'a');
    expect(decision.outcome).toBe('signed');
    expect(calls).toBe(1);
    const sig = (decision as { signature: string }).signature;
    expect(signer.verify(sig, hash)).toBe(true);
    expect(await store.get(k)).toEqual({ level: 100, round: 0, hash, signature: sig });
  });

  it.each([
    ['higher level, lower round', 101, 0, 'signed'],
    ['same level, higher round', 100, 3, 'signed'],
    ['same level, lower round', 100, 1, 'refused'],
    ['lower level, higher round', 99, 9, 'refused'],
  ])('%s → %s', async (_name, level, round, expected) => {
    const k = slot(`tz1tab${level}x${round}`.replaceAll('0', 'o'));
    await attempt(store, k, 100, 2, 'base');
    const before = await store.get(k);
    const { decision, calls, hash } = await attempt(store, k, level, round, 'other');
    expect(decision.outcome).toBe(expected);
    if (expected === 'signed') {
      expect(calls).toBe(1);
      const sig = (decision as { signature: string }).signature;
      expect(signer.verify(sig, hash)).toBe(true);
      expect(await store.get(k)).toEqual({ level, round, hash, signature: sig });
    } else {
      expect(calls).toBe(0);
      expect(decision).toEqual({ outcome: 'refused', stored: before });
      expect(await store.get(k)).toEqual(before);
    }
  });

  it('same height, identical bytes → the STORED signature, sign() not called', async () => {
    const k = slot('tz1repeat');
    const first = await attempt(store, k, 7, 1, 'same');
    const again = await attempt(store, k, 7, 1, 'same');
    expect(again.calls).toBe(0);
    expect(again.decision).toEqual({
      outcome: 'repeat',
      signature: (first.decision as { signature: string }).signature,
    });
  });

  it('same height, other bytes → refused with the stored mark', async () => {
    const k = slot('tz1dbsign');
    const first = await attempt(store, k, 7, 1, 'one');
    const other = await attempt(store, k, 7, 1, 'two');
    expect(other.calls).toBe(0);
    expect(other.decision).toEqual({ outcome: 'refused', stored: await store.get(k) });
    expect((other.decision as { stored: { hash: string } }).stored.hash).toBe(first.hash);
  });

  it('a hash in upper case is the same request', async () => {
    const k = slot('tz1case');
    const first = await attempt(store, k, 3, 0, 'x');
    const decision = await store.signOnce(
      k,
      { level: 3, round: 0, hash: first.hash.toUpperCase() },
      async () => {
        throw new Error('must not sign');
      },
    );
    expect(decision.outcome).toBe('repeat');
  });

  it('slots are independent: chain, key and kind each separate', async () => {
    const base = slot('tz1indep');
    await attempt(store, base, 50, 0, 'b');
    for (const k of [
      { ...base, kind: 'preattestation' as const },
      { ...base, kind: 'attestation' as const },
      { ...base, pkh: 'tz1indep2' },
      { ...base, chainId: 'NetXnHfVqm9iesp' },
    ]) {
      expect((await attempt(store, k, 50, 0, 'c')).decision.outcome).toBe('signed');
    }
  });

  it('a failing sign() leaves the mark untouched, rejects with its error, and releases the slot', async () => {
    const k = slot('tz1fai');
    await attempt(store, k, 10, 0, 'ok');
    const before = await store.get(k);
    await expect(
      store.signOnce(k, { level: 11, round: 0, hash: payloadHash('boom', 0) }, async () => {
        throw new Error('HSM exploded');
      }),
    ).rejects.toThrow('HSM exploded');
    expect(await store.get(k)).toEqual(before);
    expect((await attempt(store, k, 11, 0, 'after')).decision.outcome).toBe('signed');
  });

  it('an empty signature from sign() is an error and stores nothing', async () => {
    const k = slot('tz1empty');
    await expect(
      store.signOnce(k, { level: 1, round: 0, hash: payloadHash('e', 0) }, async () => ''),
    ).rejects.toThrow(TypeError);
    expect(await store.get(k)).toBeNull();
  });

  it('concurrent identical requests in one replica: one sign() call, one signature', async () => {
    const k = slot('tz1concurrent');
    const hash = payloadHash('conc', 0);
    let calls = 0;
    const decisions = await Promise.all(
      Array.from({ length: 20 }, () =>
        store.signOnce(k, { level: 5, round: 0, hash }, async () => {
          calls++;
          return signer.sign(hash);
        }),
      ),
    );
    expect(calls).toBe(1);
    const sigs = new Set(decisions.map((d) => (d as { signature: string }).signature));
    expect(sigs.size).toBe(1);
    expect(decisions.filter((d) => d.outcome === 'signed')).toHaveLength(1);
    expect(decisions.filter((d) => d.outcome === 'repeat')).toHaveLength(19);
  });

  it('set() forces a mark; list() returns every signed slot with its mark', async () => {
    const k = slot('tz1forced', 'attestation');
    const mark = {
      level: 900,
      round: 2,
      hash: payloadHash('forced', 0),
      signature: signer.sign(payloadHash('f', 0)),
    };
    await store.set(k, mark);
    expect(await store.get(k)).toEqual(mark);
    await store.set(k, { ...mark, level: 5 });
    expect((await store.get(k))?.level).toBe(5);
    const all = await store.list();
    expect(all).toContainEqual({ slot: k, mark: { ...mark, level: 5 } });
    // Slot rows created by a refused or failed request without any signature are not marks.
    for (const { mark: m } of all) expect(m.signature.length).toBeGreaterThan(0);
    expect(await store.get(slot('tz1neverused'))).toBeNull();
  });

  it('records the signer id and time in the row', async () => {
    const k = slot('tz1who');
    await attempt(store, k, 1, 0, 'w');
    const c = new pg.Client(url);
    await c.connect();
    const { rows } = await c.query(`SELECT signer_id, updated_at FROM ${WATERMARK_TABLE} WHERE pkh = $1`, [
      k.pkh,
    ]);
    await c.end();
    expect(rows[0].signer_id).toMatch(/:\d+$/);
    expect(rows[0].updated_at).toBeInstanceOf(Date);
  });

  it('rejects bad arguments before touching the database or signing', async () => {
    const sign = async () => {
      throw new Error('must not sign');
    };
    const hash = payloadHash('bad', 0);
    await expect(
      store.signOnce(slot("tz1'; DROP TABLE x; --"), { level: 1, round: 0, hash }, sign),
    ).rejects.toThrow(/bad pkh/);
    await expect(
      store.signOnce({ ...slot('tz1k'), kind: 'generic' as never }, { level: 1, round: 0, hash }, sign),
    ).rejects.toThrow(/bad kind/);
    await expect(store.signOnce(slot('tz1k'), { level: -1, round: 0, hash }, sign)).rejects.toThrow(/level/);
    await expect(store.signOnce(slot('tz1k'), { level: 1, round: 1.5, hash }, sign)).rejects.toThrow(/round/);
    await expect(store.signOnce(slot('tz1k'), { level: 1, round: 0, hash: 'zz' }, sign)).rejects.toThrow(
      /hash/,
    );
    expect(await store.get(slot('tz1k'))).toBeNull();
  });
});

describe('schema and settings', () => {
  const freshDb = () => server.createDatabase(`schema${++dbCount}`);

  it('replicas starting together migrate once; reopening is a no-op', async () => {
    const dbUrl = await freshDb();
    const stores = await Promise.all(Array.from({ length: 6 }, () => openPostgresStore(dbUrl)));
    const c = new pg.Client(dbUrl);
    await c.connect();
    const { rows } = await c.query(`SELECT version FROM ${VERSION_TABLE} ORDER BY version`);
    expect(rows).toEqual([{ version: 1 }]);
    await Promise.all(stores.map((s) => s.close()));
    const again = await openPostgresStore(dbUrl);
    await again.check();
    expect((await c.query(`SELECT count(*)::int AS n FROM ${VERSION_TABLE}`)).rows[0].n).toBe(1);
    await again.close();
    await c.end();
  });

  it('refuses a database migrated by a newer signer', async () => {
    const dbUrl = await freshDb();
    await (await openPostgresStore(dbUrl)).close();
    const c = new pg.Client(dbUrl);
    await c.connect();
    await c.query(`INSERT INTO ${VERSION_TABLE} (version) VALUES (99)`);
    await c.end();
    await expect(openPostgresStore(dbUrl)).rejects.toThrow(/version 99, newer/);
  });

  it('refuses to open, and fails closed, when synchronous_commit is off', async () => {
    const dbUrl = await freshDb();
    const name = new URL(dbUrl).pathname.slice(1);
    const ok = await openPostgresStore(dbUrl);
    const admin = new pg.Client(url);
    await admin.connect();
    await admin.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
    await admin.end();
    await expect(openPostgresStore(dbUrl)).rejects.toThrow(/synchronous_commit = off/);
    // A store opened before the change gets the setting on its next connection and refuses to sign.
    await ok.close();
    const hash = payloadHash('sync', 0);
    const reopened = new PostgresStore(dbUrl, { poolSize: 1 });
    let calls = 0;
    const res = await reopened
      .signOnce(slot('tz1sync'), { level: 1, round: 0, hash }, async () => {
        calls++;
        return signer.sign(hash);
      })
      .catch((e: Error) => e);
    expect(res).toBeInstanceOf(StoreUnavailableError);
    // sign() may have run alongside the reservation (docs/ha.md); nothing was reserved, nothing returned.
    expect(calls).toBeLessThanOrEqual(1);
    expect(await reopened.get(slot('tz1sync'))).toBeNull();
    await expect(reopened.check()).rejects.toThrow(StoreUnavailableError);
    await reopened.close();
  });

  it('store settings ride on the URL; bad ones are refused with the parameter named', async () => {
    const s = await openPostgresStore(`${url}?signer_id=replica-A&lock_timeout_ms=250&pool_size=2`);
    const k = slot('tz1viaUrn');
    await attempt(s, k, 1, 0, 'u');
    const c = new pg.Client(url);
    await c.connect();
    const { rows } = await c.query(`SELECT signer_id FROM ${WATERMARK_TABLE} WHERE pkh = $1`, [k.pkh]);
    const { rows: settings } = await c.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tezos-hsm-signer replica-A'",
    );
    await c.end();
    expect(rows[0].signer_id).toBe('replica-A');
    expect(settings[0].n).toBeGreaterThanOrEqual(1);
    await s.close();
    await expect(openPostgresStore(`${url}?pool_size=zero`)).rejects.toThrow(
      /pool_size must be a positive integer/,
    );
    await expect(openPostgresStore(`${url}?signer_id=a%20b`)).rejects.toThrow(/signer_id/);
    await expect(openPostgresStore('mysql://x/y')).rejects.toThrow(/postgres:\/\//);
  });

  it('the pool follows hsm.sessions (sessions + 2 connections); pool_size on the URL wins', async () => {
    // Signatures in flight each hold a connection while sign() runs: count how many sign() calls start
    // while every one of them is held, out of more requests than the pool has connections.
    const inFlight = async (s: WatermarkStore, tag: string) => {
      let started = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const hash = payloadHash(tag, 0);
      const all = Array.from({ length: 8 }, (_, i) =>
        s.signOnce(slot(`tz1ppp${tag}${i + 1}`), { level: 1, round: 0, hash }, async () => {
          started++;
          await gate;
          return signer.sign(hash);
        }),
      );
      // Enough time for every request the pool can serve to reach sign(); the others wait for a connection.
      await new Promise((r) => setTimeout(r, 500));
      const seen = started;
      release();
      const done = await Promise.all(all);
      expect(done.every((d) => d.outcome === 'signed')).toBe(true);
      await s.close();
      return seen;
    };
    const dbUrl = `${url}?signer_id=pool-test`;
    expect(
      await inFlight(await openStore({ backend: 'postgres', url: dbUrl }, { hsmSessions: 1 }), 'a'),
    ).toBe(3);
    expect(
      await inFlight(await openStore({ backend: 'postgres', url: dbUrl }, { hsmSessions: 3 }), 'b'),
    ).toBe(5);
    expect(
      await inFlight(
        await openStore({ backend: 'postgres', url: `${dbUrl}&pool_size=2` }, { hsmSessions: 3 }),
        'c',
      ),
    ).toBe(2);
  });

  it('a closed store refuses to work', async () => {
    const s = await openPostgresStore(url);
    await s.close();
    await expect(s.get(slot('tz1shut'))).rejects.toThrow(/closed/);
  });
});
