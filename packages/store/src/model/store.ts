import type { AuditTransport } from '@auditkit/core';
import type { Cursor } from './cursor.js';
import type { DistinctField, FilterSet } from './filter.js';

export interface PageRequest {
  /** 1..10000 (the API checks it). */
  limit: number;
  /** The cursor of the page's edge: rows strictly beyond it in `direction`. Absent: the newest rows. */
  after?: Cursor;
  /** `older`: newest first, rows older than `after`. `newer`: rows newer than `after`, still returned newest first. */
  direction: 'older' | 'newer';
}

export interface StoredPage {
  /** Each record's canonical JSON line as it was written, byte for byte. */
  lines: string[];
  /** The cursor for the next page in the page's direction of travel (older for `query`, newer for `since`); null at the end. */
  next: Cursor | null;
  /** The cursor for the page before this one; null when there is none. */
  prev: Cursor | null;
}

export interface CountResult {
  value: number;
  /** false when the count stopped at the cap. */
  exact: boolean;
}

export interface DistinctValue {
  value: string | number;
  count: number;
}

export interface HistogramBucket {
  /** Bucket start, epoch µs. */
  start: number;
  total: number;
  failures: number;
}

export interface AuditStore {
  /**
   * The sink side: an AuditTransport whose writeEntries commits a batch in one transaction,
   * idempotent by record id. Put it in `audit({ sinks: [..., store.transport] })`.
   */
  readonly transport: AuditTransport;
  /** A page of matching records. `older`: newest first from `after`; `newer`: the page just newer than `after`, newest first. */
  query(filters: FilterSet, page: PageRequest): Promise<StoredPage>;
  /** One record's line, when it exists and matches the filters (the viewer's scope). */
  get(id: string, filters: FilterSet): Promise<string | undefined>;
  /** Matching records, counted up to `cap`. */
  count(filters: FilterSet, cap: number): Promise<CountResult>;
  /** Distinct values of a field among matching records, most frequent first, at most `limit`. */
  distinct(field: DistinctField, filters: FilterSet, limit: number): Promise<DistinctValue[]>;
  /** Counts per equal bucket of [from, to] (epoch µs), every bucket present, oldest first. */
  histogram(filters: FilterSet, range: { from: number; to: number }, buckets: number): Promise<HistogramBucket[]>;
  /** Every matching line, newest first, in batches of at most `batchSize`, by keyset (constant memory). */
  scan(filters: FilterSet, batchSize: number): AsyncIterable<string[]>;
  /** Live feed: matching records newer than `after`, oldest first, at most `limit`; `next` is the newest returned (or `after`). */
  since(filters: FilterSet, after: Cursor | null, limit: number): Promise<StoredPage>;
  /** Closes the store's connections. Close the auditor first, so the transport has flushed. */
  close(): Promise<void>;
}
