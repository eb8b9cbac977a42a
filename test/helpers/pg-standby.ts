// A primary and a synchronous streaming standby for the failover tests, from Debian's binaries on one
// machine: the standby is a pg_basebackup -R copy of the primary (same system identifier), streaming
// under the name `standby1`, which the primary then requires in synchronous_standby_names, so every
// COMMIT the primary acknowledges is flushed on the standby too.

import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { clusterDir, type PgServer, runPostgres, startPostgres } from './postgres.js';

export const STANDBY_NAME = 'standby1';

export interface SyncPair {
  primary: PgServer;
  standby: PgServer;
  /** URL of `database` naming both servers, primary first, as an operator writes it. */
  multiHostUrl(database: string, params?: string): string;
  /** pg_promote() on the standby; resolves once it accepts writes. */
  promote(): Promise<void>;
  dispose(): Promise<void>;
}

/** A primary with `database` created, and its synchronous standby, both running. */
export async function startSyncPair(database: string): Promise<SyncPair> {
  const primary = await startPostgres();
  let standby: PgServer | null = null;
  try {
    await primary.createDatabase(database);
    const cluster = clusterDir();
    execFileSync(
      join(cluster.bin, 'pg_basebackup'),
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(primary.port),
        '-U',
        'postgres',
        '-D',
        cluster.data,
        '-R',
        '-X',
        'stream',
        '-c',
        'fast',
      ],
      { ...(cluster.user ?? {}), cwd: cluster.dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    // The walreceiver's application_name is cluster_name: what synchronous_standby_names refers to.
    appendFileSync(join(cluster.data, 'postgresql.auto.conf'), `cluster_name = '${STANDBY_NAME}'\n`);
    standby = await runPostgres(cluster);
    // Required only now, so the standby's copy of the configuration does not ask for a standby of its own.
    await sql(primary.url, `ALTER SYSTEM SET synchronous_standby_names = '${STANDBY_NAME}'`);
    await sql(primary.url, 'SELECT pg_reload_conf()');
    await until(async () => {
      const rows = await sql(
        primary.url,
        'SELECT sync_state FROM pg_stat_replication WHERE application_name = $1',
        [STANDBY_NAME],
      );
      return rows[0]?.sync_state === 'sync';
    }, 'the standby streaming in sync');
  } catch (err) {
    await standby?.dispose();
    await primary.dispose();
    throw err;
  }
  const s = standby;
  return {
    primary,
    standby: s,
    multiHostUrl: (db, params = '') =>
      `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${s.port}/${db}${params}`,
    async promote() {
      await sql(s.url, 'SELECT pg_promote(true, 30)');
      await until(
        async () => (await sql(s.url, 'SELECT pg_is_in_recovery() AS r'))[0]?.r === false,
        'promotion',
      );
    },
    async dispose() {
      await s.dispose();
      await primary.dispose();
    },
  };
}

/** One statement on a short-lived connection. */
export async function sql(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResultRow[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end().catch(() => {});
  }
}

async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
