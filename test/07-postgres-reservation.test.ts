// The PostgreSQL store's reservation (docs/ha.md, "What one signature costs"): the height is written ahead
// with no signature, in one round trip alongside the HSM, the answer goes out, and the signature is
// recorded after. What the table shows at each step, a failed sign() giving the height back, speculative
// signatures that never leave, and two stores (two replicas) racing on one database.

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATERMARK_TABLE } from '../src/watermark/postgres-schema.js';
import { openPostgresStore, type PostgresStore } from '../src/watermark/postgres-store.js';
import type { Decision, SlotKey } from '../src/watermark/store.js';
import { payloadHash, testSigner } from './helpers/ecdsa-signer.js';
import { type PgServer, startPostgres } from './helpers/postgres.js';

const signer = testSigner();
let server: PgServer;
let url: string;
let a: PostgresStore;
let b: PostgresStore;
let db: pg.Client;

const slot = (pkh: string): SlotKey => ({ chainId: 'NetXdQprcVkpaWU', pkh, kind: 'preattestation' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The slot's row as the table holds it, read without the store (and without waiting for its locks). */
async function row(k: SlotKey) {
  const { rows } = await db.query(
    `SELECT level, round, hash, signature, signer_id, updated_at FROM ${WATERMARK_TABLE}
      WHERE chain_id = $1 AND pkh = $2 AND kind = $3`,
    [k.chainId, k.pkh, k.kind],
  );
  return rows[0] as
    | { level: number; round: number; hash: string; signature: string; signer_id: string; updated_at: Date }
    | undefined;
}

/** A sign() that waits for go() and counts its calls. */
function gatedSigner(hash: string) {
  let go!: () => void;
  const gate = new Promise<void>((r) => {
    go = r;
  });
  const s = {
    calls: 0,
    go,
    sign: async () => {
      s.calls++;
      await gate;
      return signer.sign(hash);
    },
  };
  return s;
}

const signatureOf = (d: Decision) => (d as { signature: string }).signature;

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase('reservation');
  a = await openPostgresStore(url, { signerId: 'replica-a', lockTimeoutMs: 1000 });
  b = await openPostgresStore(url, { signerId: 'replica-b', lockTimeoutMs: 1000 });
  db = new pg.Client(url);
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await a?.close();
  await b?.close();
  await server?.dispose();
});

describe('reservation, answer, record', () => {
  it('the height is reserved while the HSM signs, answered, then the signature recorded', async () => {
    const k = slot('tz1steps');
    const hash = payloadHash('steps', 1);
    const s = gatedSigner(hash);
    const pending = a.signOnce(k, { level: 1, round: 0, hash }, s.sign);
    // Reserved (no signature) while sign() is still running.
    await expect
      .poll(() => row(k))
      .toMatchObject({ level: 1, round: 0, hash, signature: '', signer_id: 'replica-a' });
    expect(s.calls).toBe(1);
    // Hold the row so that the record cannot land: the answer must not wait for it.
    const holder = new pg.Client(url);
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM ${WATERMARK_TABLE} WHERE pkh = $1 FOR UPDATE`, [k.pkh]);
      s.go();
      const d = await pending;
      expect(d.outcome).toBe('signed');
      expect(signer.verify(signatureOf(d), hash)).toBe(true);
      expect(await row(k)).toMatchObject({ level: 1, hash, signature: '' });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    // get() waits for this replica's record; the table then holds the answered signature.
    const recorded = await a.get(k);
    expect(recorded).toEqual({ level: 1, round: 0, hash, signature: expect.any(String) });
    expect(signer.verify(recorded!.signature, hash)).toBe(true);
    expect((await row(k))?.signature).toBe(recorded!.signature);
    // A repeat now gets that signature, from either replica, without signing.
    for (const store of [a, b]) {
      const again = await store.signOnce(k, { level: 1, round: 0, hash }, async () => {
        throw new Error('must not sign');
      });
      expect(again).toEqual({ outcome: 'repeat', signature: recorded!.signature });
    }
  });

  it('a failed sign() gives the height back: the previous mark restored exactly, the same bytes sign after', async () => {
    const k = slot('tz1giveback');
    const h1 = payloadHash('giveback', 1);
    await a.signOnce(k, { level: 1, round: 0, hash: h1 }, async () => signer.sign(h1));
    await a.get(k); // after its signature is recorded
    const before = await row(k);
    await sleep(20); // so that a restored updated_at is told apart from a new one
    const h2 = payloadHash('giveback', 2);
    let fail!: (e: Error) => void;
    const pending = b.signOnce(
      k,
      { level: 2, round: 0, hash: h2 },
      () =>
        new Promise<string>((_, reject) => {
          fail = reject;
        }),
    );
    await expect
      .poll(() => row(k))
      .toMatchObject({ level: 2, hash: h2, signature: '', signer_id: 'replica-b' });
    fail(new Error('HSM exploded'));
    await expect(pending).rejects.toThrow('HSM exploded');
    // Released before the error was answered.
    expect(await row(k)).toEqual(before);
    const d = await a.signOnce(k, { level: 2, round: 0, hash: h2 }, async () => signer.sign(h2));
    expect(d.outcome).toBe('signed');
    expect(signer.verify(signatureOf(d), h2)).toBe(true);
  });

  it('a failed first sign() on a slot leaves no mark at all', async () => {
    const k = slot('tz1firstBad');
    const hash = payloadHash('firstfail', 1);
    await expect(
      a.signOnce(k, { level: 7, round: 0, hash }, async () => {
        await sleep(50);
        throw new Error('token gone');
      }),
    ).rejects.toThrow('token gone');
    expect(await row(k)).toMatchObject({ level: null, round: null, hash: null, signature: null });
    expect(await b.get(k)).toBeNull();
  });

  it('a request the database refuses: the speculative signature is dropped, the next one is not even made', async () => {
    const k = slot('tz1guess');
    const h = payloadHash('specul', 5);
    const first = await a.signOnce(k, { level: 5, round: 0, hash: h }, async () => signer.sign(h));
    await a.get(k); // after its signature is recorded
    // b has not seen this slot: it signs alongside its reservation, which the database refuses.
    const other = payloadHash('specul-other', 5);
    let made = '';
    const refused = await b.signOnce(k, { level: 5, round: 0, hash: other }, async () => {
      made = signer.sign(other);
      return made;
    });
    expect(made).not.toBe('');
    expect(refused).toEqual({
      outcome: 'refused',
      stored: { level: 5, round: 0, hash: h, signature: signatureOf(first) },
    });
    expect((await row(k))?.signature).toBe(signatureOf(first));
    // Now b knows the mark: a lower request is refused without asking the HSM.
    let calls = 0;
    const lower = await b.signOnce(k, { level: 4, round: 9, hash: other }, async () => {
      calls++;
      return signer.sign(other);
    });
    expect(lower.outcome).toBe('refused');
    expect(calls).toBe(0);
  });
});

describe('two replicas on one database', () => {
  it('racing on one height with different bytes: exactly one signature per height', async () => {
    const k = slot('tz1duet');
    for (let level = 1; level <= 20; level++) {
      const ha = payloadHash('duel-a', level);
      const hb = payloadHash('duel-b', level);
      const [da, db2] = await Promise.all([
        a.signOnce(k, { level, round: 0, hash: ha }, async () => signer.sign(ha)),
        b.signOnce(k, { level, round: 0, hash: hb }, async () => signer.sign(hb)),
      ]);
      const signed = [
        { d: da, hash: ha, store: a },
        { d: db2, hash: hb, store: b },
      ].filter((x) => x.d.outcome === 'signed');
      expect(signed).toHaveLength(1);
      expect([da, db2].filter((d) => d.outcome === 'refused')).toHaveLength(1);
      const { d, hash, store } = signed[0]!;
      expect(signer.verify(signatureOf(d), hash)).toBe(true);
      // The winner's get() waits for its record; then both replicas read the same mark.
      expect(await store.get(k)).toEqual({ level, round: 0, hash, signature: signatureOf(d) });
      expect(await a.get(k)).toEqual({ level, round: 0, hash, signature: signatureOf(d) });
      expect(await b.get(k)).toEqual({ level, round: 0, hash, signature: signatureOf(d) });
    }
  });

  it('identical bytes on both while the winner signs: the loser waits for the record and repeats it', async () => {
    const k = slot('tz1twins');
    for (let level = 1; level <= 5; level++) {
      const hash = payloadHash('twins', level);
      // A slow HSM: the loser reads the winner's reservation before its signature is recorded.
      const sign = async () => {
        await sleep(100);
        return signer.sign(hash);
      };
      const both = await Promise.all([
        a.signOnce(k, { level, round: 0, hash }, sign),
        b.signOnce(k, { level, round: 0, hash }, sign),
      ]);
      expect(both.map((d) => d.outcome).sort()).toEqual(['repeat', 'signed']);
      expect(signatureOf(both[0]!)).toBe(signatureOf(both[1]!));
      expect(signer.verify(signatureOf(both[0]!), hash)).toBe(true);
    }
  });

  it.each([
    ['left by a crash (an hour old)', 'replica-dead', "now() - interval '1 hour'"],
    ['under its own signer_id (a previous life of this replica)', 'patient', 'now()'],
  ])('a reservation %s refuses its own bytes at once; a higher height signs', async (_name, owner, at) => {
    const k = slot(`tz1orphan${owner === 'patient' ? 'B' : 'A'}`);
    const hash = payloadHash(`orphan-${owner}`, 9);
    await db.query(
      `INSERT INTO ${WATERMARK_TABLE} (chain_id, pkh, kind, level, round, hash, signature, signer_id, updated_at)
       VALUES ($1, $2, $3, 9, 0, $4, '', $5, ${at})`,
      [k.chainId, k.pkh, k.kind, hash, owner],
    );
    // A store that would wait ten minutes for a live replica's record: it answers, so it did not wait.
    const patient = await openPostgresStore(url, { signerId: 'patient', lockTimeoutMs: 600_000 });
    try {
      const d = await patient.signOnce(k, { level: 9, round: 0, hash }, async () => signer.sign(hash));
      expect(d).toEqual({ outcome: 'refused', stored: { level: 9, round: 0, hash, signature: '' } });
      const h10 = payloadHash(`orphan-${owner}`, 10);
      const next = await patient.signOnce(k, { level: 10, round: 0, hash: h10 }, async () =>
        signer.sign(h10),
      );
      expect(next.outcome).toBe('signed');
      expect(signer.verify(signatureOf(next), h10)).toBe(true);
    } finally {
      await patient.close();
    }
  });
});
