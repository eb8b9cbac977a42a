// The shared high watermark on PostgreSQL (rule: docs/watermark.md; deployment: docs/ha.md): several signer
// replicas behind one baker refuse what another already signed. Per request, ONE round trip of pipelined,
// prepared statements in one transaction (BEGIN, SELECT … FOR UPDATE of the slot row, a conditional UPDATE
// that writes the new height with no signature (a reservation, RESERVED in rule.ts), COMMIT), sent while
// the HSM signs; the answer goes out once both are done, and the signature is recorded in the row after
// (the slot stays busy in this replica until then). No transaction spans the HSM call. Any database
// trouble before the answer rejects with StoreUnavailableError (503 + Retry-After): never a signature
// without a committed reservation. With several servers in the URL, connections go to the writable
// primary among them (postgres-primary.ts), found again after a failover.

import { hostname } from 'node:os';
import pg from 'pg';
import { StoreUnavailableError } from './errors.js';
import { ASYNC_COMMIT, assessDurability, readDurability } from './postgres-durability.js';
import type { PostgresStoreOptions } from './postgres-options.js';
import { PrimaryTracker } from './postgres-primary.js';
import { migrate, WATERMARK_TABLE } from './postgres-schema.js';
import { parseStoreUrl } from './postgres-url.js';
import { decide, type Height, RESERVED } from './rule.js';
import { settleSign } from './settle-sign.js';
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
  signer_id: string | null;
  /** As text, so that a release restores it to the microsecond (a Date keeps milliseconds). */
  updated_at: string | null;
  /** How long ago the row was last written, by the server's clock. */
  age_ms: number | null;
  sync: string;
}

/** What a request came to before its answer, and what is left to do after it (record or release). */
type Outcome = ({ decision: Decision } | { error: unknown }) & { after?: () => Promise<void> };

// The statements. Named, so each connection parses and plans them once and then only binds values (pg
// prepares a named statement on first use per connection); a request's statements go out pipelined
// (`pipeline: true` on the pool) and corked, in one round trip.
const SLOT = 'chain_id = $1 AND pkh = $2 AND kind = $3';
// The height and bytes a statement acts on ($4..$6) as they are stored, and RESERVED ($7).
const OURS = 'level = $4 AND round = $5 AND hash = $6 AND signature = $7';
const BEGIN: pg.QueryConfig = { text: 'BEGIN' };
const COMMIT: pg.QueryConfig = { text: 'COMMIT' };
// The row is locked so that the reservation below is decided on exactly the mark it replaces, which is
// also what a failed signature restores (PostgreSQL before 18 cannot return a row's old values from the
// UPDATE itself). synchronous_commit is read here so that a session that turned it off fails closed.
const LOCK_ROW: pg.QueryConfig = {
  name: 'tezos_signer_wm_lock',
  text: `SELECT level, round, hash, signature, signer_id, updated_at::text AS updated_at,
                (extract(epoch FROM clock_timestamp() - updated_at) * 1000)::float8 AS age_ms,
                current_setting('synchronous_commit') AS sync
           FROM ${WATERMARK_TABLE} WHERE ${SLOT} FOR UPDATE`,
};
const INSERT_ROW: pg.QueryConfig = {
  name: 'tezos_signer_wm_insert',
  text: `INSERT INTO ${WATERMARK_TABLE} (chain_id, pkh, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
};
// The rule's 'sign' case (rule.ts) as a condition, so that the row only changes when decide() says so;
// and never under a synchronous_commit that would let the reservation be lost.
const RESERVE_ROW: pg.QueryConfig = {
  name: 'tezos_signer_wm_reserve',
  text: `UPDATE ${WATERMARK_TABLE}
            SET level = $4, round = $5, hash = $6, signature = $7, signer_id = $8, updated_at = now()
          WHERE ${SLOT} AND (level IS NULL OR (level, round) < ($4::integer, $5::integer))
            AND current_setting('synchronous_commit') NOT IN (${[...ASYNC_COMMIT].map((v) => `'${v}'`).join(', ')})`,
};
// Only onto our own reservation: one that a higher height replaced is left alone. Nobody else can hold a
// reservation of these very bytes at this height while ours stands (the UPDATE above needs a strictly
// higher height), and ours ends only here or in RELEASE_ROW, each run once.
const RECORD_ROW: pg.QueryConfig = {
  name: 'tezos_signer_wm_record',
  text: `UPDATE ${WATERMARK_TABLE} SET signature = $8, updated_at = now() WHERE ${SLOT} AND ${OURS}`,
};
const RELEASE_ROW: pg.QueryConfig = {
  name: 'tezos_signer_wm_release',
  text: `UPDATE ${WATERMARK_TABLE}
            SET level = $8, round = $9, hash = $10, signature = $11, signer_id = $12, updated_at = $13::timestamptz
          WHERE ${SLOT} AND ${OURS}`,
};
// Record and release commit without waiting for the WAL flush (nor a standby): losing one in a crash or a
// failover only leaves the reservation, which refuses more, never less. Anything that acts on what they
// wrote commits after them in the WAL, so it cannot be durable while they are lost.
const NO_FLUSH_WAIT: pg.QueryConfig = { text: 'SET LOCAL synchronous_commit TO off' };
const PEEK_ROW: pg.QueryConfig = {
  name: 'tezos_signer_wm_peek',
  text: `SELECT level, round, hash, signature FROM ${WATERMARK_TABLE} WHERE ${SLOT}`,
};

export class PostgresStore implements WatermarkStore {
  private readonly pool: pg.Pool;
  private readonly lock = new SlotLock();
  /**
   * Each slot's mark as this replica last saw it (null: the row exists, no mark yet). Only chooses whether
   * sign() starts before the reservation's answer; the database decides.
   */
  private readonly known = new Map<string, Mark | null>();
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
      // A request's statements go out back to back (reserve(): one round trip).
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
    // Serialise per slot inside this replica too, from the reservation to the recorded signature: the
    // next request on the slot then finds the signature, not our reservation (which would refuse a repeat
    // of the same bytes). Waiting in that queue is bounded like waiting for another replica's row lock,
    // so a stuck database does not stack up minutes of queued requests.
    const queuedAt = Date.now();
    const id = slotId(slot);
    return new Promise<Decision>((resolve, reject) => {
      this.lock
        .run(id, async () => {
          if (Date.now() - queuedAt > this.lockTimeout)
            throw this.unavailable(`waited over ${this.lockTimeout} ms behind other requests on this slot`);
          const outcome = await this.reserveAndSign(slot, id, req, sign, queuedAt);
          if ('decision' in outcome) resolve(outcome.decision);
          else reject(outcome.error);
          await outcome.after?.();
        })
        .catch(reject);
    });
  }

  /**
   * One request: the reservation round trip, overlapped with sign() unless this replica already knows
   * the slot's mark forbids a new signature (then sign() runs only if the database reserves after all,
   * which happens when a failed signature released a height since). A speculative signature of a
   * request that is then refused or repeated is dropped here: it never leaves.
   */
  private async reserveAndSign(
    slot: SlotKey,
    id: string,
    req: Height,
    sign: () => Promise<string>,
    queuedAt: number,
  ): Promise<Outcome> {
    const client = await this.connect();
    // Any failure on the connection destroys it rather than returning a session in an unknown state.
    let destroy = true;
    let handedOver = false;
    try {
      const key = [slot.chainId, slot.pkh, slot.kind];
      const known = this.known.get(id);
      let signing = known === undefined || decide(known, req) === 'sign' ? settleSign(sign) : null;
      for (;;) {
        const { row, reserved } = await this.reserve(client, key, req, !this.known.has(id));
        const stored = toMark(row);
        if (!reserved) {
          this.known.set(id, stored);
          const verdict = decide(stored, req);
          if (verdict === 'sign')
            throw this.unavailable('watermark reservation refused a height above the mark');
          // Another replica's reservation of these very bytes: wait for its signature to be recorded (or
          // the reservation released), then decide again. One left by a crash refuses at once, and so does
          // one of ours: this replica's own reservation on the slot is never in flight while it looks.
          if (verdict === 'refuse' && isReservationOf(stored!, req) && row.signer_id !== this.signerId) {
            const deadline = Math.min(queuedAt, Date.now() - (row.age_ms ?? 0)) + this.lockTimeout;
            if (await this.changedBefore(client, key, stored!, deadline)) continue;
          }
          destroy = false;
          return verdict === 'repeat'
            ? { decision: { outcome: 'repeat', signature: stored!.signature } }
            : { decision: { outcome: 'refused', stored: stored! } };
        }
        const mine = normaliseMark({ ...req, signature: RESERVED });
        this.known.set(id, mine);
        signing ??= settleSign(sign);
        const signed = await signing;
        handedOver = true;
        if (!signed.ok) {
          // Released before the error is answered: a retry anywhere finds the height as it was.
          await this.release(client, id, key, mine, row);
          return { error: signed.error };
        }
        const decision: Decision = { outcome: 'signed', signature: signed.signature };
        return { decision, after: () => this.record(client, id, key, mine, signed.signature) };
      }
    } finally {
      if (!handedOver) client.release(destroy);
    }
  }

  /**
   * The reservation round trip: BEGIN, (the slot's row, the first time this replica sees the slot),
   * the locked row, the conditional UPDATE, COMMIT. Resolves only once COMMIT returned durably.
   */
  private async reserve(
    client: pg.PoolClient,
    key: string[],
    req: Height,
    create: boolean,
  ): Promise<{ row: LockedRow; reserved: boolean }> {
    const values = [...key, req.level, req.round, req.hash.toLowerCase(), RESERVED, this.signerId];
    const queries = [
      BEGIN,
      ...(create ? [{ ...INSERT_ROW, values: key }] : []),
      { ...LOCK_ROW, values: key },
      { ...RESERVE_ROW, values },
      COMMIT,
    ];
    const notices: string[] = [];
    const onNotice = (n: { message?: string }) => {
      notices.push(n.message ?? '');
    };
    client.on('notice', onNotice);
    let results: pg.QueryResult[];
    try {
      results = await this.run(client, 'reserving the height', queries);
    } finally {
      client.off('notice', onNotice);
    }
    const [locked, update, commit] = results.slice(-3);
    // COMMIT of an aborted transaction reports ROLLBACK without an error: check the tag, not just "no throw".
    if (commit?.command !== 'COMMIT')
      throw this.unavailable(`watermark commit did not happen (${results.map((r) => r.command).join(', ')})`);
    // A cancelled wait for the synchronous standby means committed locally only: a failover could lose it.
    if (notices.some((m) => m.includes('synchronous replication')))
      throw this.unavailable(
        `watermark commit not confirmed by the synchronous standby: ${notices.join('; ')}`,
      );
    const row = locked!.rows[0] as LockedRow | undefined;
    if (!row) {
      // The row went away under us (table emptied by hand): create it again, once.
      if (create) throw this.unavailable('watermark row missing after insert (schema changed under us?)');
      return this.reserve(client, key, req, true);
    }
    if (ASYNC_COMMIT.has(row.sync))
      throw this.unavailable('synchronous_commit is off for this session: refusing to sign');
    return { row, reserved: update!.rowCount === 1 };
  }

  /**
   * Polls the slot's row until it is no longer `mark` (true) or `deadline` passes (false). Used while
   * another replica's reservation of the same bytes waits for its signature.
   */
  private async changedBefore(client: pg.PoolClient, key: string[], mark: Mark, deadline: number) {
    for (let pause = 2; Date.now() < deadline; pause = Math.min(pause * 2, 50)) {
      await sleep(Math.min(pause, deadline - Date.now()));
      const [peek] = await this.run(client, 'reading the watermark', [{ ...PEEK_ROW, values: key }]);
      const now = toMark(peek!.rows[0] as Row);
      if (!now || (['level', 'round', 'hash', 'signature'] as const).some((f) => now[f] !== mark[f]))
        return true;
    }
    return false;
  }

  /**
   * After the answer: the signature onto our reservation, so that a repeat of the same bytes gets it
   * (visible at once, durable with the next flush). If this fails or is lost the reservation stays: the
   * same bytes are refused, a higher height signs.
   */
  private async record(client: pg.PoolClient, id: string, key: string[], mine: Mark, signature: string) {
    let destroy = true;
    try {
      await this.withoutFlushWait(client, 'recording the signature', {
        ...RECORD_ROW,
        values: [...key, mine.level, mine.round, mine.hash, RESERVED, signature],
      });
      destroy = false;
      // Zero rows: a higher reservation replaced ours meanwhile, and the mark is that one.
      this.known.set(id, { ...mine, signature });
    } catch (err) {
      this.warn(
        `watermark: signature at level ${mine.level} round ${mine.round} not recorded (${(err as Error).message}); ` +
          'the same bytes will be refused at that height',
      );
    } finally {
      client.release(destroy);
    }
  }

  /**
   * After a failed sign() (its result never left): the mark our reservation replaced, if the row still
   * holds our reservation. If this fails the reservation stays, which only refuses more: safe.
   */
  private async release(client: pg.PoolClient, id: string, key: string[], mine: Mark, prev: LockedRow) {
    let destroy = true;
    try {
      await this.withoutFlushWait(client, 'releasing the reservation', {
        ...RELEASE_ROW,
        values: [
          ...key,
          mine.level,
          mine.round,
          mine.hash,
          RESERVED,
          prev.level,
          prev.round,
          prev.hash,
          prev.signature,
          prev.signer_id,
          prev.updated_at,
        ],
      });
      destroy = false;
      this.known.set(id, toMark(prev));
    } catch (err) {
      this.warn(
        `watermark: reservation of level ${mine.level} round ${mine.round} after a failed signature not ` +
          `released (${(err as Error).message}); that height stays refused`,
      );
    } finally {
      client.release(destroy);
    }
  }

  /** The slot's mark, after this replica's requests on the slot (signatures recorded) are done. */
  async get(slot: SlotKey): Promise<Mark | null> {
    checkSlot(slot);
    this.ensureOpen();
    const { rows } = await this.lock.run(slotId(slot), () =>
      this.poolQuery<Row>('reading the watermark', PEEK_ROW.text, [slot.chainId, slot.pkh, slot.kind]),
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
    const id = slotId(slot);
    this.known.delete(id);
    await this.lock.run(id, () =>
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

  /** `query` in a transaction of its own that does not wait for the flush (NO_FLUSH_WAIT), one round trip. */
  private async withoutFlushWait(client: pg.PoolClient, what: string, query: pg.QueryConfig): Promise<void> {
    const results = await this.run(client, what, [BEGIN, NO_FLUSH_WAIT, query, COMMIT]);
    if (results[3]?.command !== 'COMMIT') throw new Error(`${what}: the transaction was rolled back`);
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

/**
 * Default pool: one connection per HSM session (a request holds its connection from its reservation to its
 * recorded signature, HSM time included), plus two.
 */
export function defaultPoolSize(hsmSessions: number): number {
  return hsmSessions + 2;
}

/** A reservation (no signature recorded yet) of exactly these bytes at this height. */
function isReservationOf(stored: Mark, req: Height): boolean {
  return (
    stored.signature === RESERVED &&
    stored.level === req.level &&
    stored.round === req.round &&
    stored.hash.toLowerCase() === req.hash.toLowerCase()
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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
