// The store's own settings ride on `watermark.url` as query parameters (docs/ha.md), so the config file
// needs no extra keys: postgres://signer@db/tezos?pool_size=8&lock_timeout_ms=2000. They are removed
// before the URL reaches `pg`; every other parameter (sslmode, application_name, …) passes through.

import type { PostgresStoreOptions } from './postgres-store.js';

const INT_PARAMS = {
  pool_size: 'poolSize',
  connect_timeout_ms: 'connectTimeoutMs',
  statement_timeout_ms: 'statementTimeoutMs',
  lock_timeout_ms: 'lockTimeoutMs',
  idle_in_transaction_timeout_ms: 'idleInTransactionTimeoutMs',
  retry_after: 'retryAfterSeconds',
} as const satisfies Record<string, keyof PostgresStoreOptions>;

export function parseStoreUrl(url: string): { connectionString: string; options: PostgresStoreOptions } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('watermark.url is not a URL (expected postgres://user@host:port/database)');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    throw new Error(`watermark.url must start with postgres:// (got ${u.protocol}//)`);
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
  return { connectionString: u.toString(), options };
}
