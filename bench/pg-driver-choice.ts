// What finding the writable primary among several servers costs per signature, for the choice of driver
// in docs/ha.md. Against a primary with a synchronous standby, one process, a sign() that costs nothing,
// each variant in turn for one second per round (the machine is shared, so rounds interleave):
//   store 1 host      PostgresStore, watermark.url naming the primary (node-postgres, two pipelined round trips)
//   store 2 hosts     the same with primary,standby: our host walk, the role checked once per connection
//   pg + check/tx     the store's statements over node-postgres with the role check (pg_is_in_recovery,
//                     transaction_read_only) added to every transaction's first round trip
//   pg raw            the same statements without that check (what the extra statement costs)
//   postgres.js       the same transaction with postgres.js, which parses multi-host URLs and
//                     target_session_attrs=read-write itself
// Reported: transactions/s, client CPU µs and PostgreSQL CPU µs per transaction (the steadier figures).
// Run: node --import tsx bench/pg-driver-choice.ts [rounds, default 5] [concurrent slots, default 8]

import pg from 'pg';
import postgres from 'postgres';
import { WATERMARK_TABLE } from '../src/watermark/postgres-schema.js';
import { openPostgresStore } from '../src/watermark/postgres-store.js';
import { startSyncPair } from '../test/helpers/pg-standby.js';
import { pgCpuMs } from './pg-cpu.js';

const rounds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 8);
const CHAIN = 'NetXdQprcVkpaWU';
const pair = await startSyncPair('choice');
const oneHost = pair.primary.urlFor('choice');
const twoHosts = pair.multiHostUrl('choice', '?target_session_attrs=read-write');

/** A pkh-shaped name per variant and slot (base58: no 0). */
const slotPkh = (v: number, s: number) => `tz1choice${v + 1}x${s + 1}`.replaceAll('0', 'o');

type Tx = (pkh: string, level: number) => Promise<void>;
const WHERE = 'chain_id = $1 AND pkh = $2 AND kind = $3';
const LOCK = `SELECT level, round, hash, signature FROM ${WATERMARK_TABLE} WHERE ${WHERE} FOR UPDATE`;
const UPDATE = `UPDATE ${WATERMARK_TABLE} SET level = $4, round = 0, hash = 'h', signature = 's' WHERE ${WHERE}`;
const ROLE = "SELECT pg_is_in_recovery() AS r, current_setting('transaction_read_only') AS ro";

/** Pipelined node-postgres transaction with the store's statements, optionally checking the role first. */
function rawPg(pool: pg.Pool, check: boolean): Tx {
  return async (pkh, level) => {
    const c = await pool.connect();
    try {
      const key = [CHAIN, pkh, 'block'];
      const first = [
        c.query('BEGIN'),
        ...(check ? [c.query({ name: 'role', text: ROLE })] : []),
        c.query({ name: 'lock', text: LOCK, values: key }),
      ];
      const res = await Promise.all(first);
      if (check && (res[1]!.rows[0].r || res[1]!.rows[0].ro === 'on')) throw new Error('not a primary');
      await Promise.all([
        c.query({ name: 'update', text: UPDATE, values: [...key, level] }),
        c.query('COMMIT'),
      ]);
    } finally {
      c.release();
    }
  };
}

const store = await openPostgresStore(oneHost, { poolSize: concurrency + 2 });
const store2 = await openPostgresStore(twoHosts, { poolSize: concurrency + 2 });
const pool = new pg.Pool({
  connectionString: oneHost,
  max: concurrency + 2,
  pipeline: true,
} as pg.PoolConfig);
const sql = postgres(twoHosts, { max: concurrency + 2, onnotice: () => {} });
const viaStore =
  (s: typeof store): Tx =>
  async (pkh, level) => {
    await s.signOnce(
      { chainId: CHAIN, pkh, kind: 'block' },
      { level, round: 0, hash: `${level}`.padStart(64, '0') },
      async () => 'sig',
    );
  };
const variants: Array<{ name: string; tx: Tx }> = [
  { name: 'store 1 host', tx: viaStore(store) },
  { name: 'store 2 hosts', tx: viaStore(store2) },
  { name: 'pg + check/tx', tx: rawPg(pool, true) },
  { name: 'pg raw', tx: rawPg(pool, false) },
  {
    name: 'postgres.js 2 hosts',
    tx: async (pkh, level) => {
      await sql.begin(async (t) => {
        await t`SELECT level, round, hash, signature FROM ${sql(WATERMARK_TABLE)}
                 WHERE chain_id = ${CHAIN} AND pkh = ${pkh} AND kind = 'block' FOR UPDATE`;
        await t`UPDATE ${sql(WATERMARK_TABLE)} SET level = ${level}, round = 0, hash = 'h', signature = 's'
                 WHERE chain_id = ${CHAIN} AND pkh = ${pkh} AND kind = 'block'`;
      });
    },
  },
];

const totals = new Map(variants.map((v) => [v.name, { ops: 0, ms: 0, clientUs: 0, pgMs: 0 }]));
let level = 1;
try {
  // Rows for every variant's slots; then one warm-up round.
  for (const [vi] of variants.entries())
    for (let s = 0; s < concurrency; s++) await viaStore(store)(slotPkh(vi, s), level);
  for (let round = 0; round <= rounds; round++) {
    for (const [vi, v] of variants.entries()) {
      level++;
      const base = level * 1_000_000;
      const cpu0 = process.cpuUsage();
      const pg0 = pgCpuMs(pair.primary.port);
      const t0 = performance.now();
      let ops = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async (_, s) => {
          for (let l = base; performance.now() - t0 < 1000; l++) {
            await v.tx(slotPkh(vi, s), l);
            ops++;
          }
        }),
      );
      if (round === 0) continue;
      const cpu = process.cpuUsage(cpu0);
      const t = totals.get(v.name)!;
      t.ops += ops;
      t.ms += performance.now() - t0;
      t.clientUs += cpu.user + cpu.system;
      t.pgMs += pgCpuMs(pair.primary.port) - pg0;
    }
  }
  console.log(
    `${rounds} rounds of 1 s per variant, ${concurrency} slots, primary with a synchronous standby`,
  );
  console.log('variant                 tx/s   client CPU µs/tx   PostgreSQL CPU µs/tx');
  for (const [name, t] of totals) {
    console.log(
      `${name.padEnd(20)} ${((t.ops * 1000) / t.ms).toFixed(0).padStart(7)}   ${(t.clientUs / t.ops)
        .toFixed(0)
        .padStart(16)}   ${((t.pgMs * 1000) / t.ops).toFixed(0).padStart(20)}`,
    );
  }
} finally {
  await sql.end();
  await pool.end();
  await store.close();
  await store2.close();
  await pair.dispose();
}
