// The shared high watermark on PostgreSQL (rule: docs/watermark.md; deployment: docs/ha.md): several signer
// replicas behind one baker refuse what another already signed. Per request, one transaction in two
// round trips of pipelined, prepared statements: BEGIN + SELECT … FOR UPDATE of the slot row (created by
// the first request on a slot), ask rule.ts, call sign() while holding the row lock, then UPDATE +
// COMMIT, and only then answer. Any database trouble rejects with StoreUnavailableError
// (503 + Retry-After): never a signature without a committed mark. With several servers in the URL,
// connections go to the writable primary among them (postgres-primary.ts), found again after a failover.

import { hostname } from 'node:os';
import pg from 'pg';
import { StoreUnavailableError } from './errors.js';
import { ASYNC_COMMIT, assessDurability, readDurability } from './postgres-durability.js';
import type { PostgresStoreOptions } from './postgres-options.js';
import { PrimaryTracker } from './postgres-primary.js';
import { migrate, WATERMARK_TABLE } from './postgres-schema.js';
import { parseStoreUrl } from './postgres-url.js';
import { decide, type Height } from './rule.js';
import { SlotLock } from './slot-lock.js';
import type { Decision, Mark, SlotKey, WatermarkStore } from './store.js';
import { checkHeight, checkMark, checkSlot, KINDS, normaliseMark, slotId } from './validate.js';

export type { PostgresStoreOptions };

interface Row {
  level: number | null;
  round: number | null;
  hash: string | null;
  signature: string | null;
}

interface LockedRow extends Row {
  sync: string;
}

// The signing transaction's statements. Named, so each connection parses and plans them once and then
// only binds values (pg prepares a named statement on first use per connection); sent pipelined
// (`pipeline: true` on the pool), so a transaction costs two round trips: BEGIN + lock, UPDATE + COMMIT.
const SLOT = 'chain_id = $1 AND pkh = $2 AND kind = $3';
const BEGIN: pg.QueryConfig = { text: 'BEGIN' };
const COMMIT: pg.QueryConfig = { text: 'COMMIT' };
const LOCK_ROW: pg.QueryConfig = {
  name: 'tezos_signer_wm_lock',
  text: `SELECT level, round, hash, signature, current_setting('synchronous_commit') AS sync
           FROM ${WATERMARK_TABLE} WHERE ${SLOT} FOR UPDATE`,
};
const INSERT_ROW: pg.QueryConfig = {
  name: 'tezos_signer_wm_insert',
  text: `INSERT INTO ${WATERMARK_TABLE} (chain_id, pkh, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
};
const UPDATE_ROW: pg.QueryConfig = {
  name: 'tezos_signer_wm_update',
  text: `UPDATE ${WATERMARK_TABLE}
            SET level = $4, round = $5, hash = $6, signature = $7, signer_id = $8, updated_at = now()
          WHERE ${SLOT}`,
};

export class PostgresStore implements WatermarkStore {
  private readonly pool: pg.Pool;
  private readonly lock = new SlotLock();
  private readonly signerId: string;
  private readonly retryAfter: number;
  private readonly warn: (message: string) => void;
  private readonly lockTimeout: number;
  private readonly primary: PrimaryTracker;
  private readonly connectTimeout: number;
  private readonly replicationCheckInterval: number;
  private replicationTimer: NodeJS.Timeout | null = null;
  private degraded: string | null = null;
  private closed = false;

  /** `url` as in watermark.url (one or several servers, store settings as parameters); `opts` wins. */
  constructor(url: string, storeOpts: PostgresStoreOptions = {}) {
    const { hosts, options } = parseStoreUrl(url);
    const opts = { ...options, ...storeOpts };
    this.primary = new PrimaryTracker(hosts);
    this.connectTimeout = opts.connectTimeoutMs ?? 3000;
    this.replicationCheckInterval = opts.replicationCheckIntervalMs ?? 30_000;
    const statementTimeout = opts.statementTimeoutMs ?? 5000;
    const lockTimeout = opts.lockTimeoutMs ?? 3000;
    this.lockTimeout = lockTimeout;
    this.signerId = opts.signerId ?? `${hostname()}:${process.pid}`;
    this.retryAfter = opts.retryAfterSeconds ?? 1;
    this.warn = opts.onWarning ?? ((m) => process.emitWarning(m, 'WatermarkWarning'));
    this.pool = new pg.Pool({
      // Each new connection goes to the current server and is checked before use (postgres-primary.ts).
      Client: this.primary.clientClass(),
      onConnect: ((client: pg.ClientBase) => this.primary.check(client)) as (c: pg.ClientBase) => void,
      max: opts.poolSize ?? defaultPoolSize(opts.hsmSessions ?? 4),
      // Statements of one transaction go out back to back (signInTransaction: two round trips).
      pipeline: true,
      connectionTimeoutMillis: this.connectTimeout,
      statement_timeout: statementTimeout,
      lock_timeout: lockTimeout,
      idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs ?? 10_000,
      // Client-side bound too: a server that stops answering (partition, SIGSTOP) never times out itself.
      query_timeout: Math.max(statementTimeout, lockTimeout) + 1000,
      keepAlive: true,
      application_name: `tezos-hsm-signer ${this.signerId}`.slice(0, 63),
    });
    // An idle connection dropped by the server (restart, failover) must not crash the process; the pool
    // has already discarded it and opens a new one on demand, which is how the store recovers by itself.
    this.pool.on('error', (err) => this.warn(`watermark database connection lost: ${err.message}`));
  }

  /** Create or migrate the schema and check durability settings. Called once by openPostgresStore. */
  async init(): Promise<void> {
    if (this.primary.multiHost) for (const w of await this.primary.survey(this.connectTimeout)) this.warn(w);
    const client = await this.connect();
    try {
      await migrate(client);
      client.release();
    } catch (err) {
      client.release(true);
      throw err;
    }
    const refuse = await this.checkDurability(true);
    if (refuse) throw new Error(refuse);
    this.replicationTimer = setInterval(() => {
      this.checkDurability(true).catch((err) => this.warn(`watermark database: ${(err as Error).message}`));
    }, this.replicationCheckInterval);
    this.replicationTimer.unref();
  }

  /**
   * Why a failover could lose an acknowledged mark (no synchronous standby, weak synchronous_commit), or
   * null; as of the last check (start, readiness probe, every replication_check_interval_ms).
   */
  durabilityWarning(): string | null {
    return this.degraded;
  }

  /**
   * Reads the durability settings and keeps the warning for durabilityWarning(); logs it when `log`
   * (start and timer, not every readiness probe); returns why to refuse, or null.
   */
  private async checkDurability(log: boolean): Promise<string | null> {
    const client = await this.connect();
    let verdict: ReturnType<typeof assessDurability>;
    try {
      verdict = assessDurability(await readDurability(client), this.primary.multiHost);
      client.release();
    } catch (err) {
      client.release(true);
      throw this.unavailable(`checking durability failed: ${(err as Error).message}`, err);
    }
    this.degraded = verdict.warning;
    if (verdict.warning && log) this.warn(verdict.warning);
    return verdict.refuse;
  }

  async signOnce(slot: SlotKey, req: Height, sign: () => Promise<string>): Promise<Decision> {
    checkSlot(slot);
    checkHeight(req);
    this.ensureOpen();
    // Serialise per slot inside this replica too: one connection per busy slot waits on the row lock,
    // instead of the whole pool queuing behind it. Waiting in that queue counts against the same bound
    // as waiting for the row lock, so a stuck database does not stack up minutes of queued requests.
    const queuedAt = Date.now();
    return this.lock.run(slotId(slot), () => {
      if (Date.now() - queuedAt > this.lockTimeout)
        throw this.unavailable(`waited over ${this.lockTimeout} ms behind other requests on this slot`);
      return this.signInTransaction(slot, req, sign);
    });
  }

  private async signInTransaction(
    slot: SlotKey,
    req: Height,
    sign: () => Promise<string>,
  ): Promise<Decision> {
    const client = await this.connect();
    // Any failure on the connection destroys it rather than returning a session in an unknown state.
    let destroy = true;
    try {
      const key = [slot.chainId, slot.pkh, slot.kind];
      // Round trip 1: BEGIN and the row lock, pipelined. The row is created by the first request on a
      // slot only (insert + lock again, pipelined: one more round trip, once per slot ever).
      let row = await this.lockRow(client, key);
      if (!row) {
        const [, locked] = await this.run(client, 'creating the watermark row', [
          { ...INSERT_ROW, values: key },
          { ...LOCK_ROW, values: key },
        ]);
        row = locked!.rows[0] as LockedRow | undefined;
        if (!row) throw new Error('watermark row missing after insert (schema changed under us?)');
      }
      // synchronous_commit is read with the lock so that a session that turned it off fails closed.
      if (ASYNC_COMMIT.has(row.sync)) {
        throw this.unavailable('synchronous_commit is off for this session: refusing to sign');
      }
      const stored = toMark(row);
      const verdict = decide(stored, req);
      if (verdict !== 'sign') {
        // The stored mark was committed by whoever wrote it: the answer stands even if ROLLBACK fails.
        destroy = !(await rollback(client));
        return verdict === 'repeat'
          ? { outcome: 'repeat', signature: stored!.signature }
          : { outcome: 'refused', stored: stored! };
      }
      let signature: string;
      try {
        signature = await sign();
      } catch (err) {
        destroy = !(await rollback(client));
        throw err;
      }
      if (typeof signature !== 'string' || signature.length === 0)
        throw new TypeError('watermark: sign() must resolve to a non-empty signature string');
      const mark = normaliseMark({ level: req.level, round: req.round, hash: req.hash, signature });
      const notices: string[] = [];
      const onNotice = (n: { message?: string }) => {
        notices.push(n.message ?? '');
      };
      client.on('notice', onNotice);
      let second: pg.QueryResult[];
      try {
        // Round trip 2: UPDATE and COMMIT, pipelined.
        second = await this.run(client, 'committing the watermark', [
          {
            ...UPDATE_ROW,
            values: [...key, mark.level, mark.round, mark.hash, mark.signature, this.signerId],
          },
          COMMIT,
        ]);
      } finally {
        client.off('notice', onNotice);
      }
      // COMMIT of an aborted transaction reports ROLLBACK without an error: check the tags, not just "no throw".
      if (second[0]?.rowCount !== 1 || second[1]?.command !== 'COMMIT') {
        throw this.unavailable(
          `watermark commit did not happen (${second.map((r) => r.command).join(', ')})`,
        );
      }
      // A cancelled wait for the synchronous standby means committed locally only: a failover could lose it.
      if (notices.some((m) => m.includes('synchronous replication'))) {
        throw this.unavailable(
          `watermark commit not confirmed by the synchronous standby: ${notices.join('; ')}`,
        );
      }
      destroy = false;
      return { outcome: 'signed', signature };
    } finally {
      client.release(destroy);
    }
  }

  /** BEGIN + SELECT … FOR UPDATE in one round trip; the row, or undefined when the slot has none yet. */
  private async lockRow(client: pg.PoolClient, key: string[]): Promise<LockedRow | undefined> {
    const [, locked] = await this.run(client, 'reading the watermark', [BEGIN, { ...LOCK_ROW, values: key }]);
    return locked!.rows[0] as LockedRow | undefined;
  }

  async get(slot: SlotKey): Promise<Mark | null> {
    checkSlot(slot);
    this.ensureOpen();
    const { rows } = await this.poolQuery<Row>(
      'reading the watermark',
      `SELECT level, round, hash, signature FROM ${WATERMARK_TABLE}
        WHERE chain_id = $1 AND pkh = $2 AND kind = $3`,
      [slot.chainId, slot.pkh, slot.kind],
    );
    return rows[0] ? toMark(rows[0]) : null;
  }

  async list(): Promise<Array<{ slot: SlotKey; mark: Mark }>> {
    this.ensureOpen();
    const { rows } = await this.poolQuery<Row & { chain_id: string; pkh: string; kind: string }>(
      'listing the watermarks',
      `SELECT chain_id, pkh, kind, level, round, hash, signature FROM ${WATERMARK_TABLE}
        WHERE level IS NOT NULL ORDER BY chain_id, pkh, kind`,
    );
    return rows.flatMap((r) => {
      const mark = toMark(r);
      const kind = KINDS.find((k) => k === r.kind);
      return mark && kind ? [{ slot: { chainId: r.chain_id, pkh: r.pkh, kind }, mark }] : [];
    });
  }

  async set(slot: SlotKey, mark: Mark): Promise<void> {
    checkSlot(slot);
    checkMark(mark);
    this.ensureOpen();
    const m = normaliseMark(mark);
    await this.lock.run(slotId(slot), () =>
      this.poolQuery(
        'writing the watermark',
        `INSERT INTO ${WATERMARK_TABLE} (chain_id, pkh, kind, level, round, hash, signature, signer_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
         ON CONFLICT (chain_id, pkh, kind) DO UPDATE
           SET level = EXCLUDED.level, round = EXCLUDED.round, hash = EXCLUDED.hash,
               signature = EXCLUDED.signature, signer_id = EXCLUDED.signer_id, updated_at = now()`,
        [slot.chainId, slot.pkh, slot.kind, m.level, m.round, m.hash, m.signature, this.signerId],
      ),
    );
  }

  /**
   * Ready when a writable primary answers (every connection is checked for that) and commits durably;
   * a weakened durability is not a refusal but is reported by durabilityWarning().
   */
  async check(): Promise<void> {
    this.ensureOpen();
    const refuse = await this.checkDurability(false);
    if (refuse) throw this.unavailable(refuse);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.replicationTimer) clearInterval(this.replicationTimer);
    await this.pool.end();
  }

  private ensureOpen(): void {
    if (this.closed) throw this.unavailable('watermark store (postgres) is closed');
  }

  private unavailable(message: string, cause?: unknown): StoreUnavailableError {
    return new StoreUnavailableError(message, { cause, retryAfter: this.retryAfter });
  }

  /**
   * A pooled connection to the writable primary. A new connection that fails or lands on a server that
   * must not receive marks moves on to the next server of the URL, once round the list.
   */
  private async connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    for (let attempt = 1; ; attempt++) {
      const failures = this.primary.failures;
      try {
        client = await this.pool.connect();
        if (this.primary.stale(client)) {
          // Opened before a newer primary was seen: its server may be the old one. Never reused.
          client.release(true);
          attempt--;
          continue;
        }
        break;
      } catch (err) {
        // Another server only helps when this one failed (not, say, a pool with no free connection).
        const serverFailed = this.primary.failures !== failures;
        if (serverFailed && attempt < this.primary.hosts.length) continue;
        const why =
          this.primary.multiHost && serverFailed
            ? `no writable primary among ${this.primary.describe()}`
            : (err as Error).message;
        throw this.unavailable(`watermark database unreachable: ${why}`, err);
      }
    }
    // A checked-out client has no error listener; a connection dropped while sign() runs would otherwise
    // be an uncaught 'error' event. The pending or next query rejects on its own.
    if (client.listenerCount('error') === 0) client.on('error', () => {});
    return client;
  }

  /**
   * Sends `queries` back to back on the pipelined connection (one round trip) and waits for all of them;
   * database errors become StoreUnavailableError. Results come in the order of `queries`.
   */
  private async run(
    client: pg.PoolClient,
    what: string,
    queries: pg.QueryConfig[],
  ): Promise<pg.QueryResult[]> {
    // Corked: the whole batch leaves in one send(); otherwise every query is its own system call and
    // wakes the backend once per query (most of this store's CPU in a profile at 32 slots).
    const stream = (client as unknown as pg.Client).connection?.stream;
    stream?.cork();
    let pending: Promise<pg.QueryResult>[];
    try {
      pending = queries.map((q) => client.query(q));
    } finally {
      stream?.uncork();
    }
    const settled = await Promise.allSettled(pending);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      const err = (failed as PromiseRejectedResult).reason as Error;
      throw this.unavailable(`${what} failed: ${err.message}`, err);
    }
    return settled.map((r) => (r as PromiseFulfilledResult<pg.QueryResult>).value);
  }

  private async poolQuery<R extends pg.QueryResultRow>(
    what: string,
    sql: string,
    params: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    const client = await this.connect();
    try {
      const result = await client.query<R>(sql, params);
      client.release();
      return result;
    } catch (err) {
      client.release(true);
      throw this.unavailable(`${what} failed: ${(err as Error).message}`, err);
    }
  }
}

/** Default pool: one connection per HSM session (a signature holds its connection while it signs), plus two. */
export function defaultPoolSize(hsmSessions: number): number {
  return hsmSessions + 2;
}

/** True when the transaction was rolled back cleanly and the connection can go back to the pool. */
async function rollback(client: pg.PoolClient): Promise<boolean> {
  try {
    await client.query('ROLLBACK');
    return true;
  } catch {
    return false;
  }
}

function toMark(row: Row): Mark | null {
  if (row.level === null || row.round === null || row.hash === null || row.signature === null) return null;
  return { level: row.level, round: row.round, hash: row.hash, signature: row.signature };
}

/**
 * Open the shared store: find the primary, create or migrate the schema, check synchronous_commit and
 * replication. Settings come from the URL's query parameters (postgres-url.ts) and `opts`, which wins.
 */
export async function openPostgresStore(
  url: string,
  opts: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const store = new PostgresStore(url, opts);
  try {
    await store.init();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
