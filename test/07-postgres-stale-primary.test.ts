// A split brain the per-connection check alone misses: the standby is promoted while the old primary
// stays up and writable (asynchronous replication). A connection accepted on the old primary before the
// promotion was seen must not carry a mark once a connection on the new timeline has been accepted:
// checkout compares every pooled connection with the newest timeline seen.

import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrimaryTracker } from '../src/watermark/postgres-primary.js';
import { parseStoreUrl } from '../src/watermark/postgres-url.js';
import { type SyncPair, sql, startSyncPair } from './helpers/pg-standby.js';

const DB = 'stale';
let pair: SyncPair;
const clients: pg.Client[] = [];

beforeAll(async () => {
  pair = await startSyncPair(DB);
  // Asynchronous replication: the old primary keeps committing after the promotion.
  await sql(pair.primary.url, "ALTER SYSTEM SET synchronous_standby_names = ''");
  await sql(pair.primary.url, 'SELECT pg_reload_conf()');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  await pair?.dispose();
});

describe('connections accepted before a promotion was seen', () => {
  it('are stale once a connection on the newer timeline is accepted; the new one is not', async () => {
    const tracker = new PrimaryTracker(parseStoreUrl(pair.multiHostUrl(DB)).hosts);
    const Client = tracker.clientClass();
    const open = async () => {
      const c = new Client();
      clients.push(c);
      await c.connect();
      await tracker.check(c);
      return c;
    };
    const onOld = await open();
    expect(tracker.stale(onOld)).toBe(false);
    await pair.promote();
    // Both servers are writable now. The old primary still accepts connections, and they pass the
    // per-connection check on their own: only the timeline seen elsewhere tells them apart.
    const alsoOld = await open();
    expect(tracker.stale(alsoOld)).toBe(false);
    // A connection to the old primary fails (as in a partition): the next one goes to the promoted server.
    tracker.failed(0, 'unreachable');
    const onNew = await open();
    expect((onNew as pg.Client & { hostIndex: number }).hostIndex).toBe(1);
    expect(tracker.stale(onNew)).toBe(false);
    expect(tracker.stale(onOld)).toBe(true);
    expect(tracker.stale(alsoOld)).toBe(true);
    // And a new connection to the old primary is refused outright.
    tracker.failed(1, 'unreachable');
    await expect(open()).rejects.toThrow(/timeline/);
  });
});
