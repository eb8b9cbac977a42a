// Whether a committed mark survives the loss of the primary (docs/ha.md, "The database must not lose a
// committed mark"). synchronous_commit = off loses commits in a crash: refused. A primary that can be
// failed over (several servers in watermark.url) without a synchronous standby loses the commits its
// standby had not received: allowed, since refusing would stop the baker, but reported as a warning.

import type pg from 'pg';

export interface Durability {
  synchronousCommit: string;
  standbyNames: string;
  /** Connected standbys in sync or quorum state (pg_stat_replication). */
  syncStandbys: number;
  /** Standbys whose state this role may not read (needs pg_monitor / pg_read_all_stats). */
  hiddenStandbys: number;
}

export const DURABILITY_QUERY = `SELECT current_setting('synchronous_commit') AS sync,
       current_setting('synchronous_standby_names') AS standby_names,
       (SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum'))::int AS sync_standbys,
       (SELECT count(*) FROM pg_stat_replication WHERE sync_state IS NULL)::int AS hidden`;

/** synchronous_commit values under which COMMIT returns before the WAL is flushed to disk. */
export const ASYNC_COMMIT = new Set(['off']);
// Under synchronous replication these acknowledge before the standby has flushed the commit.
const WEAK_WITH_STANDBY = new Set(['local', 'remote_write']);

export async function readDurability(client: pg.ClientBase): Promise<Durability> {
  const { rows } = await client.query<{
    sync: string;
    standby_names: string;
    sync_standbys: number;
    hidden: number;
  }>(DURABILITY_QUERY);
  const r = rows[0]!;
  return {
    synchronousCommit: r.sync,
    standbyNames: r.standby_names,
    syncStandbys: r.sync_standbys,
    hiddenStandbys: r.hidden,
  };
}

/** Why the database must not be used (refuse), and what weakens it (warning, signing goes on). */
export function assessDurability(
  d: Durability,
  multiHost: boolean,
): { refuse: string | null; warning: string | null } {
  if (ASYNC_COMMIT.has(d.synchronousCommit)) {
    return {
      refuse:
        'watermark database has synchronous_commit = off: a committed mark could be lost in a crash; ' +
        'set it to on (or remote_apply with a synchronous standby)',
      warning: null,
    };
  }
  if (d.standbyNames !== '' && WEAK_WITH_STANDBY.has(d.synchronousCommit)) {
    return {
      refuse: null,
      warning:
        `watermark database: synchronous_commit = ${d.synchronousCommit} does not wait for the synchronous ` +
        'standby to flush; a failover may lose a mark (use on or remote_apply; docs/ha.md)',
    };
  }
  if (!multiHost) return { refuse: null, warning: null };
  if (d.standbyNames === '') {
    return {
      refuse: null,
      warning:
        'watermark database has no synchronous standby (synchronous_standby_names is empty): a failover ' +
        'to another server of watermark.url may lose acknowledged marks (docs/ha.md)',
    };
  }
  if (d.syncStandbys === 0) {
    return {
      refuse: null,
      warning:
        d.hiddenStandbys > 0
          ? 'watermark database: cannot read the standbys’ replication state; grant pg_monitor to the ' +
            'signer’s role so that a missing synchronous standby is reported (docs/ha.md)'
          : `watermark database: no synchronous standby connected (synchronous_standby_names = ` +
            `${d.standbyNames}): commits wait for one, and a failover may lose marks (docs/ha.md)`,
    };
  }
  return { refuse: null, warning: null };
}
