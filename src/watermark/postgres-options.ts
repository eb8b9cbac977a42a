// The PostgreSQL watermark store's tuning, set in code or from the store URL's query (postgres-url.ts).

export interface PostgresStoreOptions {
  /** Connections per replica. Default: defaultPoolSize(hsmSessions) (one per concurrent signature, plus two). */
  poolSize?: number;
  /** HSM worker sessions (config hsm.sessions), used only to size the pool by default (default 4). */
  hsmSessions?: number;
  /** Bound on opening a connection or waiting for a free one in the pool (default 3000 ms). */
  connectTimeoutMs?: number;
  /** Server-side statement_timeout (default 5000 ms); the client also gives up 1 s after it. */
  statementTimeoutMs?: number;
  /**
   * Server-side lock_timeout: how long to queue behind another replica's row lock (default 3000 ms); also
   * the bound on waiting in this replica behind requests on the same slot, and on the same bytes waiting
   * for another replica's reservation to get its signature recorded.
   */
  lockTimeoutMs?: number;
  /**
   * Server-side idle_in_transaction_session_timeout (default 10000 ms): no transaction of the store spans
   * sign() or waits on the client, so this only ends a session a bug left inside a transaction.
   */
  idleInTransactionTimeoutMs?: number;
  /** Recorded in each row as signer_id (default hostname:pid). */
  signerId?: string;
  /** Retry-After seconds carried by StoreUnavailableError (default 1). */
  retryAfterSeconds?: number;
  /** Where configuration warnings go (default process.emitWarning). */
  onWarning?: (message: string) => void;
  /**
   * How often the replication state is read again (default 30000 ms): a missing synchronous standby is
   * warned about at this pace for as long as it lasts, and shown by durabilityWarning().
   */
  replicationCheckIntervalMs?: number;
}
