import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AuditConfigError, booleanAt, failOption, integerAt, isPlainObject, onlyKeys, stringAt } from '@auditkit/core';
import type { Cursor } from '../model/cursor.js';
import type { DistinctField, FilterSet } from '../model/filter.js';
import type { AuditStore, CountResult, DistinctValue, HistogramBucket, PageRequest, StoredPage } from '../model/store.js';
import { resolveRetention, type RetentionOptions, type RetentionPolicy } from '../retention/policy.js';
import { UpkeepSchedule } from '../retention/schedule.js';
import { scanByKeyset } from '../sql/results.js';
import { GroupCommit } from '../sink/group-commit.js';
import { StoreTransport } from '../sink/store-transport.js';
import { checkDriverInstalled, loadDriver } from './driver.js';
import { SqliteEngine, type SqliteEngineSettings } from './engine.js';
import type { InsertResult } from '../record/batch.js';
import { InlineHost, WorkerHost, type EngineHost } from './host.js';

export interface SqliteStoreOptions extends RetentionOptions {
  /** The database file, created with its directory when missing. */
  path: string;
  /** fdatasync every committed batch (SQLite synchronous = FULL). Default false: NORMAL, which survives a process crash but may lose the last batches on power loss, as the file sink without `durable`. */
  durable?: boolean;
  /** The redaction mask (`redact.mask`), so masked values stay out of free text. Default `******`. */
  mask?: string;
  /** `worker` (default): the database runs on a worker thread and never blocks the event loop. `main`: on the caller's thread. */
  thread?: 'worker' | 'main';
  /** How long a write waits for another process's write lock before failing (and being retried). Default 5000 ms. */
  busyTimeoutMs?: number;
  /** Rows deleted per retention transaction. Default 2000. */
  retentionChunk?: number;
  /** How often retention runs, in ms. Default 60000. */
  retentionIntervalMs?: number;
}

const OPTION_KEYS = ['path', 'durable', 'mask', 'thread', 'busyTimeoutMs', 'retentionChunk', 'retentionIntervalMs', 'maxRecords', 'maxAgeDays'];

interface ResolvedSqliteOptions {
  settings: SqliteEngineSettings;
  thread: 'worker' | 'main';
}

function resolveOptions(raw: unknown): ResolvedSqliteOptions {
  if (!isPlainObject(raw)) failOption('store', 'must be an options object such as { path: "./audit.db" }', 'pass openSqliteStore({ path: "./data/audit.db" })');
  onlyKeys(raw, OPTION_KEYS, '');
  const path = stringAt(raw.path, 'path', '', './data/audit.db');
  if (path === '') failOption('path', 'is required', 'pass the database file, e.g. { path: "./data/audit.db" }');
  const thread = raw.thread ?? 'worker';
  if (thread !== 'worker' && thread !== 'main') failOption('thread', `must be "worker" or "main", got ${String(thread)}`, 'leave it out (worker)');
  const retention: RetentionPolicy = resolveRetention(raw.maxRecords, raw.maxAgeDays, raw.retentionIntervalMs);
  return {
    thread,
    settings: {
      path: path === ':memory:' ? path : resolve(path),
      durable: booleanAt(raw.durable, 'durable', false),
      mask: stringAt(raw.mask, 'mask', '******', '******'),
      retention,
      busyTimeoutMs: integerAt(raw.busyTimeoutMs, 'busyTimeoutMs', 5000, 0, 600_000),
      retentionChunk: integerAt(raw.retentionChunk, 'retentionChunk', 2000, 1, 1_000_000),
    },
  };
}

/**
 * The embedded store: one SQLite file, zero setup. Put `store.transport` among the auditor's sinks;
 * hand `store` to the query API.
 *
 * @example
 * const store = await openSqliteStore({ path: './data/audit.db' });
 * app.use(audit({ sinks: [new AuditFileTransport(), store.transport] }));
 */
export class SqliteStore implements AuditStore {
  readonly transport: StoreTransport;
  readonly retention: RetentionPolicy;
  readonly path: string;
  readonly #host: EngineHost;
  readonly #upkeep: UpkeepSchedule;
  readonly #group = new GroupCommit((lines) => this.write(lines));
  #closed = false;

  private constructor(host: EngineHost, options: ResolvedSqliteOptions) {
    this.#host = host;
    this.path = options.settings.path;
    this.retention = options.settings.retention;
    this.transport = new StoreTransport({
      sinkName: `sqlite:${this.path}`,
      network: false,
      // Batches that arrive while one commits are committed together (group-commit.ts). Up to 16 in flight,
      // so a backlog commits in transactions of a few thousand records: the trigram index's work per
      // record falls with the transaction's size (measured: 2,048-record transactions about 1.2 times
      // as fast as 512, docs/benchmarks-store-writes.md).
      maxInFlightBatches: 16,
      write: (lines) => this.#group.write(lines),
    });
    this.#upkeep = new UpkeepSchedule(this.retention.intervalMs, () => this.#retain(), (err) => this.transport.reportFault('retention failed', err));
  }

  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    const resolved = resolveOptions(options);
    checkDriverInstalled();
    const { settings } = resolved;
    if (settings.path !== ':memory:') {
      try {
        mkdirSync(dirname(settings.path), { recursive: true });
      } catch (err) {
        throw new AuditConfigError('AUDITKIT_SINK_UNAVAILABLE', 'path', `the directory of ${settings.path} cannot be created (${(err as Error).message})`, 'point path at a writable directory', err);
      }
    }
    let host: EngineHost;
    try {
      if (resolved.thread === 'main') host = new InlineHost(new SqliteEngine(loadDriver(), settings));
      else {
        const worker = new WorkerHost(settings);
        await worker.start();
        host = worker;
      }
    } catch (err) {
      if (err instanceof AuditConfigError) throw err;
      throw new AuditConfigError('AUDITKIT_SINK_UNAVAILABLE', 'path', `the SQLite store ${settings.path} cannot be opened (${(err as Error).message})`, 'check that the file is a SQLite database auditkit made and that its directory is writable', err);
    }
    const store = new SqliteStore(host, resolved);
    void store.#upkeep.now().catch(() => undefined);
    return store;
  }

  /** Commits lines (canonical records) in one transaction; ids already stored are skipped. The sink and `auditkit import` use it. */
  async write(lines: readonly string[]): Promise<InsertResult> {
    const result = await this.#host.call('insert', lines);
    if (result.rejected.length > 0) {
      this.transport.reportFault(`skipped ${result.rejected.length} line(s) that are not audit records (first: ${result.rejected[0]!.problem})`);
    }
    return result;
  }

  query(filters: FilterSet, page: PageRequest): Promise<StoredPage> {
    return this.#host.call('query', filters, page);
  }

  get(id: string, filters: FilterSet): Promise<string | undefined> {
    return this.#host.call('get', id, filters);
  }

  count(filters: FilterSet, cap: number): Promise<CountResult> {
    return this.#host.call('count', filters, cap);
  }

  distinct(field: DistinctField, filters: FilterSet, limit: number): Promise<DistinctValue[]> {
    return this.#host.call('distinct', field, filters, limit);
  }

  histogram(filters: FilterSet, range: { from: number; to: number }, buckets: number): Promise<HistogramBucket[]> {
    return this.#host.call('histogram', filters, range, buckets);
  }

  scan(filters: FilterSet, batchSize: number): AsyncIterable<string[]> {
    return scanByKeyset((page) => this.query(filters, page), batchSize);
  }

  since(filters: FilterSet, after: Cursor | null, limit: number): Promise<StoredPage> {
    return this.#host.call('since', filters, after, limit);
  }

  /** The oldest record kept, or null when empty. */
  oldest(): Promise<Cursor | null> {
    return this.#host.call('oldest');
  }

  /** Runs retention now, to completion. */
  upkeep(): Promise<void> {
    return this.#upkeep.now();
  }

  /** The query plan SQLite chooses for a page (for tests and tuning). */
  explain(filters: FilterSet, page: PageRequest): Promise<string[]> {
    return this.#host.call('explain', filters, page);
  }

  async #retain(): Promise<void> {
    let deleted = 0;
    for (;;) {
      const n = await this.#host.call('retentionStep', Date.now() * 1000);
      if (n === 0) break;
      deleted += n;
      // Let the application's own work, and other store calls, run between chunks.
      await new Promise((r) => setImmediate(r));
    }
    if (deleted > 0) await this.#host.call('checkpoint');
  }

  /** Stops upkeep and closes the database. Close the auditor first, so its last batches are in. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#upkeep.stop();
    await this.#host.close();
  }
}

export function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  return SqliteStore.open(options);
}
