import type pg from 'pg';
import { ageCutoff } from '@auditkit/store';
import { dayOf, dropPartition, ensurePartitions, listPartitions, type Partition } from './partitions.js';
import type { ResolvedPostgresOptions } from './options.js';
import { q } from './schema.js';

export interface UpkeepReport {
  /** False when another instance held the upkeep lock: it is doing the work. */
  ran: boolean;
  partitionsCreated: number;
  partitionsDropped: number;
  rowsDeleted: number;
}

/**
 * Partitions ahead, and retention. Exactly one instance of a fleet runs it at a time: a session-level
 * advisory lock taken with pg_try_advisory_lock, so the others skip instead of queueing. Each step is
 * its own short statement (never one long transaction): whole partitions go by DETACH CONCURRENTLY and
 * DROP; trimming to maxRecords deletes the oldest rows of the oldest partition it keeps, in chunks.
 */
export async function runUpkeep(pool: pg.Pool, o: ResolvedPostgresOptions, nowMicros: number): Promise<UpkeepReport> {
  const report: UpkeepReport = { ran: false, partitionsCreated: 0, partitionsDropped: 0, rowsDeleted: 0 };
  const client = await pool.connect();
  const key = `auditkit:upkeep:${o.schema}`;
  let broken: Error | undefined;
  try {
    const locked = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key])).rows[0]?.ok === true;
    if (!locked) return report;
    report.ran = true;
    try {
      const today = dayOf(nowMicros);
      const before = (await listPartitions(client, o.schema)).length;
      const wanted: number[] = [];
      for (let d = today - 1; d <= today + o.partitionsAhead; d++) wanted.push(d);
      await ensurePartitions(client, o.schema, wanted);
      let partitions = await listPartitions(client, o.schema);
      report.partitionsCreated = Math.max(0, partitions.length - before);

      // A detach a crash interrupted is finished first.
      for (const p of partitions.filter((x) => x.detachPending)) {
        await dropPartition(client, o.schema, p);
        report.partitionsDropped++;
      }
      partitions = partitions.filter((x) => !x.detachPending);

      const cutoff = ageCutoff(o.retention, nowMicros);
      if (cutoff !== null) {
        for (const p of partitions.filter((x) => x.to <= cutoff)) {
          await dropPartition(client, o.schema, p);
          report.partitionsDropped++;
        }
        partitions = partitions.filter((x) => x.to > cutoff);
      }
      if (o.retention.maxRecords !== null) {
        const trimmed = await trimToCount(client, o, partitions, o.retention.maxRecords);
        report.partitionsDropped += trimmed.dropped;
        report.rowsDeleted += trimmed.deleted;
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
    }
    return report;
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A connection that failed mid-upkeep is closed, never pooled with the lock perhaps still held.
    client.release(broken);
  }
}

/** Keeps the newest `max` records: drops partitions wholly beyond them, trims the one they end in. */
async function trimToCount(client: pg.PoolClient, o: ResolvedPostgresOptions, partitions: Partition[], max: number): Promise<{ dropped: number; deleted: number }> {
  const out = { dropped: 0, deleted: 0 };
  if (await clearlyBelow(client, o.schema, partitions, max)) return out;
  const newestFirst = [...partitions].reverse();
  let kept = 0;
  let boundary = -1;
  for (let i = 0; i < newestFirst.length; i++) {
    const n = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(o.schema)}.${q(newestFirst[i]!.name)}`)).rows[0]!.n);
    if (kept + n > max) {
      boundary = i;
      break;
    }
    kept += n;
  }
  if (boundary === -1) return out;
  for (const p of newestFirst.slice(boundary + 1)) {
    await dropPartition(client, o.schema, p);
    out.dropped++;
  }
  const table = `${q(o.schema)}.${q(newestFirst[boundary]!.name)}`;
  const keep = max - kept;
  // The newest row to delete: everything at or before it in (time, id) order goes.
  const edge = (await client.query<{ time: string; id: string }>(`SELECT time, id FROM ${table} ORDER BY time DESC, id DESC OFFSET $1 LIMIT 1`, [keep])).rows[0];
  if (!edge) return out;
  for (;;) {
    const { rowCount } = await client.query(
      `DELETE FROM ${table} WHERE (id, time) IN (SELECT id, time FROM ${table} WHERE (time, id) <= ($1, $2) ORDER BY time, id LIMIT $3)`,
      [edge.time, edge.id, o.retentionChunk],
    );
    out.deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < o.retentionChunk) break;
  }
  return out;
}

/**
 * Counting every partition each minute would read the whole table; the planner's row estimates say
 * cheaply when the store is nowhere near the cap. Partitions never analysed (reltuples -1) are counted.
 */
async function clearlyBelow(client: pg.PoolClient, schema: string, partitions: Partition[], max: number): Promise<boolean> {
  if (partitions.length === 0) return true;
  const { rows } = await client.query<{ reltuples: number }>(
    `SELECT c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = ANY($2)`,
    [schema, partitions.map((p) => p.name)],
  );
  if (rows.length < partitions.length || rows.some((r) => r.reltuples < 0)) return false;
  return rows.reduce((s, r) => s + r.reltuples, 0) < max * 0.8;
}
