import type { PoolClient } from 'pg';
import { PG_MIGRATIONS, q } from './schema.js';

/**
 * Brings the schema to the newest migration. One transaction under a transaction-scoped advisory
 * lock: instances starting together queue on the lock, the first applies what is missing, the others
 * then find every version recorded and commit nothing. A failure rolls the whole step back.
 */
export async function migrate(client: PoolClient, schema: string): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`auditkit:migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${q(schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${q(schema)}.migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set((await client.query<{ version: number }>(`SELECT version FROM ${q(schema)}.migrations`)).rows.map((r) => r.version));
    const newest = PG_MIGRATIONS.at(-1)!.version;
    const unknown = [...done].filter((v) => v > newest);
    if (unknown.length > 0) throw new Error(`the schema ${schema} has migration ${Math.max(...unknown)}, newer than this auditkit knows (${newest}); upgrade @auditkit/store-postgres`);
    const missing = PG_MIGRATIONS.filter((m) => !done.has(m.version));
    if (missing.length > 0) {
      const trgm = await ensureTrigramExtension(client);
      for (const m of missing) {
        await client.query(m.sql(schema, trgm));
        await client.query(`INSERT INTO ${q(schema)}.migrations (version, description) VALUES ($1, $2)`, [m.version, m.description]);
        applied.push(m.version);
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return applied;
}

/** Creates pg_trgm when missing and returns the schema it lives in (its operator class is qualified with it). */
async function ensureTrigramExtension(client: PoolClient): Promise<string> {
  // pg_trgm is one per database: its creation is serialised across every schema's store.
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['auditkit:extension:pg_trgm']);
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  const row = (await client.query<{ schema: string }>("SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")).rows[0];
  if (!row) throw new Error('pg_trgm could not be created');
  return row.schema;
}
