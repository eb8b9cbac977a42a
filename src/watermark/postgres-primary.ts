// Finds the writable primary among the servers of a multi-host watermark.url, as libpq does with
// target_session_attrs=read-write (PostgreSQL docs, "Connection Strings" / libpq host lists), on top of
// node-postgres, which takes one host: new connections go to the current server; one that cannot be
// reached or is refused moves the cursor to the next, so after a failover the pool finds the promoted
// standby by itself (docs/ha.md).
//
// Every new connection is checked before it carries a mark. A standby (pg_is_in_recovery) or read-only
// server is refused. So is a server of another cluster (pg_control_system's system identifier) and a
// primary whose timeline is behind one already seen: that is an old primary started again without being
// rejoined (a promotion starts a new timeline; the WAL file name's first 8 hex digits are the current
// one), whose table lacks every mark written since the failover. A live session's role cannot change
// (leaving recovery needs a promotion, entering it a restart), but what we know can: a pooled connection
// accepted before a newer timeline was seen may lead to an old primary that is still up (asynchronous
// replication, a split brain), so each checkout compares it with the newest timeline (stale()) too.

import pg from 'pg';
import type { PgHost } from './postgres-url.js';

type ConnectCallback = ((err: Error) => void) | ((err: null, c: pg.Client) => void);

/** One server's answer to ROLE_QUERY. */
export interface ServerRole {
  recovery: boolean;
  readOnly: boolean;
  systemId: string;
  /** Timeline of the WAL being written; null on a standby (it writes none). */
  timeline: number | null;
}

export const ROLE_QUERY = `SELECT pg_is_in_recovery() AS recovery,
       current_setting('transaction_read_only') = 'on' AS read_only,
       (SELECT system_identifier::text FROM pg_control_system()) AS system_id,
       CASE WHEN pg_is_in_recovery() THEN NULL
            ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline`;

/** The server was reached but must not receive marks (standby, read-only, stale or foreign). */
export class NotPrimaryError extends Error {
  override readonly name = 'NotPrimaryError';
}

export async function readRole(client: pg.ClientBase): Promise<ServerRole> {
  const { rows } = await client.query<{
    recovery: boolean;
    read_only: boolean;
    system_id: string;
    timeline: number | null;
  }>(ROLE_QUERY);
  const r = rows[0]!;
  return { recovery: r.recovery, readOnly: r.read_only, systemId: r.system_id, timeline: r.timeline };
}

export class PrimaryTracker {
  /** Index in `hosts` of the server new connections go to. */
  private cursor = 0;
  private systemId: string | null = null;
  /** Highest timeline seen on a writable server of this cluster. */
  private timeline = 0;
  /** Why each server was last passed over, for /readyz and 503 messages. */
  private readonly reasons = new Map<number, string>();
  /** Count of server failures so far: tells a caller whether its failed connect was a server's fault. */
  failures = 0;

  /** The timeline each connection was accepted on (check()). */
  private readonly acceptedOn = new WeakMap<pg.ClientBase, number>();

  constructor(readonly hosts: readonly PgHost[]) {
    if (hosts.length === 0) throw new Error('watermark.url names no server');
  }

  get current(): number {
    return this.cursor;
  }

  get multiHost(): boolean {
    return this.hosts.length > 1;
  }

  /** Why `role` on server `index` must not receive marks, or null when it may (and becomes current). */
  accept(index: number, role: ServerRole): string | null {
    const refusal = this.refusal(role);
    if (refusal) {
      this.failed(index, refusal);
      return refusal;
    }
    this.systemId = role.systemId;
    this.timeline = Math.max(this.timeline, role.timeline ?? 0);
    this.reasons.delete(index);
    this.cursor = index;
    return null;
  }

  /** Server `index` failed (unreachable, refused): new connections try the next one. */
  failed(index: number, reason: string): void {
    this.reasons.set(index, reason);
    this.failures++;
    // Several connections failing on one server move the cursor once.
    if (this.cursor === index) this.cursor = (index + 1) % this.hosts.length;
  }

  /** Every server and why it was last passed over. */
  describe(): string {
    return this.hosts.map((h, i) => `${h.name}: ${this.reasons.get(i) ?? 'not tried'}`).join('; ');
  }

  private refusal(role: ServerRole): string | null {
    if (role.recovery) return 'in recovery (a standby)';
    if (role.readOnly) return 'read-only (transaction_read_only = on)';
    if (this.systemId !== null && role.systemId !== this.systemId)
      return `another database cluster (system identifier ${role.systemId}, expected ${this.systemId})`;
    if (role.timeline !== null && role.timeline < this.timeline)
      return (
        `writable on timeline ${role.timeline}, behind timeline ${this.timeline} already seen: an old ` +
        'primary not rejoined after a failover (split brain); refused'
      );
    return null;
  }

  /**
   * At start: ask every server for its role, so that a stale primary listed before the promoted one is
   * recognised by its timeline even though this process never saw the failover. Refuses servers of
   * several clusters; returns a warning per stale writable server.
   */
  async survey(connectTimeoutMs: number): Promise<string[]> {
    const roles = await Promise.all(
      this.hosts.map(async (h) => {
        const c = new pg.Client({ connectionString: h.url, connectionTimeoutMillis: connectTimeoutMs });
        c.on('error', () => {});
        try {
          await c.connect();
          return await readRole(c);
        } catch {
          return null; // unreachable now: the connection walk reports it
        } finally {
          await c.end().catch(() => {});
        }
      }),
    );
    const writable = roles.flatMap((r, i) => (r && !r.recovery && !r.readOnly ? [{ r, i }] : []));
    const clusters = new Set(roles.flatMap((r) => (r ? [r.systemId] : [])));
    if (clusters.size > 1)
      throw new Error(
        `watermark.url names servers of ${clusters.size} different database clusters; list one ` +
          'primary and its standbys',
      );
    const newest = Math.max(0, ...writable.map(({ r }) => r.timeline ?? 0));
    const primary = writable.find(({ r }) => (r.timeline ?? 0) === newest);
    if (primary) this.accept(primary.i, primary.r);
    return writable
      .filter(({ r }) => (r.timeline ?? 0) < newest)
      .map(
        ({ i, r }) =>
          `watermark database ${this.hosts[i]!.name} is writable on timeline ${r.timeline}, behind ` +
          `${this.hosts[primary!.i]!.name} on timeline ${newest}: an old primary that was not rejoined; ` +
          'it gets no marks. Rejoin it as a standby (pg_rewind) or stop it (docs/ha.md)',
      );
  }

  /**
   * A node-postgres Client class for pg.Pool's `Client` option: each new connection goes to the current
   * server, and a failure to connect moves the cursor on.
   */
  clientClass(): typeof pg.Client {
    const tracker = this;
    return class PrimaryClient extends pg.Client {
      readonly hostIndex: number;
      constructor(config?: pg.ClientConfig) {
        const index = tracker.cursor;
        super({ ...config, connectionString: tracker.hosts[index]!.url });
        this.hostIndex = index;
      }

      override connect(): Promise<pg.Client>;
      override connect(callback: ConnectCallback): void;
      override connect(callback?: ConnectCallback): Promise<pg.Client> | undefined {
        const tag = (err: Error | null | undefined) => {
          if (err) tracker.failed(this.hostIndex, err.message || String(err));
          return err;
        };
        if (callback) {
          super.connect((err: Error) => (callback as (e: Error | null | undefined) => void)(tag(err)));
          return undefined;
        }
        return super.connect().catch((err: Error) => {
          throw tag(err);
        });
      }
    };
  }

  /** pg.Pool's onConnect hook: a new connection carries marks only if its server is a proper primary. */
  async check(client: pg.ClientBase): Promise<void> {
    const index = (client as pg.ClientBase & { hostIndex?: number }).hostIndex ?? this.cursor;
    let role: ServerRole;
    try {
      role = await readRole(client);
    } catch (err) {
      this.failed(index, (err as Error).message);
      throw err;
    }
    const refusal = this.accept(index, role);
    if (refusal) throw new NotPrimaryError(`${this.hosts[index]!.name} is ${refusal}`);
    this.acceptedOn.set(client, role.timeline ?? 0);
  }

  /** A connection accepted on a timeline older than the newest seen since: it must not carry a mark. */
  stale(client: pg.ClientBase): boolean {
    return (this.acceptedOn.get(client) ?? 0) < this.timeline;
  }
}
