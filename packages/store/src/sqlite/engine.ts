import type BetterSqlite3 from 'better-sqlite3';
import type { Cursor } from '../model/cursor.js';
import type { DistinctField, FilterSet } from '../model/filter.js';
import type { CountResult, DistinctValue, HistogramBucket, PageRequest, StoredPage } from '../model/store.js';
import type { RecordRow } from '../record/columns.js';
import { prepareBatch, type InsertResult } from '../record/batch.js';
import { ageCutoff, type RetentionPolicy } from '../retention/policy.js';
import { bucketWidth, fillBuckets, LIVE_START, pageOf, type PageRow } from '../sql/results.js';
import { countStatement, distinctStatement, getStatement, histogramStatement, livePositionStatement, pageStatement, sinceStatement, type Statement } from '../sql/statements.js';
import { sqliteDialect, textPattern } from './dialect.js';
import { normaliseQueryText } from '../record/search-text.js';
import { SQLITE_MIGRATIONS } from './schema.js';

/**
 * The SQLite store's synchronous core: one better-sqlite3 connection, its fixed statements prepared
 * once, the filtered ones prepared once per distinct SQL text. It runs in a worker thread by default
 * (see host.ts) and on the caller's thread when asked; the code is the same.
 */

export interface SqliteEngineSettings {
  path: string;
  /** fdatasync every commit (synchronous = FULL) rather than at checkpoints (NORMAL). */
  durable: boolean;
  mask: string;
  retention: RetentionPolicy;
  busyTimeoutMs: number;
  /** Rows deleted per retention transaction. */
  retentionChunk: number;
}

const STATEMENT_CACHE = 200;
/** Matches from which a free-text needle counts as common (dialect.ts). */
const COMMON_TEXT = 10_000;
const PLAIN = sqliteDialect();


export class SqliteEngine {
  readonly #db: BetterSqlite3.Database;
  readonly #settings: SqliteEngineSettings;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  readonly #insertRecord: BetterSqlite3.Statement;
  readonly #insertText: BetterSqlite3.Statement;
  readonly #addCount: BetterSqlite3.Statement;
  readonly #recordCount: BetterSqlite3.Statement;
  readonly #lastStoredAt: BetterSqlite3.Statement;
  readonly #oldest: BetterSqlite3.Statement;
  readonly #expired: BetterSqlite3.Statement;
  readonly #oldestSeqs: BetterSqlite3.Statement;
  readonly #deleteRecord: BetterSqlite3.Statement;
  readonly #deleteText: BetterSqlite3.Statement;
  readonly #probeText: BetterSqlite3.Statement;
  readonly #insertBatch: (rows: RecordRow[], storedAt: number) => number;
  readonly #deleteBatch: (seqs: number[]) => void;

  constructor(Database: typeof BetterSqlite3, settings: SqliteEngineSettings) {
    this.#settings = settings;
    const db = new Database(settings.path, { timeout: settings.busyTimeoutMs });
    this.#db = db;
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${settings.durable ? 'FULL' : 'NORMAL'}`);
      db.pragma('foreign_keys = OFF');
      this.#migrate();
    } catch (err) {
      db.close();
      throw err;
    }
    const columns = ['id', 'time', 'stored_at', 'node', 'from', 'source', 'operation_id', 'operation_type', 'operation_result', 'http_method', 'request_id', 'event', 'target_type', 'target_id', 'source_ip', 'ip_key', 'http_status_code', 'duration_ms', 'line'];
    // Positional parameters: better-sqlite3 binds them about three times faster than named ones.
    this.#insertRecord = db.prepare(`INSERT INTO records (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (id) DO NOTHING`);
    this.#insertText = db.prepare('INSERT INTO records_text (rowid, text) VALUES (?, ?)');
    this.#addCount = db.prepare("UPDATE store_meta SET value = value + ? WHERE key = 'records'");
    this.#recordCount = db.prepare("SELECT value FROM store_meta WHERE key = 'records'").pluck();
    this.#lastStoredAt = db.prepare('SELECT stored_at FROM records ORDER BY stored_at DESC LIMIT 1').pluck();
    this.#oldest = db.prepare('SELECT time, id FROM records ORDER BY time, id LIMIT 1');
    this.#expired = db.prepare('SELECT seq FROM records WHERE time < ? ORDER BY time, id LIMIT ?').pluck();
    this.#oldestSeqs = db.prepare('SELECT seq FROM records ORDER BY time, id LIMIT ?').pluck();
    this.#deleteRecord = db.prepare('DELETE FROM records WHERE seq = ?');
    this.#deleteText = db.prepare('DELETE FROM records_text WHERE rowid = ?');
    this.#probeText = db.prepare('SELECT count(*) FROM (SELECT 1 FROM records_text WHERE text GLOB ? LIMIT ?)').pluck();

    const insertRecord = this.#insertRecord;
    const insertText = this.#insertText;
    const addCount = this.#addCount;
    this.#insertBatch = db
      .transaction((rows: RecordRow[], storedAt: number): number => {
        // Stamped inside the write lock, so stored_at follows commit order even across processes.
        const last = (this.#lastStoredAt.get() as number | undefined) ?? 0;
        const stamp = Math.max(storedAt, last + 1);
        let inserted = 0;
        for (const row of rows) {
          const info = insertRecord.run(
            row.id, row.time, stamp, row.node, row.from, row.source, row.operation_id, row.operation_type, row.operation_result, row.http_method,
            row.request_id, row.event, row.target_type, row.target_id, row.source_ip, row.ip_key, row.http_status_code, row.duration_ms, row.line,
          );
          if (info.changes === 1) {
            insertText.run(info.lastInsertRowid, row.text);
            inserted++;
          }
        }
        if (inserted > 0) addCount.run(inserted);
        return inserted;
      })
      .immediate as (rows: RecordRow[], storedAt: number) => number;
    this.#deleteBatch = db
      .transaction((seqs: number[]) => {
        for (const seq of seqs) {
          this.#deleteText.run(seq);
          this.#deleteRecord.run(seq);
        }
        addCount.run(-seqs.length);
      })
      .immediate as (seqs: number[]) => void;
  }

  #migrate(): void {
    const db = this.#db;
    db.transaction(() => {
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SQLITE_MIGRATIONS.length) {
        throw new Error(`the database schema is version ${version}, newer than this auditkit knows (${SQLITE_MIGRATIONS.length}); upgrade @auditkit/store`);
      }
      for (let v = version; v < SQLITE_MIGRATIONS.length; v++) db.exec(SQLITE_MIGRATIONS[v]!);
      if (version < SQLITE_MIGRATIONS.length) db.pragma(`user_version = ${SQLITE_MIGRATIONS.length}`);
    }).immediate();
  }

  #statement(sql: string): BetterSqlite3.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE) this.#statements.delete(this.#statements.keys().next().value!);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  insert(lines: readonly string[]): InsertResult {
    const now = Date.now() * 1000;
    const { rows, expired, rejected } = prepareBatch(lines, this.#settings, ageCutoff(this.#settings.retention, now));
    const inserted = rows.length === 0 ? 0 : this.#insertBatch(rows, now);
    return { inserted, duplicates: rows.length - inserted, expired, rejected };
  }

  #run(statement: Statement): unknown[] {
    return this.#statement(statement.sql).all(statement.params.named());
  }

  query(filters: FilterSet, page: PageRequest): StoredPage {
    return pageOf(this.#run(pageStatement(filters, page, this.#pageDialect(filters))) as PageRow[], page);
  }

  /** Free-text needles matching at least COMMON_TEXT records are tested per record rather than listed (see dialect.ts). */
  #pageDialect(filters: FilterSet) {
    const common = new Set<string>();
    for (const f of filters) {
      if (f.text === undefined) continue;
      const needle = normaliseQueryText(f.text);
      if (needle.length === 0) continue;
      const n = this.#probeText.get(textPattern(needle), COMMON_TEXT) as number;
      if (n >= COMMON_TEXT) common.add(needle);
    }
    return common.size === 0 ? PLAIN : sqliteDialect(common);
  }

  get(id: string, filters: FilterSet): string | undefined {
    return (this.#run(getStatement(id, filters, PLAIN))[0] as { line: string } | undefined)?.line;
  }

  count(filters: FilterSet, cap: number): CountResult {
    if (filters.every((f) => Object.keys(f).length === 0)) {
      // No filter: the count kept beside the table, not a scan.
      const total = this.#recordCount.get() as number;
      return { value: Math.min(total, cap), exact: total <= cap };
    }
    const n = (this.#run(countStatement(filters, cap, PLAIN))[0] as { n: number }).n;
    return { value: Math.min(n, cap), exact: n <= cap };
  }

  distinct(field: DistinctField, filters: FilterSet, limit: number): DistinctValue[] {
    return this.#run(distinctStatement(field, filters, limit, PLAIN)) as DistinctValue[];
  }

  histogram(filters: FilterSet, range: { from: number; to: number }, buckets: number): HistogramBucket[] {
    const width = bucketWidth(range, buckets);
    const rows = this.#run(histogramStatement(filters, range, width, PLAIN)) as Array<{ b: number; total: number; failures: number }>;
    return fillBuckets(range, buckets, width, rows);
  }

  since(filters: FilterSet, after: Cursor | null, limit: number): StoredPage {
    if (after === null) {
      const row = this.#run(livePositionStatement(PLAIN))[0] as Cursor | undefined;
      return { lines: [], next: row ?? LIVE_START, prev: null };
    }
    const rows = this.#run(sinceStatement(filters, after, limit, PLAIN)) as PageRow[];
    const last = rows.at(-1);
    return { lines: rows.map((r) => r.line), next: last ? { time: Number(last.time), id: last.id } : after, prev: null };
  }

  /** The oldest record kept, or null when the store is empty. */
  oldest(): Cursor | null {
    return (this.#oldest.get() as Cursor | undefined) ?? null;
  }

  recordCount(): number {
    return this.#recordCount.get() as number;
  }

  /**
   * One bounded retention step: deletes at most `retentionChunk` records past maxAgeDays, else past
   * maxRecords (oldest first), in one short transaction. Returns how many went; 0 when nothing is due.
   * The caller repeats it, yielding in between, so writers never wait long.
   */
  retentionStep(nowMicros: number): number {
    const { retention, retentionChunk } = this.#settings;
    const cutoff = ageCutoff(retention, nowMicros);
    let seqs: number[] = cutoff === null ? [] : (this.#expired.all(cutoff, retentionChunk) as number[]);
    if (seqs.length === 0 && retention.maxRecords !== null) {
      const excess = (this.#recordCount.get() as number) - retention.maxRecords;
      if (excess > 0) seqs = this.#oldestSeqs.all(Math.min(excess, retentionChunk)) as number[];
    }
    if (seqs.length > 0) this.#deleteBatch(seqs);
    return seqs.length;
  }

  /** Lets the WAL be checkpointed and truncated (after retention freed space). */
  checkpoint(): void {
    this.#db.pragma('wal_checkpoint(PASSIVE)');
  }

  explain(filters: FilterSet, page: PageRequest): string[] {
    const statement = pageStatement(filters, page, this.#pageDialect(filters));
    return (this.#db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(statement.params.named()) as Array<{ detail: string }>).map((r) => r.detail);
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }
}
