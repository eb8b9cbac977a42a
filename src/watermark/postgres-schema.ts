// Schema of the shared PostgreSQL watermark (docs/ha.md), created or migrated when a store opens.
// Versioned and idempotent; replicas starting together serialise on one transaction-scoped advisory
// lock, so exactly one of them applies each step and the others see it done.

import type pg from 'pg';

export const WATERMARK_TABLE = 'tezos_signer_watermark';
export const VERSION_TABLE = 'tezos_signer_schema_version';

// An arbitrary constant ("tzsigner" in ASCII) naming our advisory lock within the database.
const MIGRATION_LOCK = '8392585648335005298';

/** Step N brings the schema from version N-1 to N. Append only: never edit a released step. */
const MIGRATIONS: readonly string[] = [
  // 1: one row per slot (chain id, pkh, kind). The row exists from the first request on the slot (it is
  // what SELECT … FOR UPDATE locks); level..signature stay NULL until the first signature commits.
  `CREATE TABLE ${WATERMARK_TABLE} (
     chain_id   text NOT NULL,
     pkh        text NOT NULL,
     kind       text NOT NULL CHECK (kind IN ('block', 'preattestation', 'attestation')),
     level      integer CHECK (level >= 0),
     round      integer CHECK (round >= 0),
     hash       text,
     signature  text,
     signer_id  text,
     updated_at timestamptz,
     PRIMARY KEY (chain_id, pkh, kind),
     CHECK ((level IS NULL) = (round IS NULL) AND (level IS NULL) = (hash IS NULL)
            AND (level IS NULL) = (signature IS NULL))
   )`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring the database to SCHEMA_VERSION; refuses a database migrated by a newer signer. */
export async function migrate(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (
         version    integer PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM ${VERSION_TABLE}`,
    );
    const current = rows[0]?.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `watermark database schema is version ${current}, newer than this signer knows (${SCHEMA_VERSION}); ` +
          'upgrade the signer',
      );
    }
    for (let v = current + 1; v <= SCHEMA_VERSION; v++) {
      await client.query(MIGRATIONS[v - 1]!);
      await client.query(`INSERT INTO ${VERSION_TABLE} (version) VALUES ($1)`, [v]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
