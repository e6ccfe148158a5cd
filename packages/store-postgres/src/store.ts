import type pg from 'pg';
import { AuditConfigError } from '@auditkit/core';
import {
  StoreTransport,
  UpkeepSchedule,
  ageCutoff,
  bucketWidth,
  countStatement,
  distinctStatement,
  fillBuckets,
  getStatement,
  histogramStatement,
  LIVE_START,
  livePositionStatement,
  pageOf,
  pageStatement,
  prepareBatch,
  scanByKeyset,
  sinceStatement,
  type AuditStore,
  type CountResult,
  type Cursor,
  type DistinctField,
  type DistinctValue,
  type FilterSet,
  type HistogramBucket,
  type InsertResult,
  type PageRequest,
  type PageRow,
  type RecordRow,
  type RetentionPolicy,
  type SqlDialect,
  type Statement,
  type StoredPage,
} from '@auditkit/store';
import { postgresDialect } from './dialect.js';
import { migrate } from './migrate.js';
import { resolvePostgresOptions, type PostgresStoreOptions, type ResolvedPostgresOptions } from './options.js';
import { dayOf, ensurePartitions, listPartitions } from './partitions.js';
import { q } from './schema.js';
import { runUpkeep, type UpkeepReport } from './upkeep.js';

/** Columns written per batch, each sent as one array and unnested: one statement, any batch size, far from the 65,535-parameter limit. */
const COLUMNS: Array<[column: keyof RecordRow | 'search_text', type: string]> = [
  ['time', 'bigint'],
  ['id', 'text'],
  ['node', 'text'],
  ['from', 'text'],
  ['source', 'text'],
  ['operation_id', 'text'],
  ['operation_type', 'text'],
  ['operation_result', 'text'],
  ['http_method', 'text'],
  ['request_id', 'text'],
  ['event', 'text'],
  ['target_type', 'text'],
  ['target_id', 'text'],
  ['source_ip', 'text'],
  ['ip_key', 'bytea'],
  ['http_status_code', 'integer'],
  ['duration_ms', 'double precision'],
  ['search_text', 'text'],
  ['line', 'text'],
];

/** PostgreSQL's "no partition of relation found for row". */
const NO_PARTITION = '23514';

/**
 * The fleet store: every instance writes its records to one PostgreSQL database and any instance's
 * API reads all of them. Put `store.transport` among the auditor's sinks (it is a network sink: a disk
 * spool keeps records while the database is away); hand `store` to the query API.
 *
 * @example
 * const store = await openPostgresStore({ connectionString: process.env.AUDIT_DATABASE_URL });
 * app.use(audit({ sinks: [new AuditFileTransport(), store.transport] }));
 */
export class PostgresStore implements AuditStore {
  readonly transport: StoreTransport;
  readonly retention: RetentionPolicy;
  readonly schema: string;
  readonly #o: ResolvedPostgresOptions;
  readonly #pool: pg.Pool;
  readonly #dialect: SqlDialect;
  readonly #insertSql: string;
  readonly #upkeep: UpkeepSchedule;
  /** UTC days known to have a partition. */
  #days = new Set<number>();
  #closed = false;

  private constructor(o: ResolvedPostgresOptions) {
    this.#o = o;
    this.#pool = o.pool;
    this.schema = o.schema;
    this.retention = o.retention;
    this.#dialect = {
      ...postgresDialect,
      table: `${q(o.schema)}.records`,
      liveSettled: (p) => `r.stored_at <= (extract(epoch FROM clock_timestamp()) * 1000000)::bigint - ${p.add(o.liveLagMs * 1000)}::bigint`,
    };
    this.#insertSql =
      `INSERT INTO ${q(o.schema)}.records (${COLUMNS.map(([c]) => q(c)).join(', ')}) ` +
      `SELECT * FROM unnest(${COLUMNS.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')}) ON CONFLICT DO NOTHING`;
    this.transport = new StoreTransport({ sinkName: `postgres:${o.where}`, network: true, maxInFlightBatches: o.parallelBatches, write: (lines) => this.write(lines) });
    this.#upkeep = new UpkeepSchedule(o.retention.intervalMs, async () => void (await this.#runUpkeep()), (err) => this.transport.reportFault('upkeep failed', err));
  }

  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const o = resolvePostgresOptions(options);
    // An idle client's error (the server restarting) must not crash the application.
    o.pool.on('error', () => undefined);
    const store = new PostgresStore(o);
    let client: pg.PoolClient | undefined;
    try {
      client = await o.pool.connect();
      await migrate(client, o.schema);
      const today = dayOf(Date.now() * 1000);
      const days: number[] = [];
      for (let d = today - 1; d <= today + o.partitionsAhead; d++) days.push(d);
      store.#days = await ensurePartitions(client, o.schema, days);
      for (const p of await listPartitions(client, o.schema)) if (!p.detachPending) store.#days.add(dayOf(p.from));
      client.release();
    } catch (err) {
      client?.release(err as Error);
      await store.#upkeep.stop();
      if (o.ownPool) await o.pool.end().catch(() => undefined);
      throw new AuditConfigError(
        'AUDITKIT_SINK_UNAVAILABLE',
        'connectionString',
        `the PostgreSQL store ${o.where} cannot be opened (${(err as Error).message})`,
        'check the server is reachable and the user may create the schema (and, once, the pg_trgm extension)',
        err,
      );
    }
    void store.#upkeep.now().catch(() => undefined);
    return store;
  }

  /** Commits lines (canonical records) in one transaction; ids already stored are skipped. The sink and `auditkit import` use it. */
  async write(lines: readonly string[]): Promise<InsertResult> {
    const { rows, expired, rejected } = prepareBatch(lines, this.#o, ageCutoff(this.retention, Date.now() * 1000));
    if (rejected.length > 0) this.transport.reportFault(`skipped ${rejected.length} line(s) that are not audit records (first: ${rejected[0]!.problem})`);
    if (rows.length === 0) return { inserted: 0, duplicates: 0, expired, rejected };
    let inserted: number;
    try {
      await this.#ensureDays(rows);
      inserted = await this.#insert(rows);
    } catch (err) {
      if ((err as { code?: string }).code !== NO_PARTITION) throw err;
      // Another instance's retention dropped a day this batch holds: make it again, once.
      this.#days.clear();
      await this.#ensureDays(rows);
      inserted = await this.#insert(rows);
    }
    return { inserted, duplicates: rows.length - inserted, expired, rejected };
  }

  async #ensureDays(rows: readonly RecordRow[]): Promise<void> {
    const missing = new Set<number>();
    for (const row of rows) {
      const day = dayOf(row.time);
      if (!this.#days.has(day)) missing.add(day);
    }
    if (missing.size === 0) return;
    const client = await this.#pool.connect();
    try {
      const covered = await ensurePartitions(client, this.schema, [...missing]);
      for (const d of covered) this.#days.add(d);
      client.release();
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  }

  async #insert(rows: readonly RecordRow[]): Promise<number> {
    const values: unknown[][] = COLUMNS.map(() => new Array<unknown>(rows.length));
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      for (let c = 0; c < COLUMNS.length; c++) {
        const name = COLUMNS[c]![0];
        values[c]![i] = name === 'search_text' ? row.text : row[name];
      }
    }
    const client = await this.#pool.connect();
    try {
      // An explicit transaction: a writer killed before COMMIT leaves nothing of its batch.
      await client.query('BEGIN');
      const result = await client.query({ name: `auditkit_insert_${this.schema}`, text: this.#insertSql, values });
      await client.query('COMMIT');
      client.release();
      return result.rowCount ?? 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(err as Error);
      throw err;
    }
  }

  async #rows<T>(statement: Statement): Promise<T[]> {
    return (await this.#pool.query(statement.sql, statement.params.values)).rows as T[];
  }

  async query(filters: FilterSet, page: PageRequest): Promise<StoredPage> {
    return pageOf(await this.#rows<PageRow>(pageStatement(filters, page, this.#dialect)), page);
  }

  async get(id: string, filters: FilterSet): Promise<string | undefined> {
    return (await this.#rows<{ line: string }>(getStatement(id, filters, this.#dialect)))[0]?.line;
  }

  async count(filters: FilterSet, cap: number): Promise<CountResult> {
    const n = Number((await this.#rows<{ n: string }>(countStatement(filters, cap, this.#dialect)))[0]!.n);
    return { value: Math.min(n, cap), exact: n <= cap };
  }

  async distinct(field: DistinctField, filters: FilterSet, limit: number): Promise<DistinctValue[]> {
    const rows = await this.#rows<{ value: string | number; count: string }>(distinctStatement(field, filters, limit, this.#dialect));
    return rows.map((r) => ({ value: r.value, count: Number(r.count) }));
  }

  async histogram(filters: FilterSet, range: { from: number; to: number }, buckets: number): Promise<HistogramBucket[]> {
    const width = bucketWidth(range, buckets);
    const rows = await this.#rows<{ b: number; total: string; failures: string }>(histogramStatement(filters, range, width, this.#dialect));
    return fillBuckets(range, buckets, width, rows);
  }

  scan(filters: FilterSet, batchSize: number): AsyncIterable<string[]> {
    return scanByKeyset((page) => this.query(filters, page), batchSize);
  }

  async since(filters: FilterSet, after: Cursor | null, limit: number): Promise<StoredPage> {
    if (after === null) {
      const row = (await this.#rows<{ time: string; id: string }>(livePositionStatement(this.#dialect)))[0];
      return { lines: [], next: row ? { time: Number(row.time), id: row.id } : LIVE_START, prev: null };
    }
    const rows = await this.#rows<PageRow>(sinceStatement(filters, after, limit, this.#dialect));
    const last = rows.at(-1);
    return { lines: rows.map((r) => r.line), next: last ? { time: Number(last.time), id: last.id } : after, prev: null };
  }

  /** The oldest record kept, or null when empty. */
  async oldest(): Promise<Cursor | null> {
    const row = (await this.#pool.query<{ time: string; id: string }>(`SELECT time, id FROM ${q(this.schema)}.records ORDER BY time, id LIMIT 1`)).rows[0];
    return row ? { time: Number(row.time), id: row.id } : null;
  }

  /** Runs upkeep now (partitions ahead, retention), unless another instance holds the upkeep lock. */
  async upkeep(): Promise<void> {
    await this.#upkeep.now();
  }

  /** As upkeep(), and says what it did. */
  async #runUpkeep(): Promise<UpkeepReport> {
    const report = await runUpkeep(this.#pool, this.#o, Date.now() * 1000);
    if (report.partitionsDropped > 0 || report.partitionsCreated > 0) {
      this.#days = new Set((await this.#withClient((c) => listPartitions(c, this.schema))).filter((p) => !p.detachPending).map((p) => dayOf(p.from)));
    }
    this.lastUpkeep = report;
    return report;
  }

  /** What the last upkeep run by this instance did. */
  lastUpkeep: UpkeepReport | undefined;

  async #withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      const out = await fn(client);
      client.release();
      return out;
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  }

  /** The query plan PostgreSQL chooses for a page (for tests and tuning). */
  async explain(filters: FilterSet, page: PageRequest): Promise<string[]> {
    const s = pageStatement(filters, page, this.#dialect);
    const { rows } = await this.#pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${s.sql}`, s.params.values);
    return rows.map((r) => r['QUERY PLAN']);
  }

  /** Stops upkeep and, when the store made its pool, ends it. Close the auditor first, so its last batches are in. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#upkeep.stop();
    if (this.#o.ownPool) await this.#pool.end();
  }
}

export function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  return PostgresStore.open(options);
}
