import type { PoolClient } from 'pg';
import { DAY_MICROS } from '@auditkit/store';
import { q } from './schema.js';

/**
 * One partition per UTC day, named `records_YYYYMMDD`, holding [day start, next day start) in epoch µs.
 *
 * Partitions are made without a long lock: the table is created on its own (no lock on `records`),
 * then attached, which takes SHARE UPDATE EXCLUSIVE on `records` (reads and inserts go on). There is
 * no DEFAULT partition: PostgreSQL would refuse DETACH ... CONCURRENTLY, and every new partition would
 * have to scan it. Instead upkeep creates partitions days ahead, and a writer whose batch falls on a
 * missing day creates that day itself before inserting.
 */

export interface Partition {
  name: string;
  /** Epoch µs, inclusive. */
  from: number;
  /** Epoch µs, exclusive. */
  to: number;
  /** Left half-detached by an interrupted DETACH ... CONCURRENTLY. */
  detachPending: boolean;
}

export function dayOf(micros: number): number {
  return Math.floor(micros / DAY_MICROS);
}

export function partitionName(day: number): string {
  const d = new Date(day * 86_400_000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `records_${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

export async function listPartitions(client: PoolClient, schema: string): Promise<Partition[]> {
  const { rows } = await client.query<{ name: string; bound: string; pending: boolean }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound, i.inhdetachpending AS pending
       FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = $1 AND p.relname = 'records'`,
    [schema],
  );
  const out: Partition[] = [];
  for (const r of rows) {
    const m = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(r.bound);
    if (m) out.push({ name: r.name, from: Number(m[1]), to: Number(m[2]), detachPending: r.pending });
  }
  return out.sort((a, b) => a.from - b.from);
}

/**
 * Makes sure a partition exists for each day. Serialised by a transaction-scoped advisory lock, so
 * instances that find the same day missing at once create it once. Returns the days now covered.
 */
export async function ensurePartitions(client: PoolClient, schema: string, days: readonly number[]): Promise<Set<number>> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`auditkit:partition:${schema}`]);
    const existing = await listPartitions(client, schema);
    const covered = new Set(existing.filter((p) => !p.detachPending).map((p) => dayOf(p.from)));
    for (const day of days) {
      if (covered.has(day)) continue;
      const name = partitionName(day);
      const from = day * DAY_MICROS;
      await client.query(`CREATE TABLE IF NOT EXISTS ${q(schema)}.${q(name)} (LIKE ${q(schema)}.records INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      await client.query(`ALTER TABLE ${q(schema)}.records ATTACH PARTITION ${q(schema)}.${q(name)} FOR VALUES FROM (${from}) TO (${from + DAY_MICROS})`);
      covered.add(day);
    }
    await client.query('COMMIT');
    return covered;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Removes a whole partition: DETACH ... CONCURRENTLY (no lock that stops readers or writers; it runs
 * outside a transaction), then DROP of the detached table. A detach a crash interrupted is finished
 * with FINALIZE.
 */
export async function dropPartition(client: PoolClient, schema: string, partition: Partition): Promise<void> {
  const table = `${q(schema)}.${q(partition.name)}`;
  await client.query(`ALTER TABLE ${q(schema)}.records DETACH PARTITION ${table} ${partition.detachPending ? 'FINALIZE' : 'CONCURRENTLY'}`);
  await client.query(`DROP TABLE IF EXISTS ${table}`);
}
