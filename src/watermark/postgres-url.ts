// The store's own settings ride on `watermark.url` as query parameters (docs/ha.md), so the config file
// needs no extra keys: postgres://signer@db/tezos?pool_size=8&lock_timeout_ms=2000. They are removed
// before the URL reaches `pg`; every other parameter (sslmode, application_name, …) passes through.
//
// The authority may list several servers, as libpq reads it (PostgreSQL docs, "Connection URIs":
// postgres://user@h1:5432,h2:5432/db): node-postgres takes one host, so the list is split here into one
// single-host URL per server, tried in order by postgres-primary.ts.

import type { PostgresStoreOptions } from './postgres-options.js';

const INT_PARAMS = {
  pool_size: 'poolSize',
  connect_timeout_ms: 'connectTimeoutMs',
  statement_timeout_ms: 'statementTimeoutMs',
  lock_timeout_ms: 'lockTimeoutMs',
  idle_in_transaction_timeout_ms: 'idleInTransactionTimeoutMs',
  retry_after: 'retryAfterSeconds',
  replication_check_interval_ms: 'replicationCheckIntervalMs',
} as const satisfies Record<string, keyof PostgresStoreOptions>;

// libpq's target_session_attrs values that select a writable server. The store never writes to a
// standby whatever the URL says, so the ones that select standbys are refused rather than ignored.
const WRITABLE_TARGETS = new Set(['any', 'read-write', 'primary']);

/** One server of the list: its address and the URL naming it alone. */
export interface PgHost {
  /** host:port, for messages. */
  name: string;
  url: string;
}

export interface StoreUrl {
  hosts: PgHost[];
  options: PostgresStoreOptions;
}

const DEFAULT_PORT = '5432';

export function parseStoreUrl(url: string): StoreUrl {
  const m = /^(postgres(?:ql)?:)\/\/(?:([^@/?#]*)@)?([^/?#]*)(.*)$/s.exec(url);
  if (!m) {
    if (/^[a-z][\w+.-]*:\/\//i.test(url))
      throw new Error(`watermark.url must start with postgres:// (got ${url.split('//')[0]}//)`);
    throw new Error('watermark.url is not a URL (expected postgres://user@host:port/database)');
  }
  const [, scheme, userinfo, authority, rest] = m as unknown as [
    string,
    string,
    string | undefined,
    string,
    string,
  ];
  const servers = authority === '' ? [] : authority.split(',');
  if (servers.some((s) => s === ''))
    throw new Error('watermark.url: empty host in the host list (expected h1:5432,h2:5432)');
  const prefix = `${scheme}//${userinfo !== undefined ? `${userinfo}@` : ''}`;
  const parse = (server: string, tail: string): URL => {
    try {
      return new URL(`${prefix}${server}${tail}`);
    } catch {
      throw new Error(`watermark.url: bad host ${JSON.stringify(server)} (expected host:port)`);
    }
  };
  // The path and query are the same for every server: parsed, and the store's own settings taken out, once.
  const first = parse(servers[0] ?? '', rest);
  const options = takeOptions(first);
  const tail = `${first.pathname}${first.search}${first.hash}`;
  const hosts = (servers.length > 0 ? servers : ['']).map((server): PgHost => {
    const h = parse(server, tail);
    return { name: `${h.hostname || 'localhost'}:${h.port || DEFAULT_PORT}`, url: h.toString() };
  });
  return { hosts, options };
}

function takeOptions(u: URL): PostgresStoreOptions {
  const options: PostgresStoreOptions = {};
  for (const [param, key] of Object.entries(INT_PARAMS)) {
    const raw = u.searchParams.get(param);
    if (raw === null) continue;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1)
      throw new Error(`watermark.url: ${param} must be a positive integer, got ${JSON.stringify(raw)}`);
    options[key] = n;
    u.searchParams.delete(param);
  }
  const signerId = u.searchParams.get('signer_id');
  if (signerId !== null) {
    if (!/^[\w.:@-]{1,64}$/.test(signerId))
      throw new Error('watermark.url: signer_id must be 1-64 characters of [A-Za-z0-9_.:@-]');
    options.signerId = signerId;
    u.searchParams.delete('signer_id');
  }
  const target = u.searchParams.get('target_session_attrs');
  if (target !== null) {
    if (!WRITABLE_TARGETS.has(target))
      throw new Error(
        `watermark.url: target_session_attrs=${target} would select a standby; the watermark is only ` +
          'ever written on the writable primary (use read-write)',
      );
    u.searchParams.delete('target_session_attrs');
  }
  return options;
}
