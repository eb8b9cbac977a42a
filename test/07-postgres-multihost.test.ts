// Multi-host watermark.url (libpq's host list): parsing, finding the writable server whatever the order,
// never writing to a standby or another cluster, and the durability checks (synchronous_commit off
// refuses readiness; no synchronous standby is a warning). Failover under load: 07-postgres-failover.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/watermark/errors.js';
import { WATERMARK_TABLE } from '../src/watermark/postgres-schema.js';
import { openPostgresStore } from '../src/watermark/postgres-store.js';
import { parseStoreUrl } from '../src/watermark/postgres-url.js';
import type { SlotKey } from '../src/watermark/store.js';
import { payloadHash, testSigner } from './helpers/ecdsa-signer.js';
import { STANDBY_NAME, type SyncPair, sql, startSyncPair } from './helpers/pg-standby.js';
import { type PgServer, startPostgres } from './helpers/postgres.js';

const DB = 'multihost';
const signer = testSigner();
let pair: SyncPair;
let other: PgServer;
const slot = (pkh: string): SlotKey => ({ chainId: 'NetXdQprcVkpaWU', pkh, kind: 'block' });
const quiet = { onWarning: () => {}, connectTimeoutMs: 1000 };

beforeAll(async () => {
  [pair, other] = await Promise.all([startSyncPair(DB), startPostgres()]);
  await other.createDatabase(DB);
});

afterAll(async () => {
  await Promise.all([pair?.dispose(), other?.dispose()]);
});

describe('watermark.url with several servers', () => {
  it('is split into one URL per server; store settings and target_session_attrs are taken out', () => {
    const { hosts, options } = parseStoreUrl(
      'postgres://signer:pw@db1:5432,db2:5433,[::1]/tezos?target_session_attrs=read-write&sslmode=require&pool_size=4&replication_check_interval_ms=500',
    );
    expect(hosts).toEqual([
      { name: 'db1:5432', url: 'postgres://signer:pw@db1:5432/tezos?sslmode=require' },
      { name: 'db2:5433', url: 'postgres://signer:pw@db2:5433/tezos?sslmode=require' },
      { name: '[::1]:5432', url: 'postgres://signer:pw@[::1]/tezos?sslmode=require' },
    ]);
    expect(options).toEqual({ poolSize: 4, replicationCheckIntervalMs: 500 });
    expect(() => parseStoreUrl('postgres://u@db1,,db2/x')).toThrow(/empty host/);
    expect(() => parseStoreUrl('postgres://u@db1:port/x')).toThrow(/bad host "db1:port"/);
    expect(() => parseStoreUrl('postgres://u@db1,db2/x?target_session_attrs=standby')).toThrow(
      /would select a standby/,
    );
  });

  it('standby listed first: marks go to the primary only', async () => {
    const url = `postgres://postgres@127.0.0.1:${pair.standby.port},127.0.0.1:${pair.primary.port}/${DB}`;
    const store = await openPostgresStore(url, quiet);
    try {
      const hash = payloadHash('first', 10);
      const d = await store.signOnce(slot('tz1standbyFirst'), { level: 10, round: 0, hash }, async () =>
        signer.sign(hash),
      );
      expect(d.outcome).toBe('signed');
      await store.check();
      const rows = await sql(pair.primary.urlFor(DB), `SELECT level FROM ${WATERMARK_TABLE} WHERE pkh = $1`, [
        'tz1standbyFirst',
      ]);
      expect(rows).toEqual([{ level: 10 }]);
      // The primary has its synchronous standby: nothing to warn about.
      expect(store.durabilityWarning()).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('only a standby answers → refused at open, naming why', async () => {
    const url = `postgres://postgres@127.0.0.1:${pair.standby.port},127.0.0.1:1/${DB}`;
    const err = await openPostgresStore(url, quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(
      /no writable primary among .*in recovery \(a standby\).*127\.0\.0\.1:1: /,
    );
  });

  it('servers of two different clusters → refused at open', async () => {
    const url = `postgres://postgres@127.0.0.1:${pair.primary.port},127.0.0.1:${other.port}/${DB}`;
    await expect(openPostgresStore(url, quiet)).rejects.toThrow(/2 different database clusters/);
  });

  it('synchronous_commit off → readiness refused and signing fails closed; back on → ready', async () => {
    const store = await openPostgresStore(pair.multiHostUrl(DB), quiet);
    try {
      await sql(pair.primary.url, 'ALTER SYSTEM SET synchronous_commit = off');
      await sql(pair.primary.url, 'SELECT pg_reload_conf()');
      // Each session applies the reload at its next command: poll rather than race it.
      const outcome = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: Error) => `${e.name}: ${e.message}`,
        );
      await expect.poll(() => outcome(store.check()), { timeout: 5000 }).toMatch(/synchronous_commit = off/);
      let calls = 0;
      let level = 20;
      const attempt = () => {
        const hash = payloadHash('off', ++level);
        calls = 0;
        return outcome(
          store.signOnce(slot('tz1syncoff'), { level, round: 0, hash }, async () => {
            calls++;
            return signer.sign(hash);
          }),
        );
      };
      await expect
        .poll(attempt, { timeout: 5000 })
        .toMatch(/^StoreUnavailableError: .*synchronous_commit is off/);
      // sign() may run alongside the reservation (docs/ha.md); its result never leaves, nothing is reserved.
      expect(calls).toBeLessThanOrEqual(1);
      expect((await store.get(slot('tz1syncoff')))?.level ?? 0).toBeLessThan(level);
    } finally {
      await sql(pair.primary.url, 'ALTER SYSTEM RESET synchronous_commit');
      await sql(pair.primary.url, 'SELECT pg_reload_conf()');
    }
    try {
      // The reload reaches each session at its next command, and not always before it: poll.
      await expect
        .poll(
          () =>
            store.check().then(
              () => 'ok',
              (e: Error) => e.message,
            ),
          { timeout: 5000 },
        )
        .toBe('ok');
    } finally {
      await store.close();
    }
  });

  it('synchronous standby gone → a warning (signing goes on when it is not required), cleared when back', async () => {
    const warnings: string[] = [];
    const store = await openPostgresStore(pair.multiHostUrl(DB), {
      ...quiet,
      onWarning: (m) => warnings.push(m),
      replicationCheckIntervalMs: 100,
    });
    try {
      expect(store.durabilityWarning()).toBeNull();
      // Not required any more (as a failover manager does when the standby is lost): commits go on unsynced.
      await sql(pair.primary.url, 'ALTER SYSTEM RESET synchronous_standby_names');
      await sql(pair.primary.url, 'SELECT pg_reload_conf()');
      await expect.poll(() => store.durabilityWarning(), { timeout: 5000 }).toMatch(/no synchronous standby/);
      await expect.poll(() => warnings.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
      const hash = payloadHash('unsynced', 30);
      const d = await store.signOnce(slot('tz1unsynced'), { level: 30, round: 0, hash }, async () =>
        signer.sign(hash),
      );
      expect(d.outcome).toBe('signed');
      await store.check(); // ready, with the warning
    } finally {
      await sql(pair.primary.url, `ALTER SYSTEM SET synchronous_standby_names = '${STANDBY_NAME}'`);
      await sql(pair.primary.url, 'SELECT pg_reload_conf()');
    }
    try {
      await expect.poll(() => store.durabilityWarning(), { timeout: 5000 }).toBeNull();
    } finally {
      await store.close();
    }
  });
});
